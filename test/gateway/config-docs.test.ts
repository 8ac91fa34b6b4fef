/**
 * docs/gateway-config.md against the loader: its full example loads with no diagnostic at all; every
 * option of a resolved config has a row in its tables; and each row's default is the value the loader
 * gives when the option is left out (numbers, words and lists compared literally), so the docs, DEFAULTS
 * and types.ts's doc comments cannot drift apart silently.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseGatewayConfig, type GatewayConfig } from "../../src/gateway/config/index.js";

const DOC = readFileSync(join(import.meta.dirname, "..", "..", "docs", "gateway-config.md"), "utf8");
let dir: string;
const PEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mcpp-config-docs-"));
  for (const d of ["tls", "policies", "servers", "logs"]) mkdirSync(join(dir, d));
  for (const f of ["server.pem", "server-key.pem", "clients-ca.pem"]) writeFileSync(join(dir, "tls", f), PEM);
  writeFileSync(join(dir, "policies", "team.mcppolicy"), 'policy "team"\ndefault deny\n');
  writeFileSync(join(dir, "keys.yaml"), "keys: []\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The rows of every table: option -> default cell. */
function rows(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of DOC.split("\n")) {
    const m = /^\| `([^`]+)` \| (.*?) \| (.*?) \| /.exec(line);
    if (m) out.set(m[1]!, m[3]!);
  }
  return out;
}

/** Free-form mappings: their keys are the user's, not options. */
const FREE = new Set(["env", "headers", "scopeRoles", "principal", "claims"]);

/** Every option path of a resolved config, with its value (upstream options without `upstreams[i].`). */
function leaves(v: unknown, at = ""): [string, unknown][] {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return [[at, v]];
  const out: [string, unknown][] = [];
  for (const [k, x] of Object.entries(v)) {
    const path = at ? `${at}.${k}` : k;
    if (k === "upstreams" && !at) (x as unknown[]).forEach((u) => out.push(...leaves(u, "")));
    else if (FREE.has(k) && !(at === "auth.oauth" && k === "principal")) out.push([path, x]);
    else out.push(...leaves(x, path));
  }
  return out;
}

function fullExample(): string {
  const m = /## Full example[\s\S]*?```yaml\n([\s\S]*?)```/.exec(DOC);
  if (!m) throw new Error("no full example");
  return m[1]!;
}

describe("docs/gateway-config.md", () => {
  it("the full example loads with no diagnostic", () => {
    const r = parseGatewayConfig(fullExample(), join(dir, "gateway.yaml"), { env: { GITHUB_TOKEN: "t" } });
    expect(r.ok ? r.warnings : r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });

  it("documents every option of a resolved config", () => {
    const r = parseGatewayConfig(fullExample(), join(dir, "gateway.yaml"), { env: { GITHUB_TOKEN: "t" } });
    if (!r.ok) throw new Error("the full example does not load");
    const documented = rows();
    const missing = leaves(r.config)
      .map(([p]) => p)
      // `store: URL` + `storePrefix` resolve to `store.{kind,url,prefix}`.
      .map((p) => (p === "store.prefix" ? "storePrefix" : p.startsWith("store.") ? "store" : p))
      .filter((p) => p !== "file" && !documented.has(p));
    expect(missing).toEqual([]);
  });

  it("each documented default is the loader's", () => {
    const minimal = `policy: policies/team.mcppolicy
listen: { tls: { cert: tls/server.pem, key: tls/server-key.pem, clientCa: tls/clients-ca.pem } }
audit: { file: logs/a.jsonl }
upstreams: [{ name: a, url: "http://127.0.0.1:1/mcp" }]
auth: { oauth: { issuer: "https://a.example/", jwksUri: "https://a.example/jwks" }, mtls: {} }
`;
    const r = parseGatewayConfig(minimal, join(dir, "gateway.yaml"), { env: {} });
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
    const c: GatewayConfig = r.config;
    const documented = rows();
    const checked: string[] = [];
    for (const [path, value] of leaves(c)) {
      const cell = documented.get(path);
      if (cell === undefined || ["file", "policy", "importRoots", "url", "name", "prefix"].includes(path) || path.startsWith("auth.oauth.issuer") || path.startsWith("auth.oauth.jwksUri")) continue;
      // Defaults computed from other options: `[issuer]`, `requiredScopes`.
      if (path === "auth.oauth.authorizationServers" || path === "auth.oauth.scopesSupported") continue;
      if (/^listen\.tls\.(cert|key|clientCa)$/.test(path) || path === "audit.file" || path === "auth.mtls.principal") continue;
      const empty = (Array.isArray(value) && value.length === 0) || (typeof value === "object" && value !== null && Object.keys(value).length === 0);
      const literals = empty ? ["none"] : Array.isArray(value) ? value.map(String) : [String(value)];
      for (const l of literals) expect(cell, `${path}: the docs say ${cell}, the loader gives ${l}`).toContain(`${l}`);
      checked.push(path);
    }
    expect(checked.length).toBeGreaterThan(30);
  });
});
