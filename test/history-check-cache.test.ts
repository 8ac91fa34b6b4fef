/**
 * The request check remembers events it found fine when they are frozen data (eval/history-check.ts
 * `RUNS`): a new history array of such events checks each one with a lookup and the order
 * compare. These tests hold that the remembered check answers exactly what a full check of fresh copies
 * answers: events out of order are still refused, and events that could change after their check (not
 * frozen, a frozen getter, unfrozen labels) are checked again every time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deepCopy, policy, req, sendEvent as ev } from "./helpers/send-history.js";
const frozen = <T extends object>(o: T): T => Object.freeze(o);
const messageOf = (history: unknown[]) => policy.decide(req(history)).reasons.map((r) => `${r.code}: ${r.message}`).join(" | ");

describe("history events checked once", () => {
  it("frozen events found fine, handed over again out of order, are refused", () => {
    const a = frozen(ev(9_000_000));
    const b = frozen(ev(9_100_000));
    expect(policy.decide(req([a, b])).effect).toBe("allow");
    const d = policy.decide(req([b, a]));
    expect(d.effect).toBe("deny");
    expect(d.reasons[0]!.message).toContain("`session.history[1]` is older than the event before it");
    expect(d).toEqual(policy.decide(req(deepCopy([b, a]))));
  });

  it("an event that can change after its check is checked again in every new array", () => {
    const loose = ev(9_000_000);
    expect(policy.decide(req([loose])).effect).toBe("allow");
    (loose as Record<string, unknown>).effect = "maybe";
    expect(messageOf([loose])).toContain("`session.history[0]` needs `effect`");

    let at: unknown = 9_000_000;
    const getter = frozen(Object.defineProperty(ev(0), "at", { get: () => at, enumerable: true }));
    expect(policy.decide(req([getter])).effect).toBe("allow");
    at = "late";
    expect(messageOf([getter])).toContain("`session.history[0]` needs `at` as a number");

    const labels: unknown[] = ["x"];
    const withLabels = frozen(ev(9_000_000, { labels }));
    expect(policy.decide(req([withLabels])).effect).toBe("allow");
    labels.push(7);
    expect(messageOf([withLabels])).toContain("`session.history[0]` has `labels` that are not a list of strings");
  });

  it("on random sequences of new arrays over a pool of frozen, loose and malformed events, decides as on fresh copies", () => {
    const event = fc.record({
      at: fc.oneof(fc.integer({ min: 9_000_000, max: 9_999_999 }), fc.constantFrom<unknown>("x", Number.NaN)),
      effect: fc.constantFrom<unknown>("allow", "deny", "nope"),
      labels: fc.option(fc.constantFrom<unknown>(["a"], [1]), { nil: undefined }),
      freeze: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 12 }), fc.array(fc.array(fc.nat(), { maxLength: 8 }), { minLength: 1, maxLength: 6 }), (specs, picks) => {
        const pool = specs.map(({ at, effect, labels, freeze }) => {
          const e = ev(at as number, { effect, ...(labels === undefined ? {} : { labels: freeze ? Object.freeze([...(labels as unknown[])]) : [...(labels as unknown[])] }) });
          return freeze ? frozen(e) : e;
        });
        for (const pick of picks) {
          const history = pick.map((i) => pool[i % pool.length]!);
          expect(policy.decide(req(history))).toEqual(policy.decide(req(deepCopy(history))));
          expect(policy.decide(req(history))).toEqual(policy.interpret(req(history)));
        }
      }),
      { numRuns: 300 },
    );
  });
});
