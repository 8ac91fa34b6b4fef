/**
 * The compiled history predicates' lookups (codegen/history-lookup.ts: the equality index of
 * `where event.F == X`, the suffix aggregates of `sum`/`min`/`max`, the since anchor) give exactly the
 * reference scan's answers (`interpret`): on random histories made to hit their edges (events whose
 * `where` errs: arguments dropped, the field missing or of another type, NaN; values that are not
 * numbers, fractions whose sum rounds, sums past 2^53; windows reaching dropped events), with each
 * history array handed over several times (so the lookups built on the first request are reused), and
 * appended to (a longer array of the same identity is indexed again).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";

const POLICY = `policy "history-index"
session retain 1000 events for 24 hours
role r {
  allow tool "*"
}
deny tool "*" when after completed tool a where event.args.to == args.to within 10 minutes
deny tool "*" when after attempted tool "*" where args.to == event.args.to
deny tool "*" when count allowed tool a, b where event.args.to == args.to within 5 minutes >= 3
deny tool "*" when (sum event.args.x of attempted tool a where event.args.to == args.to within 10 minutes) > 50
deny tool "*" when (sum event.args.x of attempted tool "*" within 10 minutes) > 200
deny tool "*" when (min event.args.x of allowed tool b where event.args.to == args.to) < 2
deny tool "*" when (max event.args.x of attempted tool "?" within 10 minutes) > 90
deny tool "*" when no failed tool a where event.args.to == args.to since completed tool b where event.args.to == args.to
deny tool "*" unless no denied tool "*" since completed tool a
deny tool "*" when previous denied tool b where event.args.to == args.to
deny tool "*" when count completed tool a where event.args.to != args.to within 10 minutes > 2
`;

const NOW = 10_000_000;

const toValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("p", "q", "r") },
  { weight: 1, arbitrary: fc.constantFrom(1, 0, true, null, Number.NaN, ["p"]) },
);
const xValue = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -5, max: 100 }) },
  { weight: 1, arbitrary: fc.constantFrom(0.1, 0.2, 0.7, -0, 2 ** 53, 2 ** 52 + 1, Number.MAX_VALUE, "7", null, Number.NaN, Number.POSITIVE_INFINITY) },
);

/** One event: its args may be dropped, lack a field, or hold odd values. */
const event = fc.record({
  dt: fc.integer({ min: 0, max: 120_000 }),
  method: fc.constantFrom("tools/call", "tools/call", "tools/call", "resources/read"),
  target: fc.constantFrom("a", "b", "c", "ab"),
  to: fc.option(toValue, { nil: undefined }),
  x: fc.option(xValue, { nil: undefined }),
  dropped: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  effect: fc.constantFrom("allow", "allow", "allow", "deny", "require_approval"),
  outcome: fc.constantFrom(undefined, "ok", "ok", "error"),
});

type RawEvent = typeof event extends fc.Arbitrary<infer T> ? T : never;

function history(raw: readonly RawEvent[]): Record<string, unknown>[] {
  // Oldest first, ending at or before NOW (some far back, beyond a window).
  let at = NOW - raw.reduce((s, e) => s + e.dt, 0);
  return raw.map((e) => {
    at += e.dt;
    const ev: Record<string, unknown> = { at, method: e.method, target: e.target, effect: e.effect };
    if (e.dropped) ev.argsDropped = true;
    else {
      const args: Record<string, unknown> = {};
      if (e.to !== undefined) args.to = e.to;
      if (e.x !== undefined) args.x = e.x;
      ev.args = args;
    }
    if (e.effect === "allow" && e.outcome !== undefined) ev.outcome = e.outcome;
    return ev;
  });
}

describe("compiled history lookups agree with the reference scan", () => {
  const policy = compilePolicy(POLICY, { readFile: null });

  it("on random histories, each reused by several requests and then appended to", () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 60 }),
        fc.array(event, { maxLength: 5 }),
        fc.array(fc.record({ to: fc.option(toValue, { nil: undefined }), tool: fc.constantFrom("a", "b", "c") }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: -1, max: 600_000 }), { nil: undefined }),
        (raw, more, calls, droppedAgo) => {
          const h = history(raw);
          const session: Record<string, unknown> = { history: h };
          if (droppedAgo !== undefined) session.historyDroppedUntil = (h[0]?.at as number | undefined ?? NOW) - 1 - droppedAgo;
          const ask = () => {
            for (const c of calls) {
              const req = { principal: { roles: ["r"] }, tool: c.tool, time: NOW, arguments: c.to === undefined ? {} : { to: c.to }, session } as unknown as PolicyRequest;
              expect(policy.decide(req)).toEqual(policy.interpret(req));
            }
          };
          ask();
          ask(); // the lookups the first pass built, reused
          // An append to the same array (its length changes): indexed again, still in agreement.
          let at = (h[h.length - 1]?.at as number | undefined) ?? NOW - 1000;
          for (const e of history(more)) {
            at = Math.min(NOW, Math.max(at, at + 1));
            h.push({ ...e, at });
          }
          ask();
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("sums that round: the compiled sum adds in the reference's order", () => {
  const policy = compilePolicy(
    `policy "sums"
session retain 1000 events for 24 hours
role r { allow tool "*" }
deny tool e1 when (sum event.args.x of attempted tool c) < 1
deny tool e2 when (sum event.args.x of attempted tool d) > 9007199254740992
`,
    { readFile: null },
  );
  const ev = (at: number, target: string, x: number) => ({ at, method: "tools/call", target, args: { x }, effect: "allow" });
  const ask = (target: string, xs: number[]) => {
    const req = { principal: { roles: ["r"] }, tool: target === "c" ? "e1" : "e2", time: NOW, session: { history: xs.map((x, i) => ev(i + 1, target, x)) } } as unknown as PolicyRequest;
    const d = policy.decide(req);
    expect(d).toEqual(policy.interpret(req));
    return d.effect;
  };

  it("0.1 + 0.2 + 0.7 is 1 left to right (0.9999999999999999 right to left): not below 1", () => {
    expect(ask("c", [0.1, 0.2, 0.7])).toBe("allow");
    expect(ask("c", [0.1, 0.2, 0.6])).toBe("deny");
  });

  it("2^53 + 1 + 1 stays 2^53 left to right (2^53 + 2 right to left): not above 2^53", () => {
    expect(ask("d", [2 ** 53, 1, 1])).toBe("allow");
    expect(ask("d", [2 ** 53, 2])).toBe("deny");
  });
});
