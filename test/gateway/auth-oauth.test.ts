/**
 * The OAuth 2.1 resource server (src/gateway/auth) against a real JWKS endpoint on loopback and tokens signed by
 * jose with RS256 and ES256 keys: valid tokens map to principals; expired, not-yet-valid, wrong-audience,
 * wrong-issuer, expiry-less tokens are 401 invalid_token; `alg: none` and HS256 signed with the public key are
 * refused; key rotation (an unknown kid refetches, then accepts or denies; within the cooldown it does not
 * refetch); the JWKS endpoint down (cached keys serve until their max age, then every token is denied);
 * 403 insufficient_scope with the exact header; the RFC 9728 document and its paths.
 */
import { createHmac } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAuthenticator, type AuthOutcome, type RequestFacts } from "../../src/gateway/auth/index.js";
import type { AuthConfig, OAuthConfig } from "../../src/gateway/config/types.js";
import { makeSigningKey, signToken, startJwksServer, type JwksServer, type SigningKey } from "../helpers/jwks-server.js";

const ISS = "https://issuer.example.test";
const RESOURCE = "https://mcp.example.test/mcp";
const META = "https://mcp.example.test/.well-known/oauth-protected-resource/mcp";

let jwks: JwksServer;
let rsa: SigningKey;
let ec: SigningKey;
let later: SigningKey;

beforeAll(async () => {
  rsa = await makeSigningKey("RS256", "rsa-1");
  ec = await makeSigningKey("ES256", "ec-1");
  later = await makeSigningKey("ES256", "ec-2");
  jwks = await startJwksServer([rsa, ec]);
});
afterAll(async () => {
  await jwks?.close();
});
afterEach(async () => {
  vi.useRealTimers();
  jwks.rotate([rsa, ec]);
  jwks.hang = false;
  await jwks.up().catch(() => {}); // listening already: fine
});

function config(over: Partial<OAuthConfig> = {}, jwksUrl = jwks.url): AuthConfig {
  return {
    oauth: {
      issuer: ISS,
      jwksUri: jwksUrl,
      algorithms: ["RS256", "PS256", "ES256", "EdDSA"],
      clockToleranceSec: 30,
      requiredScopes: [],
      jwksCacheMaxAgeMs: 600_000,
      jwksCooldownMs: 30_000,
      jwksTimeoutMs: 5_000,
      principal: { id: "sub", scopeRoles: {} },
      ...over,
    },
    rateLimit: { perMinute: 6000, burst: 1000 },
  };
}

const facts = (token: string): RequestFacts => ({ method: "POST", path: "/mcp", headers: { authorization: `Bearer ${token}` }, remoteAddress: "127.0.0.1" });
const nowSec = () => Math.floor(Date.now() / 1000);
const claims = (over: Record<string, unknown> = {}) => ({ iss: ISS, aud: RESOURCE, sub: "alice", exp: nowSec() + 600, iat: nowSec(), scope: "mcp:read mcp:write", ...over });

function denied(o: AuthOutcome, description: string): void {
  expect(o.ok).toBe(false);
  if (o.ok) return;
  expect(o.status).toBe(401);
  expect(o.body).toEqual({ error: "invalid_token", error_description: description });
  expect(o.headers["WWW-Authenticate"]).toBe(`Bearer resource_metadata="${META}", error="invalid_token", error_description="${description}"`);
}

