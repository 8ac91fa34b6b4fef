/**
 * Budget keys and windows (issue 11), on BOTH stores with an injected clock (no sleeps): the embedded
 * MemoryStore and a real redis-server. Keys: attribute paths (`by principal.claims.tenant`, `by args.repo`),
 * `by server`, composite keys counting per combination, a missing or non-scalar key value denying
 * (`budget_key_missing`), values that try to forge another key (separators, a hash's spelling, a number
 * spelled as a string) never sharing a counter. Windows: `per 5 minutes`, `per 2 hours`, `per 3 days`
 * aligned to the UTC epoch, `per week` to Monday 00:00 UTC, their retry times, and the Redis keys' TTLs.
 * And counter identity: every declaration that existed before keeps the exact store key main computed.
 */
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, createEngine, MemoryStore, type Engine, type PolicyRequest, type Store } from "mcppolicy";
import { RedisStore } from "mcppolicy/redis";
import { redisAvailable, startRedis, type RedisHandle } from "./helpers/redis-server.js";

const POLICY = `
policy "keys" version "1"
role agent { allow tool "*" }
tool tenant_call { limit calls 2 per hour by principal.claims.tenant }
tool combo { limit calls 1 per hour by principal, tool }
tool pair { limit calls 1 per hour by principal.claims.tenant, principal.claims.team }
tool repo_call {
  args { repo: string, n?: integer }
  limit calls 1 per hour by args.repo
}
tool upstream { limit calls 1 per hour by server }
tool five { limit calls 1 per 5 minutes by principal }
tool two_hours { limit calls 1 per 2 hours by principal }
tool three_days { limit calls 1 per 3 days by principal }
tool weekly { limit calls 1 per week by principal }
tool tenant_session { limit calls 1 per session by principal.claims.tenant }
tool rate5 { limit rate 2 per 5 minutes by principal.claims.tenant }
`;
const policy = compilePolicy(POLICY);

const req = (tool: string, claims: Record<string, unknown> = {}, extra: Partial<PolicyRequest> = {}): PolicyRequest => ({
  principal: { id: "alice", roles: ["agent"], claims },
  tool,
  arguments: {},
  session: { id: "s1" },
  ...extra,
});

interface Rig {
  engine: Engine;
  set(t: number): void;
  advance(ms: number): void;
}

