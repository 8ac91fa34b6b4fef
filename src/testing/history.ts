/**
 * Session histories for the generators (issue 14): for a policy whose conditions ask history predicates
 * (facts.ts gathers their kinds, tools, windows and what their `where` reads), requests carry a
 * `session.history` of events shaped as the engine records them (contract/session.ts: at, method, target,
 * effect, outcome, args, labels) that match each predicate or almost do: a matching tool or another one,
 * every effect and outcome (so every event kind, and its neighbours), `at` on both sides of each window's
 * first millisecond, arguments (and tool, server) from the `where`'s literals or copied from the current
 * call where the `where` compares the two (`event.args.id == args.id`), labels from the policy's labels,
 * runs of like events as long as the numbers counts are compared with.
 * Guarantees: plain JSON data, events oldest first, `at` measured back from the request's own `time`
 * (never the clock, so runs replay); absent history and `historyDroppedUntil` (which must deny, not count
 * as empty) and malformed histories (refused as `invalid_request`) are generated too, less often.
 */
import fc from "fast-check";
import { parseTime } from "../contract/time.js";
import type { PolicyRequest } from "../contract/index.js";
import type { HistoryFacts } from "./facts.js";
import type { EventKind } from "../ir/ir.js";
import { withKey } from "./values.js";

type Arb<T> = fc.Arbitrary<T>;

/** A value an event copies from the current request (`event.args.id == args.id`), resolved once the request is known. */
class Copy {
  constructor(readonly key: string) {}
}

/** An event before the request's time is known: `back` ms before it, `times` alike (runs for counts). */
interface Draft {
  readonly back: number;
  readonly times: number;
  readonly event: Record<string, unknown>;
}

/** Run lengths: single events mostly, and runs around the numbers counts are compared with. */
function runs(counts: readonly number[]): number[] {
  return [...new Set(counts.flatMap((n) => [n - 1, n, n + 1]).filter((n) => Number.isInteger(n) && n >= 2 && n <= 12))];
}

/** What the generator adds to a request: no history, or a history (maybe malformed) and maybe `historyDroppedUntil`. */
type Plan =
  | { readonly kind: "absent" }
  | { readonly kind: "events"; readonly drafts: readonly Draft[]; readonly dropped?: number; readonly fault?: "unordered" | "no-effect" | "not-a-list" | "bad-dropped" };

/** Where a window's edges fall, in ms before now: inside, on and just outside each window, and far back. */
export function offsets(windows: readonly number[]): number[] {
  const out = new Set<number>([0, 1000, 60_000]);
  for (const w of windows) [w - 1, w, w + 1, Math.floor(w / 2), 2 * w].forEach((x) => x >= 0 && out.add(x));
  out.add(2 * 86_400_000);
  return [...out].sort((a, b) => a - b);
}

/** The request's "now" in ms (a time that does not parse: a fixed one; the predicate then errs, as it must). */
function nowOf(r: PolicyRequest): number {
  const t = r.time === undefined ? undefined : parseTime(r.time);
  return t ?? Date.UTC(2026, 0, 5, 12, 0);
}

