/**
 * The gateway's authentication end to end: real TLS 1.3 with certificates made by openssl (a CA, the
 * gateway's certificate, a client certificate, an untrusted one), real JWTs signed by jose keys served from
 * a loopback JWKS endpoint, API keys made by `mcppolicy keys create`; what the policy sees of each
 * (principal scopes and roles, client.mtls, client.certSubject), the challenges clients step up with, and
 * that no secret reaches the log or the audit file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { makeTestCerts, type TestCerts } from "../helpers/tls-certs.js";
import { makeSigningKey, signToken, startJwksServer, type JwksServer, type SigningKey } from "../helpers/jwks-server.js";
import { startHttpUpstream, startTestGateway, type RawResponse, type TestGateway, type Upstream } from "../helpers/gateway.js";
import { generateApiKey } from "../../src/gateway/auth/api-key-format.js";

const POLICY = `policy "auth" version "1"
default deny
role reader {
  member when "mcp:read" in principal.scopes
  allow tool echo
}
role machine {
  member when client.mtls
  allow tool whoami when client.certSubject == "CN=client-alice,O=mcppolicy tests"
}
audit { redact token, password, api_key }
`;

interface Tls {
  ca?: string;
  cert?: string;
  key?: string;
  maxVersion?: "TLSv1.2" | "TLSv1.3";
}

function httpsRequest(url: string, tls: Tls, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: options.method ?? "POST", headers: { connection: "close", ...options.headers }, agent: false, ...tls },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const MCP = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** initialize, initialized, then one tools/call; the call's JSON-RPC answer. */
async function callTool(url: string, tls: Tls, auth: Record<string, string>, name: string, args: Record<string, unknown>): Promise<{ init: RawResponse; answer?: Record<string, unknown> }> {
  const init = await httpsRequest(url, tls, { headers: { ...MCP, ...auth }, body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }) });
  if (init.status !== 200) return { init };
  const sid = String(init.headers["mcp-session-id"]);
  await httpsRequest(url, tls, { headers: { ...MCP, ...auth, "mcp-session-id": sid }, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
  const r = await httpsRequest(url, tls, { headers: { ...MCP, ...auth, "mcp-session-id": sid }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }) });
  return { init, answer: JSON.parse(r.body) as Record<string, unknown> };
}

