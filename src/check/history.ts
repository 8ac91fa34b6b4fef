/**
 * History predicates and session retention, checked and lowered (grammar/README.md "History").
 * Guarantees: every `history` IR node has a known event kind, tool patterns built by `lowerPatterns`,
 * a boolean (or untyped) `where`, a window no longer than the session's retention, and no history
 * predicate inside its `where` (so a predicate costs at most one pass over the events it looks at);
 * `event.*` lowers only inside a `where` or as an aggregate's path (E0262 elsewhere). The retention
 * (`session retain N events for DURATION`, defaults 1000 events and 24 hours) is bounded by LIMITS.
 * Wired in from expressions.ts (`case "history"`, `event` paths) and stages/session.ts.
 */
import type * as A from "../ast/nodes.js";
import { eventOutsideHistory, invalidDuration, invalidHistory, misplaced, notBoolean, retentionAboveLimit, unknownAttribute, unknownEventKind, windowAboveRetention } from "../diagnostics/catalog.js";
import { EVENT_KINDS, type EventField, type EventKind, type IrEvent, type IrEventMatch, type IrHistory, type IrSessionRetention } from "../ir/history.js";
import { LIMITS } from "../source/limits.js";
import type { Lowered } from "./expressions.js";
import { lowerPatterns } from "./patterns.js";
import type { Symbols } from "./scope.js";

type Lower = (sym: Symbols, e: A.Expr) => Lowered;

export const DEFAULT_RETENTION: IrSessionRetention = { events: 1000, ttlMs: 24 * 60 * 60 * 1000 };

const UNITS: Readonly<Record<string, number>> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** A duration in ms, or a reported E0261 (undefined). */
export function durationMs(sym: Symbols, d: A.Duration): number | undefined {
  const written = `${d.value} ${d.unit.text}`;
  const word = d.unit.text.endsWith("s") ? d.unit.text.slice(0, -1) : d.unit.text;
  const unit = Object.prototype.hasOwnProperty.call(UNITS, word) ? UNITS[word] : undefined;
  if (unit === undefined) {
    sym.diagnostics.push(invalidDuration(d.unit.span, written, `\`${d.unit.text}\` is not a unit of time`));
    return undefined;
  }
  if (!(d.value > 0) || !Number.isFinite(d.value)) {
    sym.diagnostics.push(invalidDuration(d.span, written, "it must be more than zero"));
    return undefined;
  }
  return Math.round(d.value * unit);
}

const describeMs = (ms: number): string => {
  for (const [u, n] of [["day", 86_400_000], ["hour", 3_600_000], ["minute", 60_000]] as const) if (ms % n === 0) return `${ms / n} ${u}${ms === n ? "" : "s"}`;
  return `${ms / 1000} second${ms === 1000 ? "" : "s"}`;
};

// ---- retention (stage `session`) ----

/** The retention each check uses while lowering windows (set by stages/session.ts before any rule is lowered). */
const RETENTION = new WeakMap<Symbols, IrSessionRetention>();
export const retentionOf = (sym: Symbols): IrSessionRetention => RETENTION.get(sym) ?? DEFAULT_RETENTION;

