/**
 * Property: no outcome, header or thrown message ever holds a presented secret. Credentials are generated
 * (well-formed keys with random secrets, the real key with one character changed, the real key itself, JWT-shaped
 * text, real JWTs signed by a listed and by an unlisted key, arbitrary text) and presented as
 * `Authorization: Bearer`, as `X-API-Key`, or as a raw Authorization value; the authenticator (API keys, OAuth
 * against a loopback JWKS, mTLS and anonymous all configured) never rejects, and the JSON of its outcome never
 * contains the credential nor its secret part. The warnings it gives (a broken key file) hold no key either.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthenticator, generateApiKey, serializeKeyFile, type Authenticator, type RequestFacts } from "../../src/gateway/auth/index.js";
import { makeSigningKey, signToken, startJwksServer, type JwksServer, type SigningKey } from "../helpers/jwks-server.js";

const ISS = "https://issuer.example.test";
const RESOURCE = "http://127.0.0.1:9/mcp";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("");

let dir: string;
let jwks: JwksServer;
let listed: SigningKey;
let unlisted: SigningKey;
let realKey: string;
let auth: Authenticator;
const warnings: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-secrets-"));
  listed = await makeSigningKey("ES256", "k1");
  unlisted = await makeSigningKey("ES256", "k2");
  jwks = await startJwksServer([listed]);
  const file = path.join(dir, "keys.yaml");
  const made = generateApiKey("svc");
  realKey = made.key;
  writeFileSync(file, serializeKeyFile(file, [{ id: "svc", hash: made.hash, principal: { roles: ["r"] }, created: new Date().toISOString() }]));
  auth = createAuthenticator(
    {
      apiKeys: { file },
      oauth: {
        issuer: ISS,
        jwksUri: jwks.url,
        algorithms: ["ES256"],
        clockToleranceSec: 0,
        requiredScopes: ["mcp"],
        jwksCacheMaxAgeMs: 600_000,
        jwksCooldownMs: 600_000,
        jwksTimeoutMs: 2_000,
        principal: { id: "sub", scopeRoles: {} },
      },
      mtls: { principal: {} },
      anonymous: { principal: { id: "anon" } },
      rateLimit: { perMinute: 60, burst: 5 },
    },
    RESOURCE,
    { warn: (m) => warnings.push(m) },
  );
});
afterAll(async () => {
  await jwks?.close();
  rmSync(dir, { recursive: true, force: true });
});

const secretArb = fc.array(fc.constantFrom(...B64URL), { minLength: 43, maxLength: 43 }).map((a) => a.join(""));
const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.-]{0,10}$/);

/** A credential and the part of it that is secret. */
type Cred = { credential: string; secret: string };

function credentialArb(): fc.Arbitrary<Cred | Promise<Cred>> {
  return fc.oneof(
    fc.tuple(idArb, secretArb).map(([id, s]) => ({ credential: `mcpp_${id}_${s}`, secret: s })),
    fc.tuple(secretArb, fc.nat(42)).map(([s]) => ({ credential: `mcpp_svc_${s}`, secret: s })),
    fc.nat(42).map((i) => {
      const s = realKey.slice(-43);
      const flipped = s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
      return { credential: `mcpp_svc_${flipped}`, secret: flipped };
    }),
    fc.constant(null).map(() => ({ credential: realKey, secret: realKey.slice(-43) })),
    fc.tuple(secretArb, secretArb, secretArb).map(([a, b, c]) => ({ credential: `eyJ${a}.eyJ${b}.${c}`, secret: c })),
    fc.tuple(fc.boolean(), fc.string({ maxLength: 12 }), fc.option(fc.string({ maxLength: 8 }))).map(async ([good, sub, scope]) => {
      const t = await signToken(good ? listed : unlisted, { iss: ISS, aud: RESOURCE, sub, exp: Math.floor(Date.now() / 1000) + 600, ...(scope !== null && { scope }) });
      return { credential: t, secret: t.split(".")[2] as string };
    }),
    fc.string({ minLength: 16, maxLength: 80 }).map((s) => ({ credential: s, secret: s })),
    fc.string({ minLength: 16, maxLength: 80, unit: "binary" }).map((s) => ({ credential: s, secret: s })),
  );
}

const placement = fc.constantFrom("bearer", "x-api-key", "raw", "lowercase-bearer");

function factsFor(credential: string, where: string, ip: string): RequestFacts {
  const headers: Record<string, string> =
    where === "bearer" ? { authorization: `Bearer ${credential}` } : where === "lowercase-bearer" ? { authorization: `bearer ${credential}` } : where === "raw" ? { authorization: credential } : { "x-api-key": credential };
  return { method: "POST", path: "/mcp", headers, remoteAddress: ip };
}

describe("auth: secrets never leave", () => {
  it("no outcome (status, headers, body, principal, subject) contains the presented credential or its secret", async () => {
    await fc.assert(
      fc.asyncProperty(credentialArb(), placement, fc.ipV4(), async (credArb, where, ip) => {
        const { credential, secret } = await credArb;
        let outcome: unknown;
        try {
          outcome = await auth.authenticate(factsFor(credential, where, ip));
        } catch (e) {
          throw new Error(`authenticate rejected: ${String(e).includes(secret) ? "WITH THE SECRET" : "without the secret"}`);
        }
        const text = JSON.stringify(outcome);
        expect(text.includes(secret)).toBe(false);
        expect(text.includes(credential)).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(warnings.join("\n")).not.toContain(realKey.slice(-43));
  });
});