/** `args.id` / `principal.claims.org` / `tool.name` ... of a request, or undefined. */
function readKey(r: PolicyRequest, key: string): unknown {
  const [root, ...path] = key.split(".");
  let v: unknown = root === "args" ? r.arguments : root === "tool" && path[0] === "name" ? r.tool : (r as unknown as Record<string, unknown>)[root!];
  if (root === "tool") return v;
  for (const seg of path) {
    if (v === null || typeof v !== "object" || !Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** Event arguments with the copies resolved (a copy of a value the request lacks is left out). */
function resolve(v: unknown, r: PolicyRequest): unknown {
  if (v instanceof Copy) return readKey(r, v.key);
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  let out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const y = resolve(x, r);
    if (y !== undefined) out = withKey(out, k, y);
  }
  return out;
}

/** What the history generator needs from the other generators. */
export interface HistoryContext {
  readonly facts: HistoryFacts;
  /** Tool names of the policy that no predicate names (near misses). */
  readonly otherTools: readonly string[];
  /** Labels the policy gives or tests. */
  readonly labels: readonly string[];
  /** Server names the policy compares `event.server` (or `server.name`) with. */
  readonly servers: readonly string[];
  /** A value for an attribute key (`event.args.price`): the policy's literals, near misses, hostile strings. */
  readonly leaf: (key: string) => Arb<unknown>;
}

/** Effect and outcome together: every event kind (attempted, allowed, denied, completed, failed) and its neighbours. */
const STATUS: readonly Record<string, unknown>[] = [
  { effect: "allow", outcome: "ok" },
  { effect: "allow", outcome: "error" },
  { effect: "allow" },
  { effect: "deny" },
  { effect: "require_approval" },
];

/** The statuses an event of a kind may have (contract/session.ts). */
const OF_KIND: Readonly<Record<EventKind, readonly Record<string, unknown>[]>> = {
  attempted: STATUS,
  allowed: STATUS.slice(0, 3),
  denied: STATUS.slice(3),
  completed: STATUS.slice(0, 1),
  failed: STATUS.slice(1, 2),
};

const ABSENT: unique symbol = Symbol("absent");

/** Numbers near the literals an aggregate is compared with, and small ones. */
function numbersFor(ctx: HistoryContext, key: string): Arb<unknown> {
  return fc.oneof({ weight: 6, arbitrary: ctx.leaf(key).filter((v) => typeof v === "number") }, { weight: 3, arbitrary: fc.integer({ min: -5, max: 120 }) }, { weight: 1, arbitrary: ctx.leaf(key) });
}

function argsArb(ctx: HistoryContext): Arb<Record<string, unknown>> {
  const model: Record<string, Arb<unknown>> = {};
  for (const path of ctx.facts.argPaths) {
    // Nested paths (`event.args.a.b`) are generated as their first key holding an object of the rest.
    const key = `event.args.${path.join(".")}`;
    const links = ctx.facts.links.get(key) ?? [];
    const copies = links.map((l) => ({ weight: 4, arbitrary: fc.constant<unknown>(new Copy(l)) }));
    const own = ctx.facts.numericPaths.includes(key) ? numbersFor(ctx, key) : ctx.leaf(key);
    const leaf = fc.oneof({ weight: 3, arbitrary: own }, ...copies);
    const value = path.length === 1 ? leaf : leaf.map((x) => path.slice(1).reduceRight<unknown>((acc, k) => withKey({}, k, acc), x));
    const prev = model[path[0]!];
    model[path[0]!] = prev ? fc.oneof(prev, value) : value;
  }
  return fc.tuple(...Object.entries(model).map(([k, a]) => fc.option(a, { freq: 8, nil: ABSENT }).map((v) => [k, v] as const))).map((pairs) => {
    let out: Record<string, unknown> = {};
    for (const [k, v] of pairs) if (v !== ABSENT) out = withKey(out, k, v);
    return out;
  });
}

/** One event: usually one a predicate matches (its kind, one of its tools), else a near miss (any status, another tool, another method). */
function draftArb(ctx: HistoryContext): Arb<Draft> {
  const others = ctx.otherTools.length ? ctx.otherTools : ["unknown_tool"];
  const matching = fc.constantFrom(...ctx.facts.matches).chain((m) => fc.record({ target: fc.constantFrom(...(m.tools.length ? m.tools : others)), status: fc.constantFrom(...OF_KIND[m.kind]), method: fc.constant("tools/call") }));
  const near = fc.record({
    target: fc.constantFrom(...ctx.facts.tools, ...others),
    status: fc.constantFrom(...STATUS),
    method: fc.oneof({ weight: 3, arbitrary: fc.constant("tools/call") }, { weight: 1, arbitrary: fc.constant("resources/read") }),
  });
  const labels = ctx.labels.length ? fc.option(fc.subarray([...ctx.labels]), { freq: 3, nil: undefined }) : fc.constant(undefined);
  // `event.tool == tool.name`, `event.server == server.name`: sometimes the current call's own.
  const copyOf = (key: string) => (ctx.facts.links.get(key) ?? []).map((l) => ({ weight: 1, arbitrary: fc.constant<unknown>(new Copy(l)) }));
  const toolCopies = copyOf("event.tool");
  const serverHints = ctx.servers.length ? [{ weight: 2, arbitrary: fc.constantFrom<unknown>(...ctx.servers) }] : [];
  const serverParts = [...serverHints, ...copyOf("event.server")];
  const server = serverParts.length ? fc.option(fc.oneof(...serverParts), { freq: 3, nil: undefined }) : fc.constant(undefined);
  const lengths = runs(ctx.facts.counts);
  const times = lengths.length ? fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(...lengths) }) : fc.constant(1);
  return fc
    .record({
      back: fc.constantFrom(...offsets(ctx.facts.windows)),
      times,
      what: fc.oneof({ weight: 3, arbitrary: matching }, { weight: 1, arbitrary: near }),
      copyTool: toolCopies.length ? fc.option(fc.oneof(...toolCopies), { freq: 4, nil: undefined }) : fc.constant(undefined),
      server,
      args: fc.option(argsArb(ctx), { freq: 8, nil: undefined }),
      argsDropped: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      labels,
    })
    .map(({ back, times, what, copyTool, server, args, argsDropped, labels }) => {
      const event: Record<string, unknown> = { method: what.method, target: copyTool ?? what.target, ...what.status };
      if (server !== undefined) event.server = server;
      if (argsDropped) event.argsDropped = true;
      else if (args !== undefined) event.args = args;
      if (labels !== undefined) event.labels = labels;
      return { back, times, event };
    });
}

