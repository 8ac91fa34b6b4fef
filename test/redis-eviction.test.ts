/**
 * RedisStore refuses a server that evicts keys (an evicted counter or session reads as empty, which lets
 * calls through): with `maxmemory-policy` other than `noeviction` every operation fails unsent, and the
 * engine denies; `allowEviction: true` accepts it with one warning; a server where CONFIG is renamed
 * away cannot be asked, and the store warns once and works. Real redis-server processes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, createEngine } from "../src/index.js";
import { RedisStore } from "../src/redis.js";
import { redisAvailable, startRedis, type RedisHandle } from "./helpers/redis-server.js";

const policy = compilePolicy(`policy "p" version "1"
role agent { allow tool fetch }
tool fetch { limit calls 10 per hour by principal }
`);
const req = { principal: { id: "alice", roles: ["agent"] }, tool: "fetch" };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

describe.skipIf(!redisAvailable && !process.env.CI)("RedisStore and the server's maxmemory-policy", () => {
  let redis: RedisHandle;
  let admin: Redis;
  let noConfig: ChildProcess | undefined;
  let noConfigUrl = "";
  const stores: RedisStore[] = [];
  const make = (url: string, extra: ConstructorParameters<typeof RedisStore>[0] = {}) => {
    const s = new RedisStore({ url, prefix: `ev${stores.length}:`, timeoutMs: 2000, ...extra });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    // A second server with CONFIG renamed away (as managed Redis services do).
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "redis-noconfig-"));
    noConfig = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--rename-command", "CONFIG", ""], { stdio: "ignore" });
    noConfigUrl = `redis://127.0.0.1:${port}`;
    const probe = new Redis(noConfigUrl, { retryStrategy: () => 50, maxRetriesPerRequest: null });
    probe.on("error", () => undefined); // refused until the server listens
    await probe.ping();
    probe.disconnect();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    admin?.disconnect();
    noConfig?.kill("SIGKILL");
    await redis?.stop();
  });

  it("noeviction (the default): works, no warning", async () => {
    await admin.config("SET", "maxmemory-policy", "noeviction");
    const warnings: string[] = [];
    const engine = createEngine(policy, { store: make(redis.url, { warn: (m) => warnings.push(m) }), timeoutMs: 2000 });
    expect((await engine.authorize(req)).effect).toBe("allow");
    expect(warnings).toEqual([]);
  });

  it("an evicting policy: every call is denied, the reason names the policy; allowEviction accepts it with one warning", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    try {
      const engine = createEngine(policy, { store: make(redis.url), timeoutMs: 2000 });
      const d = await engine.authorize(req);
      expect(d.effect).toBe("deny");
      expect(d.reasons[0]?.code).toBe("budget_unavailable");
      expect(d.reasons[0]?.message).toMatch(/maxmemory-policy is allkeys-lru; it must be noeviction/);
      expect((await engine.authorize(req)).effect).toBe("deny");
      const warnings: string[] = [];
      const lenient = createEngine(policy, { store: make(redis.url, { allowEviction: true, warn: (m) => warnings.push(m) }), timeoutMs: 2000 });
      expect((await lenient.authorize(req)).effect).toBe("allow");
      expect((await lenient.authorize(req)).effect).toBe("allow");
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/allkeys-lru/);
    } finally {
      await admin.config("SET", "maxmemory-policy", "noeviction");
    }
  });

  it("a server that refuses CONFIG: one warning, and the store works", async () => {
    const warnings: string[] = [];
    const engine = createEngine(policy, { store: make(noConfigUrl, { warn: (m) => warnings.push(m) }), timeoutMs: 2000 });
    expect((await engine.authorize(req)).effect).toBe("allow");
    expect((await engine.authorize(req)).effect).toBe("allow");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot read the server's maxmemory-policy/);
  });
});
