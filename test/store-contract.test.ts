/**
 * The store contract (src/runtime/store/store.ts), checked on every store: one suite runs against
 * MemoryStore and RedisStore (on a real redis-server, each test under a fresh prefix), both with a clock
 * the test controls. A property test then runs random sequences of operations against both stores with
 * the same clock and requires identical answers (one for counters and approvals, one for session records).
 * Redis-only checks: every key has a TTL, the server's own clock, a host-owned client, a flushed script
 * cache, failing fast while Redis is down, malformed session records, and concurrent session appends.
 *
 * Redis parts skip when redis-server is not installed, except under CI, where they fail.
 */
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../src/runtime/store/memory.js";
import { RedisStore } from "../src/runtime/store/redis.js";
import { notSent, type ApprovalRecord, type CounterSpec, type ReserveRequest, type ReserveResult, type SessionAppendRequest, type SessionAppendResult, type SessionFacts, type SettleRequest, type SettleResult, type Store } from "../src/runtime/store/store.js";
import { sessionKey } from "../src/runtime/store/session.js";
import type { SessionEvent } from "../src/contract/session.js";
import { LIMITS } from "../src/source/limits.js";
import { redisAvailable, startRedis, type RedisHandle } from "./helpers/redis-server.js";

const runRedis = redisAvailable || !!process.env.CI;

/** A round time, so windows of 10 s start at T0. */
const T0 = 1_700_000_000_000;
const W = 10_000;
const WIN0 = T0 / W;

type MakeStore = (now: () => number) => Store;

interface Rig {
  store: Store;
  /** The clock's current time. */
  readonly t: number;
  advance(ms: number): void;
}

function bucket(key: string, limit: number, rate: number, amount = 1): CounterSpec {
  return { key, mode: "bucket", limit, rate, windowMs: 0, ttlMs: 0, amount };
}

function counter(key: string, limit: number, amount: number, windowMs = W, ttlMs = 0): CounterSpec {
  return { key, mode: "counter", limit, windowMs, ttlMs, amount };
}

function approvalFor(binding: string, id: string, principal = "alice", ttlMs = 60_000): NonNullable<ReserveRequest["approval"]> {
  return {
    binding,
    ttlMs,
    create: {
      id,
      binding,
      principal,
      tool: "fs.write",
      policyVersion: "v1",
      // Shapes a Lua JSON round trip would damage: empty array, nesting, unicode, a 17-digit float.
      arguments: { path: "/tmp/é✓", lines: [], nested: { a: [1, { b: null }] }, x: 0.1 + 0.2 },
    },
  };
}