describe("the gateway over TLS 1.3 with OAuth, API keys and client certificates", () => {
  let certs: TestCerts;
  let jwks: JwksServer;
  let signing: SigningKey;
  let up: Upstream;
  let gw: TestGateway;
  let apiKey: string;
  const ISSUER = "https://issuer.test";

  beforeAll(async () => {
    certs = makeTestCerts();
    signing = await makeSigningKey("ES256", "k1");
    jwks = await startJwksServer([signing]);
    up = await startHttpUpstream({ name: "notes" });
    const made = generateApiKey("robot");
    apiKey = made.key;
    gw = await startTestGateway(
      `listen:
  port: 0
  tls: { cert: ${certs.server.cert}, key: ${certs.server.key}, clientCa: ${certs.ca.cert}, requireClientCert: false }
policy: policy.mcppolicy
audit: audit.jsonl
auth:
  oauth:
    issuer: ${ISSUER}
    jwksUri: ${jwks.url}
    requiredScopes: [mcp]
  apiKeys: { file: keys.yaml }
  mtls: { principal: { roles: [] } }
upstreams:
  - name: notes
    url: ${up.url}
`,
      POLICY,
      { "keys.yaml": `keys:\n  - id: robot\n    hash: "${made.hash}"\n    created: "2026-12-01T00:00:00Z"\n    principal: { id: robot, scopes: [mcp, "mcp:read"] }\n` },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await up?.stop();
    await jwks?.close();
    certs?.cleanup();
  });

  const ca = () => ({ ca: certs.ca.certPem });
  const token = (claims: Record<string, unknown>) =>
    signToken(signing, { iss: ISSUER, aud: gw.gateway.resource, sub: "alice", exp: Math.floor(Date.now() / 1000) + 300, ...claims });

  it("answers 401 with the metadata's address, and serves the RFC 9728 document there", async () => {
    const r = await callTool(gw.url, ca(), {}, "echo", { text: "x" });
    expect(r.init.status).toBe(401);
    const challenge = String(r.init.headers["www-authenticate"]);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(`${new URL(gw.url).origin}/.well-known/oauth-protected-resource/mcp`);
    const doc = await httpsRequest(metadataUrl as string, ca(), { method: "GET" });
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body)).toMatchObject({ resource: gw.gateway.resource, authorization_servers: [ISSUER] });
  });

  it("lets a valid token through with its scopes as the principal's, and refuses wrong audiences and missing scopes", async () => {
    const ok = await callTool(gw.url, ca(), { authorization: `Bearer ${await token({ scope: "mcp mcp:read" })}` }, "echo", { text: "hello" });
    expect(ok.answer).toMatchObject({ result: { content: [{ type: "text", text: "hello" }] } });
    const noRead = await callTool(gw.url, ca(), { authorization: `Bearer ${await token({ scope: "mcp" })}` }, "echo", { text: "hello" });
    expect(noRead.answer).toMatchObject({ error: { code: -32010 } });
    const wrongAud = await callTool(gw.url, ca(), { authorization: `Bearer ${await token({ scope: "mcp", aud: "https://other.test/mcp" })}` }, "echo", {});
    expect(wrongAud.init.status).toBe(401);
    expect(String(wrongAud.init.headers["www-authenticate"])).toContain('error="invalid_token"');
    const noScope = await callTool(gw.url, ca(), { authorization: `Bearer ${await token({ scope: "mcp:read" })}` }, "echo", {});
    expect(noScope.init.status).toBe(403);
    expect(String(noScope.init.headers["www-authenticate"])).toMatch(/error="insufficient_scope".*scope="mcp"/);
  });

  it("binds a session to its subject: another subject's token gets 404 for it", async () => {
    const alice = { authorization: `Bearer ${await token({ scope: "mcp mcp:read" })}` };
    const init = await httpsRequest(gw.url, ca(), { headers: { ...MCP, ...alice }, body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }) });
    const sid = String(init.headers["mcp-session-id"]);
    const bob = { authorization: `Bearer ${await token({ scope: "mcp mcp:read", sub: "bob" })}` };
    const r = await httpsRequest(gw.url, ca(), { headers: { ...MCP, ...bob, "mcp-session-id": sid }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) });
    expect(r.status).toBe(404);
  });

  it("gives a verified client certificate to the policy as client.mtls and client.certSubject", async () => {
    const withCert = { ...ca(), cert: certs.client.certPem, key: certs.client.keyPem };
    const r = await callTool(gw.url, withCert, {}, "whoami", {});
    expect(r.answer).toMatchObject({ result: { content: [{ type: "text", text: "notes" }] } });
    // The same call with a token and no certificate: not the machine role.
    const t = await callTool(gw.url, ca(), { authorization: `Bearer ${await token({ scope: "mcp mcp:read" })}` }, "whoami", {});
    expect(t.answer).toMatchObject({ error: { code: -32010 } });
    // A certificate from a CA the gateway does not trust authenticates nobody.
    const untrusted = await callTool(gw.url, { ...ca(), cert: certs.untrusted.certPem, key: certs.untrusted.keyPem }, {}, "whoami", {});
    expect(untrusted.init.status).toBe(401);
  });

  it("refuses TLS 1.2 (TLS 1.3 by default)", async () => {
    await expect(httpsRequest(gw.url, { ...ca(), maxVersion: "TLSv1.2" }, { method: "GET" })).rejects.toThrow();
  });

  it("takes API keys, and no key or token ever reaches the log or the audit file", async () => {
    const r = await callTool(gw.url, ca(), { authorization: `Bearer ${apiKey}` }, "echo", { text: "by key", token: "tok-SECRET-123" });
    expect(r.answer).toMatchObject({ result: { content: [{ type: "text", text: "by key" }] } });
    const wrong = await callTool(gw.url, ca(), { authorization: `Bearer ${apiKey.slice(0, -2)}xx` }, "echo", {});
    expect(wrong.init.status).toBe(401);
    const jwt = await token({ scope: "mcp mcp:read" });
    await callTool(gw.url, ca(), { authorization: `Bearer ${jwt}` }, "echo", { text: "t" });
    const audit = readFileSync(path.join(gw.dir, "audit.jsonl"), "utf8");
    const logs = JSON.stringify(gw.logs);
    for (const text of [audit, logs]) {
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(apiKey.split("_").pop());
      expect(text).not.toContain(jwt);
      expect(text).not.toContain("tok-SECRET-123");
    }
    expect(audit).toContain("robot");
  });
});
