/**
 * History predicates, the reference meaning (grammar/README.md "History"): a plain scan of the
 * request's `session.history` per predicate. The compiled function (codegen/history.ts) answers the
 * same questions from an index and must agree on every request; both share the pieces here (event
 * kinds, tool matching, the `event.*` reads, "now", the fail-closed errors; the request check of a history is eval/history-check.ts).
 * INVARIANTS:
 * - fail closed: a request without `session.history` errs (missing history never counts as empty); an
 *   answer that events dropped by retention could change errs (`historyDroppedUntil`);
 * - order: events are scanned oldest first (newest first for the `since` anchor), so both evaluators
 *   meet the same first error;
 * - `event.*` reads the event a `where` is looking at through one cell (`withEvent`), saved and
 *   restored around each use, so a getter that calls `decide` again cannot confuse two scans.
 */
import { ATTRIBUTES, parseTime, type PolicyRequest } from "../contract/index.js";
import type { SessionEvent } from "../contract/session.js";
import { EvalError } from "../contract/errors.js";
import type { EventKind, IrEvent, IrEventMatch, IrExpr, IrHistory } from "../ir/ir.js";
import { patternMatches } from "../ir/match.js";
import { LentWindow } from "./history-window.js";
import { LENT_HISTORY, lentOf } from "./lent-history.js";

// ---- the request's history (its check: eval/history-check.ts) ----

/**
 * The history a predicate reads, or EvalError: missing history never reads as an empty one. A history a
 * store lent (lent-history.ts) is its window, as a frozen array made on first use; the placeholder
 * without a lent window errs.
 */
export function historyOf(req: PolicyRequest, e: IrHistory): readonly SessionEvent[] {
  const h = historySourceOf(req, e);
  return h instanceof LentWindow ? h.window() : h;
}

/**
 * What `historyOf` reads, without making a lent window's array: the history array, or the window a store
 * lent (the compiled index reads its events in place). Errs as `historyOf`.
 */
export function historySourceOf(req: PolicyRequest, e: IrHistory): readonly SessionEvent[] | LentWindow {
  const h = req.session?.history;
  if (h === undefined) throw new EvalError(`\`${e.text}\` reads the session's history, which the request does not carry`);
  if (h !== LENT_HISTORY) return h;
  const lent = lentOf(req.session);
  if (lent === undefined) throw new EvalError(`\`${e.text}\` reads the session's history, which a store lent but the session does not hold`);
  return lent;
}

/** "Now" for windows: the request's time, else the clock (as the `time.*` attributes read it). */
export function nowOf(req: PolicyRequest): number {
  if (req.time === undefined) return Date.now();
  const t = parseTime(req.time);
  if (t === undefined) throw new EvalError("`time` is not a valid time");
  return t;
}

/** Where a predicate's window starts (events at or after it count); -Infinity without `within`. */
export const windowStart = (e: IrHistory, now: number): number => (e.windowMs === undefined ? -Infinity : now - e.windowMs);

/** Whether events dropped by retention could lie in a window starting at `start`. */
export const reachesDropped = (req: PolicyRequest, start: number): boolean => {
  const d = req.session?.historyDroppedUntil;
  return d !== undefined && start <= d;
};

export function droppedError(e: IrHistory, req: PolicyRequest): EvalError {
  return new EvalError(`\`${e.text}\` needs events the session no longer keeps (history dropped until ${req.session?.historyDroppedUntil}): its answer is not known`);
}

export function emptyError(e: IrHistory): EvalError {
  return new EvalError(`\`${e.text}\`: no event matches, so there is no ${e.op === "min" ? "minimum" : "maximum"}`);
}

export function notNumberError(e: IrHistory, v: unknown): EvalError {
  return new EvalError(`\`${e.text}\`: \`${e.value?.text}\` is ${typeof v === "object" ? (v === null ? "null" : "not a number") : JSON.stringify(v)} on a matching event, not a number`);
}

// ---- events ----

/** Whether an event is of a kind (contract/session.ts says which events each kind names). */
export function kindHolds(kind: EventKind, ev: SessionEvent): boolean {
  switch (kind) {
    case "attempted":
      return true;
    case "allowed":
      return ev.effect === "allow";
    case "denied":
      return ev.effect !== "allow";
    case "completed":
      return ev.outcome === "ok";
    case "failed":
      return ev.outcome === "error";
  }
}

/** The tool name of a `tools/call` event, or undefined (other events never match `tool NAMES`). */
export const toolOf = (ev: SessionEvent): string | undefined => (ev.method === "tools/call" && typeof ev.target === "string" ? ev.target : undefined);

/** Kind and tool, without the `where`. */
export function eventMatches(m: IrEventMatch, ev: SessionEvent): boolean {
  if (!kindHolds(m.kind, ev)) return false;
  const tool = toolOf(ev);
  if (tool === undefined) return false;
  for (const p of m.tools) if (patternMatches(p, tool)) return true;
  return false;
}

let current: SessionEvent | undefined;

/** Whether a `where` is running (`event.*` bound): what it computes may depend on the event. */
export const insideWhere = (): boolean => current !== undefined;

