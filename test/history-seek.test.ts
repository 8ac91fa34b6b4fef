/**
 * The request check of a history that extends one already checked (eval/history-check.ts `RUNS`): a
 * new array whose first events are, by pointer, a checked run's events has only its new tail checked.
 * These tests hold that this answers exactly what a full check of fresh copies answers: a malformed
 * event appended after a checked prefix still denies, times out of order in the tail still deny, and
 * forks, older windows and sliding windows decide as fresh copies do. Also the per-decision memory of
 * history predicates (codegen/history-call.ts): rules sharing a predicate, erring or not, and a nested
 * decide from a getter, decide as the interpreter does.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";
import { deepCopy, policy, req, sendEvent } from "./helpers/send-history.js";

const ev = (at: number, extra: Record<string, unknown> = {}) => Object.freeze(sendEvent(at, extra));
const messageOf = (p: typeof policy, r: PolicyRequest) => p.decide(r).reasons.map((x) => `${x.code}: ${x.message}`).join(" | ");

/** A session's events as a store holds them: frozen, one a second from `t0`. */
const session = (n: number, t0 = 9_000_000) => Array.from({ length: n }, (_, i) => ev(t0 + i * 1000, { args: { to: `p${i % 3}` } }));

describe("a history that extends a checked one: only the tail is checked", () => {
  it("a malformed event appended after a checked prefix denies", () => {
    const s = session(20);
    expect(policy.decide(req(s.slice(0, 10))).effect).toBe("allow");
    // The same prefix (by pointer), slid forward, with a malformed event at the end.
    const bad = Object.freeze({ at: 9_100_000, method: "tools/call", target: "send", effect: "maybe" });
    const h = [...s.slice(3, 10), bad];
    const d = policy.decide(req(h));
    expect(d.effect).toBe("deny");
    expect(messageOf(policy, req(h))).toContain("`session.history[7]` needs `effect`");
    expect(d).toEqual(policy.decide(req(deepCopy(h))));
    // Not frozen, not an object: still refused after the checked prefix.
    expect(messageOf(policy, req([...s.slice(3, 10), { ...s[10]!, at: "late" }]))).toContain("`session.history[7]` needs `at` as a number");
    expect(messageOf(policy, req([...s.slice(3, 10), 7]))).toContain("`session.history[7]` must be an object");
  });

  it("a tail whose times go back denies, at the first event out of order", () => {
    const s = session(20);
    expect(policy.decide(req(s.slice(0, 10))).effect).toBe("allow");
    // s[2] was checked (frozen, fine) but comes after s[9]: out of order.
    const h = [...s.slice(1, 10), s[10]!, s[2]!];
    const d = policy.decide(req(h));
    expect(d.effect).toBe("deny");
    expect(d.reasons[0]!.message).toContain("`session.history[10]` is older than the event before it");
    expect(d).toEqual(policy.decide(req(deepCopy(h))));
    // A new event older than the checked prefix's last one.
    const early = ev(9_000_500);
    expect(messageOf(policy, req([...s.slice(0, 10), early]))).toContain("`session.history[10]` is older than the event before it");
  });

  it("an extended run keeps answering sliding windows, older windows and forks as fresh copies", () => {
    const s = session(40);
    for (let end = 5; end <= 40; end++) {
      const h = s.slice(Math.max(0, end - 8), end);
      expect(policy.decide(req(h))).toEqual(policy.decide(req(deepCopy(h))));
    }
    const older = s.slice(10, 15);
    expect(policy.decide(req(older)).effect).toBe("allow");
    const fork = [...s.slice(30, 35), ev(9_034_500), ev(9_035_500)];
    expect(policy.decide(req(fork)).effect).toBe("allow");
    const forkBack = [...s.slice(30, 35), ev(9_030_500)];
    expect(messageOf(policy, req(forkBack))).toContain("`session.history[5]` is older than the event before it");
  });

  it("on random sequences of windows over frozen events, with bad or early events appended, decides as on fresh copies and as the interpreter", () => {
    const step = fc.record({
      from: fc.nat({ max: 30 }),
      len: fc.nat({ max: 12 }),
      extra: fc.constantFrom<"none" | "bad" | "early" | "loose" | "fresh">("none", "none", "bad", "early", "loose", "fresh"),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 10 }), (steps) => {
        const s = session(45);
        for (const { from, len, extra } of steps) {
          const h: unknown[] = s.slice(from, from + len);
          const lastAt = (h[h.length - 1] as { at: number } | undefined)?.at ?? 9_000_000;
          if (extra === "bad") h.push(Object.freeze({ at: lastAt + 1, method: 7, effect: "allow" }));
          if (extra === "early") h.push(ev(lastAt - 1));
          if (extra === "loose") h.push({ at: lastAt + 1, method: "tools/call", target: "send", effect: "allow" });
          if (extra === "fresh") h.push(ev(lastAt + 1));
          const d = policy.decide(req(h));
          expect(d).toEqual(policy.decide(req(deepCopy(h))));
          expect(d).toEqual(policy.interpret(req(h)));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("a history predicate answered once per decision", () => {
  const shared = compilePolicy(`policy "m"
session retain 1000 events for 2 hours
role dev {
  allow tool "*"
}
deny tool "*" when count completed tool send where event.args.to == args.to within 10 minutes > 3
deny tool "*" when (sum event.args.x of completed tool send where event.args.to == args.to within 10 minutes) > 100
deny tool "*" when count completed tool send where event.args.to == args.to within 10 minutes > 3
deny tool "*" when (sum event.args.x of completed tool send where event.args.to == args.to within 10 minutes) > 100
deny tool "*" unless no failed tool send
`);
  const mk = (h: unknown[], args: Record<string, unknown>, time: unknown = 10_000_000) => req(h, { tool: "pay", arguments: args, time });

  it("rules sharing a predicate agree with the interpreter: holding, not holding, erring", () => {
    const s = Array.from({ length: 8 }, (_, i) => ev(9_700_000 + i * 1000, { args: { to: "a", x: i * 10 } }));
    for (const h of [s, s.slice(0, 3), [...s.slice(0, 3), ev(9_900_000, { args: { to: "a", x: "many" } })], [...s, ev(9_900_000, { outcome: "error" })]]) {
      for (const args of [{ to: "a" }, { to: "b" }, {}, { to: ["a"] }]) {
        for (const time of [10_000_000, "bad time"]) {
          const r = mk(h, args, time);
          expect(shared.decide(r)).toEqual(shared.interpret(r));
        }
      }
    }
    // The erring sum denies on both rules that read it, each with its own reason.
    const err = shared.decide(mk([...s.slice(0, 3), ev(9_900_000, { args: { to: "a", x: "many" } })], { to: "a" }));
    expect(err.effect).toBe("deny");
    expect(err).toEqual(shared.interpret(mk([...s.slice(0, 3), ev(9_900_000, { args: { to: "a", x: "many" } })], { to: "a" })));
  });

  it("a nested decide from a getter neither sees nor changes the outer decision's answers", () => {
    const s = Array.from({ length: 5 }, (_, i) => ev(9_700_000 + i * 1000, { args: { to: "a", x: 1 } }));
    const inner = mk(s.slice(0, 1), { to: "a" });
    let nested: unknown;
    const args = {
      get to() {
        nested ??= shared.decide(inner);
        return "a";
      },
    };
    const outer = mk(s, args);
    const d = shared.decide(outer);
    expect(d).toEqual(shared.interpret(mk(s, { to: "a" })));
    expect(d.effect).toBe("deny");
    expect(nested).toEqual(shared.interpret(inner));
    // The same request object again, in a new decision: answered afresh (its history now shorter).
    (outer.session as { history: unknown[] }).history = s.slice(0, 2);
    const again = shared.decide(outer);
    expect(again.effect).toBe("allow");
    expect(again).toEqual(shared.interpret(mk(s.slice(0, 2), { to: "a" })));
  });
});

describe("window positions and \"now\" remembered per decision", () => {
  const windows = compilePolicy(`policy "w"
session retain 1000 events for 2 hours
role dev {
  allow tool "*"
}
deny tool "*" when count completed tool send within 10 seconds > 2
deny tool "*" when (max event.args.x of completed tool send within 10 seconds) > 50
deny tool "*" when after failed tool send within 10 seconds
deny tool "*" when count completed tool send within 1 minute > 40
`);
  const s = Array.from({ length: 60 }, (_, i) => ev(9_000_000 + i * 1000, { args: { to: "a", x: i } }));

  it("the same request object and history, its time moved between decisions, is answered for each time", () => {
    const r = req(s, { tool: "pay", arguments: {} }) as PolicyRequest & { time: unknown };
    for (const t of [9_005_000, 9_030_000, 9_059_500, 9_200_000, 9_010_000, "not a time", 9_020_000]) {
      r.time = t;
      const fresh = req(deepCopy(s), { tool: "pay", arguments: {}, time: t });
      expect(windows.decide(r)).toEqual(windows.interpret(fresh));
    }
  });

  it("a nested decide at another time, from a getter, changes neither decision's windows", () => {
    const inner = req(s, { tool: "pay", arguments: {}, time: 9_200_000 });
    let nested: unknown;
    const args = {
      get to() {
        nested ??= windows.decide(inner);
        return "a";
      },
    };
    // The getter runs inside the outer decision (the reference scan reads args.to only via `where`: a rule reads it here).
    const p = compilePolicy(`policy "w2"
session retain 1000 events for 2 hours
role dev {
  allow tool "*"
}
deny tool "*" when count completed tool send where event.args.to == args.to within 10 seconds > 2
deny tool "*" when count completed tool send within 1 minute > 40
`);
    const outer = req(s, { tool: "pay", arguments: args, time: 9_059_500 });
    const d = p.decide(outer);
    expect(d).toEqual(p.interpret(req(s, { tool: "pay", arguments: { to: "a" }, time: 9_059_500 })));
    expect(d.effect).toBe("deny");
    expect(nested).toEqual(windows.interpret(inner));
  });
});