/** The main file's `session retain ...` (once; not in an import), bounded by LIMITS; the defaults when absent. */
export function lowerRetention(sym: Symbols, files: readonly A.PolicyFileAst[], main: A.PolicyFileAst): IrSessionRetention {
  let seen: A.SessionDecl | undefined;
  let out = DEFAULT_RETENTION;
  for (const f of files) {
    for (const decl of f.declarations) {
      if (decl.kind !== "session") continue;
      if (f !== main) {
        sym.diagnostics.push(misplaced(decl.span, "an imported file cannot set the session retention", "set `session retain ...` in the main policy file"));
        continue;
      }
      if (seen) {
        sym.diagnostics.push(misplaced(decl.span, "`session retain` is given twice", "keep one"));
        continue;
      }
      seen = decl;
      const ev = decl.events.value;
      let ok = true;
      if (!Number.isInteger(ev) || ev < 1) {
        sym.diagnostics.push(invalidHistory(decl.events.span, `a session keeps a whole number of events, at least 1, not ${ev}`, "write e.g. `session retain 1000 events for 24 hours`"));
        ok = false;
      } else if (ev > LIMITS.maxSessionRetainEvents) {
        sym.diagnostics.push(retentionAboveLimit(decl.events.span, `${ev} events`, `${LIMITS.maxSessionRetainEvents} events`));
        ok = false;
      }
      const ttl = durationMs(sym, decl.ttl);
      if (ttl === undefined) ok = false;
      else if (ttl > LIMITS.maxSessionRetainMs) {
        sym.diagnostics.push(retentionAboveLimit(decl.ttl.span, `${decl.ttl.value} ${decl.ttl.unit.text}`, describeMs(LIMITS.maxSessionRetainMs)));
        ok = false;
      }
      if (ok) out = { events: ev, ttlMs: ttl! };
    }
  }
  RETENTION.set(sym, out);
  return out;
}

// ---- predicates ----

/** > 0 while lowering a `where` (or an aggregate's path): `event.*` is readable, history predicates are not. */
let whereDepth = 0;

const FIELDS: Readonly<Record<EventField, Lowered["type"]>> = { args: "object", tool: "string", server: "string", labels: "strings" };
const FIELD_NAMES = ["event.args", "event.tool", "event.server", "event.labels"];

/**
 * `event.args.x`, `event.tool`, `event.server`, `event.labels` (with `has`: `has event.args.x`), or
 * undefined when `event` here is a constant or set the policy declares (`event` alone).
 */
export function lowerEventPath(sym: Symbols, p: A.PathExpr, has = false): Lowered | undefined {
  if (p.segments.length === 0 && (sym.consts.has(p.root) || sym.setDecls.has(p.root))) return undefined;
  const text = [p.root, ...p.segments].join(".");
  const bad: Lowered = { ir: { k: "lit", value: false }, type: has ? "boolean" : "any" };
  if (whereDepth === 0) {
    sym.diagnostics.push(eventOutsideHistory(p.span, text));
    return bad;
  }
  const field = p.segments[0] as EventField | undefined;
  const rest = p.segments.slice(1);
  if (p.calls || field === undefined || !Object.prototype.hasOwnProperty.call(FIELDS, field) || (field !== "args" && rest.length > 0)) {
    sym.diagnostics.push(unknownAttribute(p.span, text, FIELD_NAMES));
    return bad;
  }
  const ir: IrEvent = { k: "event", field, path: rest, text, ...(has && { has: true as const }) };
  return { ir, type: has ? "boolean" : field === "args" && rest.length > 0 ? "any" : FIELDS[field] };
}

function lowerMatch(sym: Symbols, m: A.EventMatch, lower: Lower): IrEventMatch | undefined {
  let kind: EventKind | undefined;
  if (!m.kind) sym.diagnostics.push(unknownEventKind(m.span, undefined, EVENT_KINDS));
  else if (!(EVENT_KINDS as readonly string[]).includes(m.kind.text)) sym.diagnostics.push(unknownEventKind(m.kind.span, m.kind.text, EVENT_KINDS));
  else kind = m.kind.text as EventKind;
  // A set name lowers to one pattern per member, so success is "no new error", not "one pattern per name".
  const errorsBefore = sym.diagnostics.filter((x) => x.severity === "error").length;
  const tools = lowerPatterns(sym, { kind: "rule", effect: "deny", target: "tool", patterns: m.names, span: m.span });
  const patternsOk = sym.diagnostics.filter((x) => x.severity === "error").length === errorsBefore;
  let where: Lowered | undefined;
  if (m.where) {
    whereDepth++;
    try {
      where = lower(sym, m.where);
    } finally {
      whereDepth--;
    }
    if (where.type !== "boolean" && where.type !== "any") sym.diagnostics.push(notBoolean(m.where.span, where.type));
  }
  if (!kind || !patternsOk) return undefined;
  return { kind, tools, ...(where && { where: where.ir }) };
}

