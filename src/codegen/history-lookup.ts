/**
 * Lookups the compiled history predicates (codegen/history.ts) keep per history array, beside its
 * kind/tool buckets, so a call does not scan the events of a bucket:
 * - an equality index for a `where` of the shape `event.F == X` (or `X == event.F`), X reading no
 *   past event: the bucket's positions grouped by the value `event.F` reads on each event, and the
 *   positions per value type (string, number, boolean);
 * - the values a `sum` / `min` / `max` reads, per bucket position, with whether each is a finite number,
 *   and their aggregates over any range that runs to the newest event.
 * Every lookup covers a bucket of an append-only log of events (codegen/history.ts) and grows with it:
 * it remembers how many positions it covers and catches up on use, never rebuilding what it holds.
 * GUARANTEES (what lets codegen/history.ts answer from them and still agree with eval/history.ts):
 * - a position is grouped under a value only when `readEventOf` reads a scalar there (a string, a
 *   number that is not NaN, a boolean: what `opEquals` compares without erring); a position whose read
 *   errs or yields anything else is in no group and no type list;
 * - so, with X's value of type T: `where` holds exactly on the positions grouped under that value, and
 *   errs on no position of a range exactly when every position of the range is in T's list. Whenever a
 *   range holds a position that would err, the caller runs the reference loop (it alone says which
 *   error comes first).
 * - everything here is a function of the log's events (positions `0..n`) and the IR node; positions
 *   before a history's first live event are still held, and the caller starts every range after them.
 */
import type { PolicyRequest } from "../contract/index.js";
import type { SessionEvent } from "../contract/session.js";
import type { IrEvent, IrExpr, Scalar } from "../ir/ir.js";
import { readEventOf } from "../eval/history.js";
import { remembered, slotOfAttr } from "./history-call.js";

type Fn = (req: PolicyRequest) => unknown;

/** A `where` the equality index answers: the past event's read and the current call's side. */
export interface EqWhere {
  readonly event: IrEvent;
  readonly other: Fn;
}

/** Whether an expression reads a past event (or holds a history predicate, which may); too deep to tell: yes. */
function readsEvent(x: unknown, depth = 0): boolean {
  if (depth > 100) return true;
  if (x === null || typeof x !== "object") return false;
  if (Array.isArray(x)) return x.some((y) => readsEvent(y, depth + 1));
  const o = x as Record<string, unknown>;
  if (o.k === "event" || o.k === "history") return true;
  for (const key of Object.keys(o)) if (key !== "span" && readsEvent(o[key], depth + 1)) return true;
  return false;
}

/** The equality shape of a `where`, or undefined (the compiled `where` is then run per event). */
export function eqWhereOf(where: IrExpr | undefined, compileExpr: (x: IrExpr) => Fn): EqWhere | undefined {
  if (where?.k !== "eq") return undefined;
  const { l, r } = where;
  if (l.k === "event" && l.has !== true && !readsEvent(r)) return { event: l, other: onceFor(r, compileExpr(r)) };
  if (r.k === "event" && r.has !== true && !readsEvent(l)) return { event: r, other: onceFor(l, compileExpr(l)) };
  return undefined;
}

/**
 * The call's side of an equality `where`, when an attribute read (`args.to`), read once per decision
 * for every predicate that reads the same attribute (history-call.ts `slotOfAttr`), as history-call.ts
 * remembers a predicate: it reads no past event, so its value depends on the request alone.
 */
function onceFor(node: IrExpr, f: Fn): Fn {
  if (node.k !== "attr") return f;
  const slot = slotOfAttr(node);
  return (req) => remembered(slot, req, f);
}

export const isScalar = (v: unknown): v is Scalar => typeof v === "string" || (typeof v === "number" && v === v) || typeof v === "boolean";

export interface EqIndex {
  /** Bucket positions covered so far (the bucket grows as its log does; `extendEqIndex` catches up). */
  n: number;
  /** Bucket positions (ascending) per value read. */
  readonly byValue: Map<Scalar, number[]>;
  /** Bucket positions (ascending) whose value is of each scalar type. */
  readonly byType: { readonly string: number[]; readonly number: number[]; readonly boolean: number[] };
}

/** What `event` reads on `ev`, or undefined where the read errs (neither lookup groups or counts such a position). */
function readOrUndefined(event: IrEvent, ev: SessionEvent): unknown {
  try {
    return readEventOf(event, ev);
  } catch {
    return undefined;
  }
}

export const newEqIndex = (): EqIndex => ({ n: 0, byValue: new Map(), byType: { string: [], number: [], boolean: [] } });

/** Groups positions `ix.n..c.length` of bucket `c` (positions of `log`) by the value `event` reads there. */
export function extendEqIndex(ix: EqIndex, log: readonly SessionEvent[], c: readonly number[], event: IrEvent): EqIndex {
  for (let j = ix.n; j < c.length; j++) {
    const v = readOrUndefined(event, log[c[j]!]!);
    if (!isScalar(v)) continue;
    ix.byType[typeof v as "string" | "number" | "boolean"].push(j);
    const list = ix.byValue.get(v);
    if (list === undefined) ix.byValue.set(v, [j]);
    else list.push(j);
  }
  ix.n = c.length;
  return ix;
}

