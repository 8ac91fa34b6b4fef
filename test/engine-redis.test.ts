/**
 * The engine on a real Redis: exactly the limit across engines and processes under concurrency, windows
 * that roll over on an injected clock and otherwise follow the Redis server's clock (not the host's),
 * approvals shared between replicas, rollback, and Redis killed mid-run (deny with a clear reason, recover
 * when it is back). Each suite starts its own redis-server on a free loopback port.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, createEngine, type Engine, type PolicyRequest, type Store } from "mcppolicy";
import { RedisStore } from "mcppolicy/redis";
import { redisAvailable, startRedis, type RedisHandle } from "./helpers/redis-server.js";

const ROOT = join(import.meta.dirname, "..");

const SOURCE = `
policy "shared" version "1"
role agent { allow tool fetch, pay, run, probe, tick }
tool fetch { limit calls 100 per day by principal }
tool tick { limit rate 100 per day by principal }
tool pay { limit cost 100 per day by principal from args.amount }
tool run { approval required }
tool probe { limit calls 3 per minute by principal }
`;
const policy = compilePolicy(SOURCE);
const req = (tool: string, who = "alice", args: Record<string, unknown> = {}): PolicyRequest => ({ principal: { id: who, roles: ["agent"] }, tool, arguments: args });

describe.skipIf(!redisAvailable && !process.env.CI)("engine on Redis", () => {
  let redis: RedisHandle;
  let prefixN = 0;
  const engines: Engine[] = [];
  const fresh = () => `t${process.pid}-${prefixN++}:`;
  const engineOn = (prefix: string, extra: ConstructorParameters<typeof RedisStore>[0] = {}) => {
    const e = createEngine(policy, { store: new RedisStore({ url: redis.url, prefix, timeoutMs: 2000, ...extra }), timeoutMs: 2000 });
    engines.push(e);
    return e;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await redis?.stop();
  });

  it("4 engines, 2,000 concurrent calls, limit 100: exactly 100 allowed (calls and token bucket)", async () => {
    for (const tool of ["fetch", "tick"]) {
      const prefix = fresh();
      const four = [0, 1, 2, 3].map(() => engineOn(prefix));
      const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => four[i % 4]!.authorize(req(tool))));
      const allowed = results.filter((r) => r.effect === "allow").length;
      expect(allowed, tool).toBe(100);
      const denied = results.filter((r) => r.effect === "deny");
      expect(denied.every((r) => r.reasons[0]!.code === "budget_exceeded")).toBe(true);
    }
  });

  it("4 processes, 500 concurrent calls each, limit 100: exactly 100 allowed", async () => {
    const prefix = fresh();
    const script = `
      import { compilePolicy, createEngine } from "mcppolicy";
      import { RedisStore } from "mcppolicy/redis";
      const engine = createEngine(compilePolicy(process.env.POLICY), { store: new RedisStore({ url: process.env.URL, prefix: process.env.PREFIX, timeoutMs: 5000 }), timeoutMs: 5000 });
      const rs = await Promise.all(Array.from({ length: 500 }, () => engine.authorize({ principal: { id: "alice", roles: ["agent"] }, tool: "fetch" })));
      console.log(JSON.stringify(rs.map((r) => r.effect === "allow" ? 1 : r.reasons[0].code === "budget_exceeded" ? 0 : -1)));
      await engine.close();
    `;
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, env: { ...process.env, POLICY: SOURCE, URL: redis.url, PREFIX: prefix } });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`child exited ${code}: ${err}`))));
      });
    const all = (await Promise.all([run(), run(), run(), run()])).flat();
    expect(all).toHaveLength(2000);
    expect(all.filter((x) => x === -1)).toEqual([]);
    expect(all.filter((x) => x === 1)).toHaveLength(100);
  });

  it("cost budget under concurrency: the sum of allowed amounts never passes the limit", async () => {
    const prefix = fresh();
    const two = [engineOn(prefix), engineOn(prefix)];
    const amounts = Array.from({ length: 200 }, (_, i) => (i * 7) % 13);
    const results = await Promise.all(amounts.map((a, i) => two[i % 2]!.authorize(req("pay", "alice", { amount: a }))));
    const spent = results.reduce((s, r, i) => s + (r.effect === "allow" ? amounts[i]! : 0), 0);
    expect(spent).toBeLessThanOrEqual(100);
    // Greedy in arrival order means the budget is nearly full: no amount that was denied would still fit
    // at the end, except ones larger than what is left.
    const left = 100 - spent;
    expect(results.every((r, i) => r.effect === "allow" || amounts[i]! > left || left === 0)).toBe(true);
  });

  it("a window rolls over on an injected clock", async () => {
    let now = Date.UTC(2026, 2, 3, 9, 15, 40);
    const e = engineOn(fresh(), { now: () => now });
    for (let i = 0; i < 3; i++) expect((await e.authorize(req("probe"))).effect).toBe("allow");
    const d = await e.authorize(req("probe"));
    expect(d.effect).toBe("deny");
    expect(d.retryAfterMs).toBe(20_000);
    now += 19_999;
    expect((await e.authorize(req("probe"))).effect).toBe("deny");
    now += 1;
    expect((await e.authorize(req("probe"))).effect).toBe("allow");
  });

  it("windows follow the Redis server's clock, not the host's", async () => {
    const e = engineOn(fresh());
    const client = new Redis(redis.url);
    const realNow = Date.now;
    try {
      Date.now = () => Date.UTC(2001, 0, 1); // a replica whose clock is 25 years off
      for (let i = 0; i < 3; i++) expect((await e.authorize(req("probe", "bob"))).effect).toBe("allow");
      const [s1, us1] = await client.time();
      const d = await e.authorize(req("probe", "bob"));
      const [s2, us2] = await client.time();
      const t1 = Number(s1) * 1000 + Math.floor(Number(us1) / 1000);
      const t2 = Number(s2) * 1000 + Math.floor(Number(us2) / 1000);
      expect(d.effect).toBe("deny");
      const end = (t: number) => (Math.floor(t / 60_000) + 1) * 60_000;
      // The retry time is the end of the server's current minute, seen from the server's clock.
      expect(d.retryAfterMs!).toBeLessThanOrEqual(end(t1) - t1);
      expect(d.retryAfterMs!).toBeGreaterThanOrEqual(end(t2) - t2 - (end(t2) === end(t1) ? 0 : 60_000));
    } finally {
      Date.now = realNow;
      client.disconnect();
    }
  });

  it("an approval given through one replica lets the call through on another, once", async () => {
    const prefix = fresh();
    const [a, b] = [engineOn(prefix), engineOn(prefix)];
    const call = req("run", "alice", { command: "deploy", env: "prod" });
    const pending = await a.authorize(call);
    expect(pending.effect).toBe("require_approval");
    await expect(b.approve(pending.approval!.id, { approver: "alice" })).rejects.toMatchObject({ status: "self_approval" });
    await b.approve(pending.approval!.id, { approver: "lead" });
    expect((await b.authorize(req("run", "alice", { command: "deploy", env: "staging" }))).effect).toBe("require_approval");
    expect((await b.authorize(req("run", "mallory", { command: "deploy", env: "prod" }))).effect).toBe("require_approval");
    const [x, y] = await Promise.all([a.authorize(call), b.authorize(call)]);
    expect([x.effect, y.effect].sort()).toEqual(["allow", "require_approval"]);
  });

  it("an approval expires on the store's clock", async () => {
    let now = Date.UTC(2026, 2, 3, 9, 0, 0);
    const e = engineOn(fresh(), { now: () => now });
    const call = req("run", "alice", { command: "x" });
    const p = await e.authorize(call);
    await e.approve(p.approval!.id, { approver: "lead" });
    now += 15 * 60_000;
    const late = await e.authorize(call);
    expect(late.effect).toBe("require_approval");
    expect(late.approval!.id).not.toBe(p.approval!.id);
  });

  it("replays across replicas: of 60 parallel calls with one key on 3 engines, one runs; the rest are replays that cannot refund it", async () => {
    const prefix = fresh();
    const three = [engineOn(prefix), engineOn(prefix), engineOn(prefix)];
    const call = { ...req("pay", "frank", { amount: 60 }), session: { id: "s1" } };
    const all = await Promise.all(Array.from({ length: 60 }, (_, i) => three[i % 3]!.authorize(call, { idempotencyKey: "rpc-0" })));
    const ran = all.filter((r) => r.effect === "allow");
    expect(ran).toHaveLength(1);
    const replays = all.filter((r) => r.effect === "replay");
    expect(replays).toHaveLength(59);
    expect(replays.every((r) => r.replayOf?.status === "pending")).toBe(true);
    for (const r of replays.slice(0, 5)) expect(await r.rollback()).toEqual({ applied: false, reason: "replay" });
    // 60 of 100 still reserved: 41 does not fit.
    expect((await three[1]!.authorize(req("pay", "frank", { amount: 41 }))).effect).toBe("deny");
    expect(await ran[0]!.rollback()).toEqual({ applied: true });
    const after = await three[2]!.authorize(call, { idempotencyKey: "rpc-0" });
    expect(after).toMatchObject({ effect: "replay", replayOf: { status: "rolled_back" } });
    // The same key in another session (a new connection's JSON-RPC id 0) is another call.
    expect((await three[0]!.authorize({ ...call, session: { id: "s2" } }, { idempotencyKey: "rpc-0" })).effect).toBe("allow");
  });

  it("rollback gives the budget back to every replica", async () => {
    const prefix = fresh();
    const [a, b] = [engineOn(prefix), engineOn(prefix)];
    const r = await a.authorize(req("pay", "carol", { amount: 100 }));
    expect(r.effect).toBe("allow");
    expect((await b.authorize(req("pay", "carol", { amount: 1 }))).effect).toBe("deny");
    expect(await r.rollback()).toEqual({ applied: true });
    expect((await b.authorize(req("pay", "carol", { amount: 100 }))).effect).toBe("allow");
  });

  it("one round trip per authorization: one script call, nothing else (watched with MONITOR)", async () => {
    const e = engineOn(fresh());
    await e.authorize(req("fetch", "erin")); // connect and load the script
    const client = new Redis(redis.url);
    const monitor = await client.monitor();
    const sent: string[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua") sent.push(String(args[0]).toLowerCase());
    });
    try {
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 50; i++) await e.authorize(req(i % 2 ? "fetch" : "tick", "erin"));
      await new Promise((r) => setTimeout(r, 100));
      expect(sent.filter((c) => c !== "monitor")).toEqual(Array(50).fill("evalsha"));
    } finally {
      monitor.disconnect();
      client.disconnect();
    }
  });

  it("every key written has a TTL", async () => {
    const prefix = fresh();
    const e = engineOn(prefix);
    await e.authorize(req("fetch"));
    await e.authorize(req("tick"));
    await (await e.authorize(req("pay", "dave", { amount: 3 }))).commit({ cost: 2 });
    await e.authorize(req("run", "dave", { command: "y" }), { idempotencyKey: "k1" });
    await e.authorize(req("probe"), { idempotencyKey: "k2" });
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThanOrEqual(6);
      for (const k of keys) expect(await client.pttl(k), k).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });
});

describe.skipIf(!redisAvailable && !process.env.CI)("Redis under load", () => {
  let redis: RedisHandle;
  let admin: Redis;
  let n = 0;
  const burst = compilePolicy(`policy "burst"\nrole agent { allow tool fetch }\ntool fetch { limit calls 10 per hour by principal }`);
  const call = (who: string): PolicyRequest => ({ principal: { id: who, roles: ["agent"] }, tool: "fetch" });
  const count = (rs: { effect: string; reasons: readonly { code: string }[] }[]) => {
    const m: Record<string, number> = {};
    for (const r of rs) {
      const k = r.effect === "allow" ? "allow" : r.reasons[0]!.code;
      m[k] = (m[k] ?? 0) + 1;
    }
    return m;
  };
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it("1,000 concurrent calls on one engine, through the queue and the in-flight bound: exactly the limit for one principal, no denial for 1,000 under their limits", async () => {
    // Default queue and in-flight bound; deadlines generous, so the outcome counts do not depend on the
    // machine's load (bench/engine.mjs measures the same bursts with every default).
    const store = new RedisStore({ url: redis.url, prefix: `load${n++}:`, timeoutMs: 5_000, queueTimeoutMs: 10_000 });
    const e = createEngine(burst, { store, timeoutMs: 20_000 });
    try {
      expect((await e.authorize(call("warm"))).effect).toBe("allow");
      const one = await Promise.all(Array.from({ length: 1_000 }, () => e.authorize(call("one"))));
      expect(count(one)).toEqual({ allow: 10, budget_exceeded: 990 });
      const many = await Promise.all(Array.from({ length: 1_000 }, (_, i) => e.authorize(call(`p${i}`))));
      expect(count(many)).toEqual({ allow: 1_000 });
    } finally {
      await e.close();
    }
  });

  it("a fractional maxInFlight below 1 still lets one operation out at a time (it meant a bound, never a store that sends nothing)", async () => {
    const e = createEngine(burst, { store: new RedisStore({ url: redis.url, prefix: `frac${n++}:`, maxInFlight: 0.5, timeoutMs: 2_000, queueTimeoutMs: 2_000 }), timeoutMs: 10_000 });
    try {
      const rs = await Promise.all(Array.from({ length: 3 }, () => e.authorize(call("frac"))));
      expect(count(rs)).toEqual({ allow: 3 });
    } finally {
      await e.close();
    }
  });

  it("a reserve delivered twice (a client that resends a command cut off by a lost connection) is denied and its first application given back", async () => {
    const prefix = `twice${n++}:`;
    const inner = new RedisStore({ url: redis.url, prefix, timeoutMs: 5_000 });
    // The first delivery runs and its answer is lost; the caller sees the answer to the second.
    const twice: Store = {
      reserve: async (r) => (await inner.reserve(r), inner.reserve(r)),
      settle: (r) => inner.settle(r),
      cancel: (id, ttl) => inner.cancel(id, ttl),
      decideApproval: (id, d) => inner.decideApproval(id, d),
      getApproval: (id) => inner.getApproval(id),
      close: () => inner.close(),
    };
    const e = createEngine(burst, { store: twice, timeoutMs: 10_000 });
    try {
      const r = await e.authorize(call("resent"));
      expect(r.effect).toBe("deny");
      expect(r.reasons[0]!.code).toBe("budget_unavailable");
      // The background cancel gives the applied reservation back (bounded wait).
      const used = async () => Number((await admin.hget((await admin.keys(`${prefix}b:*`))[0]!, "a")) ?? NaN);
      for (let i = 0; i < 50 && (await used()) !== 0; i++) await new Promise((res) => setTimeout(res, 50));
      expect(await used()).toBe(0);
    } finally {
      await e.close();
    }
  });

  it("reservations applied after their callers gave up (Redis paused) are given back: the counters equal the calls allowed", async () => {
    const prefix = `late${n++}:`;
    const e = createEngine(burst, { store: new RedisStore({ url: redis.url, prefix, timeoutMs: 50, queueTimeoutMs: 5_000 }), timeoutMs: 10_000 });
    try {
      expect((await e.authorize(call("warm"))).effect).toBe("allow");
      const pauser = new Redis(redis.url);
      await pauser.client("PAUSE", 800, "ALL");
      pauser.disconnect();
      // Sent while Redis is paused: each runs when the pause ends, after its caller gave up at 50 ms.
      const late = await Promise.all([...Array.from({ length: 10 }, () => e.authorize(call("late"))), ...Array.from({ length: 20 }, (_, i) => e.authorize(call(`q${i}`)))]);
      const allowed = late.filter((r) => r.effect === "allow").length + 1; // and the warm-up call
      expect(late.filter((r) => r.effect !== "allow").every((r) => r.reasons[0]!.code === "budget_unavailable")).toBe(true);
      // Wait (bounded) until the cancels, retried in the background, have given back every late reservation.
      const used = async () => {
        let sum = 0;
        for (const k of await admin.keys(`${prefix}b:*`)) sum += Number(await admin.hget(k, "a"));
        return sum;
      };
      for (let i = 0; i < 100 && (await used()) !== allowed; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await used()).toBe(allowed);
      // The principal whose 10 late reservations ran still has its whole budget.
      const again = await Promise.all(Array.from({ length: 12 }, () => e.authorize(call("late"))));
      expect(count(again)).toEqual({ allow: 10 - late.slice(0, 10).filter((r) => r.effect === "allow").length, budget_exceeded: 2 + late.slice(0, 10).filter((r) => r.effect === "allow").length });
    } finally {
      await e.close();
    }
  });
});

describe.skipIf(!redisAvailable && !process.env.CI)("Redis killed mid-run", () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("denies with a reason that names the store, lets `fail open` limits through, and recovers when Redis is back", async () => {
    const source = `${SOURCE}\ntool ping { limit rate 1000 per second by principal fail open }\nrole agent2 { allow tool ping }`;
    const e = createEngine(compilePolicy(source), { store: new RedisStore({ url: redis.url, prefix: "kill:", timeoutMs: 200 }), timeoutMs: 300 });
    try {
      for (let i = 0; i < 5; i++) expect((await e.authorize(req("fetch"))).effect).toBe("allow");
      await redis.kill();
      const started = Date.now();
      const down = await e.authorize(req("fetch"));
      const tookMs = Date.now() - started;
      expect(down.effect).toBe("deny");
      expect(down.reasons[0]!.code).toBe("budget_unavailable");
      expect(down.reasons[0]!.message).toMatch(/budget store is unavailable .*`tool:fetch\/limit\/1`.*fail closed/);
      expect(tookMs).toBeLessThan(5000); // no hang (the bound is generous: this is not a timing test)
      const open = await e.authorize({ principal: { id: "alice", roles: ["agent2"] }, tool: "ping" });
      expect(open.effect).toBe("allow");
      expect(open.reasons.map((r) => r.code)).toContain("budget_fail_open");
      const pending = await e.authorize(req("run", "alice", { command: "x" }));
      expect(pending.effect).toBe("deny");

      await redis.restart();
      let back = await e.authorize(req("fetch"));
      for (let i = 0; i < 100 && back.effect !== "allow"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        back = await e.authorize(req("fetch"));
      }
      expect(back.effect).toBe("allow");
    } finally {
      await e.close();
    }
  });
});
