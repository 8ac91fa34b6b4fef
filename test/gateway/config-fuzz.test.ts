/**
 * Properties of the gateway config loader: no input ever throws, or reaches the loader's last-resort
 * catch; it only returns diagnostics (each with a span inside the text, each renderable) or a config.
 * Inputs: arbitrary strings, YAML-ish token soups (indentation, flow collections, anchors and aliases,
 * tags, `${` references), and structured mutations of a valid config (a key dropped, renamed or added,
 * a value replaced by any JSON value, an upstream duplicated). A config that loads keeps the invariants
 * the design states (upstreams non-empty with unique names and non-clashing prefixes; data only).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configDiagnosticsJson, parseGatewayConfig, renderConfigDiagnostics, type ConfigResult } from "../../src/gateway/config/index.js";

let dir: string;
let file: string;
const ENV = { TOKEN: "t", PORT: "9000", EMPTY: "" };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mcpp-config-fuzz-"));
  file = join(dir, "gateway.yaml");
  writeFileSync(join(dir, "team.mcppolicy"), 'policy "team"\ndefault deny\n');
  writeFileSync(join(dir, "cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The property every input must keep. */
function holds(text: string): ConfigResult {
  let r: ConfigResult;
  try {
    r = parseGatewayConfig(text, file, { env: ENV });
  } catch (e) {
    throw new Error(`parseGatewayConfig threw on ${JSON.stringify(text)}: ${String(e)}`);
  }
  const diags = r.ok ? r.warnings : r.diagnostics;
  if (!r.ok) expect(r.diagnostics.some((d) => d.severity === "error")).toBe(true);
  for (const d of diags) {
    // The loader's last-resort catch would say so: reaching it is a bug.
    expect(d.message).not.toMatch(/could not be read \(/);
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeLessThanOrEqual(Math.max(text.length, 1));
    expect(d.span.start).toBeLessThanOrEqual(d.span.end);
  }
  expect(typeof renderConfigDiagnostics(diags, r.source)).toBe("string");
  expect(configDiagnosticsJson(diags, r.source).length).toBe(diags.length);
  if (r.ok) {
    const c = r.config;
    expect(structuredClone(c)).toEqual(c);
    expect(c.upstreams.length).toBeGreaterThan(0);
    expect(new Set(c.upstreams.map((u) => u.name)).size).toBe(c.upstreams.length);
    for (const u of c.upstreams) expect(u.url === undefined).not.toBe(u.command === undefined);
    if (c.upstreams.length > 1) {
      for (const a of c.upstreams) for (const b of c.upstreams) if (a !== b) expect(a.prefix.startsWith(b.prefix)).toBe(false);
    }
  }
  return r;
}

const VALID = {
  listen: { host: "127.0.0.1", port: 0, path: "/mcp", allowedOrigins: ["http://localhost:5173"] },
  policy: "team.mcppolicy",
  mode: "enforce",
  store: "memory",
  audit: { file: "audit.jsonl", failOpen: false },
  upstreams: [
    { name: "notes", url: "http://127.0.0.1:3000/mcp", headers: { Authorization: "Bearer ${TOKEN}" }, backoff: { initialMs: 100, maxMs: 1000 } },
    { name: "files", command: ["node", "server.js"], env: { A: "b" }, prefix: "f__" },
  ],
  auth: {
    apiKeys: { file: "keys.yaml" },
    anonymous: { principal: { id: "anon", roles: ["viewer"], claims: { tenant: "a" } } },
    oauth: { issuer: "https://a.example/", jwksUri: "https://a.example/jwks", requiredScopes: ["mcp"], principal: { id: "sub", scopeRoles: { s: ["r"] } } },
    rateLimit: { perMinute: 60, burst: 20 },
  },
  limits: { maxBodyBytes: 4096, requestTimeoutMs: 30000 },
  sessions: { max: 10 },
  reload: { watch: true, debounceMs: 50 },
  log: { level: "debug" },
  allowMethods: ["logging/setLevel"],
  approvalTimeoutMs: 1000,
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const anyJson: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -5, max: 100_000 }),
    fc.double(),
    fc.string({ maxLength: 12 }),
    fc.constantFrom("${TOKEN}", "${UNSET}", "${", "$${x}", "http://x", "redis://h:1/2", "0.0.0.0", "", "memory", "cert.pem"),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("v"), { maxKeys: 3 }),
  ),
})).v;