/** The cases, run once per store. `make` builds a fresh engine on a fresh store/prefix with a clock. */
function suite(name: string, make: (now: () => number) => Promise<Engine> | Engine, skip = false) {
  describe.skipIf(skip)(name, () => {
    const rig = async (start = Date.UTC(2026, 0, 1, 12, 0, 0)): Promise<Rig> => {
      let now = start;
      const engine = await make(() => now);
      return { engine, set: (t) => (now = t), advance: (ms) => (now += ms) };
    };
    const effect = async (e: Engine, r: PolicyRequest) => (await e.authorize(r)).effect;

    it("by principal.claims.tenant: principals of one tenant share a counter, another tenant has its own", async () => {
      const { engine } = await rig();
      expect(await effect(engine, req("tenant_call", { tenant: "acme" }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: "acme" }, { principal: { id: "bob", roles: ["agent"], claims: { tenant: "acme" } } }))).toBe("allow");
      const third = await engine.authorize(req("tenant_call", { tenant: "acme" }, { principal: { id: "carol", roles: ["agent"], claims: { tenant: "acme" } } }));
      expect(third.effect).toBe("deny");
      expect(third.reasons[0]).toMatchObject({ code: "budget_exceeded", rule: "tool:tenant_call/limit/1" });
      expect(third.reasons[0]!.message).toContain("calls limit 2 per hour by principal.claims.tenant");
      expect(await effect(engine, req("tenant_call", { tenant: "globex" }))).toBe("allow");
    });

    it("a composite key counts per combination (by principal, tool)", async () => {
      const { engine } = await rig();
      expect(await effect(engine, req("combo"))).toBe("allow");
      expect(await effect(engine, req("combo"))).toBe("deny");
      expect(await effect(engine, req("combo", {}, { principal: { id: "bob", roles: ["agent"] } }))).toBe("allow");
      // Same principal and policy budget, another combination of attribute values.
      expect(await effect(engine, req("pair", { tenant: "a", team: "x" }))).toBe("allow");
      expect(await effect(engine, req("pair", { tenant: "a", team: "x" }))).toBe("deny");
      expect(await effect(engine, req("pair", { tenant: "a", team: "y" }))).toBe("allow");
      expect(await effect(engine, req("pair", { tenant: "b", team: "x" }))).toBe("allow");
    });

    it("by args.repo and by server count per value", async () => {
      const { engine } = await rig();
      const repo = (r: string) => req("repo_call", {}, { arguments: { repo: r } });
      expect(await effect(engine, repo("a/b"))).toBe("allow");
      expect(await effect(engine, repo("a/b"))).toBe("deny");
      expect(await effect(engine, repo("a/c"))).toBe("allow");
      const up = (s: string) => req("upstream", {}, { server: { name: s } });
      expect(await effect(engine, up("github"))).toBe("allow");
      expect(await effect(engine, up("github"))).toBe("deny");
      expect(await effect(engine, up("jira"))).toBe("allow");
    });

    it("a missing or non-scalar key value denies with budget_key_missing, and charges nothing", async () => {
      const { engine } = await rig();
      const missing: PolicyRequest[] = [
        req("tenant_call"),
        req("tenant_call", { tenant: null }),
        req("tenant_call", { tenant: true }),
        req("tenant_call", { tenant: ["acme"] }),
        req("tenant_call", { tenant: { id: "acme" } }),
        req("tenant_call", { tenant: Number.NaN }),
        req("tenant_call", { tenant: Number.POSITIVE_INFINITY }),
        req("pair", { tenant: "a" }),
        req("upstream"),
        { ...req("tenant_call", { tenant: "acme" }), principal: { id: "alice", roles: ["agent"] } },
      ];
      for (const r of missing) {
        const d = await engine.authorize(r);
        expect(d.effect, JSON.stringify(r.principal)).toBe("deny");
        expect(d.reasons[0]!.code).toBe("budget_key_missing");
      }
      // Nothing was charged: the tenant still has both calls.
      expect(await effect(engine, req("tenant_call", { tenant: "acme" }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: "acme" }))).toBe("allow");
    });

    it("no key value forges another: separators, a hash's spelling, a number spelled as a string", async () => {
      const { engine } = await rig();
      // Parts that would run together if they were joined with a separator.
      expect(await effect(engine, req("pair", { tenant: "x|y", team: "z" }))).toBe("allow");
      expect(await effect(engine, req("pair", { tenant: "x", team: "y|z" }))).toBe("allow");
      expect(await effect(engine, req("pair", { tenant: "x|1:y", team: "z" }))).toBe("allow");
      expect(await effect(engine, req("pair", { tenant: "x", team: "1:y|1:z" }))).toBe("allow");
      // A long value is hashed: a short value spelling its hash is a different key.
      const long = "t".repeat(300);
      const hashed = `#${createHash("sha256").update(long).digest("base64url")}`;
      const hashedHex = `#${createHash("sha256").update(long).digest("hex")}`;
      expect(await effect(engine, req("tenant_call", { tenant: long }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: long }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: long }))).toBe("deny");
      for (const forged of [hashed, hashedHex]) expect(await effect(engine, req("tenant_call", { tenant: forged }))).toBe("allow");
      // The same for named keys (principal.id, server.name): their values are not tagged with a type.
      const longId = "p".repeat(300);
      const idHash = `#${createHash("sha256").update(longId).digest("base64url")}`;
      const as = (id: string) => req("combo", {}, { principal: { id, roles: ["agent"] } });
      expect(await effect(engine, as(longId))).toBe("allow");
      expect(await effect(engine, as(longId))).toBe("deny");
      expect(await effect(engine, as(idHash))).toBe("allow");
      // Lone surrogates: UTF-8 (Redis keys, hashes) would turn each into U+FFFD, so two of them must not meet.
      for (const t of ["\uD800", "\uDBFF", "\uDC00", "\uFFFD"]) {
        expect(await effect(engine, req("tenant_call", { tenant: t })), escape(t)).toBe("allow");
        expect(await effect(engine, req("tenant_call", { tenant: t })), escape(t)).toBe("allow");
      }
      expect(await effect(engine, req("tenant_call", { tenant: "\uD800" }))).toBe("deny");
      const longLone = `${"q".repeat(300)}\uD800`;
      expect(await effect(engine, req("tenant_call", { tenant: longLone }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: longLone.replace("\uD800", "\uDBFF") }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: longLone.replace("\uD800", "\uFFFD") }))).toBe("allow");
      const asId = (id: string) => req("combo", {}, { principal: { id, roles: ["agent"] } });
      expect(await effect(engine, asId("a\uD800"))).toBe("allow");
      expect(await effect(engine, asId("a\uDBFF"))).toBe("allow");
      // 5 and "5" are different tenants (and neither is "n5", the number's inner spelling).
      expect(await effect(engine, req("tenant_call", { tenant: 5 }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: 5 }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: 5 }))).toBe("deny");
      expect(await effect(engine, req("tenant_call", { tenant: "5" }))).toBe("allow");
      expect(await effect(engine, req("tenant_call", { tenant: "n5" }))).toBe("allow");
    });

    it("per 5 minutes rolls over at the aligned boundary (12:05:00), not 5 minutes after the first call", async () => {
      const { engine, set } = await rig(Date.UTC(2026, 0, 1, 12, 3, 0));
      expect(await effect(engine, req("five"))).toBe("allow");
      const d = await engine.authorize(req("five"));
      expect(d.effect).toBe("deny");
      expect(d.retryAfterMs).toBe(2 * 60_000);
      expect(d.reasons[0]!.message).toContain("calls limit 1 per 5 minutes by principal");
      set(Date.UTC(2026, 0, 1, 12, 4, 59, 999));
      expect(await effect(engine, req("five"))).toBe("deny");
      set(Date.UTC(2026, 0, 1, 12, 5, 0));
      expect(await effect(engine, req("five"))).toBe("allow");
      expect(await effect(engine, req("five"))).toBe("deny");
    });

    it("per 2 hours and per 3 days are aligned to the UTC epoch", async () => {
      const { engine, set } = await rig(Date.UTC(2026, 0, 1, 13, 30)); // in the window 12:00-14:00
      expect(await effect(engine, req("two_hours"))).toBe("allow");
      expect((await engine.authorize(req("two_hours"))).retryAfterMs).toBe(30 * 60_000);
      set(Date.UTC(2026, 0, 1, 14, 0));
      expect(await effect(engine, req("two_hours"))).toBe("allow");
      // 3-day windows start at multiples of 3 days since 1970-01-01: 2026-01-01 is day 20454 = 3 * 6818.
      set(Date.UTC(2026, 0, 3, 23, 0));
      expect(await effect(engine, req("three_days"))).toBe("allow");
      expect((await engine.authorize(req("three_days"))).retryAfterMs).toBe(60 * 60_000);
      set(Date.UTC(2026, 0, 4, 0, 0));
      expect(await effect(engine, req("three_days"))).toBe("allow");
    });

    it("per week starts on Monday 00:00 UTC", async () => {
      const { engine, set } = await rig(Date.UTC(2026, 0, 1, 12, 0)); // a Thursday
      expect(await effect(engine, req("weekly"))).toBe("allow");
      const d = await engine.authorize(req("weekly"));
      expect(d.effect).toBe("deny");
      expect(d.retryAfterMs).toBe(Date.UTC(2026, 0, 5) - Date.UTC(2026, 0, 1, 12));
      set(Date.UTC(2026, 0, 4, 23, 59, 59, 999)); // Sunday night
      expect(await effect(engine, req("weekly"))).toBe("deny");
      set(Date.UTC(2026, 0, 5)); // Monday
      expect(await effect(engine, req("weekly"))).toBe("allow");
      set(Date.UTC(2026, 0, 11, 23, 0)); // Sunday: same week
      expect(await effect(engine, req("weekly"))).toBe("deny");
    });

    it("a session window keyed by an attribute counts per value per session", async () => {
      const { engine } = await rig();
      expect(await effect(engine, req("tenant_session", { tenant: "acme" }))).toBe("allow");
      expect(await effect(engine, req("tenant_session", { tenant: "acme" }))).toBe("deny");
      expect(await effect(engine, req("tenant_session", { tenant: "acme" }, { session: { id: "s2" } }))).toBe("allow");
      expect(await effect(engine, req("tenant_session", { tenant: "acme" }, { session: undefined }))).toBe("deny");
    });

    it("a rate per 5 minutes refills at 2 per 5 minutes", async () => {
      const { engine, advance } = await rig();
      expect(await effect(engine, req("rate5", { tenant: "t" }))).toBe("allow");
      expect(await effect(engine, req("rate5", { tenant: "t" }))).toBe("allow");
      const d = await engine.authorize(req("rate5", { tenant: "t" }));
      expect(d.effect).toBe("deny");
      expect(d.retryAfterMs).toBe(150_000);
      advance(150_000);
      expect(await effect(engine, req("rate5", { tenant: "t" }))).toBe("allow");
    });
  });
}

