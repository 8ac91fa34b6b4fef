/**
 * History predicates in the IR (grammar/README.md "History"): pure data, like the rest of the IR.
 * `history` asks a question of the request's `session.history`; `event` reads the past event a
 * `where` is looking at (only ever inside an `IrEventMatch.where` or an aggregate's `path`).
 * The meaning lives once in eval/history.ts (reference) and codegen/history.ts (indexed); both must
 * agree on every request (test/differential-session.test.ts, test/conformance/history*.yaml).
 */
import type { IrExpr, IrPattern } from "./ir.js";

/** Which events an event kind names (contract/session.ts). */
export type EventKind = "attempted" | "allowed" | "denied" | "completed" | "failed";
export const EVENT_KINDS: readonly EventKind[] = ["attempted", "allowed", "denied", "completed", "failed"];

export type HistoryOp = "after" | "no" | "previous" | "count" | "sum" | "min" | "max";

/** `KIND tool NAMES [where EXPR]`. */
export interface IrEventMatch {
  readonly kind: EventKind;
  /** Tool names and globs, as in rule targets (name syntax). */
  readonly tools: readonly IrPattern[];
  /** Evaluated per event: `event.*` reads that event, every other read the current request. */
  readonly where?: IrExpr;
}

export interface IrHistory {
  readonly k: "history";
  readonly op: HistoryOp;
  readonly m: IrEventMatch;
  /** `no M since S`. */
  readonly since?: IrEventMatch;
  /** `within N UNIT`, in milliseconds. */
  readonly windowMs?: number;
  /** `sum|min|max event.PATH of ...`: the read on each matched event (an `event` node). */
  readonly value?: IrEvent;
  /** The predicate as written, for messages. */
  readonly text: string;
}

/** The fields of a past event a `where` may read. */
export type EventField = "args" | "tool" | "server" | "labels";

/** `event.args.x`, `event.tool`, `event.server`, `event.labels` (`has`: `has event.args.x`). */
export interface IrEvent {
  readonly k: "event";
  readonly field: EventField;
  /** Below `args`: the keys. */
  readonly path: readonly string[];
  readonly text: string;
  readonly has?: true;
}

/** Retention of a session's history (`session retain N events for DURATION`; defaults 1000 events, 24 hours). */
export interface IrSessionRetention {
  readonly events: number;
  readonly ttlMs: number;
}

/** Whether `e` holds a history predicate anywhere (it then reads the request's `session.history`). */
export function readsHistory(e: IrExpr): boolean {
  if (e.k === "history") return true;
  for (const v of Object.values(e)) {
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === "object" && typeof (x as { k?: unknown }).k === "string" && readsHistory(x as IrExpr)) return true;
    } else if (v !== null && typeof v === "object" && typeof (v as { k?: unknown }).k === "string" && readsHistory(v as IrExpr)) return true;
  }
  return false;
}