/** Every path to a value inside a JSON value. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

type Mutation = { kind: "replace"; value: Json } | { kind: "drop" } | { kind: "rename"; to: string } | { kind: "add"; key: string; value: Json } | { kind: "dup" };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  anyJson.map((value) => ({ kind: "replace" as const, value })),
  fc.constant({ kind: "drop" as const }),
  fc.string({ maxLength: 8 }).map((to) => ({ kind: "rename" as const, to })),
  fc.tuple(fc.string({ maxLength: 8 }), anyJson).map(([key, value]) => ({ kind: "add" as const, key, value })),
  fc.constant({ kind: "dup" as const }),
);

function mutate(base: unknown, pick: number, m: Mutation): unknown {
  const root = structuredClone(base) as Record<string, unknown>;
  const all = paths(root).filter((p) => p.length > 0);
  const path = all[pick % all.length]!;
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root) as Record<string | number, unknown>;
  const key = path.at(-1)!;
  switch (m.kind) {
    case "replace":
      parent[key] = m.value;
      break;
    case "drop":
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case "rename":
      if (!Array.isArray(parent)) {
        parent[m.to] = parent[key];
        if (m.to !== key) delete parent[key];
      }
      break;
    case "add": {
      const target = parent[key];
      if (target && typeof target === "object" && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = m.value;
      else parent[key] = { [m.key]: m.value };
      break;
    }
    case "dup":
      if (Array.isArray(parent)) parent.push(structuredClone(parent[key]));
      else parent[`${String(key)}`] = structuredClone(parent[key]);
      break;
  }
  return root;
}

const TOKENS = ["policy:", "upstreams:", "listen:", "auth:", "\n", "\n  ", "\n    ", "- ", "name: a", "url: ", "command: ", "[", "]", "{", "}", ",", ": ", "&a ", "*a", "!!binary ", "!tag ", "'", '"', "${TOKEN}", "${", "$${", "#", "---", "? ", "|", ">", "~", "null", "0x1F", "1e9", "-1", "true", "\t", "\u2028", "\ufeff", "é"];

describe("no config input throws", () => {
  it("the valid base config loads", () => {
    const r = holds(stringify(VALID));
    expect(r.ok ? [] : r.diagnostics.map((d) => d.message)).toEqual([]);
  });

  it("arbitrary strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: "grapheme-ascii" }), (t) => void holds(t)), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ maxLength: 100, unit: "binary" }), (t) => void holds(t)), { numRuns: 200 });
  });

  it("YAML-ish token soups", () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (ts) => void holds(ts.join(""))), { numRuns: 500 });
  });

  it("structured mutations of a valid config", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 }), (ms) => {
        let cfg: unknown = VALID;
        for (const [pick, m] of ms) cfg = mutate(cfg, pick, m);
        void holds(stringify(cfg));
      }),
      { numRuns: 500 },
    );
  });

  it("alias bombs and deep nesting", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)];
    holds(`${bomb.join("\n")}\npolicy: team.mcppolicy\nupstreams: [{ name: a, command: node }]\nauth: { anonymous: { principal: { id: x, claims: { big: *j } } } }\n`);
    holds("policy: " + "[".repeat(5000) + "]".repeat(5000));
    holds("auth:\n  anonymous:\n    principal:\n      claims: " + "{a: ".repeat(500) + "1" + "}".repeat(500));
  });
});
