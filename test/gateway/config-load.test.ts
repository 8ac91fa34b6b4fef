/**
 * The gateway config loader: a minimal config resolves to every default types.ts documents (the whole
 * object, compared exactly); paths resolve against the config's folder; `${ENV}` expands (and `$${`
 * escapes); each form the design allows (command as a string or a list, audit as a string or a mapping,
 * store memory or redis) reads as documented; the cross-field checks fire where they should and not
 * elsewhere; and the result survives structuredClone (data only).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configForLog, DEFAULTS, loadGatewayConfig, type GatewayConfig } from "../../src/gateway/config/index.js";

let dir: string;
const PEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mcpp-config-"));
  mkdirSync(join(dir, "policies"));
  mkdirSync(join(dir, "srv"));
  writeFileSync(join(dir, "policies", "team.mcppolicy"), 'policy "team"\ndefault deny\n');
  for (const f of ["cert.pem", "key.pem", "ca.pem"]) writeFileSync(join(dir, f), PEM);
  writeFileSync(join(dir, "keys.yaml"), "keys: []\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string, env: NodeJS.ProcessEnv = {}) {
  writeFileSync(join(dir, "gateway.yaml"), text);
  return loadGatewayConfig(join(dir, "gateway.yaml"), { env });
}
function ok(text: string, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  const r = load(text, env);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.config;
}
function codes(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const r = load(text, env);
  return r.ok ? r.warnings.map((d) => d.code) : r.diagnostics.map((d) => d.code);
}

const MINIMAL = "policy: policies/team.mcppolicy\nupstreams:\n  - name: notes\n    url: http://127.0.0.1:3000/mcp\n";

describe("defaults", () => {
  it("a minimal config gets every default of types.ts", () => {
    const c = ok(MINIMAL);
    expect(c).toEqual({
      file: join(dir, "gateway.yaml"),
      listen: { host: "127.0.0.1", port: 8080, path: "/mcp", allowedOrigins: [] },
      policy: join(dir, "policies", "team.mcppolicy"),
      importRoots: [join(dir, "policies")],
      mode: "enforce",
      store: { kind: "memory" },
      tokens: { encoding: "o200k_base" },
      upstreams: [
        { name: "notes", url: "http://127.0.0.1:3000/mcp", prefix: "", connectTimeoutMs: 10000, requestTimeoutMs: 300000, backoff: { initialMs: 250, maxMs: 30000 } },
      ],
      auth: { rateLimit: { perMinute: 60, burst: 20 } },
      limits: {
        maxBodyBytes: 4194304,
        maxHeaderBytes: 16384,
        headersTimeoutMs: 10000,
        requestTimeoutMs: 30000,
        keepAliveTimeoutMs: 5000,
        maxInFlightPerSession: 64,
        shutdownGraceMs: 10000,
      },
      sessions: { max: 1000, idleMs: 1800000, replayEvents: 1000 },
      reload: { watch: true, debounceMs: 200 },
      log: { level: "info" },
      allowMethods: ["logging/setLevel"],
      approvalTimeoutMs: 300000,
    } satisfies GatewayConfig);
    expect(structuredClone(c)).toEqual(c);
  });

  it("nested defaults: tls, oauth, audit, several upstreams' prefixes", () => {
    const c = ok(`policy: policies/team.mcppolicy
listen:
  tls: { cert: cert.pem, key: key.pem, clientCa: ca.pem }
audit: audit.jsonl
upstreams:
  - { name: notes, url: "http://127.0.0.1:3000/mcp" }
  - { name: files, command: node srv.js }
auth:
  oauth: { issuer: "https://auth.example.com/", jwksUri: "https://auth.example.com/jwks.json" }
  mtls: {}
`);
    expect(c.listen.tls).toEqual({ cert: join(dir, "cert.pem"), key: join(dir, "key.pem"), clientCa: join(dir, "ca.pem"), minVersion: "TLSv1.3", requireClientCert: true });
    expect(c.audit).toEqual({ file: join(dir, "audit.jsonl"), failOpen: false });
    expect(c.upstreams.map((u) => u.prefix)).toEqual(["notes__", "files__"]);
    expect(c.auth.oauth).toEqual({
      issuer: "https://auth.example.com/",
      jwksUri: "https://auth.example.com/jwks.json",
      authorizationServers: ["https://auth.example.com/"],
      scopesSupported: [],
      algorithms: ["RS256", "PS256", "ES256", "EdDSA"],
      clockToleranceSec: 30,
      requiredScopes: [],
      jwksCacheMaxAgeMs: 600000,
      jwksCooldownMs: 30000,
      jwksTimeoutMs: 5000,
      principal: { id: "sub", scopeRoles: {} },
    });
    expect(c.auth.mtls).toEqual({ principal: {} });
  });

  it("DEFAULTS is what the loader applies", () => {
    const c = ok(MINIMAL);
    expect(c.limits).toEqual(DEFAULTS.limits);
    expect(c.sessions).toEqual(DEFAULTS.sessions);
    expect(c.reload).toEqual(DEFAULTS.reload);
    expect(c.upstreams[0]?.backoff).toEqual(DEFAULTS.upstream.backoff);
  });
});

describe("values", () => {
  it("resolves paths against the config file's folder, not the working directory", () => {
    const c = ok(`policy: ./policies/../policies/team.mcppolicy
importRoots: [policies, .]
upstreams: [{ name: srv, command: [node, server.js], cwd: srv }]
auth: { apiKeys: { file: keys.yaml } }
`);
    expect(c.policy).toBe(join(dir, "policies", "team.mcppolicy"));
    expect(c.importRoots).toEqual([join(dir, "policies"), dir]);
    expect(c.upstreams[0]?.cwd).toBe(join(dir, "srv"));
    expect(c.auth.apiKeys).toEqual({ file: join(dir, "keys.yaml") });
  });

  it("command as a string splits on spaces (no shell); as a list it is argv", () => {
    expect(ok(MINIMAL.replace("url: http://127.0.0.1:3000/mcp", "command: '  node   srv.js --flag \"x y\"'")).upstreams[0]?.command).toEqual(["node", "srv.js", "--flag", '"x', 'y"']);
    expect(ok(MINIMAL.replace("url: http://127.0.0.1:3000/mcp", "command: [node, 'a b.js']")).upstreams[0]?.command).toEqual(["node", "a b.js"]);
  });

  it("expands ${ENV} in strings, and in numbers and booleans written as a plain reference", () => {
    const c = ok(
      `policy: policies/team.mcppolicy
listen:
  port: \${PORT}
reload: { watch: "\${WATCH}" }
upstreams:
  - name: gh
    url: "https://\${HOST}/mcp"
    headers: { Authorization: "Bearer \${TOKEN}", X-Literal: "$\${NOT_A_REF} costs $5" }
`,
      { PORT: "9000", WATCH: "false", HOST: "api.example.com", TOKEN: "t0k" },
    );
    expect(c.listen.port).toBe(9000);
    expect(c.reload.watch).toBe(false);
    expect(c.upstreams[0]?.url).toBe("https://api.example.com/mcp");
    expect(c.upstreams[0]?.headers).toEqual({ Authorization: "Bearer t0k", "X-Literal": "${NOT_A_REF} costs $5" });
  });

  it("an empty variable counts as set; an unset one is E1007", () => {
    expect(ok(MINIMAL + "    headers: { X-Empty: \"a${E}\" }\n", { E: "" }).upstreams[0]?.headers).toEqual({ "X-Empty": "a" });
    expect(codes(MINIMAL + "    headers: { X-Empty: \"${E}\" }\n")).toEqual(["E1007"]);
  });

  it("store: memory or a Redis URL with storePrefix; audit as a mapping", () => {
    const c = ok(MINIMAL + "store: redis://127.0.0.1:6379/2\nstorePrefix: team-a\naudit: { file: a.jsonl, failOpen: true }\n");
    expect(c.store).toEqual({ kind: "redis", url: "redis://127.0.0.1:6379/2", prefix: "team-a" });
    expect(c.audit).toEqual({ file: join(dir, "a.jsonl"), failOpen: true });
    expect(ok(MINIMAL + "store: memory\n").store).toEqual({ kind: "memory" });
    expect(codes(MINIMAL + "store: mongo://x\n")).toEqual(["E1006"]);
  });

  it("the principal of anonymous and the oauth claim mapping", () => {
    const c = ok(
      MINIMAL +
        `auth:
  anonymous: { principal: { id: anon, roles: [viewer], claims: { tenant: acme, n: 1, tags: [a] } } }
  oauth:
    issuer: http://127.0.0.1:9999/
    jwksUri: http://127.0.0.1:9999/jwks
    audience: https://mcp.example.com/mcp
    requiredScopes: [mcp]
    principal: { id: email, roles: realm_access.roles, scopeRoles: { "notes:write": [editor] } }
`,
    );
    expect(c.auth.anonymous).toEqual({ principal: { id: "anon", roles: ["viewer"], claims: { tenant: "acme", n: 1, tags: ["a"] } } });
    expect(c.auth.oauth?.principal).toEqual({ id: "email", roles: "realm_access.roles", scopeRoles: { "notes:write": ["editor"] } });
    expect(c.auth.oauth?.requiredScopes).toEqual(["mcp"]);
  });

  it("a config file's mistakes come back together, sorted by position", () => {
    const r = load("policy: nope.mcppolicy\nlisten: { port: -1, hots: x }\nupstreams: []\nmode: strict\n");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics.map((d) => d.code)).toEqual(["E1013", "E1005", "E1003", "E1002", "E1006"]);
      expect(r.diagnostics.map((d) => d.span.start)).toEqual([...r.diagnostics.map((d) => d.span.start)].sort((a, b) => a - b));
    }
  });
});

describe("configForLog", () => {
  it("hides header and env values and a Redis password, and nothing else", () => {
    const c = ok(
      "policy: policies/team.mcppolicy\nstore: redis://:hunter2@127.0.0.1:6379\nupstreams:\n  - { name: a, url: \"http://127.0.0.1:1/mcp\", headers: { Authorization: \"Bearer ${T}\" } }\n  - { name: b, command: node, env: { KEY: \"${T}\" } }\n",
      { T: "hunter2" },
    );
    const logged = configForLog(c);
    expect(JSON.stringify(logged)).not.toContain("hunter2");
    expect(logged.upstreams[0]?.headers).toEqual({ Authorization: "[redacted]" });
    expect(logged.upstreams[1]?.env).toEqual({ KEY: "[redacted]" });
    expect({ ...logged, store: c.store, upstreams: c.upstreams }).toEqual(c);
  });
});

describe("cross-field checks", () => {
  it("a network listen address needs authentication; loopback does not", () => {
    expect(codes(MINIMAL + "listen: { host: 0.0.0.0 }\n")).toEqual(["E1016"]);
    expect(codes(MINIMAL + "listen: { host: '::' }\n")).toEqual(["E1016"]);
    expect(codes(MINIMAL + "listen: { host: localhost }\n")).toEqual([]);
    expect(codes(MINIMAL + "listen: { host: '::1' }\n")).toEqual([]);
    expect(codes(MINIMAL + "listen: { host: 0.0.0.0 }\nauth: { apiKeys: { file: keys.yaml } }\n")).toEqual([]);
    expect(codes(MINIMAL + "listen: { host: 0.0.0.0 }\nauth: { anonymous: { principal: { id: a } } }\n")).toEqual(["W1002"]);
  });

  it("mtls needs a client CA; requireClientCert needs one too", () => {
    expect(codes(MINIMAL + "auth: { mtls: {} }\n")).toEqual(["E1014"]);
    expect(codes(MINIMAL + "listen: { tls: { cert: cert.pem, key: key.pem, clientCa: ca.pem } }\nauth: { mtls: {} }\n")).toEqual([]);
    expect(codes(MINIMAL + "listen: { tls: { cert: cert.pem, key: key.pem, requireClientCert: false } }\n")).toEqual(["E1014"]);
  });

  it("oauth on a wildcard address needs a public URL or an audience", () => {
    const oauth = "auth: { oauth: { issuer: 'https://a.example/', jwksUri: 'https://a.example/jwks' } }\n";
    expect(codes(MINIMAL + "listen: { host: 0.0.0.0 }\n" + oauth)).toEqual(["E1014"]);
    expect(codes(MINIMAL + "listen: { host: 0.0.0.0, publicUrl: 'https://mcp.example.com/mcp' }\n" + oauth)).toEqual([]);
  });

  it("several upstreams: unique names, prefixes none of which starts another", () => {
    const two = (a: string, b: string) => `policy: policies/team.mcppolicy\nupstreams:\n  - { name: a, url: "http://127.0.0.1:1/mcp"${a} }\n  - { name: b, url: "http://127.0.0.1:2/mcp"${b} }\n`;
    expect(codes(two("", ""))).toEqual([]);
    expect(codes(two(", prefix: x_", ", prefix: x_y_"))).toEqual(["E1011"]);
    expect(codes(two(", prefix: ''", ""))).toEqual(["E1011"]); // with several, none may be empty
  });
});