/** Run `f` with `event.*` reading `ev` (restored after, so nested decides stay apart). */
export function withEvent<T>(ev: SessionEvent, f: () => T): T {
  const prev = current;
  current = ev;
  try {
    return f();
  } finally {
    current = prev;
  }
}

const argsRow = ATTRIBUTES.args;

/**
 * Whether `ev` passes a compiled `where` (`event.*` reading `ev`): true, false, or the EvalError it
 * raised. No closure per event: the compiled function's inner loop.
 */
export function whereHolds(ev: SessionEvent, where: (req: PolicyRequest) => boolean, req: PolicyRequest): boolean | EvalError {
  const prev = current;
  current = ev;
  try {
    return where(req);
  } catch (err) {
    if (err instanceof EvalError) return err;
    throw err;
  } finally {
    current = prev;
  }
}

/** `event.*` of the event a `where` is looking at; EvalError outside one. */
export function readEvent(e: IrEvent): unknown {
  const ev = current;
  if (ev === undefined) throw new EvalError(`\`${e.text}\` is read outside a history predicate`);
  return readEventOf(e, ev);
}

/** `event.args.x`, `event.tool`, `event.server`, `event.labels` of `ev`; EvalError when absent. */
export function readEventOf(e: IrEvent, ev: SessionEvent): unknown {
  switch (e.field) {
    case "tool":
      if (e.has) return ev.target !== undefined;
      if (ev.target === undefined) throw new EvalError(`\`${e.text}\` is missing`);
      return ev.target;
    case "server":
      if (e.has) return ev.server !== undefined;
      if (ev.server === undefined) throw new EvalError(`\`${e.text}\` is missing: the event names no server`);
      return ev.server;
    case "labels":
      return e.has ? true : (ev.labels ?? []);
    case "args": {
      if (ev.argsDropped) throw new EvalError(`\`${e.text}\`: the event's arguments were too large to keep`);
      const req = { arguments: ev.args ?? {} } as PolicyRequest;
      if (e.has) return argsRow.has(req, e.path);
      if (e.path.length === 0) return ev.args ?? {};
      return argsRow.read(req, e.path, e.text);
    }
  }
}

// ---- the reference scan ----

type Cond = (x: IrExpr, req: PolicyRequest) => boolean;

/** Whether `ev` matches `m`: true, false, or the EvalError its `where` raised. */
function test(m: IrEventMatch, ev: SessionEvent, req: PolicyRequest, cond: Cond): boolean | EvalError {
  if (!eventMatches(m, ev)) return false;
  const where = m.where;
  if (where === undefined) return true;
  try {
    return withEvent(ev, () => cond(where, req));
  } catch (err) {
    if (err instanceof EvalError) return err;
    throw err;
  }
}

/** A history predicate over the whole history, scanned: a boolean or a number, or EvalError. */
export function evalHistory(e: IrHistory, req: PolicyRequest, cond: Cond): boolean | number {
  const h = historyOf(req, e);
  switch (e.op) {
    case "after": {
      const start = windowStart(e, nowOf(req));
      let first: EvalError | undefined;
      for (const ev of h) {
        if (ev.at < start) continue;
        const t = test(e.m, ev, req, cond);
        if (t === true) return true;
        if (t !== false) first ??= t;
      }
      if (first) throw first;
      if (reachesDropped(req, start)) throw droppedError(e, req);
      return false;
    }
    case "count":
    case "sum":
    case "min":
    case "max": {
      const start = windowStart(e, nowOf(req));
      if (reachesDropped(req, start)) throw droppedError(e, req);
      let n = 0;
      let acc = e.op === "min" ? Infinity : e.op === "max" ? -Infinity : 0;
      for (const ev of h) {
        if (ev.at < start) continue;
        const t = test(e.m, ev, req, cond);
        if (t === false) continue;
        if (t !== true) throw t;
        n++;
        if (e.op === "count") continue;
        const v = readEventOf(e.value!, ev);
        if (typeof v !== "number" || !Number.isFinite(v)) throw notNumberError(e, v);
        acc = e.op === "sum" ? acc + v : e.op === "min" ? Math.min(acc, v) : Math.max(acc, v);
      }
      if (e.op === "count") return n;
      if (n === 0 && e.op !== "sum") throw emptyError(e);
      return acc;
    }
    case "previous": {
      const last = h[h.length - 1];
      if (last === undefined) {
        if (reachesDropped(req, -Infinity)) throw droppedError(e, req);
        return false;
      }
      const t = test(e.m, last, req, cond);
      if (t !== true && t !== false) throw t;
      return t;
    }
    case "no": {
      // The anchor: the newest event matching `since` (an erring `where` met before it errs).
      let anchor = -1;
      if (e.since) {
        for (let i = h.length - 1; i >= 0; i--) {
          const t = test(e.since, h[i]!, req, cond);
          if (t === true) {
            anchor = i;
            break;
          }
          if (t !== false) throw t;
        }
      }
      let first: EvalError | undefined;
      for (let i = anchor + 1; i < h.length; i++) {
        const t = test(e.m, h[i]!, req, cond);
        if (t === true) return false;
        if (t !== false) first ??= t;
      }
      if (first) throw first;
      if (anchor < 0 && reachesDropped(req, -Infinity)) throw droppedError(e, req);
      return true;
    }
  }
}