function planArb(ctx: HistoryContext): Arb<Plan> {
  const windows = ctx.facts.windows;
  // Mostly none: events dropped by retention make a predicate whose window reaches them err.
  const dropped = fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(0, ...windows.flatMap((w) => [w - 1, w + 1]), 60_000) });
  const events = fc.record({ drafts: fc.array(draftArb(ctx), { maxLength: 8 }), dropped }).map(({ drafts, dropped }): Plan => ({ kind: "events", drafts, ...(dropped !== undefined && { dropped }) }));
  const faulty = fc
    .tuple(fc.array(draftArb(ctx), { minLength: 2, maxLength: 3 }), fc.constantFrom("unordered", "no-effect", "not-a-list", "bad-dropped") as Arb<"unordered" | "no-effect" | "not-a-list" | "bad-dropped">)
    .map(([drafts, fault]): Plan => ({ kind: "events", drafts, fault }));
  return fc.oneof({ weight: 16, arbitrary: events }, { weight: 2, arbitrary: fc.constant<Plan>({ kind: "absent" }) }, { weight: 1, arbitrary: faulty });
}

/** The request with its planned history (events `back` ms before its `time`, oldest first). */
function apply(r: PolicyRequest, plan: Plan): PolicyRequest {
  if (plan.kind === "absent") return r;
  const now = nowOf(r);
  // A run of like events, a second apart, ending `back` ms before now; all of them oldest first (a stable sort).
  const events = plan.drafts.flatMap((d) => Array.from({ length: d.times }, (_, i) => ({ at: now - d.back - (d.times - 1 - i) * 1000, ...(resolve(d.event, r) as Record<string, unknown>) })));
  let history: unknown = events.sort((a, b) => a.at - b.at);
  const list = history as Record<string, unknown>[];
  let dropped: unknown = plan.dropped === undefined ? undefined : now - plan.dropped;
  switch (plan.fault) {
    case "unordered":
      list[0]!.at = now + 1;
      break;
    case "no-effect":
      delete list[list.length - 1]!.effect;
      break;
    case "not-a-list":
      history = list[0];
      break;
    case "bad-dropped":
      dropped = "yesterday";
      break;
  }
  const session = { ...((r.session ?? {}) as Record<string, unknown>), history, ...(dropped !== undefined && { historyDroppedUntil: dropped }) };
  return { ...r, session } as PolicyRequest;
}

/** Requests of `base` carrying a session history planned for the policy's history predicates. */
export function withHistory(base: Arb<PolicyRequest>, ctx: HistoryContext): Arb<PolicyRequest> {
  return fc.tuple(base, planArb(ctx)).map(([r, plan]) => apply(r, plan));
}
