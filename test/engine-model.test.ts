/**
 * fast-check: random sequences of calls, commits, rollbacks and clock steps run through the engine on a
 * store, and through a plain model of what the budgets mean (written independently: integer arithmetic,
 * lists of reservations rather than counters). Every decision, and every retry time, must agree. Runs on
 * MemoryStore always and on a real Redis (RedisStore) when one can be started.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, createEngine, MemoryStore, type Authorization, type Store } from "mcppolicy";
import { RedisStore } from "mcppolicy/redis";
import { redisAvailable, startRedis, type RedisHandle } from "./helpers/redis-server.js";

const POLICY = compilePolicy(`
policy "model"
role agent { allow tool a, b, c }
tool a { limit rate 2 per second burst 3 by principal }
tool b { limit calls 4 per minute by principal }
tool c { limit cost 50 per hour by principal from args.amount }
limit tokens total 300 per hour by principal
`);

type Op =
  | { kind: "call"; tool: "a" | "b" | "c"; who: 0 | 1; amount: number; estimate: number; key: string | null }
  | { kind: "commit"; index: number; tokens: number }
  | { kind: "rollback"; index: number }
  | { kind: "wait"; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant("call" as const), tool: fc.constantFrom("a" as const, "b" as const, "c" as const), who: fc.constantFrom(0 as const, 0 as const, 0 as const, 1 as const), amount: fc.constantFrom(0, 1, 10, 25, 50), estimate: fc.constantFrom(0, 0, 0, 0, 5, 50, 100), key: fc.constantFrom(null, null, null, "k1", "k2") }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("commit" as const), index: fc.nat(40), tokens: fc.constantFrom(0, 5, 50, 100, 150) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rollback" as const), index: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.constantFrom(1, 100, 250, 250, 499, 500, 500, 1000, 20_000, 60_000, 3_600_000) }) },
);

/** The model: the meaning of each limit, computed the plain way. */
class Model {
  /** Idempotency records, by principal and key: the request they are bound to, the first call's state, expiry. */
  keys = new Map<string, { fp: string; state: "pending" | "committed" | "rolled_back"; until: number }>();
  // Rate: tokens in thousandths, refilled 2 per ms (2 per second = 2000 thousandths per 1000 ms).
  bucket = new Map<number, { milli: number; at: number }>();
  calls: { who: number; window: number; live: boolean }[] = [];
  costs: { who: number; window: number; amount: number; live: boolean }[] = [];
  tokens: { who: number; window: number; amount: number; live: boolean }[] = [];

  private refill(who: number, now: number) {
    const b = this.bucket.get(who) ?? { milli: 3000, at: now };
    b.milli = Math.min(3000, b.milli + (now - b.at) * 2);
    b.at = now;
    this.bucket.set(who, b);
    return b;
  }

  call(op: Extract<Op, { kind: "call" }>, now: number): { allowed: boolean; replay?: string; conflict?: boolean; retryAfterMs?: number; settle?: (how: "commit" | "rollback", tokens: number, now: number) => void } {
    const scoped = `${op.who}/${op.key}`;
    const fp = `${op.tool}/${op.tool === "c" ? op.amount : ""}`;
    const rec = op.key === null ? undefined : this.keys.get(scoped);
    if (rec && rec.until > now) return rec.fp === fp ? { allowed: false, replay: rec.state } : { allowed: false, conflict: true };
    const out = this.admit(op, now);
    if (!out.allowed || op.key === null) return out;
    const mine = { fp, state: "pending" as "pending" | "committed" | "rolled_back", until: now + 86_400_000 };
    this.keys.set(scoped, mine);
    return {
      allowed: true,
      settle: (how, tokens, t) => {
        out.settle!(how, tokens, t);
        if (this.keys.get(scoped) === mine && mine.until > t) mine.state = how === "commit" ? "committed" : "rolled_back";
      },
    };
  }