// ---- MemoryStore ----
suite("budget keys and windows on MemoryStore", (now) => createEngine(policy, { store: new MemoryStore({ now }) }));

// ---- a real redis-server ----
let redis: RedisHandle | undefined;
const opened: Engine[] = [];
let n = 0;
const skipRedis = !redisAvailable && !process.env.CI;
beforeAll(async () => {
  if (!skipRedis) redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(opened.map((e) => e.close()));
  await redis?.stop();
});
suite(
  "budget keys and windows on Redis",
  (now) => {
    const e = createEngine(policy, { store: new RedisStore({ url: redis!.url, prefix: `kw${process.pid}-${n++}:`, timeoutMs: 2000, now }), timeoutMs: 2000 });
    opened.push(e);
    return e;
  },
  skipRedis,
);

describe.skipIf(skipRedis)("Redis keys of the new windows live until their window ends", () => {
  it("a week counter expires at the next Monday (+1 s grace), a 5-minute counter at the next 5-minute mark", async () => {
    const prefix = `kwttl${process.pid}:`;
    const now = Date.UTC(2026, 0, 1, 12, 3, 0); // Thursday
    const e = createEngine(policy, { store: new RedisStore({ url: redis!.url, prefix, timeoutMs: 2000, now: () => now }), timeoutMs: 2000 });
    opened.push(e);
    expect((await e.authorize(req("weekly"))).effect).toBe("allow");
    expect((await e.authorize(req("five"))).effect).toBe("allow");
    const client = new Redis(redis!.url);
    try {
      const keys = (await client.keys(`${prefix}b:*`)).sort();
      expect(keys).toHaveLength(2);
      const ttls = await Promise.all(keys.map((k) => client.pttl(k)));
      const expected = [Date.UTC(2026, 0, 5) - now + 1000, Date.UTC(2026, 0, 1, 12, 5) - now + 1000].sort((a, b) => a - b);
      // PTTL counts down on the server's real clock from when the script set it: allow a few seconds of test time.
      const got = [...ttls].sort((a, b) => a - b);
      got.forEach((t, i) => {
        expect(t).toBeLessThanOrEqual(expected[i]!);
        expect(t).toBeGreaterThan(expected[i]! - 10_000);
      });
    } finally {
      client.disconnect();
    }
  });
});

