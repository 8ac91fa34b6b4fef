// Generated inputs for the history benchmark (bench/history.mjs) and its property test: a policy of N
// history rules (every rule a deny on `tool "*"`, so every call evaluates every predicate), a session of
// events, and a pool of requests against it. Deterministic (fixed seeds, bench/lib/prng.mjs).
//
// The rules cycle through seven shapes (A, B: tools t0..t19):
//   when after failed tool tA where event.args.to == args.to within 5 minutes
//   unless no failed tool tA since completed tool tB
//   when count allowed tool tA within 10 minutes > 500
//   when (sum event.args.x of completed tool tA where event.args.to == args.to within 10 minutes) > 100000
//   when previous denied tool tA where event.args.to == args.to
//   when count attempted tool "tA*" where event.args.to == args.to within 10 minutes > 400   (a glob: t1, t10..t19)
//   when (max event.args.x of attempted tool tA within 10 minutes) > 1000
// and are built to be mostly false, so most calls are allowed (`allow tool "*"`) and the engine's calls
// run and are committed; the mix of effects is counted and printed, never assumed. The windows (at
// most 10 minutes) stay inside the 1,000 retained events at one event a second (16.7 minutes), so a
// session that has dropped older events still answers them (a window reaching dropped events errs).
import { Rng } from "./prng.mjs";

export const TOOLS = 20;
export const PAYEES = 10;

const SHAPES = [
  (a) => `when after failed tool t${a} where event.args.to == args.to within 5 minutes`,
  (a, b) => `unless no failed tool t${a} since completed tool t${b}`,
  (a) => `when count allowed tool t${a} within 10 minutes > 500`,
  (a) => `when (sum event.args.x of completed tool t${a} where event.args.to == args.to within 10 minutes) > 100000`,
  (a) => `when previous denied tool t${a} where event.args.to == args.to`,
  (a) => `when count attempted tool "t${a % 10}*" where event.args.to == args.to within 10 minutes > 400`,
  (a) => `when (max event.args.x of attempted tool t${a} within 10 minutes) > 1000`,
];

/**
 * The policy text with `n` history rules. The default policy's rules share predicates (100 rules hold 26
 * distinct conditions: `a` takes two values per shape); `distinct` makes every rule's predicate its own
 * (shape i % 7 over tool floor(i / 7) % 20, the glob shape as "tA*": distinct for up to 140 rules), the case
 * a per-decision memory of shared predicates cannot help.
 */
export function historyPolicy(n, distinct = false) {
  const lines = [`policy "history-bench-${n}${distinct ? "-distinct" : ""}"`, "session retain 1000 events for 24 hours", "role agent { allow tool \"*\" }"];
  for (let i = 0; i < n; i++) {
    const shape = SHAPES[i % SHAPES.length];
    const a = distinct ? Math.floor(i / SHAPES.length) % TOOLS : (i * 7 + Math.floor(i / SHAPES.length)) % TOOLS;
    const b = (a + 1 + (i % (TOOLS - 1))) % TOOLS;
    const text = shape(a, b);
    lines.push(`deny tool "*" ${distinct && i % SHAPES.length === 5 ? text.replace(`"t${a % 10}*"`, `"t${a}*"`) : text}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The arguments of a call: a payee and an amount. */
export const argsOf = (rng) => ({ to: `p${rng.int(PAYEES)}`, x: 1 + rng.int(100) });

/**
 * `n` events, oldest first, one a second ending at `end` (epoch ms): tools t0..t19, 97% allowed, of
 * those 98% completed ok and 2% failed, the rest denied.
 */
export function historyEvents(n, end, seed = 14) {
  const rng = new Rng(seed);
  const out = [];
  for (let i = 0; i < n; i++) {
    const allowed = !rng.chance(0.03);
    const ev = { at: end - (n - 1 - i) * 1000, method: "tools/call", target: `t${rng.int(TOOLS)}`, args: argsOf(rng), effect: allowed ? "allow" : "deny" };
    if (allowed) ev.outcome = rng.chance(0.02) ? "error" : "ok";
    out.push(ev);
  }
  return out;
}

/** `n` requests for the role `agent` (tools in turn, so a session of them calls every tool): a tool and arguments each, at `time` (omitted when undefined). */
export function historyRequests(n, time, seed = 41) {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const req = { principal: { id: "bench-user", roles: ["agent"] }, method: "tools/call", tool: `t${i % TOOLS}`, arguments: argsOf(rng), session: { id: "bench-session" } };
    if (time !== undefined) req.time = time;
    return req;
  });
}
