/**
 * mTLS facts from real TLS: certificates made by openssl (test/helpers/tls-certs.ts), a node:https server
 * (TLS 1.3, requestCert, the test CA as clientCa) whose requests go through tlsFactsOf and the authenticator.
 * A client certificate the CA signed gives client.mtls, its RFC 2253 subject and its SHA-256 fingerprint, and
 * the mtls principal (id = CN); an untrusted certificate gives none of them (anonymous or 401); no certificate:
 * tls without mtls; a required client certificate refuses the untrusted handshake itself.
 */
import { X509Certificate } from "node:crypto";
import { createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthenticator, requestFactsOf, rfc2253, tlsFactsOf, type Authenticator } from "../../src/gateway/auth/index.js";
import type { AuthConfig } from "../../src/gateway/config/types.js";
import { makeTestCerts, type CertFiles, type TestCerts } from "../helpers/tls-certs.js";

let certs: TestCerts;
const servers: Server[] = [];

beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  certs?.cleanup();
});

async function serve(auth: Authenticator, rejectUnauthorized: boolean): Promise<number> {
  const server = createServer({ key: certs.server.keyPem, cert: certs.server.certPem, ca: certs.ca.certPem, requestCert: true, rejectUnauthorized, minVersion: "TLSv1.3" }, (req, res) => {
    const facts = requestFactsOf(req);
    void auth.authenticate(facts).then((outcome) => {
      res.writeHead(200, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ facts: facts.tls, path: facts.path, outcome }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

function call(port: string | number, client?: CertFiles, headers: Record<string, string> = {}, path = "/mcp"): Promise<{ facts: Record<string, unknown>; path: string; outcome: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "POST", ca: certs.ca.certPem, headers, ...(client && { cert: client.certPem, key: client.keyPem }), minVersion: "TLSv1.3", agent: false },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve(JSON.parse(body)));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const config = (over: Partial<AuthConfig> = {}): AuthConfig => ({ mtls: { principal: { roles: ["service"] } }, rateLimit: { perMinute: 6000, burst: 1000 }, ...over });

describe("auth: mTLS", () => {
  it("a client certificate signed by the CA: client.mtls, certSubject, certFingerprint and the mtls principal (id = CN)", async () => {
    const port = await serve(createAuthenticator(config(), "https://127.0.0.1/mcp"), false);
    const { facts, outcome } = await call(port, certs.client);
    const fingerprint = new X509Certificate(certs.client.certPem).fingerprint256;
    expect(facts).toEqual({ authorized: true, subject: "CN=client-alice,O=mcppolicy tests", fingerprint256: fingerprint });
    expect(outcome).toEqual({
      ok: true,
      principal: { id: "client-alice", roles: ["service"] },
      client: { ip: "127.0.0.1", tls: true, mtls: true, certSubject: "CN=client-alice,O=mcppolicy tests", certFingerprint: fingerprint },
      via: "mtls",
      subject: "client-alice",
    });
  });

  it("an untrusted certificate gives no mtls facts: 401 without anonymous, the anonymous principal with it", async () => {
    const port = await serve(createAuthenticator(config(), "https://127.0.0.1/mcp"), false);
    const denied = await call(port, certs.untrusted);
    expect(denied.facts.authorized).toBe(false);
    expect(denied.facts.authorizationError).toBeTruthy();
    expect(denied.outcome.ok).toBe(false);
    expect(denied.outcome.status).toBe(401);

    const anon = await serve(createAuthenticator(config({ anonymous: { principal: { id: "guest", roles: ["viewer"] } } }), "https://127.0.0.1/mcp"), false);
    const guest = await call(anon, certs.untrusted);
    expect(guest.outcome).toEqual({ ok: true, principal: { id: "guest", roles: ["viewer"] }, client: { ip: "127.0.0.1", tls: true, mtls: false }, via: "anonymous", subject: "guest" });
    const none = await call(anon);
    expect(none.facts.authorized).toBe(false);
    expect(none.facts.subject).toBeUndefined();
    expect(none.facts.fingerprint256).toBeUndefined();
    expect(none.outcome.client).toEqual({ ip: "127.0.0.1", tls: true, mtls: false });
  });

  it("credentials win over the certificate, which still gives its facts; a configured principal id is kept", async () => {
    const port = await serve(createAuthenticator(config({ mtls: { principal: { id: "svc" } }, anonymous: { principal: { id: "guest" } } }), "https://127.0.0.1/mcp"), false);
    const viaCert = await call(port, certs.client);
    expect(viaCert.outcome.principal).toEqual({ id: "svc" });
    const bad = await call(port, certs.client, { authorization: "Bearer mcpp_x_" + "A".repeat(43) });
    expect(bad.outcome.ok).toBe(false); // a failing credential is never rescued by the certificate
  });

  it("requestFactsOf: the path without its query, the peer address", async () => {
    const port = await serve(createAuthenticator(config({ anonymous: { principal: {} } }), "https://127.0.0.1/mcp"), false);
    const r = await call(port, undefined, {}, "/mcp?session=1");
    expect(r.path).toBe("/mcp");
    expect(r.outcome.client.ip).toBe("127.0.0.1");
  });

  it("requireClientCert (rejectUnauthorized): the untrusted handshake itself fails; the trusted one passes", async () => {
    const port = await serve(createAuthenticator(config(), "https://127.0.0.1/mcp"), true);
    await expect(call(port, certs.untrusted)).rejects.toThrow();
    expect((await call(port, certs.client)).outcome.via).toBe("mtls");
  });

  it("rfc2253 escapes special characters and puts the last RDN first", () => {
    expect(rfc2253({ C: "DE", O: "Acme, Inc.", OU: ["a", "b"], CN: " lead+trail " })).toBe("CN=\\ lead\\+trail\\ ,OU=b,OU=a,O=Acme\\, Inc.,C=DE");
    expect(tlsFactsOf({ encrypted: false })).toBeUndefined();
  });
});
