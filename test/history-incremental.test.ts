/**
 * The compiled history index extends instead of rebuilding (codegen/history.ts: an append-only log, a
 * history is a window of it) when a new history array is the old one slid forward, as the engine's
 * store hands them over: each step appends 0-3 frozen events and drops 0-3 of the oldest, in a NEW
 * array. At every step the compiled decision equals the decision on a deep copy of the history (new
 * event objects: nothing to reuse, a fresh index) and the reference interpreter's, field for field.
 * Between steps, sometimes an unrelated history (another log) or an older array of the same session
 * (its window no longer ends at the log's end) is decided too, and must agree as well.
 * The policies: random history rules (after, no ... since, previous, count, sum, min, max; globs, sets,
 * equality and other `where`s, windows) in the shape test/differential-session.test.ts generates; the
 * events: values that make a `where` or a read err, fractions, NaN, -0, huge sums, dropped arguments.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkPolicy, compilePolicy, type PolicyRequest } from "mcppolicy";
import { TOOLS } from "./helpers/generators.js";

const KINDS = ["attempted", "allowed", "denied", "completed", "failed"];
const START = 100_000_000;
const q = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name}"`);

// ---- policies (as test/differential-session.test.ts builds its history conditions) ----

const toolNames = fc.uniqueArray(fc.constantFrom(...TOOLS.map(q), '"fs.*"', '"*_file"', '"*"'), { minLength: 1, maxLength: 2 }).map((xs) => xs.join(", "));
const where = fc.constantFrom("event.args.to == args.to", "args.to == event.args.to", "event.args.n == args.n", "event.args.to == args.to", "event.args.n == args.n", "event.args.n > 2", "event.tool == tool.name", "has event.args.mode", "event.args.n > args.n");
const match = fc
  .record({ kind: fc.constantFrom(...KINDS), tools: toolNames, where: fc.option(where, { freq: 2, nil: undefined }) })
  .map((m) => `${m.kind} tool ${m.tools}${m.where ? ` where ${m.where}` : ""}`);
const windowText = fc.option(fc.constantFrom("30 seconds", "1 minute", "10 minutes", "1 hour"), { freq: 2, nil: undefined }).map((w) => (w ? ` within ${w}` : ""));
const cmp = fc.constantFrom("<", "<=", "==", ">", ">=", "!=");
const historyCond = fc.oneof(
  fc.tuple(match, windowText).map(([m, w]) => `after ${m}${w}`),
  fc.tuple(match, match).map(([m, s]) => `no ${m} since ${s}`),
  match.map((m) => `previous ${m}`),
  fc.tuple(match, windowText, cmp, fc.integer({ min: 0, max: 4 })).map(([m, w, c, n]) => `(count ${m}${w}) ${c} ${n}`),
  fc.tuple(fc.constantFrom("sum", "min", "max"), match, windowText, cmp, fc.integer({ min: -1, max: 12 })).map(([op, m, w, c, n]) => `(${op} event.args.n of ${m}${w}) ${c} ${n}`),
);
/** `op` answered from the lookups (no `where`, or an equality one), so ranges of several values reach them. */
const aggregateCond = (op: string) =>
  fc
    .tuple(fc.constantFrom("attempted", "allowed"), fc.constantFrom('"*"', "read_file", '"fs.*", query'), fc.constantFrom("", " where event.args.to == args.to"), windowText, cmp, fc.integer({ min: -1, max: op === "sum" ? 12 : 6 }))
    .map(([kind, tools, w, win, c, n]) => `(${op} event.args.n of ${kind} tool ${tools}${w}${win}) ${c} ${n}`);

const policyOf = (cond: fc.Arbitrary<string>) =>
  fc
  .record({
    retain: fc.constantFrom("session retain 1000 events for 1 day", "session retain 50 events for 2 hours"),
    denies: fc.array(cond, { minLength: 1, maxLength: 4 }),
    allows: fc.array(fc.option(cond, { freq: 3, nil: undefined }), { minLength: 1, maxLength: 2 }),
  })
  .map((p) =>
    [
      `policy "incremental"`,
      "default deny",
      p.retain,
      ...p.denies.map((c) => `deny tool "*" when (${c})`),
      `role r {\n${p.allows.map((c) => `  allow tool "*"${c ? ` when (${c})` : ""}\n`).join("")}}`,
    ].join("\n"),
  )
  .filter((text) => !checkPolicy(text, { readFile: null }).diagnostics.some((d) => d.severity === "error"));

// ---- sliding histories ----

const str = fc.constantFrom<unknown>("a", "b", "");
const odd = fc.constantFrom<unknown>(1.5, 0.1, 0.2, 0.3, -0, Number.NaN, 1e308, -1e308, 2 ** 53, true, null, ["x"]);
const int = fc.integer({ min: -2, max: 6 });
/** Mostly a number `n` (so sums, minimums and maximums come from the aggregates), sometimes anything. */
const args = fc
  .record({
    n: fc.option(fc.oneof({ weight: 40, arbitrary: int as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: odd }, { weight: 1, arbitrary: str }), { freq: 40, nil: undefined }),
    to: fc.option(fc.oneof({ weight: 6, arbitrary: str }, { weight: 1, arbitrary: int as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: odd }), { freq: 6, nil: undefined }),
    mode: fc.option(str, { freq: 1, nil: undefined }),
  })
  .map((a) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)));