describe("counter identity: unchanged declarations keep the store keys main computed", () => {
  // Computed on main (4da7a7d) with this very policy and request, before key lists and window counts.
  const MAIN_POLICY = `policy "keys"
role agent { allow tool "*"
  limit calls 3 per minute by role }
limit calls 5 by session
limit rate 60 per minute burst 10 by client
limit calls 7 per day by principal
limit tokens input 100 output 50 per hour by session
limit calls 9 per second by tool
tool pay { limit cost 100 per day by principal from args.amount }
`;
  const MAIN_KEYS = [
    "j7om_Wq0DFFdR_nJ|2:s1",
    "qLpVchXeKIj6EAtI|11:203.0.113.7",
    "Xm6-oSn3-a1BNgMn|5:alice",
    "ACcSDydcGr42ah2i:in|2:s1",
    "ACcSDydcGr42ah2i:out|2:s1",
    "Xp7NYiqI0YCZEIkE|14:tools/call:pay",
    "u9yZwc4sOSkhAA5L|5:agent",
    "RdjWoEysVQaS7gst|5:alice",
  ];

  it("`limit calls 5 by session` and every other pre-existing form keep their exact keys, windows and shapes", async () => {
    const seen: { key: string; windowMs: number; origin?: number }[] = [];
    const inner = new MemoryStore({ now: () => Date.UTC(2026, 0, 1, 12) });
    const recording: Store = {
      reserve: (r) => {
        for (const c of r.counters) seen.push({ key: c.key, windowMs: c.windowMs, ...(c.windowOriginMs !== undefined && { origin: c.windowOriginMs }) });
        return inner.reserve(r);
      },
      settle: (s) => inner.settle(s),
      decideApproval: (id, d) => inner.decideApproval(id, d),
      getApproval: (id) => inner.getApproval(id),
    };
    const engine = createEngine(compilePolicy(MAIN_POLICY), { store: recording });
    const r = await engine.authorize({ principal: { id: "alice", roles: ["agent"] }, tool: "pay", arguments: { amount: 3 }, session: { id: "s1" }, client: { ip: "203.0.113.7" } });
    expect(r.effect).toBe("allow");
    expect(seen.map((s) => s.key)).toEqual(MAIN_KEYS);
    expect(seen.every((s) => s.origin === undefined)).toBe(true);
    expect(seen.map((s) => s.windowMs)).toEqual([0, 60_000, 86_400_000, 3_600_000, 3_600_000, 1000, 60_000, 86_400_000]);
  });

  it("`per 1 minute` is `per minute`; `per 60 seconds` says something else and counts apart", async () => {
    const keyOf = async (decl: string) => {
      const keys: string[] = [];
      const inner = new MemoryStore();
      const store: Store = { reserve: (r) => (r.counters.forEach((c) => keys.push(c.key)), inner.reserve(r)), settle: (s) => inner.settle(s), decideApproval: (i, d) => inner.decideApproval(i, d), getApproval: (i) => inner.getApproval(i) };
      const e = createEngine(compilePolicy(`policy "k"\nrole a { allow tool "*" }\n${decl}`), { store });
      await e.authorize({ principal: { id: "alice", roles: ["a"] }, tool: "t", session: { id: "s1" } });
      return keys[0];
    };
    expect(await keyOf("limit calls 5 per 1 minute by principal")).toBe(await keyOf("limit calls 5 per minute by principal"));
    expect(await keyOf("limit calls 5 per minutes by principal")).toBe(await keyOf("limit calls 5 per minute by principal"));
    expect(await keyOf("limit calls 5 per 60 seconds by principal")).not.toBe(await keyOf("limit calls 5 per minute by principal"));
    expect(await keyOf("limit calls 5 per minute by principal.id")).not.toBe(await keyOf("limit calls 5 per minute by principal"));
  });
});