/** `keepsReservations`: the store records what each reserve took (an asynchronous store must; see store.ts). */
function contract(name: string, make: () => MakeStore, keepsReservations = true): void {
  describe(name, () => {
    const open: Store[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close?.();
    });

    function rig(start = T0 + 1000): Rig {
      let t = start;
      const store = make()(() => t);
      open.push(store);
      return {
        store,
        get t() {
          return t;
        },
        advance(ms: number) {
          t += ms;
        },
      };
    }

    const reserve = (r: Rig, req: ReserveRequest): Promise<ReserveResult> => Promise.resolve(r.store.reserve(req));
    const settle = (r: Rig, req: SettleRequest): Promise<SettleResult> => Promise.resolve(r.store.settle(req));

    describe("bucket", () => {
      it("holds its capacity, refills at its rate, and says when to retry", async () => {
        const r = rig();
        const spec = bucket("b", 3, 0.001); // 1 token per second
        for (let i = 0; i < 3; i++) expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: r.t, windows: [0] });
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "exceeded", now: r.t, index: 0, used: 3, retryAfterMs: 1000 });
        r.advance(400);
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "exceeded", now: r.t, index: 0, used: 2.6, retryAfterMs: 600 });
        r.advance(600);
        expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        expect((await reserve(r, { counters: [spec] })).status).toBe("exceeded");
      });

      it("refills no further than its capacity", async () => {
        const r = rig();
        const spec = bucket("b", 2, 0.01);
        expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        r.advance(1_000); // 10 tokens' worth of time
        expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "exceeded", used: 2, retryAfterMs: 100 });
      });

      it("keeps fractional tokens exactly", async () => {
        const r = rig();
        const spec = bucket("b", 1, 1 / 3000);
        expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        r.advance(1000); // a third of a token
        const res = await reserve(r, { counters: [spec] });
        expect(res).toEqual({ status: "exceeded", now: r.t, index: 0, used: 1 - 1000 * (1 / 3000), retryAfterMs: Math.ceil((1 - 1000 * (1 / 3000)) / (1 / 3000)) });
      });
    });

    describe("counter", () => {
      it("counts within its window, reports the window end, and resets at the boundary", async () => {
        const r = rig();
        const spec = counter("c", 2, 1);
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: r.t, windows: [WIN0] });
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: r.t, windows: [WIN0] });
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "exceeded", now: r.t, index: 0, used: 2, retryAfterMs: W - 1000 });
        r.advance(W - 1001); // the window's last millisecond
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "exceeded", retryAfterMs: 1 });
        r.advance(1);
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: T0 + W, windows: [WIN0 + 1] });
      });

      it("with a window origin (weeks from Monday): counts from the origin, retries at its window end, settles in it", async () => {
        // Windows of 10 s starting 3 s after multiples of 10 s: T0 + 1000 is in the window [T0 - 7000, T0 + 3000).
        const r = rig();
        const spec: CounterSpec = { ...counter("o", 1, 1), windowOriginMs: 3000 };
        const w = Math.floor((T0 + 1000 - 3000) / W);
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: r.t, windows: [w] });
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "exceeded", now: r.t, index: 0, used: 1, retryAfterMs: 2000 });
        const adj = { key: "o", mode: "counter" as const, limit: 1, windowMs: W, windowOriginMs: 3000, ttlMs: 0, window: w, delta: -1 };
        expect(await settle(r, { adjustments: [adj] })).toEqual({ applied: true });
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "ok", windows: [w] });
        r.advance(1999); // the window's last millisecond
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "exceeded", retryAfterMs: 1 });
        r.advance(1);
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: T0 + 3000, windows: [w + 1] });
      });

      it("needs used < limit and used + amount <= limit", async () => {
        const r = rig();
        expect((await reserve(r, { counters: [counter("c", 5, 3)] })).status).toBe("ok");
        expect(await reserve(r, { counters: [counter("c", 5, 3)] })).toMatchObject({ status: "exceeded", used: 3 });
        expect((await reserve(r, { counters: [counter("c", 5, 2)] })).status).toBe("ok");
        // Full: even an amount of 0 is refused.
        expect(await reserve(r, { counters: [counter("c", 5, 0)] })).toMatchObject({ status: "exceeded", used: 5 });
      });

      it("without a window: never resets while the key lives, no retryAfterMs, ttl refreshed by each change", async () => {
        const r = rig();
        const spec = counter("c", 2, 1, 0, 5_000);
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: r.t, windows: [0] });
        r.advance(4_000);
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: r.t, windows: [0] });
        r.advance(4_000); // 8 s after the first, 4 s after the last change
        const res = await reserve(r, { counters: [spec] });
        expect(res).toEqual({ status: "exceeded", now: r.t, index: 0, used: 2 });
        expect("retryAfterMs" in res).toBe(false);
        r.advance(1_000); // 5 s after the last change: the key is gone
        expect(await reserve(r, { counters: [spec] })).toEqual({ status: "ok", now: r.t, windows: [0] });
      });
    });

    it("is all-or-nothing: when a later counter is exceeded, earlier ones are not charged", async () => {
      const r = rig();
      const a = counter("a", 5, 1);
      const b = bucket("b", 1, 0.0001);
      const c = counter("c", 1, 1);
      expect(await reserve(r, { counters: [a, b, c] })).toEqual({ status: "ok", now: r.t, windows: [WIN0, 0, WIN0] });
      for (let i = 0; i < 3; i++) {
        expect(await reserve(r, { counters: [a, { ...b, amount: 0 }, c] })).toMatchObject({ status: "exceeded", index: 2, used: 1 });
      }
      // a holds 1 (not 4), b has not been charged past its first token.
      expect((await reserve(r, { counters: [counter("a", 5, 4)] })).status).toBe("ok");
      expect(await reserve(r, { counters: [counter("a", 5, 1)] })).toMatchObject({ status: "exceeded", used: 5 });
      expect(await reserve(r, { counters: [a, b] })).toMatchObject({ status: "exceeded", index: 0 });
    });

    describe("settle", () => {
      it("commits a delta, gives back on rollback, and never goes below 0", async () => {
        const r = rig();
        const spec = counter("cost", 10, 5);
        const adj = { key: "cost", mode: "counter" as const, limit: 10, windowMs: W, ttlMs: 0, window: WIN0 };
        expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        expect(await settle(r, { adjustments: [{ ...adj, delta: 3 }] })).toEqual({ applied: true });
        expect(await reserve(r, { counters: [counter("cost", 10, 3)] })).toMatchObject({ status: "exceeded", used: 8 });
        expect(await settle(r, { adjustments: [{ ...adj, delta: -5 }] })).toEqual({ applied: true });
        expect(await reserve(r, { counters: [counter("cost", 10, 8)] })).toMatchObject({ status: "exceeded", used: 3 });
        expect(await settle(r, { adjustments: [{ ...adj, delta: -100 }] })).toEqual({ applied: true });
        expect((await reserve(r, { counters: [counter("cost", 10, 10)] })).status).toBe("ok");
      });

      it("refunds a bucket up to its capacity, and leaves a missing bucket alone", async () => {
        const r = rig();
        const spec = bucket("b", 3, 0.00001);
        const adj = { key: "b", mode: "bucket" as const, limit: 3, rate: 0.00001, windowMs: 0, ttlMs: 0, window: 0 };
        expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        expect(await settle(r, { adjustments: [{ ...adj, delta: -5 }] })).toEqual({ applied: true });
        for (let i = 0; i < 3; i++) expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "exceeded", used: 3 });
        // A settle that takes tokens from a bucket that does not exist changes nothing.
        expect(await settle(r, { adjustments: [{ ...adj, key: "other", delta: 2 }] })).toEqual({ applied: true });
        for (let i = 0; i < 3; i++) expect((await reserve(r, { counters: [{ ...spec, key: "other" }] })).status).toBe("ok");
      });

      it("ignores an adjustment for a window that has ended", async () => {
        const r = rig();
        const spec = counter("c", 1, 1);
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "ok", windows: [WIN0] });
        r.advance(W);
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "ok", windows: [WIN0 + 1] });
        const stale = { key: "c", mode: "counter" as const, limit: 1, windowMs: W, ttlMs: 0, window: WIN0, delta: -1 };
        expect(await settle(r, { adjustments: [stale] })).toEqual({ applied: true });
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "exceeded", used: 1 });
      });

      it("settles an idempotency record once, for its owner only, and keeps it settled (commit or rollback)", async () => {
        const r = rig();
        const spec = counter("c", 10, 1);
        const adj = { key: "c", mode: "counter" as const, limit: 10, windowMs: W, ttlMs: 0, window: WIN0, delta: 2 };
        const idem = { key: "call-1", fingerprint: "fp", token: "owner-1", ttlMs: 60_000 };
        expect((await reserve(r, { counters: [spec], idempotency: idem })).status).toBe("ok");
        // Anyone without the owner's token (a replay) settles nothing.
        expect(await settle(r, { adjustments: [adj], idempotency: { key: "call-1", token: "someone-else", action: "commit" } })).toEqual({ applied: false });
        expect(await settle(r, { adjustments: [{ ...adj, delta: -1 }], idempotency: { key: "call-1", token: "someone-else", action: "rollback" } })).toEqual({ applied: false });
        expect(await settle(r, { adjustments: [adj], idempotency: { key: "call-1", token: "owner-1", action: "commit" } })).toEqual({ applied: true });
        expect(await settle(r, { adjustments: [adj], idempotency: { key: "call-1", token: "owner-1", action: "commit" } })).toEqual({ applied: false });
        expect(await settle(r, { adjustments: [adj], idempotency: { key: "call-1", token: "owner-1", action: "rollback" } })).toEqual({ applied: false });
        expect(await reserve(r, { counters: [spec], idempotency: { ...idem, token: "retry" } })).toEqual({ status: "replay", now: r.t, state: "committed" });
        expect(await reserve(r, { counters: [counter("c", 10, 8)] })).toMatchObject({ status: "exceeded", used: 3 });

        const idem2 = { key: "call-2", fingerprint: "fp", token: "owner-2", ttlMs: 60_000 };
        expect((await reserve(r, { counters: [spec], idempotency: idem2 })).status).toBe("ok");
        const back = { ...adj, delta: -1 };
        expect(await settle(r, { adjustments: [back], idempotency: { key: "call-2", token: "owner-2", action: "rollback" } })).toEqual({ applied: true });
        // The record stays, rolled back: the same key never admits again, and another fingerprint conflicts.
        expect(await reserve(r, { counters: [spec], idempotency: { ...idem2, token: "retry" } })).toEqual({ status: "replay", now: r.t, state: "rolled_back" });
        expect(await reserve(r, { counters: [spec], idempotency: { ...idem2, fingerprint: "other" } })).toEqual({ status: "idempotency_conflict", now: r.t });
        expect(await settle(r, { adjustments: [back], idempotency: { key: "call-2", token: "owner-2", action: "rollback" } })).toEqual({ applied: false });
        expect(await reserve(r, { counters: [counter("c", 10, 8)] })).toMatchObject({ status: "exceeded", used: 3 });
      });
    });

    describe("idempotency", () => {
      it("replays the same call without charging, refuses another fingerprint, and forgets after its ttl", async () => {
        const r = rig();
        const spec = counter("c", 1, 1);
        const idem = { key: "k", fingerprint: "fp1", token: "t1", ttlMs: 5_000 };
        expect(await reserve(r, { counters: [spec, bucket("b", 1, 0.000001)], idempotency: idem })).toEqual({ status: "ok", now: r.t, windows: [WIN0, 0] });
        r.advance(10);
        expect(await reserve(r, { counters: [spec, bucket("b", 1, 0.000001)], idempotency: idem })).toEqual({ status: "replay", now: r.t, state: "pending" });
        expect(await reserve(r, { counters: [spec], idempotency: { ...idem, fingerprint: "fp2" } })).toEqual({ status: "idempotency_conflict", now: r.t });
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "exceeded", used: 1 });
        r.advance(4_990); // the record's ttl has run out
        expect(await reserve(r, { counters: [counter("c2", 1, 1)], idempotency: { ...idem, fingerprint: "fp2" } })).toEqual({ status: "ok", now: r.t, windows: [WIN0] });
      });

      it("replays an empty reservation", async () => {
        const r = rig();
        const idem = { key: "k", fingerprint: "fp", token: "t", ttlMs: 5_000 };
        expect(await reserve(r, { counters: [], idempotency: idem })).toEqual({ status: "ok", now: r.t, windows: [] });
        expect(await reserve(r, { counters: [], idempotency: idem })).toEqual({ status: "replay", now: r.t, state: "pending" });
      });

      it("admits exactly one of many parallel reserves with one key; the rest are replays that charge nothing", async () => {
        const r = rig();
        const spec = counter("c", 100, 1);
        const all = await Promise.all(Array.from({ length: 40 }, (_, i) => reserve(r, { counters: [spec], idempotency: { key: "k", fingerprint: "fp", token: `t${i}`, ttlMs: 60_000 } })));
        expect(all.filter((x) => x.status === "ok")).toHaveLength(1);
        expect(all.filter((x) => x.status === "replay" && x.state === "pending")).toHaveLength(39);
        expect(await reserve(r, { counters: [counter("c", 100, 99)] })).toMatchObject({ status: "ok" });
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "exceeded", used: 100 });
      });

      it("a replay consumes no approval", async () => {
        const r = rig();
        const idem = { key: "k", fingerprint: "fp", token: "t", ttlMs: 60_000 };
        const p = await reserve(r, { counters: [], approval: approvalFor("h1", "ap-1") });
        expect(p.status).toBe("approval_pending");
        await r.store.decideApproval("ap-1", { approve: true, approver: "bob", allowSelf: false });
        expect(await reserve(r, { counters: [], approval: approvalFor("h1", "ap-x"), idempotency: idem })).toMatchObject({ status: "ok", approvalId: "ap-1" });
        const again = await Promise.all(Array.from({ length: 5 }, () => reserve(r, { counters: [], approval: approvalFor("h1", "ap-y"), idempotency: { ...idem, token: "t2" } })));
        expect(again.every((x) => x.status === "replay" && x.state === "pending")).toBe(true);
        // A call under another key needs a new approval: the one approval was used once.
        expect(await reserve(r, { counters: [], approval: approvalFor("h1", "ap-z"), idempotency: { ...idem, key: "k2" } })).toMatchObject({ status: "approval_pending", created: true });
      });
    });

    describe("cancel (a reserve its caller gave up on)", () => {
      const res = (id: string) => ({ id, ttlMs: 30_000 });
      const cancel = (r: Rig, id: string) => Promise.resolve(r.store.cancel!(id, 30_000));
      // Refunds apply only to stores that record reservations (MemoryStore answers synchronously and
      // records none, see store.ts): for the others these cases are not registered, rather than skipped.
      const itRecording = (title: string, body: () => Promise<void>) => (keepsReservations ? it(title, body) : undefined);

      itRecording("refunds a counter with a window origin in its window", async () => {
        const r = rig();
        const spec: CounterSpec = { ...counter("o", 1, 1), windowOriginMs: 3000 };
        expect((await reserve(r, { counters: [spec], reservation: res("ro") })).status).toBe("ok");
        expect(await cancel(r, "ro")).toEqual({ refunded: true });
        expect((await reserve(r, { counters: [spec] })).status).toBe("ok");
        expect(await reserve(r, { counters: [spec] })).toMatchObject({ status: "exceeded", retryAfterMs: 2000 });
      });

      itRecording("refunds a reservation that was applied, once; a second cancel changes nothing", async () => {
        const r = rig();
        const specs = [counter("c", 3, 1), bucket("b", 3, 0.000001), counter("cost", 10, 2.5, 0, 60_000)];
        expect(await reserve(r, { counters: specs, reservation: res("r1") })).toEqual({ status: "ok", now: r.t, windows: [WIN0, 0, 0] });
        expect(await reserve(r, { counters: specs })).toMatchObject({ status: "ok" });
        expect(await cancel(r, "r1")).toEqual({ refunded: true });
        expect(await cancel(r, "r1")).toEqual({ refunded: false });
        // Two of three left on each counter: one call's worth went back, once.
        expect(await reserve(r, { counters: [counter("c", 3, 2)] })).toMatchObject({ status: "ok" });
        expect(await reserve(r, { counters: [bucket("b", 3, 0.000001, 2)] })).toMatchObject({ status: "ok" });
        expect(await reserve(r, { counters: [counter("cost", 10, 7.5, 0, 60_000)] })).toMatchObject({ status: "ok" });
        expect(await reserve(r, { counters: [counter("c", 3, 1)] })).toMatchObject({ status: "exceeded", used: 3 });
        expect(await reserve(r, { counters: [counter("cost", 10, 0.5, 0, 60_000)] })).toMatchObject({ status: "exceeded", used: 10 });
      });

      it("a cancel that gets there first makes the reserve change nothing when it runs", async () => {
        const r = rig();
        expect(await cancel(r, "r2")).toEqual({ refunded: false });
        const idem = { key: "k", fingerprint: "fp", token: "t", ttlMs: 60_000 };
        expect(await reserve(r, { counters: [counter("c", 1, 1)], idempotency: idem, reservation: res("r2") })).toEqual({ status: "cancelled", now: r.t });
        expect(await reserve(r, { counters: [counter("c", 1, 1)], idempotency: idem, reservation: res("r3") })).toMatchObject({ status: "ok" });
      });

      itRecording("marks the idempotency record it wrote rolled back, and never refunds a window that has ended", async () => {
        const r = rig();
        const idem = { key: "k", fingerprint: "fp", token: "t", ttlMs: 60_000 };
        expect(await reserve(r, { counters: [counter("c", 1, 1)], idempotency: idem, reservation: res("r4") })).toMatchObject({ status: "ok" });
        expect(await cancel(r, "r4")).toEqual({ refunded: true });
        expect(await reserve(r, { counters: [counter("c", 1, 1)], idempotency: { ...idem, token: "t2" } })).toEqual({ status: "replay", now: r.t, state: "rolled_back" });
        // The owner's settle after a cancel changes nothing.
        expect(await settle(r, { adjustments: [], idempotency: { key: "k", token: "t", action: "commit" } })).toEqual({ applied: false });

        expect(await reserve(r, { counters: [counter("w", 1, 1)], reservation: res("r5") })).toMatchObject({ status: "ok" });
        r.advance(W);
        expect(await reserve(r, { counters: [counter("w", 1, 1)] })).toMatchObject({ status: "ok" });
        expect(await cancel(r, "r5")).toEqual({ refunded: true });
        expect(await reserve(r, { counters: [counter("w", 1, 1)] })).toMatchObject({ status: "exceeded", used: 1 });
      });

      it("forgets a cancelled reservation after its ttl", async () => {
        const r = rig();
        expect(await cancel(r, "r6")).toEqual({ refunded: false });
        r.advance(30_000);
        expect(await reserve(r, { counters: [counter("c", 1, 1)], reservation: res("r6") })).toMatchObject({ status: "ok" });
      });
    });

    describe("approvals", () => {
      it("creates a pending approval once per binding, and an approved one is consumed by one reserve", async () => {
        const r = rig();
        const spec = counter("calls", 10, 1);
        const first = await reserve(r, { counters: [spec], approval: approvalFor("h1", "ap-1") });
        const pending: ApprovalRecord = {
          ...approvalFor("h1", "ap-1").create,
          createdAt: r.t,
          expiresAt: r.t + 60_000,
          status: "pending",
        };
        expect(first).toStrictEqual({ status: "approval_pending", now: r.t, approval: pending, created: true });
        r.advance(5);
        expect(await reserve(r, { counters: [spec], approval: approvalFor("h1", "ap-2") })).toStrictEqual({ status: "approval_pending", now: r.t, approval: pending, created: false });
        expect(await r.store.getApproval("ap-1")).toStrictEqual(pending);
        expect(await r.store.getApproval("ap-2")).toBeUndefined();

        const decided = await r.store.decideApproval("ap-1", { approve: true, approver: "bob", allowSelf: false });
        const approved: ApprovalRecord = { ...pending, status: "approved", approver: "bob", decidedAt: r.t };
        expect(decided).toStrictEqual({ status: "approved", approval: approved });
        expect(await r.store.getApproval("ap-1")).toStrictEqual(approved);
        expect(await r.store.decideApproval("ap-1", { approve: false, approver: "carol", allowSelf: false })).toStrictEqual({ status: "not_pending", approval: approved });

        expect(await reserve(r, { counters: [spec], approval: approvalFor("h1", "ap-3") })).toStrictEqual({ status: "ok", now: r.t, windows: [WIN0], approvalId: "ap-1" });
        expect(await r.store.getApproval("ap-1")).toBeUndefined();
        expect(await r.store.decideApproval("ap-1", { approve: true, approver: "bob", allowSelf: false })).toStrictEqual({ status: "unknown" });
        // Single use: the next identical call needs a new approval.
        const again = await reserve(r, { counters: [spec], approval: approvalFor("h1", "ap-4") });
        expect(again).toMatchObject({ status: "approval_pending", created: true, approval: { id: "ap-4", status: "pending" } });
        // Only the approved call was charged.
        expect(await reserve(r, { counters: [counter("calls", 10, 10)] })).toMatchObject({ status: "exceeded", used: 1 });
      });

      it("answers approval_rejected for a rejected approval", async () => {
        const r = rig();
        await reserve(r, { counters: [], approval: approvalFor("h1", "ap-1") });
        const d = await r.store.decideApproval("ap-1", { approve: false, approver: "bob", allowSelf: false });
        expect(d).toMatchObject({ status: "rejected", approval: { id: "ap-1", status: "rejected", approver: "bob", decidedAt: r.t } });
        expect(await reserve(r, { counters: [], approval: approvalFor("h1", "ap-2") })).toMatchObject({ status: "approval_rejected", approval: { id: "ap-1", status: "rejected" } });
      });

      it("does not consume an approval when a counter is exceeded", async () => {
        const r = rig();
        const spec = counter("c", 1, 1);
        await reserve(r, { counters: [spec] });
        await reserve(r, { counters: [spec], approval: approvalFor("h1", "ap-1") });
        await r.store.decideApproval("ap-1", { approve: true, approver: "bob", allowSelf: false });
        expect(await reserve(r, { counters: [spec], approval: approvalFor("h1", "ap-2") })).toMatchObject({ status: "exceeded", index: 0 });
        expect(await r.store.getApproval("ap-1")).toMatchObject({ status: "approved" });
        r.advance(W); // the next window: the approval is still there to use
        expect(await reserve(r, { counters: [spec], approval: approvalFor("h1", "ap-2") })).toMatchObject({ status: "ok", approvalId: "ap-1" });
      });

      it("expires: decide answers expired, then unknown after the grace; reserve creates a new one", async () => {
        const r = rig();
        await reserve(r, { counters: [], approval: approvalFor("h1", "ap-1", "alice", 1_000) });
        r.advance(1_000);
        expect(await r.store.decideApproval("ap-1", { approve: true, approver: "bob", allowSelf: false })).toMatchObject({ status: "expired", approval: { id: "ap-1", status: "pending" } });
        expect(await r.store.getApproval("ap-1")).toMatchObject({ id: "ap-1" }); // kept through the grace second
        r.advance(1_000);
        expect(await r.store.decideApproval("ap-1", { approve: true, approver: "bob", allowSelf: false })).toStrictEqual({ status: "unknown" });
        expect(await r.store.getApproval("ap-1")).toBeUndefined();
        expect(await reserve(r, { counters: [], approval: approvalFor("h1", "ap-2") })).toMatchObject({ status: "approval_pending", created: true, approval: { id: "ap-2" } });
      });

      it("an approved approval that has expired is replaced, not consumed", async () => {
        const r = rig();
        await reserve(r, { counters: [], approval: approvalFor("h1", "ap-1", "alice", 1_000) });
        await r.store.decideApproval("ap-1", { approve: true, approver: "bob", allowSelf: false });
        r.advance(1_000);
        expect(await reserve(r, { counters: [], approval: approvalFor("h1", "ap-2") })).toMatchObject({ status: "approval_pending", created: true, approval: { id: "ap-2" } });
      });

      it("refuses self-approval unless allowed", async () => {
        const r = rig();
        await reserve(r, { counters: [], approval: approvalFor("h1", "ap-1", "alice") });
        expect(await r.store.decideApproval("ap-1", { approve: true, approver: "alice", allowSelf: false })).toMatchObject({ status: "self_approval", approval: { status: "pending" } });
        expect(await r.store.getApproval("ap-1")).toMatchObject({ status: "pending" });
        expect(await r.store.decideApproval("ap-1", { approve: true, approver: "alice", allowSelf: true })).toMatchObject({ status: "approved", approval: { approver: "alice" } });
      });

      it("answers unknown for an id it never saw", async () => {
        const r = rig();
        expect(await r.store.decideApproval("nope", { approve: true, approver: "bob", allowSelf: true })).toStrictEqual({ status: "unknown" });
        expect(await r.store.getApproval("nope")).toBeUndefined();
      });

      describe("listApprovals", () => {
        const list = async (r: Rig, limit = 1000) => {
          expect(typeof r.store.listApprovals).toBe("function");
          return Promise.resolve(r.store.listApprovals!({ limit }));
        };

        it("lists pending, approved and rejected approvals that have not expired, oldest first, approvers round-tripped", async () => {
          const r = rig();
          expect(await list(r)).toStrictEqual({ now: r.t, approvals: [], truncated: false });
          const roles = { kind: "roles" as const, roles: ["security", "admin"] };
          const a1 = approvalFor("h1", "ap-1");
          await reserve(r, { counters: [], approval: { ...a1, create: { ...a1.create, approvers: roles } } });
          r.advance(10);
          await reserve(r, { counters: [], approval: approvalFor("h2", "ap-2", "bob") });
          r.advance(10);
          await reserve(r, { counters: [], approval: approvalFor("h3", "ap-3", "carol") });
          await r.store.decideApproval("ap-2", { approve: true, approver: "dave", allowSelf: false });
          await r.store.decideApproval("ap-3", { approve: false, approver: "dave", allowSelf: false });
          const got = await list(r);
          expect(got.now).toBe(r.t);
          expect(got.truncated).toBe(false);
          expect(got.approvals.map((a) => [a.id, a.status])).toEqual([["ap-1", "pending"], ["ap-2", "approved"], ["ap-3", "rejected"]]);
          expect(got.approvals[0]).toStrictEqual(await r.store.getApproval("ap-1"));
          expect(got.approvals[0]!.approvers).toStrictEqual(roles);
          expect(got.approvals[0]!.arguments).toStrictEqual(a1.create.arguments);
        });

        it("leaves out an approval once consumed, and one that has expired (even within its key's grace)", async () => {
          const r = rig();
          await reserve(r, { counters: [], approval: approvalFor("h1", "ap-1", "alice", 1_000) });
          await reserve(r, { counters: [], approval: approvalFor("h2", "ap-2", "bob", 60_000) });
          await r.store.decideApproval("ap-2", { approve: true, approver: "dave", allowSelf: false });
          expect((await list(r)).approvals.map((a) => a.id)).toEqual(["ap-1", "ap-2"]);
          expect(await reserve(r, { counters: [], approval: approvalFor("h2", "ap-x", "bob") })).toMatchObject({ status: "ok", approvalId: "ap-2" });
          expect((await list(r)).approvals.map((a) => a.id)).toEqual(["ap-1"]);
          r.advance(1_000); // ap-1 expired; its key lives on for the grace
          expect(await r.store.getApproval("ap-1")).toMatchObject({ status: "pending" });
          expect(await list(r)).toStrictEqual({ now: r.t, approvals: [], truncated: false });
          r.advance(5_000);
          expect(await list(r)).toStrictEqual({ now: r.t, approvals: [], truncated: false });
        });

        it("answers at most `limit`, the oldest, and says it truncated", async () => {
          const r = rig();
          for (let i = 0; i < 5; i++) {
            await reserve(r, { counters: [], approval: approvalFor(`h${i}`, `ap-${i}`) });
            r.advance(1);
          }
          const got = await list(r, 3);
          expect(got.approvals.map((a) => a.id)).toEqual(["ap-0", "ap-1", "ap-2"]);
          expect(got.truncated).toBe(true);
          expect((await list(r, 5)).truncated).toBe(false);
          expect(await list(r, 0)).toMatchObject({ approvals: [], truncated: true });
        });
      });

      it("checks idempotency before the approval", async () => {
        const r = rig();
        const idem = { key: "k", fingerprint: "fp", token: "t", ttlMs: 60_000 };
        expect((await reserve(r, { counters: [], idempotency: idem })).status).toBe("ok");
        expect(await reserve(r, { counters: [], approval: approvalFor("h1", "ap-1"), idempotency: idem })).toMatchObject({ status: "replay" });
        expect(await r.store.getApproval("ap-1")).toBeUndefined();
      });
    });

    describe("session state", () => {
      const K = sessionKey("alice", "s1");
      const event = (i: number, extra: Partial<SessionEvent> = {}): Omit<SessionEvent, "at"> => ({ method: "tools/call", target: "read_inbox", args: { i }, effect: "allow", outcome: "ok", ...extra });
      const base = { key: K, event: event(0), labels: [] as string[], provenance: {} as Record<string, string[]>, ttlMs: 60_000, maxEntries: 100, maxFingerprintsPerLabel: 10 };
      const append = (r: Rig, over: Partial<SessionAppendRequest> = {}): Promise<SessionAppendResult> => Promise.resolve(r.store.sessionAppend!({ ...base, ...over }));
      const load = (r: Rig, maxEntries = 100, key = K): Promise<SessionFacts> => Promise.resolve(r.store.sessionLoad!({ key, maxEntries }));
      /** A call that may throw synchronously (MemoryStore) or reject (RedisStore), as one promise. */
      const attempt = <T>(f: () => T | Promise<T>): Promise<T> => Promise.resolve().then(f);
      const empty = (r: Rig): SessionFacts => ({ now: r.t, labels: [], events: [], provenance: {}, version: 0 });

      it("loads an unknown session as empty facts at version 0", async () => {
        const r = rig();
        expect(typeof r.store.sessionLoad).toBe("function");
        expect(typeof r.store.sessionAppend).toBe("function");
        expect(await load(r)).toStrictEqual(empty(r));
      });

      it("round-trips events (stamped with the store's time, any `at` given ignored), labels and provenance", async () => {
        const r = rig();
        // Shapes a Lua JSON round trip would damage, and an own `__proto__` key (as JSON.parse makes one).
        const args = JSON.parse(`{"path":"/tmp/é✓\\u2028","lines":[],"nested":{"a":[1,{"b":null}]},"x":${0.1 + 0.2},"big":${2 ** 53 - 1},"__proto__":{"evil":true}}`) as Record<string, unknown>;
        const first = { ...event(0), args, server: "mail", labels: ["untrusted"] };
        expect(await append(r, { event: { ...first, at: 5 } as Omit<SessionEvent, "at">, labels: ["untrusted"], provenance: { untrusted: ["f1", "f2"] } })).toStrictEqual({ now: r.t, version: 1 });
        const t1 = r.t;
        r.advance(5);
        const second = event(1, { effect: "deny", outcome: undefined, target: undefined });
        expect(await append(r, { event: second })).toStrictEqual({ now: r.t, version: 2 });
        const facts = await load(r);
        expect(facts).toStrictEqual({
          now: r.t,
          labels: ["untrusted"],
          events: [{ at: t1, ...first }, { at: r.t, method: "tools/call", args: { i: 1 }, effect: "deny" }],
          provenance: { untrusted: ["f1", "f2"] },
          version: 2,
        });
        expect("droppedUntil" in facts).toBe(false);
        expect(Object.getPrototypeOf(facts.events[0]!.args)).toBe(Object.prototype);
        expect(Object.keys(facts.events[0]!.args!)).toContain("__proto__");
        // Another principal's session, and another session of the same principal, are other keys.
        expect(await load(r, 100, sessionKey("bob", "s1"))).toStrictEqual(empty(r));
        expect(await load(r, 100, sessionKey("alice", "s2"))).toStrictEqual(empty(r));
      });

      it("keeps the last maxEntries events and says until when it dropped (appends and loads alike)", async () => {
        const r = rig();
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          times.push(r.t);
          await append(r, { event: event(i), maxEntries: 3 });
          r.advance(10);
        }
        const facts = await load(r);
        expect(facts.events.map((e) => e.args!.i)).toEqual([2, 3, 4]);
        expect(facts.droppedUntil).toBe(times[1]);
        expect(facts.version).toBe(5);
        // A load that asks for fewer says where its own cut is.
        const two = await load(r, 2);
        expect(two.events.map((e) => e.args!.i)).toEqual([3, 4]);
        expect(two.droppedUntil).toBe(times[2]);
        expect(await load(r, 0)).toMatchObject({ events: [], droppedUntil: times[4], version: 5 });
        // A smaller cap on append drops several at once; droppedUntil is the newest dropped.
        times.push(r.t);
        await append(r, { event: event(5), maxEntries: 1 });
        expect(await load(r)).toMatchObject({ events: [{ at: times[5], args: { i: 5 } }], droppedUntil: times[4], version: 6 });
      });

      it("only adds labels: deduplicated, in the order first added", async () => {
        const r = rig();
        await append(r, { labels: ["untrusted", "secret", "untrusted"] });
        await append(r, { labels: ["secret", "pii"] });
        await append(r, { labels: [] });
        expect(await load(r)).toMatchObject({ labels: ["untrusted", "secret", "pii"], version: 3 });
      });

      it("keeps provenance per label, deduplicated, the oldest dropped past the cap", async () => {
        const r = rig();
        await append(r, { provenance: { untrusted: ["f1", "f2"], secret: ["s1"] }, maxFingerprintsPerLabel: 3 });
        await append(r, { provenance: { untrusted: ["f3", "f1", "f4", "f3"], empty: [] }, maxFingerprintsPerLabel: 3 });
        expect((await load(r)).provenance).toStrictEqual({ untrusted: ["f3", "f1", "f4"], secret: ["s1"] });
        await append(r, { provenance: { untrusted: ["f5"] }, maxFingerprintsPerLabel: 2 });
        expect((await load(r)).provenance).toStrictEqual({ untrusted: ["f4", "f5"], secret: ["s1"] });
      });

      it("expires ttlMs after its last append; a load does not extend it; a new session starts over", async () => {
        const r = rig();
        await append(r, { ttlMs: 10_000, labels: ["untrusted"] });
        r.advance(6_000);
        await append(r, { ttlMs: 10_000 });
        r.advance(6_000);
        expect(await load(r)).toMatchObject({ version: 2, labels: ["untrusted"] });
        r.advance(3_999);
        expect((await load(r)).version).toBe(2);
        r.advance(1);
        expect(await load(r)).toStrictEqual(empty(r));
        expect(await append(r, { ttlMs: 10_000, event: event(9) })).toStrictEqual({ now: r.t, version: 1 });
        expect(await load(r)).toMatchObject({ version: 1, labels: [], provenance: {}, events: [{ args: { i: 9 } }] });
      });

      it("reserve answers session_changed when the session moved on, and changes nothing", async () => {
        const r = rig();
        const idem = { key: "k", fingerprint: "fp", token: "t", ttlMs: 60_000 };
        // An unknown session is at version 0.
        expect(await reserve(r, { counters: [], session: { key: K, version: 0 } })).toMatchObject({ status: "ok" });
        expect(await reserve(r, { counters: [], session: { key: K, version: 1 } })).toStrictEqual({ status: "session_changed", now: r.t });
        await append(r);
        const stale = { counters: [counter("c", 1, 1)], idempotency: idem, approval: approvalFor("h1", "ap-1"), session: { key: K, version: 0 } };
        expect(await reserve(r, stale)).toStrictEqual({ status: "session_changed", now: r.t });
        // Nothing written: no approval, no idempotency record, no charge.
        expect(await r.store.getApproval("ap-1")).toBeUndefined();
        expect(await reserve(r, { counters: [counter("c", 1, 1)], idempotency: idem, session: { key: K, version: 1 } })).toMatchObject({ status: "ok" });
        expect((await load(r)).version).toBe(1);
      });

      it("settle records the call once: only when the settlement is applied (the owner's first settle)", async () => {
        const r = rig();
        const idem = { key: "k", fingerprint: "fp", token: "owner", ttlMs: 60_000 };
        const adj = { key: "c", mode: "counter" as const, limit: 10, windowMs: W, ttlMs: 0, window: WIN0, delta: 1 };
        const session = { ...base, event: event(1), labels: ["untrusted"], provenance: { untrusted: ["f1"] } };
        expect((await reserve(r, { counters: [counter("c", 10, 1)], idempotency: idem })).status).toBe("ok");
        expect(await settle(r, { adjustments: [adj], idempotency: { key: "k", token: "replay", action: "commit" }, session })).toStrictEqual({ applied: false });
        expect(await load(r)).toStrictEqual(empty(r));
        r.advance(3);
        expect(await settle(r, { adjustments: [adj], idempotency: { key: "k", token: "owner", action: "commit" }, session })).toStrictEqual({ applied: true, session: { now: r.t, version: 1 } });
        expect(await settle(r, { adjustments: [adj], idempotency: { key: "k", token: "owner", action: "commit" }, session })).toStrictEqual({ applied: false });
        expect(await settle(r, { adjustments: [adj], idempotency: { key: "k", token: "owner", action: "rollback" }, session })).toStrictEqual({ applied: false });
        expect(await load(r)).toStrictEqual({ now: r.t, labels: ["untrusted"], events: [{ at: r.t, ...event(1) }], provenance: { untrusted: ["f1"] }, version: 1 });
        // Without an idempotency key a settle always applies, and records.
        expect(await settle(r, { adjustments: [], session: { ...session, event: event(2) } })).toStrictEqual({ applied: true, session: { now: r.t, version: 2 } });
        expect((await load(r)).events.map((e) => e.args!.i)).toEqual([1, 2]);
        // The replayed and second settles adjusted nothing: 1 reserved + 1 settled by the owner.
        expect(await reserve(r, { counters: [counter("c", 10, 9)] })).toMatchObject({ status: "exceeded", used: 2 });
      });

      it("refuses requests over the bounds (TypeError) and changes nothing", async () => {
        const r = rig();
        const refused = async (over: Partial<SessionAppendRequest>) => {
          await expect(attempt(() => r.store.sessionAppend!({ ...base, ...over }))).rejects.toThrow(TypeError);
          await expect(attempt(() => r.store.settle({ adjustments: [], session: { ...base, ...over } }))).rejects.toThrow(TypeError);
        };
        await refused({ maxEntries: LIMITS.maxSessionEvents + 1 });
        await refused({ maxEntries: 0 });
        await refused({ maxFingerprintsPerLabel: LIMITS.maxSessionFingerprintsPerLabel + 1 });
        await refused({ ttlMs: 0 });
        await refused({ ttlMs: LIMITS.maxSessionTtlMs + 1 });
        await refused({ key: "" });
        await refused({ labels: ["x".repeat(LIMITS.maxSessionLabelLength + 1)] });
        await refused({ labels: ["bad\nlabel"] });
        await refused({ labels: ["\uD800"] });
        await refused({ labels: Array.from({ length: LIMITS.maxSessionLabels + 1 }, (_, i) => `l${i}`) });
        await refused({ provenance: { untrusted: ["has space"] } });
        await refused({ provenance: { untrusted: ["f".repeat(LIMITS.maxSessionFingerprintLength + 1)] } });
        await refused({ provenance: { untrusted: Array.from({ length: LIMITS.maxSessionFingerprintsPerLabel + 1 }, (_, i) => `f${i}`) } });
        await refused({ event: { ...event(0), args: { blob: "x".repeat(LIMITS.maxSessionEventBytes) } } });
        await refused({ event: { ...event(0), effect: "maybe" as never } });
        await refused({ event: { ...event(0), method: "" } });
        await expect(attempt(() => r.store.sessionLoad!({ key: K, maxEntries: LIMITS.maxSessionEvents + 1 }))).rejects.toThrow(TypeError);
        await expect(attempt(() => r.store.sessionLoad!({ key: K, maxEntries: -1 }))).rejects.toThrow(TypeError);
        await expect(attempt(() => r.store.reserve({ counters: [], session: { key: K, version: -1 } }))).rejects.toThrow(TypeError);
        expect(await load(r)).toStrictEqual(empty(r));
      });

      it("refuses an append past the label limit, writing nothing (a label is never silently lost)", async () => {
        const r = rig();
        const full = Array.from({ length: LIMITS.maxSessionLabels }, (_, i) => `l${i}`);
        await append(r, { labels: full });
        await expect(attempt(() => r.store.sessionAppend!({ ...base, labels: ["one-more"] }))).rejects.toThrow(/at most/);
        const adj = { key: "c", mode: "counter" as const, limit: 10, windowMs: W, ttlMs: 0, window: WIN0, delta: 5 };
        await expect(attempt(() => r.store.settle({ adjustments: [adj], session: { ...base, labels: ["one-more"] } }))).rejects.toThrow(/at most/);
        // Neither the session nor the counter moved.
        expect(await load(r)).toMatchObject({ version: 1, events: [{ args: { i: 0 } }] });
        expect((await load(r)).labels).toHaveLength(LIMITS.maxSessionLabels);
        expect(await reserve(r, { counters: [counter("c", 10, 10)] })).toMatchObject({ status: "ok" });
        // Labels already held may be named again.
        expect((await append(r, { labels: ["l0", "l255"] })).version).toBe(2);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Random sequences: MemoryStore and RedisStore must answer alike.

interface PoolEntry {
  key: string;
  mode: "bucket" | "counter";
  limit: number;
  rate?: number;
  windowMs: number;
  windowOriginMs?: number;
  ttlMs: number;
}

const POOL: readonly PoolEntry[] = [
  { key: "b1", mode: "bucket", limit: 3, rate: 0.0005, windowMs: 0, ttlMs: 0 },
  { key: "b2", mode: "bucket", limit: 2.5, rate: 0.00037, windowMs: 0, ttlMs: 0 },
  { key: "c1", mode: "counter", limit: 6, windowMs: W, ttlMs: 0 },
  { key: "c2", mode: "counter", limit: 2.5, windowMs: 0, ttlMs: 20_000 },
  { key: "c3", mode: "counter", limit: 7.3, windowMs: 3_000, ttlMs: 0 },
  // Windows that start 1.7 s after multiples of 4 s (as weeks start on Mondays, not at the epoch).
  { key: "c4", mode: "counter", limit: 3, windowMs: 4_000, windowOriginMs: 1_700, ttlMs: 0 },
];

type Op =
  | { kind: "reserve"; counters: { pick: number; amount: number }[]; approval: string | null; idem: { key: string; fp: string; token: string } | null }
  | { kind: "settle"; adjustments: { pick: number; delta: number; stale: boolean }[]; idem: { key: string; token: string; action: "commit" | "rollback" } | null }
  | { kind: "decide"; pick: number; approve: boolean; approver: string; allowSelf: boolean }
  | { kind: "get"; pick: number }
  | { kind: "list"; limit: number }
  | { kind: "cancel"; pick: number }
  | { kind: "advance"; ms: number };

// Decimal and thirds fractions: inexact in binary, so rounding shows if a store loses any digit.
const fraction = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min: min * 100, max: max * 100 }).map((n) => n / 100), fc.integer({ min: min * 300, max: max * 300 }).map((n) => n / 300));
const amountArb = fc.oneof(fc.constantFrom(0, 1, 2), fraction(0, 4));
const deltaArb = fc.oneof(fc.constantFrom(-1, 1, 3), fraction(-4, 4));
/** `arb` in `of` draws out of `n`, else null. */
const sometimes = <T>(arb: fc.Arbitrary<T>, of: number, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: of, arbitrary: arb }, { weight: n - of, arbitrary: fc.constant(null) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("reserve" as const),
      counters: fc.array(fc.record({ pick: fc.nat(POOL.length - 1), amount: amountArb }), { maxLength: 3 }),
      approval: sometimes(fc.constantFrom("h1", "h2"), 1, 4),
      idem: sometimes(fc.record({ key: fc.constantFrom("k1", "k2"), fp: fc.constantFrom("f1", "f2"), token: fc.constantFrom("t1", "t2") }), 1, 3),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("settle" as const),
      adjustments: fc.array(fc.record({ pick: fc.nat(POOL.length - 1), delta: deltaArb, stale: fc.boolean() }), { maxLength: 3 }),
      idem: sometimes(fc.record({ key: fc.constantFrom("k1", "k2"), token: fc.constantFrom("t1", "t2"), action: fc.constantFrom("commit" as const, "rollback" as const) }), 1, 2),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("decide" as const),
      pick: fc.nat(5),
      approve: fc.boolean(),
      approver: fc.constantFrom("alice", "bob"),
      allowSelf: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("get" as const), pick: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("list" as const), limit: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat(8) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 1_500 }) }, { weight: 1, arbitrary: fc.constantFrom(999, 1_000, 3_000, 11_000, 25_000) }),
    }),
  },
);