const STATUS = [{ effect: "allow", outcome: "ok" }, { effect: "allow", outcome: "error" }, { effect: "allow" }, { effect: "deny" }, { effect: "require_approval" }];
/** An event less its time (given when it enters the session). */
const eventBody = fc.record({
  method: fc.oneof({ weight: 8, arbitrary: fc.constant("tools/call") }, { weight: 1, arbitrary: fc.constant("resources/read") }),
  target: fc.constantFrom(...TOOLS),
  status: fc.constantFrom(...STATUS),
  args: fc.option(args, { freq: 40, nil: undefined }),
  argsDropped: fc.oneof({ weight: 40, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  gap: fc.constantFrom(0, 1000, 20_000, 45_000, 600_000),
});
type Body = typeof eventBody extends fc.Arbitrary<infer T> ? T : never;

const step = fc.record({
  add: fc.array(eventBody, { maxLength: 3 }),
  drop: fc.integer({ min: 0, max: 3 }),
  /**
   * Also decide, before this step's history: another session's history, an array this session had steps
   * ago, or a fork (the previous array with other new events: its first event is in the log, the rest is not).
   */
  aside: fc.constantFrom("none", "none", "none", "unrelated", "older", "fork"),
  fork: fc.array(eventBody, { minLength: 1, maxLength: 5 }),
  back: fc.nat(),
  call: fc.record({ tool: fc.constantFrom(...TOOLS), args, later: fc.constantFrom(0, 500, 30_000) }),
});

function deepFreeze<T>(x: T): T {
  if (typeof x === "object" && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

const eventOf = (b: Body, at: number) =>
  deepFreeze({ at, method: b.method, target: b.target, ...b.status, ...(b.argsDropped ? { argsDropped: true } : b.args !== undefined ? { args: b.args } : {}) });

function requestOf(history: readonly object[], dropped: number | undefined, now: number, call: { tool: string; args: Record<string, unknown> }): PolicyRequest {
  const session: Record<string, unknown> = { id: "s-1", history };
  if (dropped !== undefined) session.historyDroppedUntil = dropped;
  return { principal: { id: "agent-1", roles: ["r"] }, method: "tools/call", tool: call.tool, arguments: call.args, time: now, session } as PolicyRequest;
}

describe("the compiled history index, extended over sliding histories", () => {
  // `expected`: outcomes the runs must reach, so a generator that drifts into deciding nothing fails. The
  // aggregate policies reach each outcome only on some seeds (a `min` over the window rarely clears its bound,
  // and on some seeds never fires its deny), so they require an evaluation error and one other outcome.
  const agree = (policyText: fc.Arbitrary<string>, numRuns: number, expected: string[]) => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(policyText, fc.array(eventBody, { maxLength: 8 }), fc.array(step, { minLength: 1, maxLength: 25 }), (text, initial, steps) => {
        const policy = compilePolicy(text, { readFile: null });
        let clock = START;
        const at = (b: Body) => (clock += b.gap);
        let events = initial.map((b) => eventOf(b, at(b)));
        let dropped: number | undefined;
        const past: { history: readonly object[]; dropped: number | undefined; now: number }[] = [];
        const check = (r: PolicyRequest) => {
          const d = policy.decide(r);
          const copy = { ...r, session: { ...r.session, history: structuredClone(r.session!.history) } } as PolicyRequest;
          expect(d).toEqual(policy.decide(copy));
          expect(d).toEqual(policy.interpret(r));
          outcomes.add(`${d.effect}:${d.reasons[0]?.code}`);
        };
        for (const s of steps) {
          if (s.aside === "unrelated") check(requestOf(initial.map((b, i) => eventOf(b, START + i)), undefined, clock, s.call));
          if (s.aside === "older" && past.length > 0) {
            const old = past[s.back % past.length]!;
            check(requestOf(old.history, old.dropped, old.now, s.call));
          }
          if (s.aside === "fork" && past.length > 0) {
            const prev = past[past.length - 1]!;
            let t = clock;
            const forked = [...prev.history, ...s.fork.map((b) => eventOf(b, (t += b.gap)))];
            check(requestOf(forked, prev.dropped, t, s.call));
          }
          const next = events.slice(Math.min(s.drop, events.length));
          if (next.length < events.length) dropped = events[events.length - next.length - 1]!.at;
          for (const b of s.add) next.push(eventOf(b, at(b)));
          events = next;
          const now = clock + s.call.later;
          const history = events.slice(); // a new array per load, as the store answers
          past.push({ history, dropped, now });
          check(requestOf(history, dropped, now, s.call));
        }
      }),
      { numRuns },
    );
    expect([...outcomes]).toEqual(expect.arrayContaining(expected));
    expect(outcomes.size).toBeGreaterThanOrEqual(2);
  };
  it("decides every step as a fresh deep copy and as the interpreter do", () => agree(policyOf(historyCond), 200, ["allow:allow_rule", "deny:deny_rule", "deny:evaluation_error"]));
  for (const op of ["sum", "min", "max"]) it(`and so on each \`${op}\` the aggregates answer`, () => agree(policyOf(aggregateCond(op)), 150, ["deny:evaluation_error"]));
});
