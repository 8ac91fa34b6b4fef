/**
 * The engine on the embedded MemoryStore, with an injected clock: what each kind of budget means at run
 * time, reservation and settlement, approvals (binding, expiry, single use), idempotency, reload, and
 * faults (a store that errs or hangs denies unless every budget is `fail open`). The same behaviour on a
 * real Redis is covered by engine-redis.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApprovalError, compilePolicy, createEngine, MemoryStore, type PolicyRequest, type Store } from "mcppolicy";

const POLICY = `
policy "budgets" version "1.0.0"
default deny

role agent {
  allow tool search, pay, chat, run, ping
}
role team {
  allow tool team_tool
  limit calls 3 per minute by role
}

tool search { limit rate 2 per second burst 3 by principal }
tool run {
  risk critical
  approval required
  limit calls 2 by session
}
tool pay { limit cost 100 per day by principal from args.amount }
tool chat { limit tokens input 1000 output 500 per hour by session }
tool ping { limit rate 1 per minute by client fail open }
`;

function setup(source = POLICY, opts: { store?: Store; start?: number } = {}) {
  let now = opts.start ?? Date.UTC(2026, 0, 1, 12, 0, 0);
  const store = opts.store ?? new MemoryStore({ now: () => now });
  const policy = compilePolicy(source);
  const engine = createEngine(policy, { store });
  return { engine, policy, store, advance: (ms: number) => (now += ms), now: () => now };
}

const call = (tool: string, extra: Partial<PolicyRequest> = {}): PolicyRequest => ({
  principal: { id: "alice", roles: ["agent"] },
  tool,
  arguments: {},
  session: { id: "s1" },
  client: { ip: "203.0.113.7" },
  ...extra,
});

describe("rate limits (token bucket)", () => {
  it("allows the burst, then denies with the budget and when to retry, then refills at the rate", async () => {
    const { engine, advance } = setup();
    for (let i = 0; i < 3; i++) expect((await engine.authorize(call("search"))).effect).toBe("allow");
    const denied = await engine.authorize(call("search"));
    expect(denied.effect).toBe("deny");
    expect(denied.reasons[0]).toMatchObject({ code: "budget_exceeded", rule: "tool:search/limit/1" });
    expect(denied.reasons[0]!.message).toContain("rate limit 2 per second (burst 3) by principal");
    expect(denied.budget).toMatchObject({ id: "tool:search/limit/1", kind: "rate", limit: 3 });
    expect(denied.retryAfterMs).toBe(500);
    advance(499);
    expect((await engine.authorize(call("search"))).effect).toBe("deny");
    advance(1);
    expect((await engine.authorize(call("search"))).effect).toBe("allow");
    expect((await engine.authorize(call("search"))).effect).toBe("deny");
  });

  it("counts each principal separately (by principal)", async () => {
    const { engine } = setup();
    for (let i = 0; i < 3; i++) await engine.authorize(call("search"));
    expect((await engine.authorize(call("search"))).effect).toBe("deny");
    expect((await engine.authorize(call("search", { principal: { id: "bob", roles: ["agent"] } }))).effect).toBe("allow");
  });

  it("a denied call costs nothing: calls the policy denies never touch the budget", async () => {
    const { engine } = setup();
    for (let i = 0; i < 10; i++) {
      const r = await engine.authorize(call("search", { principal: { id: "alice", roles: [] } }));
      expect(r.reasons[0]!.code).toBe("no_role");
    }
    for (let i = 0; i < 3; i++) expect((await engine.authorize(call("search"))).effect).toBe("allow");
  });

  it("keys by client canonicalise the address: an IPv4-mapped IPv6 address is its IPv4 address, IPv6 counts per /64", async () => {
    const { engine } = setup();
    expect((await engine.authorize(call("ping", { client: { ip: "198.51.100.1" } }))).effect).toBe("allow");
    expect((await engine.authorize(call("ping", { client: { ip: "::ffff:198.51.100.1" } }))).effect).toBe("deny");
    expect((await engine.authorize(call("ping", { client: { ip: "2001:db8:1:2::1" } }))).effect).toBe("allow");
    expect((await engine.authorize(call("ping", { client: { ip: "2001:db8:1:2:ffff::9" } }))).effect).toBe("deny");
    expect((await engine.authorize(call("ping", { client: { ip: "2001:db8:1:3::1" } }))).effect).toBe("allow");
  });
});

describe("calls per session", () => {
  it("`limit calls 2 by session` on an approved tool: the third approved call in a session is denied, another session is fresh", async () => {
    const { engine } = setup();
    const runOnce = async (sid: string) => {
      const pending = await engine.authorize(call("run", { session: { id: sid } }));
      if (pending.effect !== "require_approval") return pending;
      await engine.approve(pending.approval!.id, { approver: "security-lead" });
      return engine.authorize(call("run", { session: { id: sid } }));
    };
    expect((await runOnce("s1")).effect).toBe("allow");
    expect((await runOnce("s1")).effect).toBe("allow");
    const third = await runOnce("s1");
    expect(third.effect).toBe("deny");
    expect(third.reasons[0]!.message).toContain("for this session");
    expect(third.retryAfterMs).toBeUndefined();
    expect((await runOnce("s2")).effect).toBe("allow");
  });

  it("a request without session.id is denied when a budget counts by session", async () => {
    const { engine } = setup();
    const r = await engine.authorize(call("chat", { session: undefined }));
    expect(r.effect).toBe("deny");
    expect(r.reasons[0]).toMatchObject({ code: "budget_key_missing", rule: "tool:chat/limit/1" });
    expect(r.reasons[0]!.message).toContain("no session.id");
  });

  it("`by role` on a role's limit is shared by every principal holding the role, in fixed windows", async () => {
    const { engine, advance } = setup(POLICY, { start: Date.UTC(2026, 0, 1, 12, 0, 30) });
    const as = (id: string) => call("team_tool", { principal: { id, roles: ["team"] } });
    expect((await engine.authorize(as("a"))).effect).toBe("allow");
    expect((await engine.authorize(as("b"))).effect).toBe("allow");
    expect((await engine.authorize(as("c"))).effect).toBe("allow");
    const d = await engine.authorize(as("d"));
    expect(d.effect).toBe("deny");
    expect(d.retryAfterMs).toBe(30_000);
    advance(30_000);
    expect((await engine.authorize(as("d"))).effect).toBe("allow");
  });
});

describe("token and cost budgets", () => {
  it("tokens: usage is committed after the call; once a count is used up the next call is denied until the window ends", async () => {
    const { engine, advance } = setup(POLICY, { start: Date.UTC(2026, 0, 1, 12, 0, 0) });
    const a = await engine.authorize(call("chat"));
    expect(a.effect).toBe("allow");
    expect(await a.commit({ inputTokens: 600, outputTokens: 100 })).toEqual({ applied: true });
    const b = await engine.authorize(call("chat"));
    expect(await b.commit({ inputTokens: 400, outputTokens: 100 })).toEqual({ applied: true });
    const c = await engine.authorize(call("chat"));
    expect(c.effect).toBe("deny");
    expect(c.budget).toMatchObject({ id: "tool:chat/limit/1", kind: "tokens", measure: "input", limit: 1000, used: 1000 });
    expect(c.reasons[0]!.message).toContain("(input tokens)");
    expect(c.retryAfterMs).toBe(3_600_000);
    expect((await engine.authorize(call("chat", { session: { id: "other" } }))).effect).toBe("allow");
    advance(3_600_000);
    expect((await engine.authorize(call("chat"))).effect).toBe("allow");
  });

  it("tokens: an estimate is reserved up front and settled to the real usage", async () => {
    const { engine } = setup();
    const a = await engine.authorize(call("chat"), { estimate: { inputTokens: 900 } });
    expect(a.effect).toBe("allow");
    // 900 reserved: a second reservation of 200 does not fit.
    expect((await engine.authorize(call("chat"), { estimate: { inputTokens: 200 } })).effect).toBe("deny");
    await a.commit({ inputTokens: 100 });
    expect((await engine.authorize(call("chat"), { estimate: { inputTokens: 800 } })).effect).toBe("allow");
  });

  it("cost from an argument is reserved before the call; a negative, missing or non-numeric amount denies", async () => {
    const { engine } = setup();
    const pay = (amount: unknown) => call("pay", { arguments: { amount } });
    expect((await engine.authorize(pay(60))).effect).toBe("allow");
    const over = await engine.authorize(pay(41));
    expect(over.effect).toBe("deny");
    expect(over.budget).toMatchObject({ id: "tool:pay/limit/1", kind: "cost", limit: 100, used: 60 });
    expect((await engine.authorize(pay(40))).effect).toBe("allow");
    for (const bad of [-1000, Number.NaN, "5", undefined, null, [1]]) {
      const r = await engine.authorize(pay(bad));
      expect(r.effect).toBe("deny");
      expect(r.reasons[0]).toMatchObject({ code: "invalid_argument", rule: "tool:pay/limit/1" });
    }
  });

  it("rollback gives the budget back; settling twice does nothing the second time", async () => {
    const { engine } = setup();
    const a = await engine.authorize(call("pay", { arguments: { amount: 100 } }));
    expect((await engine.authorize(call("pay", { arguments: { amount: 1 } }))).effect).toBe("deny");
    expect(await a.rollback()).toEqual({ applied: true });
    expect(await a.rollback()).toMatchObject({ applied: false, reason: "already rolled back" });
    expect(await a.commit({ cost: 5 })).toMatchObject({ applied: false });
    expect((await engine.authorize(call("pay", { arguments: { amount: 100 } }))).effect).toBe("allow");
  });

  it("settling twice at once settles once: parallel rollbacks (or a commit beside a rollback) refund one reservation once", async () => {
    const { engine } = setup();
    const a = await engine.authorize(call("pay", { arguments: { amount: 60 } }));
    const b = await engine.authorize(call("pay", { arguments: { amount: 40 } }));
    expect([a.effect, b.effect]).toEqual(["allow", "allow"]);
    const outcomes = await Promise.all([a.rollback(), a.rollback(), a.commit({ cost: 0 })]);
    expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
    // b's 40 is still spent: 61 more would exceed 100 (a double refund would have wiped b's charge).
    expect((await engine.authorize(call("pay", { arguments: { amount: 61 } }))).effect).toBe("deny");
    expect((await engine.authorize(call("pay", { arguments: { amount: 60 } }))).effect).toBe("allow");
  });

  it("a settle the store applied but answered with an error is not sent again (no double refund); one certainly not sent may be retried", async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const inner = new MemoryStore({ now: () => now });
    let fault: "late" | "not-sent" | undefined;
    const store: Store = {
      reserve: (r) => inner.reserve(r),
      settle: (r) => {
        if (fault === "not-sent") return Promise.reject(Object.assign(new Error("not sent"), { notSent: true }));
        const out = inner.settle(r);
        return fault === "late" ? Promise.reject(new Error("no answer in time")) : out;
      },
      decideApproval: (id, d) => inner.decideApproval(id, d),
      getApproval: (id) => inner.getApproval(id),
    };
    const { engine } = setup(POLICY, { store });
    const a = await engine.authorize(call("pay", { arguments: { amount: 60 } }));
    const b = await engine.authorize(call("pay", { arguments: { amount: 40 } }));
    fault = "not-sent";
    expect(await a.rollback()).toMatchObject({ applied: false });
    fault = "late";
    expect(await a.rollback()).toMatchObject({ applied: false });
    fault = undefined;
    expect(await a.rollback()).toMatchObject({ applied: false, reason: expect.stringMatching(/may have been applied/) });
    expect((await engine.authorize(call("pay", { arguments: { amount: 61 } }))).effect).toBe("deny");
    expect((await engine.authorize(call("pay", { arguments: { amount: 60 } }))).effect).toBe("allow");
    expect(b.effect).toBe("allow");
  });

  it("rollback of a rate-limited call gives its token back", async () => {
    const { engine } = setup();
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await engine.authorize(call("search")));
    expect((await engine.authorize(call("search"))).effect).toBe("deny");
    await calls[0]!.rollback();
    expect((await engine.authorize(call("search"))).effect).toBe("allow");
  });

  it("commit replaces a cost reserved from an argument with the real cost", async () => {
    const { engine } = setup();
    const a = await engine.authorize(call("pay", { arguments: { amount: 90 } }));
    await a.commit({ cost: 10 });
    expect((await engine.authorize(call("pay", { arguments: { amount: 90 } }))).effect).toBe("allow");
    expect((await engine.authorize(call("pay", { arguments: { amount: 1 } }))).effect).toBe("deny");
  });

  it("invalid usage is refused without settling, and never rejects", async () => {
    const { engine } = setup();
    const a = await engine.authorize(call("chat"));
    expect(await a.commit({ inputTokens: -5 })).toMatchObject({ applied: false, reason: expect.stringContaining("inputTokens") });
    expect(await a.commit({ inputTokens: Number.POSITIVE_INFINITY })).toMatchObject({ applied: false });
    expect(await a.commit({ inputTokens: 5 })).toEqual({ applied: true });
  });

  it("a bad estimate denies the call with a clear reason", async () => {
    const { engine } = setup();
    const r = await engine.authorize(call("chat"), { estimate: { inputTokens: -1 } });
    expect(r.effect).toBe("deny");
    expect(r.reasons[0]).toMatchObject({ code: "invalid_request" });
    expect(r.reasons[0]!.message).toContain("estimate");
  });
});

describe("approvals", () => {
  it("are bound to the principal, the arguments and the policy version, and let one call through", async () => {
    const { engine } = setup();
    const req = call("run", { arguments: { command: "ls" } });
    const pending = await engine.authorize(req);
    expect(pending.effect).toBe("require_approval");
    expect(pending.approval).toMatchObject({ created: true });
    // Asking again while it is pending names the same request.
    const again = await engine.authorize(req);
    expect(again.approval).toEqual({ ...pending.approval, created: false });

    const record = await engine.approve(pending.approval!.id, { approver: "security-lead" });
    expect(record).toMatchObject({ status: "approved", approver: "security-lead", principal: "alice", tool: "run", arguments: { command: "ls" } });

    // Other arguments, another principal: not covered.
    expect((await engine.authorize(call("run", { arguments: { command: "rm -rf /" } }))).effect).toBe("require_approval");
    expect((await engine.authorize({ ...req, principal: { id: "mallory", roles: ["agent"] } })).effect).toBe("require_approval");
    // The same call with keys in another order is the same call.
    const ok = await engine.authorize({ ...req, arguments: { command: "ls" } });
    expect(ok.effect).toBe("allow");
    expect(ok.reasons.map((r) => r.code)).toContain("approval_granted");
    // Single use.
    const next = await engine.authorize(req);
    expect(next.effect).toBe("require_approval");
    expect(next.approval!.id).not.toBe(pending.approval!.id);
  });

  it("expire: an approval not used in time is gone, and approving after expiry fails", async () => {
    const { engine, advance } = setup();
    const req = call("run", { arguments: { command: "ls" } });
    const p1 = await engine.authorize(req);
    await engine.approve(p1.approval!.id, { approver: "lead" });
    advance(15 * 60_000);
    const late = await engine.authorize(req);
    expect(late.effect).toBe("require_approval");
    expect(late.approval!.id).not.toBe(p1.approval!.id);
    advance(15 * 60_000);
    await expect(engine.approve(late.approval!.id, { approver: "lead" })).rejects.toMatchObject({ status: "expired" });
  });

  it("a new policy version does not honour approvals given under the old one", async () => {
    const { engine } = setup();
    const req = call("run", { arguments: { command: "ls" } });
    const p = await engine.authorize(req);
    await engine.approve(p.approval!.id, { approver: "lead" });
    engine.reload(compilePolicy(POLICY.replace('version "1.0.0"', 'version "1.0.1"')));
    expect((await engine.authorize(req)).effect).toBe("require_approval");
  });

  it("refuses self-approval, unknown ids, deciding twice and a missing approver", async () => {
    const { engine } = setup();
    const p = await engine.authorize(call("run"));
    await expect(engine.approve(p.approval!.id, { approver: "alice" })).rejects.toMatchObject({ status: "self_approval" });
    await expect(engine.approve("no-such-id", { approver: "lead" })).rejects.toBeInstanceOf(ApprovalError);
    await expect(engine.approve(p.approval!.id, { approver: "" })).rejects.toMatchObject({ status: "invalid" });
    await engine.reject(p.approval!.id, { approver: "lead" });
    await expect(engine.approve(p.approval!.id, { approver: "lead" })).rejects.toMatchObject({ status: "not_pending" });
    const r = await engine.authorize(call("run"));
    expect(r.effect).toBe("deny");
    expect(r.reasons[0]).toMatchObject({ code: "approval_rejected" });
  });

  it("need a principal id to bind to", async () => {
    const { engine } = setup();
    const r = await engine.authorize(call("run", { principal: { roles: ["agent"] } }));
    expect(r.effect).toBe("deny");
    expect(r.reasons[0]).toMatchObject({ code: "approval_invalid" });
  });

  it("a host callback can approve on the spot, or reject", async () => {
    const seen: string[] = [];
    const store = new MemoryStore();
    const policy = compilePolicy(POLICY);
    const engine = createEngine(policy, {
      store,
      onApprovalRequest: (a) => {
        seen.push(`${a.principal}:${a.tool}`);
        return (a.arguments as { command?: string }).command === "ls" ? { approver: "bot" } : false;
      },
    });
    const ok = await engine.authorize(call("run", { arguments: { command: "ls" } }));
    expect(ok.effect).toBe("allow");
    const no = await engine.authorize(call("run", { arguments: { command: "reboot" } }));
    expect(no.effect).toBe("deny");
    expect(no.reasons[0]!.code).toBe("approval_rejected");
    expect(seen).toEqual(["alice:run", "alice:run"]);
  });
});

describe("idempotency", () => {
  it("a retried call with the same key is a replay, never an allow, and is not counted twice; another request with the key is refused", async () => {
    const { engine } = setup();
    const first = await engine.authorize(call("search"), { idempotencyKey: "req-1" });
    const retry = await engine.authorize(call("search"), { idempotencyKey: "req-1" });
    expect(first.effect).toBe("allow");
    expect(retry.effect).toBe("replay");
    expect(retry.allowed).toBe(false);
    expect(retry.replayed).toBe(true);
    expect(retry.replayOf).toEqual({ status: "pending" });
    expect(retry.reasons[0]!.code).toBe("idempotent_replay");
    expect(retry.charged).toEqual([]);
    expect(first.replayed).toBe(false);
    // Only one token of three was taken.
    expect((await engine.authorize(call("search"))).effect).toBe("allow");
    expect((await engine.authorize(call("search"))).effect).toBe("allow");
    expect((await engine.authorize(call("search"))).effect).toBe("deny");
    const other = await engine.authorize(call("search", { arguments: { q: "x" } }), { idempotencyKey: "req-1" });
    expect(other.effect).toBe("deny");
    expect(other.reasons[0]!.code).toBe("idempotency_conflict");
  });

  it("keys are per principal and per session, and usage is committed once, by the first call only", async () => {
    const { engine } = setup();
    const a = await engine.authorize(call("chat"), { idempotencyKey: "k" });
    const b = await engine.authorize(call("chat"), { idempotencyKey: "k" });
    expect(b.effect).toBe("replay");
    // The replay cannot settle the first call's reservation.
    expect(await b.commit({ inputTokens: 600 })).toEqual({ applied: false, reason: "replay" });
    expect(await b.rollback()).toEqual({ applied: false, reason: "replay" });
    expect(await a.commit({ inputTokens: 600 })).toEqual({ applied: true });
    expect(await a.commit({ inputTokens: 600 })).toMatchObject({ applied: false });
    expect((await engine.authorize(call("chat"))).effect).toBe("allow");
    const bob = await engine.authorize(call("chat", { principal: { id: "bob", roles: ["agent"] } }), { idempotencyKey: "k" });
    expect(bob).toMatchObject({ effect: "allow", replayed: false });
    // A JSON-RPC id restarts at 0 on every connection: the same key in another session is another call.
    const otherSession = await engine.authorize(call("chat", { session: { id: "s2" } }), { idempotencyKey: "k" });
    expect(otherSession).toMatchObject({ effect: "allow", replayed: false });
  });

  it("after a commit or a rollback the key stays settled: retries are replays that report it, and never re-admit", async () => {
    const { engine } = setup();
    const a = await engine.authorize(call("pay", { arguments: { amount: 100 } }), { idempotencyKey: "p" });
    expect(a.effect).toBe("allow");
    // A replay's rollback does not refund the first call's reservation.
    const early = await engine.authorize(call("pay", { arguments: { amount: 100 } }), { idempotencyKey: "p" });
    expect(await early.rollback()).toEqual({ applied: false, reason: "replay" });
    expect((await engine.authorize(call("pay", { arguments: { amount: 1 } }))).effect).toBe("deny");
    expect(await a.rollback()).toEqual({ applied: true });
    for (let i = 0; i < 5; i++) {
      const b = await engine.authorize(call("pay", { arguments: { amount: 100 } }), { idempotencyKey: "p" });
      expect(b).toMatchObject({ effect: "replay", replayed: true, replayOf: { status: "rolled_back" } });
      expect(await b.rollback()).toEqual({ applied: false, reason: "replay" });
    }
    // The budget was given back once, by the first call: 100 fits again, 101 does not.
    expect((await engine.authorize(call("pay", { arguments: { amount: 100 } }))).effect).toBe("allow");
    expect((await engine.authorize(call("pay", { arguments: { amount: 1 } }))).effect).toBe("deny");

    const c = await engine.authorize(call("chat"), { idempotencyKey: "c" });
    await c.commit({ inputTokens: 10 });
    for (let i = 0; i < 5; i++) expect(await engine.authorize(call("chat"), { idempotencyKey: "c" })).toMatchObject({ effect: "replay", replayOf: { status: "committed" } });
  });

  it("parallel replays: of 50 concurrent calls with one key, exactly one is allowed", async () => {
    const { engine } = setup(`policy "p"\nrole agent { allow tool search }\ntool search { limit calls 100 per minute by principal }`);
    const all = await Promise.all(Array.from({ length: 50 }, () => engine.authorize(call("search"), { idempotencyKey: "same" })));
    expect(all.filter((r) => r.effect === "allow")).toHaveLength(1);
    expect(all.filter((r) => r.effect === "replay")).toHaveLength(49);
    // Exactly one was counted: 99 more fit in the limit of 100.
    const more = await Promise.all(Array.from({ length: 100 }, () => engine.authorize(call("search"))));
    expect(more.filter((r) => r.effect === "allow")).toHaveLength(99);
  });

  it("a key is honoured even when the call reserves nothing, and then needs the store (fail closed)", async () => {
    const source = `policy "p"\nrole r { allow tool t }`;
    const { engine } = setup(source);
    const req = { principal: { id: "a", roles: ["r"] }, tool: "t", session: { id: "s" } };
    expect((await engine.authorize(req, { idempotencyKey: "x" })).effect).toBe("allow");
    expect(await engine.authorize(req, { idempotencyKey: "x" })).toMatchObject({ effect: "replay", replayOf: { status: "pending" } });
    const refuse = () => Promise.reject(new Error("connection refused"));
    const down = createEngine(compilePolicy(source), { store: { reserve: refuse, settle: refuse, decideApproval: refuse, getApproval: refuse } });
    const r = await down.authorize(req, { idempotencyKey: "x" });
    expect(r.effect).toBe("deny");
    expect(r.reasons[0]!.code).toBe("budget_unavailable");
  });

  it("an approval lets exactly one call run: replays of the approved call are not allowed, in sequence or in parallel", async () => {
    const { engine } = setup();
    const req = call("run", { arguments: { command: "ls" } });
    const pending = await engine.authorize(req, { idempotencyKey: "rpc-1" });
    expect(pending.effect).toBe("require_approval");
    await engine.approve(pending.approval!.id, { approver: "lead" });
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.authorize(req, { idempotencyKey: i < 10 ? "rpc-1" : `rpc-${i}` })));
    expect(all.filter((r) => r.effect === "allow")).toHaveLength(1);
    // The others: replays of the one that ran, or new calls that need a new approval.
    expect(all.every((r) => r.effect === "allow" || r.effect === "replay" || r.effect === "require_approval")).toBe(true);
    const ran = all.find((r) => r.effect === "allow")!;
    await ran.commit();
    const again = await engine.authorize(req, { idempotencyKey: "rpc-1" });
    expect(again.effect === "replay" || again.effect === "require_approval").toBe(true);
    expect(again.effect).not.toBe("allow");
  });

  it("a host that runs the tool only on `effect === \"allow\"` runs it once, however often the call is replayed", async () => {
    const { engine } = setup();
    let runs = 0;
    const host = async (key: string) => {
      const r = await engine.authorize(call("pay", { arguments: { amount: 5 } }), { idempotencyKey: key });
      if (r.effect === "allow") {
        runs++;
        await r.commit({ cost: 5 });
      }
      return r;
    };
    await Promise.all([host("k"), host("k"), host("k")]);
    await host("k");
    expect(runs).toBe(1);
  });
});

describe("reload", () => {
  it("keeps the counters of budgets that did not change, and starts changed ones afresh", async () => {
    const { engine } = setup();
    for (let i = 0; i < 3; i++) await engine.authorize(call("search"));
    await engine.authorize(call("pay", { arguments: { amount: 100 } }));
    // Same search limit, moved (new id order), pay limit changed, a rule added.
    const next = POLICY.replace("tool search { limit rate 2 per second burst 3 by principal }", "tool extra { risk low }\ntool search { risk low\n limit rate 2 per second burst 3 by principal }").replace(
      "limit cost 100 per day",
      "limit cost 200 per day",
    );
    engine.reload(compilePolicy(next));
    expect(engine.policy.budgets.find((b) => b.id === "tool:search/limit/1")).toBeDefined();
    expect((await engine.authorize(call("search"))).effect).toBe("deny");
    expect((await engine.authorize(call("pay", { arguments: { amount: 200 } }))).effect).toBe("allow");
  });
});

describe("faults", () => {
  const broken = (how: "throw" | "reject" | "hang"): Store => {
    const fail = (): never => {
      throw new Error("connection refused");
    };
    const op = () => (how === "throw" ? fail() : how === "reject" ? Promise.reject(new Error("connection refused")) : new Promise<never>(() => {}));
    return { reserve: op, settle: op, decideApproval: op, getApproval: op };
  };

  for (const how of ["throw", "reject", "hang"] as const) {
    it(`a store that ${how}s denies, saying why, fail closed`, async () => {
      const engine = createEngine(compilePolicy(POLICY), { store: broken(how), timeoutMs: 20 });
      const r = await engine.authorize(call("search"));
      expect(r.effect).toBe("deny");
      expect(r.reasons[0]!.code).toBe("budget_unavailable");
      expect(r.reasons[0]!.message).toContain("`tool:search/limit/1`");
      expect(r.reasons[0]!.message).toContain(how === "hang" ? "no answer within 20 ms" : "connection refused");
      expect(r.reasons[0]!.message).toContain("fail closed");
    });
  }

  it("a `fail open` limit lets the call through when the store is down, and says so", async () => {
    const engine = createEngine(compilePolicy(POLICY), { store: broken("reject") });
    const r = await engine.authorize(call("ping"));
    expect(r.effect).toBe("allow");
    expect(r.reasons.map((x) => x.code)).toEqual(["allow_rule", "budget_fail_open"]);
  });

  it("approvals deny when the store is down, and approve() says the store is unavailable", async () => {
    const engine = createEngine(compilePolicy(POLICY), { store: broken("reject") });
    expect((await engine.authorize(call("run"))).effect).toBe("deny");
    await expect(engine.approve("x", { approver: "lead" })).rejects.toMatchObject({ status: "unavailable" });
  });

  it("calls with no budget do not need the store", async () => {
    const engine = createEngine(compilePolicy(`policy "p"\nrole r { allow tool t }`), { store: broken("reject") });
    expect((await engine.authorize({ principal: { id: "a", roles: ["r"] }, tool: "t" })).effect).toBe("allow");
  });

  it("bad input never throws: a non-object request or options deny", async () => {
    const { engine } = setup();
    for (const bad of [null, 42, "x", [], { tool: 5 }]) {
      const r = await engine.authorize(bad as unknown as PolicyRequest);
      expect(r.effect).toBe("deny");
    }
    const r = await engine.authorize(call("search"), { idempotencyKey: "" });
    expect(r.reasons[0]!.code).toBe("invalid_request");
    expect(() => createEngine(compilePolicy(POLICY), { timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});

describe("the seed policy on the engine", () => {
  const source = readFileSync(join(import.meta.dirname, "..", "policies", "seed.mcppolicy"), "utf8");
  it("keeps the guide's rate limit test: 10 calls within the burst go through, the 11th is denied with a retry time", async () => {
    const { engine } = setup(source);
    const req = { principal: { id: "dev", roles: ["developer"] }, tool: "read_file", arguments: { path: "/workspace/a.txt" }, client: { ip: "10.1.2.3" }, session: { id: "s" } };
    for (let i = 0; i < 10; i++) expect((await engine.authorize(req)).effect).toBe("allow");
    const r = await engine.authorize(req);
    expect(r.effect).toBe("deny");
    expect(r.retryAfterMs).toBeGreaterThan(0);
  });

  it("execute_command: at most 5 per session, each one approved", async () => {
    const { engine } = setup(source);
    const req = (n: number) => ({ principal: { id: "root", roles: ["admin"] }, tool: "execute_command", arguments: { command: `echo ${n}` }, client: { ip: "10.1.2.4" }, session: { id: "s" } });
    const effects: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await engine.authorize(req(i));
      await engine.approve(p.approval!.id, { approver: "lead" });
      effects.push((await engine.authorize(req(i))).effect);
    }
    expect(effects).toEqual(["allow", "allow", "allow", "allow", "allow", "deny"]);
  });
});

describe("DNS (the `dns` option)", () => {
  const file = join(import.meta.dirname, "..", "policies", "hardening.mcppolicy");
  // One call per minute in all: a call denied by DNS must not use it up.
  const policy = compilePolicy(`${readFileSync(file, "utf8")}\nlimit calls 1 per minute by principal\n`, { filename: file });
  const table: Record<string, string[]> = { "api.github.com": ["140.82.112.6"], "rebind.example.com": ["93.184.216.34", "169.254.169.254"] };
  const resolve = async (host: string) => table[host] ?? Promise.reject(new Error("ENOTFOUND"));
  const fetchReq = (url: string) => ({ principal: { id: "a", roles: ["agent"] }, tool: "fetch_url", arguments: { url } });

  it("checks every resolved address before reserving anything, and hands the checked addresses to the host", async () => {
    const engine = createEngine(policy, { dns: { resolve } });
    const bad = await engine.authorize(fetchReq("https://rebind.example.com/x"));
    expect(bad.effect).toBe("deny");
    expect(bad.reasons[0]).toMatchObject({ code: "invalid_argument", rule: "tool:fetch_url/args" });
    expect(bad.reasons[0]!.message).toContain("169.254.169.254");
    const ok = await engine.authorize(fetchReq("https://api.github.com/repos"));
    expect(ok.effect).toBe("allow");
    expect(ok.resolved).toEqual([{ path: "args.url", hostname: "api.github.com", addresses: ["140.82.112.6"] }]);
    expect((await engine.authorize(fetchReq("https://api.github.com/repos"))).reasons[0]!.code).toBe("budget_exceeded");
  });

  it("is off by default: without it the engine looks nothing up", async () => {
    const plain = createEngine(policy);
    const r = await plain.authorize(fetchReq("https://rebind.example.com/x"));
    expect(r.effect).toBe("allow");
    expect(r.resolved).toBeUndefined();
  });
});