  private admit(op: Extract<Op, { kind: "call" }>, now: number): { allowed: boolean; retryAfterMs?: number; settle?: (how: "commit" | "rollback", tokens: number, now: number) => void } {
    const hour = Math.floor(now / 3_600_000);
    const minute = Math.floor(now / 60_000);
    const sum = (list: { who: number; window: number; amount: number; live: boolean }[], w: number) =>
      list.filter((x) => x.live && x.who === op.who && x.window === w).reduce((s, x) => s + x.amount, 0);
    // Order of checks = order of budgets in the decision: the policy-level token limit first, then the tool's.
    const usedTokens = sum(this.tokens, hour);
    if (usedTokens >= 300 || usedTokens + op.estimate > 300) return { allowed: false, retryAfterMs: (hour + 1) * 3_600_000 - now };
    if (op.tool === "a") {
      const b = this.refill(op.who, now);
      if (b.milli < 1000) return { allowed: false, retryAfterMs: Math.ceil((1000 - b.milli) / 2) };
    } else if (op.tool === "b") {
      const n = this.calls.filter((x) => x.live && x.who === op.who && x.window === minute).length;
      if (n >= 4) return { allowed: false, retryAfterMs: (minute + 1) * 60_000 - now };
    } else {
      const used = sum(this.costs, hour);
      if (used >= 50 || used + op.amount > 50) return { allowed: false, retryAfterMs: (hour + 1) * 3_600_000 - now };
    }
    const tok = { who: op.who, window: hour, amount: op.estimate, live: true };
    this.tokens.push(tok);
    let undo: (now: number) => void = () => {};
    if (op.tool === "a") {
      this.bucket.get(op.who)!.milli -= 1000;
      undo = (t) => {
        const b = this.refill(op.who, t);
        b.milli = Math.min(3000, b.milli + 1000);
      };
    } else if (op.tool === "b") {
      const c = { who: op.who, window: minute, live: true };
      this.calls.push(c);
      undo = () => (c.live = false);
    } else {
      const c = { who: op.who, window: hour, amount: op.amount, live: true };
      this.costs.push(c);
      undo = () => (c.live = false);
    }
    return {
      allowed: true,
      settle: (how, tokens, t) => {
        if (how === "rollback") {
          // A token reservation is given back only within its own window (an old window is gone anyway).
          tok.live = false;
          undo(t);
        } else {
          tok.amount = Math.floor(t / 3_600_000) === hour ? tokens : tok.amount;
        }
      },
    };
  }
}

async function runSequence(makeStore: (now: () => number) => Store, ops: Op[]): Promise<void> {
  let now = Date.UTC(2026, 5, 1, 10, 59, 0);
  const store = makeStore(() => now);
  const engine = createEngine(POLICY, { store });
  const model = new Model();
  const open: { auth: Authorization; settle: NonNullable<ReturnType<Model["call"]>["settle"]>; done: boolean }[] = [];
  try {
    for (const [i, op] of ops.entries()) {
      if (op.kind === "wait") {
        now += op.ms;
        continue;
      }
      if (op.kind === "call") {
        const req = { principal: { id: `p${op.who}`, roles: ["agent"] }, tool: op.tool, arguments: op.tool === "c" ? { amount: op.amount } : {} };
        const got = await engine.authorize(req, { estimate: { inputTokens: op.estimate }, ...(op.key !== null && { idempotencyKey: op.key }) });
        const want = model.call(op, now);
        const where = `op ${i} ${JSON.stringify(op)} at ${now}: ${got.reasons.map((r) => r.message).join("; ")}`;
        expect(got.effect, where).toBe(want.allowed ? "allow" : want.replay ? "replay" : "deny");
        if (want.replay) {
          expect(got.replayOf, where).toEqual({ status: want.replay });
          // A replay holds nothing to settle: its commit and rollback change nothing.
          open.push({ auth: got, settle: () => {}, done: true });
        } else if (want.conflict) {
          expect(got.reasons[0]?.code, where).toBe("idempotency_conflict");
        } else if (!want.allowed) {
          expect(got.reasons[0]?.code, where).toBe("budget_exceeded");
          // A bucket's retry time is computed in floating point by the store; allow it one millisecond.
          expect(Math.abs((got.retryAfterMs ?? -1) - want.retryAfterMs!), where).toBeLessThanOrEqual(op.tool === "a" ? 1 : 0);
        } else open.push({ auth: got, settle: want.settle!, done: false });
        continue;
      }
      const entry = open[op.index % Math.max(1, open.length)];
      if (!entry) continue;
      const out = op.kind === "commit" ? await entry.auth.commit({ inputTokens: op.tokens }) : await entry.auth.rollback();
      expect(out.applied).toBe(!entry.done);
      if (!entry.done) entry.settle(op.kind, op.kind === "commit" ? op.tokens : 0, now);
      entry.done = true;
    }
  } finally {
    await engine.close();
  }
}

describe("engine on MemoryStore agrees with the model", () => {
  it("over random sequences of calls, commits, rollbacks and clock steps", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => runSequence((now) => new MemoryStore({ now }), ops)),
      { numRuns: 1000 },
    );
  });
});

describe.skipIf(!redisAvailable && !process.env.CI)("engine on RedisStore agrees with the model", () => {
  let redis: RedisHandle;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  it("over random sequences of calls, commits, rollbacks and clock steps", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 50 }), (ops) =>
        runSequence((now) => new RedisStore({ url: redis.url, prefix: `model${n++}:`, now, timeoutMs: 2000 }), ops),
      ),
      { numRuns: 150 },
    );
  });
});