/** Run `ops` on both stores with one clock; every answer must be identical (no tolerance: numbers are exact). */
async function sameAnswers(memory: Store, redis: Store, clock: { t: number }, ops: Op[]): Promise<void> {
  const ids: string[] = [];
  const idAt = (pick: number): string => ids[pick % (ids.length + 1)] ?? "unknown-id";
  // Every reserve carries a reservation id; a cancel names one not used yet (a later op's: the cancel
  // then gets there first). Cancels of reserves that ran differ by design (MemoryStore keeps no record).
  const reservationAt = (pick: number): string => `res-${i0 + 1 + (pick % 4)}`;
  let i0 = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    i0 = i;
    const both = async <T>(f: (s: Store) => T | Promise<T>): Promise<T> => {
      const m = await f(memory);
      const r = await f(redis);
      expect(r, `op ${i}: ${JSON.stringify(op)}`).toStrictEqual(m);
      return m;
    };
    switch (op.kind) {
      case "advance":
        clock.t += op.ms;
        break;
      case "reserve": {
        const req: ReserveRequest = {
          counters: op.counters.map(({ pick, amount }) => ({ ...POOL[pick]!, amount })),
          ...(op.approval
            ? {
                approval: {
                  binding: op.approval,
                  ttlMs: 5_000,
                  create: { id: `${op.approval}#${i}`, binding: op.approval, principal: "alice", tool: "t", policyVersion: "v", arguments: { i, list: [] } },
                },
              }
            : {}),
          ...(op.idem ? { idempotency: { key: op.idem.key, fingerprint: op.idem.fp, token: op.idem.token, ttlMs: 15_000 } } : {}),
          reservation: { id: `res-${i}`, ttlMs: 4_000 },
        };
        const res = await both((s) => s.reserve(req));
        if (res.status === "approval_pending" && res.created) ids.push(res.approval.id);
        break;
      }
      case "settle": {
        const req: SettleRequest = {
          adjustments: op.adjustments.map(({ pick, delta, stale }) => {
            const p = POOL[pick]!;
            const w = p.windowMs > 0 ? Math.floor((clock.t - (p.windowOriginMs ?? 0)) / p.windowMs) : 0;
            return { ...p, window: stale ? w - 1 : w, delta };
          }),
          ...(op.idem ? { idempotency: op.idem } : {}),
        };
        await both((s) => s.settle(req));
        break;
      }
      case "decide":
        await both((s) => s.decideApproval(idAt(op.pick), { approve: op.approve, approver: op.approver, allowSelf: op.allowSelf }));
        break;
      case "get":
        await both((s) => s.getApproval(idAt(op.pick)));
        break;
      case "list":
        await both((s) => s.listApprovals!({ limit: op.limit }));
        break;
      case "cancel":
        await both((s) => s.cancel!(reservationAt(op.pick), 4_000));
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Random sequences of session operations: MemoryStore and RedisStore must answer alike.

const LABEL_POOL = ["untrusted", "secret", "pii", "__proto__"] as const;
const FP_POOL = ["f1", "f2", "f3", "f4", "f5", "f6"] as const;
const SESSIONS = [sessionKey("alice", "s1"), sessionKey("bob", "s1")] as const;

type SessionOp =
  | { kind: "append"; s: number; labels: string[]; prov: [string, string[]][]; maxEntries: number; maxFp: number; ttlMs: number; effect: "allow" | "deny"; via: "append" | "settle" }
  | { kind: "load"; s: number; maxEntries: number }
  | { kind: "reserve"; s: number; version: number; idem: string | null }
  | { kind: "settle"; s: number; idem: string; token: "owner" | "other" }
  | { kind: "advance"; ms: number };

const sessionOpArb: fc.Arbitrary<SessionOp> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      s: fc.nat(1),
      labels: fc.array(fc.constantFrom(...LABEL_POOL), { maxLength: 3 }),
      prov: fc.array(fc.tuple(fc.constantFrom(...LABEL_POOL), fc.array(fc.constantFrom(...FP_POOL), { maxLength: 4 })), { maxLength: 2 }),
      maxEntries: fc.constantFrom(1, 2, 3, 5),
      maxFp: fc.constantFrom(1, 2, 3),
      ttlMs: fc.constantFrom(2_000, 5_000),
      effect: fc.constantFrom("allow" as const, "deny" as const),
      via: fc.constantFrom("append" as const, "settle" as const),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("load" as const), s: fc.nat(1), maxEntries: fc.nat(6) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reserve" as const), s: fc.nat(1), version: fc.nat(4), idem: sometimes(fc.constantFrom("k1", "k2"), 1, 2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("settle" as const), s: fc.nat(1), idem: fc.constantFrom("k1", "k2"), token: fc.constantFrom("owner" as const, "other" as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(0, 1, 500, 1_999, 2_000, 4_000) }) },
);

async function sameSessionAnswers(memory: Store, redis: Store, clock: { t: number }, ops: SessionOp[]): Promise<void> {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const both = async <T>(f: (s: Store) => T | Promise<T>): Promise<void> => {
      const m = await f(memory);
      const r = await f(redis);
      expect(r, `op ${i}: ${JSON.stringify(op)}`).toStrictEqual(m);
    };
    const append = (o: Extract<SessionOp, { kind: "append" }>, n: number): SessionAppendRequest => {
      const provenance: Record<string, string[]> = {};
      for (const [label, fps] of o.prov) Object.defineProperty(provenance, label, { value: fps, enumerable: true, writable: true, configurable: true });
      return { key: SESSIONS[o.s]!, event: { method: "tools/call", target: `t${n}`, args: { n, x: n / 3 }, effect: o.effect }, labels: o.labels, provenance, ttlMs: o.ttlMs, maxEntries: o.maxEntries, maxFingerprintsPerLabel: o.maxFp };
    };
    switch (op.kind) {
      case "advance":
        clock.t += op.ms;
        break;
      case "append":
        if (op.via === "append") await both((s) => s.sessionAppend!(append(op, i)));
        else await both((s) => s.settle({ adjustments: [], session: append(op, i) }));
        break;
      case "load":
        await both((s) => s.sessionLoad!({ key: SESSIONS[op.s]!, maxEntries: op.maxEntries }));
        break;
      case "reserve":
        await both((s) => s.reserve({ counters: [], session: { key: SESSIONS[op.s]!, version: op.version }, ...(op.idem ? { idempotency: { key: op.idem, fingerprint: "fp", token: "owner", ttlMs: 3_000 } } : {}) }));
        break;
      case "settle": {
        const rec = append({ kind: "append", s: op.s, labels: ["untrusted"], prov: [["untrusted", ["f1"]]], maxEntries: 3, maxFp: 2, ttlMs: 5_000, effect: "allow", via: "settle" }, i);
        await both((s) => s.settle({ adjustments: [], idempotency: { key: op.idem, token: op.token, action: "commit" }, session: rec }));
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------

// MemoryStore answers reserve synchronously: no caller gives up on a reserve it ran, so it keeps no record.
contract("MemoryStore", () => (now) => new MemoryStore({ now }), false);

describe.skipIf(!runRedis)("RedisStore", () => {
  let server: RedisHandle;
  let admin: Redis;
  let n = 0;
  const prefix = (): string => `contract${n++}:`;

  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });

  contract("contract", () => (now) => new RedisStore({ url: server.url, prefix: prefix(), now, timeoutMs: 2_000 }));

  it("gives every key it writes a TTL, all under its prefix", async () => {
    let t = T0 + 500;
    const p = prefix();
    const store = new RedisStore({ url: server.url, prefix: p, now: () => t, timeoutMs: 2_000 });
    try {
      await store.reserve({ counters: [bucket("b", 3, 0.001), counter("c", 5, 1), counter("w", 5, 1, 0, 30_000)], idempotency: { key: "k", fingerprint: "f", token: "t", ttlMs: 30_000 } });
      await store.settle({ adjustments: [{ key: "c", mode: "counter", limit: 5, windowMs: W, ttlMs: 0, window: WIN0, delta: 1 }], idempotency: { key: "k", token: "t", action: "commit" } });
      await store.reserve({ counters: [], approval: approvalFor("h1", "ap-1") });
      await store.reserve({ counters: [], approval: approvalFor("h2", "ap-2") });
      await store.decideApproval("ap-2", { approve: true, approver: "bob", allowSelf: false });
      // A settle that writes a counter the reserve did not.
      await store.settle({ adjustments: [{ key: "s", mode: "counter", limit: 5, windowMs: 0, ttlMs: 30_000, window: 0, delta: 1 }] });
      t += 10;
      const keys = (await admin.keys(`${p}*`)).sort();
      // `al:`: the approval index listApprovals reads (it lives as long as its latest approval).
      expect(keys).toEqual([`${p}a:ap-1`, `${p}a:ap-2`, `${p}ab:h1`, `${p}ab:h2`, `${p}al:`, `${p}b:b`, `${p}b:c`, `${p}b:s`, `${p}b:w`, `${p}i:k`].sort());
      for (const k of keys) {
        const ttl = await admin.pttl(k);
        expect(ttl, k).toBeGreaterThan(0);
      }
      // The TTLs follow the contract (relative to the store's clock at the write).
      expect(await admin.pttl(`${p}b:b`)).toBeLessThanOrEqual(3_000 + 1_000);
      expect(await admin.pttl(`${p}b:c`)).toBeLessThanOrEqual(W - 500 + 1_000);
      expect(await admin.pttl(`${p}b:w`)).toBeLessThanOrEqual(30_000);
      expect(await admin.pttl(`${p}b:w`)).toBeGreaterThan(25_000);
      expect(await admin.pttl(`${p}a:ap-1`)).toBeGreaterThan(55_000);
      expect(await admin.pttl(`${p}a:ap-1`)).toBeLessThanOrEqual(61_000);
      expect(await admin.pttl(`${p}al:`)).toBeGreaterThan(55_000);
      expect(await admin.pttl(`${p}al:`)).toBeLessThanOrEqual(61_000);
    } finally {
      await store.close();
    }
  });

  it("uses the server's clock when none is injected", async () => {
    const store = new RedisStore({ url: server.url, prefix: prefix() });
    try {
      const before = Date.now();
      const res = await store.reserve({ counters: [counter("c", 5, 1, 1_000)] });
      const after = Date.now();
      expect(res.status).toBe("ok");
      if (res.status !== "ok") return;
      // Same host, so the server's clock matches ours to within the call.
      expect(res.now).toBeGreaterThanOrEqual(before - 50);
      expect(res.now).toBeLessThanOrEqual(after + 50);
      expect(res.windows).toEqual([Math.floor(res.now / 1_000)]);
    } finally {
      await store.close();
    }
  });

  it("uses a host's client without closing it, and survives a flushed script cache", async () => {
    const client = new Redis(server.url);
    const store = new RedisStore({ client, prefix: prefix(), now: () => T0, timeoutMs: 2_000 });
    try {
      expect((await store.reserve({ counters: [counter("c", 2, 1)] })).status).toBe("ok");
      await admin.script("FLUSH");
      expect((await store.reserve({ counters: [counter("c", 2, 1)] })).status).toBe("ok");
      expect(await store.reserve({ counters: [counter("c", 2, 1)] })).toMatchObject({ status: "exceeded", used: 2 });
      await store.close();
      expect(await client.ping()).toBe("PONG");
    } finally {
      client.disconnect();
    }
  });

  it("is atomic across clients: concurrent reserves from two stores never pass the limit", async () => {
    const p = prefix();
    // The second client connects lazily: its first operation connects it.
    const stores = [
      new RedisStore({ url: server.url, prefix: p, timeoutMs: 2_000 }),
      new RedisStore({ url: server.url, prefix: p, timeoutMs: 2_000, redis: { lazyConnect: true } }),
    ];
    try {
      const calls = stores.flatMap((s) => Array.from({ length: 40 }, () => s.reserve({ counters: [counter("shared", 50, 1, 60_000), bucket("rate", 1000, 0.000001)] })));
      const results = await Promise.all(calls);
      expect(results.filter((r) => r.status === "ok")).toHaveLength(50);
      expect(results.filter((r) => r.status === "exceeded" && r.index === 0 && r.used === 50)).toHaveLength(30);
      // The bucket was charged by the 50 that passed, not by the 30 refused.
      const next = await stores[0]!.reserve({ counters: [bucket("rate", 1000, 0.000001, 950)] });
      expect(next.status).toBe("ok");
      expect(await stores[0]!.reserve({ counters: [bucket("rate", 1000, 0.000001, 1)] })).toMatchObject({ status: "exceeded" });
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it("under load: bounded in flight, a queued operation past its deadline is never sent, a late one is cancelled by id (paused Redis)", async () => {
    const p = prefix();
    const store = new RedisStore({ url: server.url, prefix: p, maxInFlight: 1, timeoutMs: 50, queueTimeoutMs: 200 });
    try {
      expect((await store.reserve({ counters: [counter("warm", 1, 1)] })).status).toBe("ok");
      await admin.config("RESETSTAT");
      const paused = new Redis(server.url);
      await paused.client("PAUSE", 1_500, "ALL");
      paused.disconnect();
      const spec = counter("c", 100, 1, 3_600_000);
      const all = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.reserve({ counters: [spec], reservation: { id: `late-${i}`, ttlMs: 30_000 } })));
      // One was sent (and answered late); the four behind it waited past their deadline and were never sent.
      const unsent = all.filter((x) => x.status === "rejected" && notSent(x.reason));
      const sent = all.filter((x) => x.status === "rejected" && !notSent(x.reason));
      expect(unsent).toHaveLength(4);
      expect(sent).toHaveLength(1);
      const id = `late-${all.findIndex((x) => x.status === "rejected" && !notSent(x.reason))}`;
      expect(await admin.ping()).toBe("PONG"); // answered once the pause is over
      // Cancels go past the in-flight bound and run after the late reserve: it is given back once.
      const cancels = await Promise.all([store.cancel(id, 30_000), store.cancel(id, 30_000)]);
      expect(cancels.filter((c) => c.refunded)).toHaveLength(1);
      const stats = await admin.info("commandstats");
      expect(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1]).toBe("3"); // 1 reserve + 2 cancels
      expect(await admin.hget(`${p}b:c`, "a")).toBe("0");
      expect(await store.reserve({ counters: [counter("c", 100, 100, 3_600_000)] })).toMatchObject({ status: "ok" });
    } finally {
      await store.close();
    }
  });

  it("pipelines a burst: 1,000 concurrent reserves with at most 16 in flight give exactly the limit", async () => {
    const store = new RedisStore({ url: server.url, prefix: prefix(), maxInFlight: 16, timeoutMs: 10_000, queueTimeoutMs: 60_000 });
    try {
      const all = await Promise.all(Array.from({ length: 1_000 }, (_, i) => store.reserve({ counters: [counter("c", 100, 1, 3_600_000), counter(`p${i}`, 1, 1, 3_600_000)] })));
      expect(all.filter((r) => r.status === "ok")).toHaveLength(100);
      expect(all.filter((r) => r.status === "exceeded" && r.index === 0)).toHaveLength(900);
    } finally {
      await store.close();
    }
  });

  it("agrees with MemoryStore on random sequences of operations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30, size: "max" }), async (ops) => {
        const clock = { t: T0 + 123 };
        const memory = new MemoryStore({ now: () => clock.t });
        const redis = new RedisStore({ url: server.url, prefix: prefix(), now: () => clock.t, timeoutMs: 2_000 });
        try {
          await sameAnswers(memory, redis, clock, ops);
        } finally {
          await redis.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  describe("session records", () => {
    const K = sessionKey("alice", "s1");
    const base: SessionAppendRequest = { key: K, event: { method: "tools/call", target: "t", effect: "allow", outcome: "ok" }, labels: ["untrusted"], provenance: { untrusted: ["f1"] }, ttlMs: 30_000, maxEntries: 10, maxFingerprintsPerLabel: 10 };

    it("keeps a session in two keys under the prefix with its TTL; a load does not extend it", async () => {
      let t = T0;
      const p = prefix();
      const store = new RedisStore({ url: server.url, prefix: p, now: () => t, timeoutMs: 2_000 });
      try {
        await store.sessionAppend(base);
        expect((await admin.keys(`${p}*`)).sort()).toEqual([`${p}s:${K}`, `${p}se:${K}`]);
        const e = await admin.hget(`${p}s:${K}`, "e");
        expect(Number(e)).toBe(T0 + 30_000);
        for (const k of [`${p}s:${K}`, `${p}se:${K}`]) {
          expect(await admin.pttl(k)).toBeGreaterThan(25_000);
          expect(await admin.pttl(k)).toBeLessThanOrEqual(30_000);
        }
        t += 20_000;
        expect((await store.sessionLoad({ key: K, maxEntries: 10 })).version).toBe(1);
        // Not refreshed: a refresh at the later clock would have set 10 s.
        expect(await admin.hget(`${p}s:${K}`, "e")).toBe(e);
        expect(await admin.pttl(`${p}s:${K}`)).toBeGreaterThan(25_000);
        t += 10_000;
        expect(await store.sessionLoad({ key: K, maxEntries: 10 })).toMatchObject({ version: 0, events: [] });
      } finally {
        await store.close();
      }
    });

    it("uses the server's clock for `at` and the TTL when none is injected", async () => {
      const p = prefix();
      const store = new RedisStore({ url: server.url, prefix: p, timeoutMs: 2_000 });
      try {
        const before = Date.now();
        const res = await store.sessionAppend({ ...base, ttlMs: 5_000 });
        const after = Date.now();
        expect(res.now).toBeGreaterThanOrEqual(before - 50);
        expect(res.now).toBeLessThanOrEqual(after + 50);
        const facts = await store.sessionLoad({ key: K, maxEntries: 10 });
        expect(facts.events).toStrictEqual([{ at: res.now, ...base.event }]);
        expect(await admin.pttl(`${p}se:${K}`)).toBeLessThanOrEqual(5_000);
      } finally {
        await store.close();
      }
    });

    it("a malformed record is an error for every operation that reads it, and nothing is written", async () => {
      const p = prefix();
      const store = new RedisStore({ url: server.url, prefix: p, now: () => T0, timeoutMs: 2_000 });
      const adj = { key: "c", mode: "counter" as const, limit: 10, windowMs: W, ttlMs: 0, window: WIN0, delta: 1 };
      // reserve reads the record's version alone (step 0b), not its events.
      const everyRead = async (why: RegExp, reserveReads = true) => {
        await expect(store.sessionLoad({ key: K, maxEntries: 10 })).rejects.toThrow(why);
        await expect(store.sessionAppend(base)).rejects.toThrow(why);
        if (reserveReads) await expect(store.reserve({ counters: [counter("c", 10, 1)], session: { key: K, version: 1 } })).rejects.toThrow(why);
        await expect(store.settle({ adjustments: [adj], session: base })).rejects.toThrow(why);
        // Neither the reserve nor the settle touched the counter.
        expect(await admin.exists(`${p}b:c`)).toBe(0);
      };
      try {
        await admin.set(`${p}s:${K}`, "garbage");
        await everyRead(/WRONGTYPE/);
        await admin.del(`${p}s:${K}`);

        await store.sessionAppend(base);
        await store.sessionAppend(base);
        await admin.hset(`${p}s:${K}`, "v", "two");
        await everyRead(/malformed \(version\)/);
        await admin.hset(`${p}s:${K}`, "v", "2");
        await admin.hset(`${p}s:${K}`, "l", "not json");
        await expect(store.sessionLoad({ key: K, maxEntries: 10 })).rejects.toThrow(/malformed \(the labels are not JSON\)/);
        await expect(store.sessionAppend(base)).rejects.toThrow(/malformed \(labels\)/);
        await admin.hset(`${p}s:${K}`, "l", '{"a":1}');
        await expect(store.sessionLoad({ key: K, maxEntries: 10 })).rejects.toThrow(/malformed/);
        await expect(store.sessionAppend(base)).rejects.toThrow(/malformed \(labels\)/);
        await admin.hset(`${p}s:${K}`, "l", '["untrusted"]');
        await admin.hset(`${p}s:${K}`, "p", '[["untrusted",[1]]]');
        await expect(store.sessionLoad({ key: K, maxEntries: 10 })).rejects.toThrow(/malformed/);
        await expect(store.sessionAppend(base)).rejects.toThrow(/malformed \(provenance\)/);
        await admin.hset(`${p}s:${K}`, "p", '[["untrusted",["f1"]]]');
        expect((await store.sessionLoad({ key: K, maxEntries: 10 })).version).toBe(2);
        // An event that does not parse.
        await admin.lset(`${p}se:${K}`, 0, "nope");
        await expect(store.sessionLoad({ key: K, maxEntries: 10 })).rejects.toThrow(/malformed/);
        // The event list lost (evicted) while the record stays: never a shorter history.
        await admin.del(`${p}se:${K}`);
        await everyRead(/events missing/, false);
        expect(await admin.hget(`${p}s:${K}`, "v")).toBe("2");
      } finally {
        await store.close();
      }
    });

    it("is atomic across clients: concurrent appends from two stores never lose an event", async () => {
      const p = prefix();
      const stores = [new RedisStore({ url: server.url, prefix: p, timeoutMs: 5_000 }), new RedisStore({ url: server.url, prefix: p, timeoutMs: 5_000 })];
      try {
        const all = await Promise.all(
          stores.flatMap((s, j) =>
            Array.from({ length: 60 }, (_, i) => s.sessionAppend({ ...base, event: { ...base.event, args: { j, i } }, labels: [`l${i % 3}`], provenance: { [`l${i % 3}`]: [`f${j}-${i}`] }, maxEntries: 1000, maxFingerprintsPerLabel: 1000 })),
          ),
        );
        expect(all.map((a) => a.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
        const facts = await stores[1]!.sessionLoad({ key: K, maxEntries: 1000 });
        expect(facts.version).toBe(120);
        expect(new Set(facts.events.map((e) => `${String(e.args!.j)}-${String(e.args!.i)}`)).size).toBe(120);
        expect([...facts.labels].sort()).toEqual(["l0", "l1", "l2"]);
        expect(Object.values(facts.provenance).reduce((n, fps) => n + fps.length, 0)).toBe(120);
      } finally {
        for (const s of stores) await s.close();
      }
    });

    it("agrees with MemoryStore on random sequences of session operations", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(sessionOpArb, { minLength: 5, maxLength: 40, size: "max" }), async (ops) => {
          const clock = { t: T0 + 77 };
          const memory = new MemoryStore({ now: () => clock.t });
          const redis = new RedisStore({ url: server.url, prefix: prefix(), now: () => clock.t, timeoutMs: 2_000 });
          try {
            await sameSessionAnswers(memory, redis, clock, ops);
          } finally {
            await redis.close();
          }
        }),
        { numRuns: 40 },
      );
    });
  });
});

describe.skipIf(!runRedis)("RedisStore while Redis is down", () => {
  let server: RedisHandle;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("rejects fast while Redis is down and recovers when it is back, with the same store", async () => {
    const store = new RedisStore({ url: server.url, prefix: "down:" }); // default timeout: 100 ms
    try {
      expect((await store.reserve({ counters: [counter("c", 100, 1)] })).status).toBe("ok");
      await server.kill();
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        await expect(store.reserve({ counters: [counter("c", 100, 1)] })).rejects.toThrow();
        await expect(store.getApproval("x")).rejects.toThrow();
        expect(performance.now() - started).toBeLessThan(500);
      }
      await server.restart();
      const deadline = Date.now() + 5_000;
      let res: ReserveResult | undefined;
      while (!res && Date.now() < deadline) {
        res = await Promise.resolve(store.reserve({ counters: [counter("c", 100, 1)] })).catch(() => undefined);
        if (!res) await new Promise((r) => setTimeout(r, 50));
      }
      expect(res?.status).toBe("ok");
    } finally {
      await store.close();
    }
  });
});