describe("auth: OAuth bearer tokens", () => {
  it("accepts RS256 and ES256 tokens; maps sub, scope, roles and scopeRoles to the principal", async () => {
    const auth = createAuthenticator(config({ principal: { id: "sub", roles: "realm_access.roles", scopeRoles: { "mcp:write": ["writer"] } } }), RESOURCE);
    for (const key of [rsa, ec]) {
      const o = await auth.authenticate(facts(await signToken(key, claims({ realm_access: { roles: ["dev", "ops"] } }))));
      expect(o.ok).toBe(true);
      if (!o.ok) continue;
      expect(o.via).toBe("oauth");
      expect(o.subject).toBe("alice");
      expect(o.principal.id).toBe("alice");
      expect(o.principal.scopes).toEqual(["mcp:read", "mcp:write"]);
      expect(o.principal.roles).toEqual(["dev", "ops", "writer"]);
      expect(o.principal.claims?.iss).toBe(ISS);
      expect(o.client).toEqual({ ip: "127.0.0.1", tls: false, mtls: false });
    }
    const scp = await auth.authenticate(facts(await signToken(ec, claims({ scope: undefined, scp: ["a", "b"] }))));
    expect(scp.ok && scp.principal.scopes).toEqual(["a", "b"]);
    const audList = await auth.authenticate(facts(await signToken(ec, claims({ aud: ["other", RESOURCE] }))));
    expect(audList.ok).toBe(true);
  });

  it("refuses expired, not-yet-valid, wrong-audience, wrong-issuer and expiry-less tokens with 401 invalid_token", async () => {
    const auth = createAuthenticator(config(), RESOURCE);
    denied(await auth.authenticate(facts(await signToken(rsa, claims({ exp: nowSec() - 120 })))), "the token has expired");
    denied(await auth.authenticate(facts(await signToken(rsa, claims({ nbf: nowSec() + 600 })))), "the token is not yet valid");
    denied(await auth.authenticate(facts(await signToken(rsa, claims({ aud: "https://other.example.test/mcp" })))), "the token is not meant for this resource");
    denied(await auth.authenticate(facts(await signToken(rsa, claims({ iss: "https://evil.example.test" })))), "the token was not issued by the accepted issuer");
    denied(await auth.authenticate(facts(await signToken(rsa, claims({ exp: undefined })))), "the token has no expiry");
    denied(await auth.authenticate(facts(await signToken(rsa, claims({ sub: undefined })))), "the token has no usable subject claim");
    denied(await auth.authenticate(facts("not.a.jwt")), "the token is not a well-formed JWT");
    // Within the clock tolerance (30 s) an expiry just past is still accepted.
    expect((await auth.authenticate(facts(await signToken(rsa, claims({ exp: nowSec() - 5 }))))).ok).toBe(true);
  });

  it("the audience defaults to the resource (RFC 8707) and can be configured", async () => {
    const auth = createAuthenticator(config({ audience: "api://mcp" }), RESOURCE);
    denied(await auth.authenticate(facts(await signToken(ec, claims()))), "the token is not meant for this resource");
    expect((await auth.authenticate(facts(await signToken(ec, claims({ aud: "api://mcp" }))))).ok).toBe(true);
  });

  it("refuses alg none and HS256 signed with the issuer's public key (algorithm confusion), without fetching", async () => {
    const auth = createAuthenticator(config(), RESOURCE);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const body = b64(claims());
    const none = `${b64({ alg: "none", typ: "JWT" })}.${body}.`;
    denied(await auth.authenticate(facts(none)), "the token's signing algorithm is not accepted");
    const head = b64({ alg: "HS256", kid: rsa.kid, typ: "JWT" });
    const secret = JSON.stringify(rsa.publicJwk);
    const mac = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
    const before = jwks.fetches;
    denied(await auth.authenticate(facts(`${head}.${body}.${mac}`)), "the token's signing algorithm is not accepted");
    expect(jwks.fetches).toBe(before);
    // A token signed by a key the endpoint does not list (same kid as a listed one): signature check fails.
    const impostor = { ...(await makeSigningKey("RS256", "rsa-1")) };
    await auth.authenticate(facts(await signToken(rsa, claims()))); // load the keys
    denied(await auth.authenticate(facts(await signToken(impostor, claims()))), "the token's signature does not verify");
    // Symmetric algorithms and none cannot even be configured.
    expect(() => createAuthenticator(config({ algorithms: ["RS256", "HS256"] }), RESOURCE)).toThrow(/HS256 cannot be used/);
    expect(() => createAuthenticator(config({ algorithms: ["none"] }), RESOURCE)).toThrow(/none cannot be used/);
    // Only the configured algorithms: an ES256 token when only RS256 is allowed.
    const rsOnly = createAuthenticator(config({ algorithms: ["RS256"] }), RESOURCE);
    denied(await rsOnly.authenticate(facts(await signToken(ec, claims()))), "the token's signing algorithm is not accepted");
  });

  it("key rotation: an unknown kid refetches the JWKS, then accepts the new key; a kid still unknown is denied", async () => {
    const auth = createAuthenticator(config({ jwksCooldownMs: 0 }), RESOURCE);
    expect((await auth.authenticate(facts(await signToken(rsa, claims())))).ok).toBe(true);
    const fetched = jwks.fetches;
    jwks.rotate([later]);
    expect((await auth.authenticate(facts(await signToken(later, claims())))).ok).toBe(true);
    expect(jwks.fetches).toBe(fetched + 1);
    // The retired key is gone from the JWKS: its tokens refetch once more and are denied.
    denied(await auth.authenticate(facts(await signToken(rsa, claims()))), "no key of the issuer matches the token");
    expect(jwks.fetches).toBe(fetched + 2);
  });

  it("within the cooldown an unknown kid does not refetch and is denied", async () => {
    const auth = createAuthenticator(config({ jwksCooldownMs: 3_600_000 }), RESOURCE);
    expect((await auth.authenticate(facts(await signToken(ec, claims())))).ok).toBe(true);
    const fetched = jwks.fetches;
    jwks.rotate([rsa, ec, later]);
    for (let i = 0; i < 3; i++) denied(await auth.authenticate(facts(await signToken(later, claims()))), "no key of the issuer matches the token");
    expect(jwks.fetches).toBe(fetched);
  });

  it("the JWKS endpoint down: cached keys keep working until the cache max age, then every token is denied; back up: accepted again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const auth = createAuthenticator(config({ jwksCacheMaxAgeMs: 60_000, jwksCooldownMs: 1_000 }), RESOURCE);
    const token = await signToken(rsa, claims({ exp: nowSec() + 3600 }));
    expect((await auth.authenticate(facts(token))).ok).toBe(true);
    await jwks.down();
    vi.setSystemTime(new Date("2030-01-01T00:00:59Z"));
    expect((await auth.authenticate(facts(token))).ok).toBe(true);
    // An unknown kid while down: the refetch fails, denied.
    denied(await auth.authenticate(facts(await signToken(later, claims({ exp: nowSec() + 3600 })))), "the issuer's keys cannot be fetched");
    vi.setSystemTime(new Date("2030-01-01T00:01:01Z"));
    denied(await auth.authenticate(facts(token)), "the issuer's keys cannot be fetched");
    denied(await auth.authenticate(facts(token)), "the issuer's keys cannot be fetched");
    await jwks.up();
    expect((await auth.authenticate(facts(token))).ok).toBe(true);
  });

  it("a JWKS endpoint that never answers: the fetch times out and the token is denied (no hang)", async () => {
    jwks.hang = true;
    const auth = createAuthenticator(config({ jwksTimeoutMs: 200 }), RESOURCE);
    denied(await auth.authenticate(facts(await signToken(rsa, claims()))), "the issuer's keys cannot be fetched");
    jwks.hang = false;
    expect((await auth.authenticate(facts(await signToken(rsa, claims())))).ok).toBe(true);
  });

  it("missing required scope: 403 with the exact insufficient_scope challenge", async () => {
    const auth = createAuthenticator(config({ requiredScopes: ["mcp:read", "mcp:admin"] }), RESOURCE);
    const o = await auth.authenticate(facts(await signToken(ec, claims({ scope: "mcp:read" }))));
    expect(o).toEqual({
      ok: false,
      status: 403,
      headers: { "WWW-Authenticate": `Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="${META}"` },
      body: { error: "insufficient_scope", error_description: "the token lacks a required scope (needs: mcp:read mcp:admin)" },
    });
    expect((await auth.authenticate(facts(await signToken(ec, claims({ scope: "mcp:admin mcp:read" }))))).ok).toBe(true);
  });

  it("no credentials: 401 with resource_metadata only", async () => {
    const auth = createAuthenticator(config(), RESOURCE);
    const o = await auth.authenticate({ method: "POST", path: "/mcp", headers: {}, remoteAddress: "127.0.0.1" });
    expect(o).toEqual({
      ok: false,
      status: 401,
      headers: { "WWW-Authenticate": `Bearer resource_metadata="${META}"` },
      body: { error: "unauthorized", error_description: "authentication is required" },
    });
    const basic = await auth.authenticate({ method: "POST", path: "/mcp", headers: { authorization: "Basic YWxpY2U6cHc=" }, remoteAddress: "127.0.0.1" });
    expect(!basic.ok && basic.headers["WWW-Authenticate"]).toBe(`Bearer resource_metadata="${META}", error="invalid_request", error_description="the Authorization header must be \`Bearer <token>\`"`);
  });

  it("the RFC 9728 protected resource metadata and its well-known paths", () => {
    const auth = createAuthenticator(config({ requiredScopes: ["mcp:read"], authorizationServers: ["https://as.example.test"] }), RESOURCE);
    expect(auth.metadataPaths).toEqual(["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]);
    expect(auth.protectedResourceMetadata()).toEqual({
      resource: RESOURCE,
      authorization_servers: ["https://as.example.test"],
      bearer_methods_supported: ["header"],
      scopes_supported: ["mcp:read"],
    });
    const root = createAuthenticator(config(), "https://mcp.example.test/");
    expect(root.metadataPaths).toEqual(["/.well-known/oauth-protected-resource"]);
    expect(root.protectedResourceMetadata()).toEqual({
      resource: "https://mcp.example.test/",
      authorization_servers: [ISS],
      bearer_methods_supported: ["header"],
    });
    const none = createAuthenticator({ anonymous: { principal: { id: "anon" } }, rateLimit: { perMinute: 60, burst: 20 } }, RESOURCE);
    expect(none.protectedResourceMetadata()).toBeUndefined();
    expect(none.metadataPaths).toEqual([]);
  });
});