const BAD_BOOL: Lowered = { ir: { k: "lit", value: false }, type: "boolean" };

export function lowerHistory(sym: Symbols, e: A.HistoryExpr, lower: Lower): Lowered {
  const d = sym.diagnostics;
  const aggregate = e.op === "sum" || e.op === "min" || e.op === "max";
  const type: Lowered["type"] = aggregate || e.op === "count" ? "number" : "boolean";
  const bad: Lowered = type === "number" ? { ir: { k: "lit", value: 0 }, type } : BAD_BOOL;
  if (whereDepth > 0) {
    d.push(invalidHistory(e.span, "a history predicate cannot appear inside the `where` of another", "write the two predicates side by side, joined with `and` / `or`"));
    return bad;
  }
  let ok = true;
  const errorsBefore = d.filter((x) => x.severity === "error").length;
  const m = lowerMatch(sym, e.match, lower);
  if (!m) ok = false;
  let since: IrEventMatch | undefined;
  if (e.since) {
    if (e.op !== "no") {
      d.push(invalidHistory(e.since.span, `\`since\` belongs to \`no\`, not \`${e.op}\``, "write `no KIND tool NAMES since KIND tool NAMES`"));
      ok = false;
    } else {
      since = lowerMatch(sym, e.since, lower);
      if (!since) ok = false;
    }
  }
  let windowMs: number | undefined;
  if (e.within) {
    if (e.op === "no" || e.op === "previous") {
      d.push(invalidHistory(e.within.span, `\`${e.op}\` takes no window`, e.op === "no" ? "to ask for no such event in a window, write `not after KIND tool NAMES within N UNIT`" : "`previous` looks at the session's last event only"));
      ok = false;
    } else {
      windowMs = durationMs(sym, e.within);
      if (windowMs === undefined) ok = false;
      else {
        const r = retentionOf(sym);
        if (windowMs > r.ttlMs) {
          d.push(windowAboveRetention(e.within.span, `${e.within.value} ${e.within.unit.text}`, describeMs(r.ttlMs), r.events));
          ok = false;
        }
      }
    }
  }
  let value: IrEvent | undefined;
  if (aggregate) {
    const p = e.path!;
    if (p.root !== "event" || p.segments[0] !== "args" || p.segments.length < 2) {
      d.push(invalidHistory(p.span, `\`${e.op}\` adds up an argument of the past events, read as \`event.args.NAME\``, `write e.g. \`${e.op} event.args.amount of completed tool transfer\``));
      ok = false;
    } else {
      whereDepth++;
      try {
        const l = lowerEventPath(sym, p);
        if (l?.ir.k === "event") value = l.ir;
        else ok = false;
      } finally {
        whereDepth--;
      }
    }
  }
  if (!ok || !m) {
    // Never lower a predicate to a constant silently: that would read as "no such event" and switch a deny off.
    if (d.filter((x) => x.severity === "error").length === errorsBefore) d.push(invalidHistory(e.span, "this history predicate could not be read", "report this: the checker refused it without saying why"));
    return bad;
  }
  const ir: IrHistory = {
    k: "history",
    op: e.op,
    m,
    ...(since && { since }),
    ...(windowMs !== undefined && { windowMs }),
    ...(value && { value }),
    text: historyText(e),
  };
  return { ir, type };
}

/** The predicate as written, shortened (for messages): `count completed tool a, b within 5 minutes`. */
function historyText(e: A.HistoryExpr): string {
  const m = (x: A.EventMatch) => `${x.kind?.text ?? "?"} tool ${x.names.map((n) => (n.quoted ? JSON.stringify(n.text) : n.text)).join(", ")}${x.where ? " where ..." : ""}`;
  const path = e.path ? ` ${[e.path.root, ...e.path.segments].join(".")} of` : "";
  return `${e.op}${path} ${m(e.match)}${e.since ? ` since ${m(e.since)}` : ""}${e.within ? ` within ${e.within.value} ${e.within.unit.text}` : ""}`;
}