export interface ValueCache {
  /** Bucket positions covered so far (`extendValueCache` catches up). */
  n: number;
  /** The value read at each bucket position (0 where not a finite number). */
  readonly v: number[];
  /** 1 where the read gave a finite number; 0 where it erred or gave anything else. */
  readonly ok: number[];
  /** Aggregates over all positions, built on first use (a field: no Map lookup per call). */
  all: Agg | undefined;
  /** Aggregates over each equality group's positions, built on first use. */
  readonly aggs: Map<readonly number[], Agg>;
}

export const newValueCache = (): ValueCache => ({ n: 0, v: [], ok: [], all: undefined, aggs: new Map() });

/** Reads `value` at positions `vc.n..c.length` of bucket `c` (positions of `log`). */
export function extendValueCache(vc: ValueCache, log: readonly SessionEvent[], c: readonly number[], value: IrEvent): ValueCache {
  for (let j = vc.n; j < c.length; j++) {
    const x = readOrUndefined(value, log[c[j]!]!);
    const ok = typeof x === "number" && Number.isFinite(x);
    vc.v.push(ok ? (x as number) : 0);
    vc.ok.push(ok ? 1 : 0);
  }
  vc.n = c.length;
  return vc;
}

/**
 * Aggregates of the values over the positions of a list (all bucket positions, or an equality group's),
 * kept so any range `[k, len)` (a window runs to the newest event, so every range asked is one) is
 * answered in O(log n), and an append costs O(1) amortized:
 * - `bad` and `sum` as prefix arrays (`bad[i]`: positions among the first `i` whose value is not a finite
 *   number; the caller then runs the reference loop, which says which error comes first); a range is a
 *   difference of two prefixes;
 * - `sum` only while `exactSum`: every value so far is an integer and the running total of absolute
 *   values stays a safe integer, so no prefix rounds, a difference of two is the range's exact sum, and
 *   any order of adding gives the reference's (left to right) sum;
 * - `min` / `max` as monotonic stacks of (list index, value): the first entry at an index at or above `k`
 *   holds the range's minimum / maximum (ties kept as `Math.min` / `Math.max` would pick them, signed
 *   zeros included).
 */
export interface Agg {
  /** List positions covered so far. */
  n: number;
  readonly bad: number[];
  readonly sum: number[];
  exactSum: boolean;
  abs: number;
  readonly minAt: number[];
  readonly minV: number[];
  readonly maxAt: number[];
  readonly maxV: number[];
}

/** The aggregates of `vc` over `list` (`null`: every bucket position, `n` of them), caught up to its end. */
export function aggOf(vc: ValueCache, list: readonly number[] | null, n: number): Agg {
  let a = list === null ? vc.all : vc.aggs.get(list);
  if (a === undefined) {
    a = { n: 0, bad: [0], sum: [0], exactSum: true, abs: 0, minAt: [], minV: [], maxAt: [], maxV: [] };
    if (list === null) vc.all = a;
    else vc.aggs.set(list, a);
  }
  const len = list === null ? n : list.length;
  if (a.n === len) return a;
  for (let k = a.n; k < len; k++) {
    const j = list === null ? k : list[k]!;
    const ok = vc.ok[j] === 1;
    const x = ok ? vc.v[j]! : 0;
    a.bad.push(a.bad[k]! + (ok ? 0 : 1));
    a.sum.push(a.sum[k]! + x);
    a.abs += Math.abs(x);
    if (!Number.isInteger(x) || a.abs > Number.MAX_SAFE_INTEGER) a.exactSum = false;
    if (!ok) continue;
    while (a.maxV.length > 0 && Object.is(Math.max(a.maxV[a.maxV.length - 1]!, x), x)) (a.maxV.pop(), a.maxAt.pop());
    a.maxV.push(x);
    a.maxAt.push(k);
    while (a.minV.length > 0 && Object.is(Math.min(a.minV[a.minV.length - 1]!, x), x)) (a.minV.pop(), a.minAt.pop());
    a.minV.push(x);
    a.minAt.push(k);
  }
  a.n = len;
  return a;
}

/** The value of a monotonic stack's first entry at a list index at or above `k` (the stack is not empty past `k`). */
export const stackFrom = (at: readonly number[], v: readonly number[], k: number): number => v[lowerBound(at, k)]!;

/** The first index of ascending `xs` holding a value at or above `p`. */
export function lowerBound(xs: readonly number[], p: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The current call's side of an equality `where`, when it is a scalar (its read did not err); else
 * undefined: the caller then runs the reference loop (every event errs on it).
 */
export function keyOf(eq: EqWhere, req: PolicyRequest): Scalar | undefined {
  let k: unknown;
  try {
    k = eq.other(req);
  } catch {
    return undefined;
  }
  return isScalar(k) ? k : undefined;
}

/** Whether no position of `[p, n)` would make the `where` err, with the call's side `key`. */
export function cleanFrom(ix: EqIndex, key: Scalar, p: number, n: number): boolean {
  const t = ix.byType[typeof key as "string" | "number" | "boolean"];
  // Every position of the bucket is of that type (the usual case): clean from anywhere, no search.
  return t.length === n || t.length - lowerBound(t, p) === n - p;
}
