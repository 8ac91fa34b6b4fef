/**
 * Rate limiting of requests that fail authentication, per client address (a token bucket: `burst`, refilled at
 * `perMinute`; the clock is injected): failures beyond the burst answer 429 with Retry-After; valid credentials
 * from the same address still pass; other addresses are unaffected; the bucket refills; anonymous requests are
 * authenticated, not failures; the number of tracked addresses is bounded.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createAuthenticator, generateApiKey, serializeKeyFile, type RequestFacts } from "../../src/gateway/auth/index.js";
import { FailureLimiter, MAX_BUCKETS } from "../../src/gateway/auth/rate-limit.js";

const dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-ratelimit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const facts = (ip: string, key?: string): RequestFacts => ({ method: "POST", path: "/mcp", headers: key === undefined ? {} : { authorization: `Bearer ${key}` }, remoteAddress: ip });

describe("auth: rate limit of failed authentication", () => {
  it("beyond the burst: 429 with Retry-After; valid credentials still pass; other addresses unaffected; refills over time", async () => {
    const file = path.join(dir, "keys.yaml");
    const { key, hash } = generateApiKey("ok");
    writeFileSync(file, serializeKeyFile(file, [{ id: "ok", hash, principal: {}, created: new Date().toISOString() }]));
    let now = 1_000_000;
    const auth = createAuthenticator({ apiKeys: { file }, rateLimit: { perMinute: 60, burst: 3 } }, "http://127.0.0.1/mcp", { now: () => now });
    const wrong = `mcpp_ok_${"B".repeat(43)}`;
    for (let i = 0; i < 3; i++) expect((await auth.authenticate(facts("10.0.0.1", wrong))).ok || 0).toBe(0);
    const limited = await auth.authenticate(facts("10.0.0.1", wrong));
    expect(limited).toEqual({
      ok: false,
      status: 429,
      headers: { "Retry-After": "1" },
      body: { error: "too_many_requests", error_description: "too many failed authentication attempts from this address; retry later" },
    });
    const noCred = await auth.authenticate(facts("10.0.0.1"));
    expect(!noCred.ok && noCred.status).toBe(429);
    expect((await auth.authenticate(facts("10.0.0.1", key))).ok).toBe(true);
    const other = await auth.authenticate(facts("10.0.0.2", wrong));
    expect(!other.ok && other.status).toBe(401);
    // IPv4-mapped IPv6 is the same address.
    const mapped = await auth.authenticate(facts("::ffff:10.0.0.1", wrong));
    expect(!mapped.ok && mapped.status).toBe(429);
    now += 1000;
    const refilled = await auth.authenticate(facts("10.0.0.1", wrong));
    expect(!refilled.ok && refilled.status).toBe(401);
    const again = await auth.authenticate(facts("10.0.0.1", wrong));
    expect(!again.ok && again.status).toBe(429);
  });

  it("Retry-After is the wait for one token, in whole seconds", async () => {
    const now = 0;
    const auth = createAuthenticator({ apiKeys: undefined, rateLimit: { perMinute: 6, burst: 1 } }, "http://127.0.0.1/mcp", { now: () => now });
    expect((await auth.authenticate(facts("10.1.1.1"))).ok).toBe(false);
    const o = await auth.authenticate(facts("10.1.1.1"));
    expect(!o.ok && o.headers).toEqual({ "Retry-After": "10" });
  });

  it("anonymous requests are authenticated, never counted as failures", async () => {
    const auth = createAuthenticator({ anonymous: { principal: { id: "anon" } }, rateLimit: { perMinute: 1, burst: 1 } }, "http://127.0.0.1/mcp", { now: () => 0 });
    for (let i = 0; i < 50; i++) expect((await auth.authenticate(facts("127.0.0.1"))).ok).toBe(true);
    // A presented credential that fails is a failure even with anonymous access.
    const bad = await auth.authenticate(facts("127.0.0.1", `mcpp_x_${"C".repeat(43)}`));
    expect(!bad.ok && bad.status).toBe(401);
    const bad2 = await auth.authenticate(facts("127.0.0.1", `mcpp_x_${"C".repeat(43)}`));
    expect(!bad2.ok && bad2.status).toBe(429);
  });

  it("tracks at most MAX_BUCKETS addresses", () => {
    let now = 0;
    const limiter = new FailureLimiter(60, 5, () => now);
    for (let i = 0; i < MAX_BUCKETS + 500; i++) {
      limiter.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      now += 1;
    }
    expect(limiter.size).toBeLessThanOrEqual(MAX_BUCKETS);
    // The most recent address is still tracked (its failure counts).
    for (let i = 0; i < 4; i++) limiter.take("192.0.2.1");
    expect(limiter.take("192.0.2.1")).toBeUndefined();
    expect(limiter.take("192.0.2.1")).toBeGreaterThanOrEqual(1);
  });
});
