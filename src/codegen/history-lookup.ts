/**
 * Lookups the compiled history predicates (codegen/history.ts) keep per history array, beside its
 * kind/tool buckets, so a call does not scan the events of a bucket:
 * - an equality index for a `where` of the shape `event.F == X` (or `X == event.F`), X reading no
 *   past event: the bucket's positions grouped by the value `event.F` reads on each event, and the
 *   positions per value type (string, number, boolean);
 * - the values a `sum` / `min` / `max` reads, per bucket position, with whether each is a finite number.
 * GUARANTEES (what lets codegen/history.ts answer from them and still agree with eval/history.ts):
 * - a position is grouped under a value only when `readEventOf` reads a scalar there (a string, a
 *   number that is not NaN, a boolean: what `opEquals` compares without erring); a position whose read
 *   errs or yields anything else is in no group and no type list;
 * - so, with X's value of type T: `where` holds exactly on the positions grouped under that value, and
 *   errs on no position of a range exactly when every position of the range is in T's list. Whenever a
 *   range holds a position that would err, the caller runs the reference loop (it alone says which
 *   error comes first).
 * - everything here is a function of the history array (identity and length) and the IR node.
 */
import type { PolicyRequest } from "../contract/index.js";
import type { SessionEvent } from "../contract/session.js";
import type { IrEvent, IrExpr, Scalar } from "../ir/ir.js";
import { readEventOf } from "../eval/history.js";

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
  if (l.k === "event" && l.has !== true && !readsEvent(r)) return { event: l, other: compileExpr(r) };
  if (r.k === "event" && r.has !== true && !readsEvent(l)) return { event: r, other: compileExpr(l) };
  return undefined;
}

export const isScalar = (v: unknown): v is Scalar => typeof v === "string" || (typeof v === "number" && v === v) || typeof v === "boolean";

export interface EqIndex {
  /** Bucket positions (ascending) per value read. */
  readonly byValue: Map<Scalar, number[]>;
  /** Bucket positions (ascending) whose value is of each scalar type. */
  readonly byType: { readonly string: number[]; readonly number: number[]; readonly boolean: number[] };
}

export function buildEqIndex(h: readonly SessionEvent[], c: readonly number[], event: IrEvent): EqIndex {
  const byValue = new Map<Scalar, number[]>();
  const byType = { string: [] as number[], number: [] as number[], boolean: [] as number[] };
  for (let j = 0; j < c.length; j++) {
    let v: unknown;
    try {
      v = readEventOf(event, h[c[j]!]!);
    } catch {
      continue;
    }
    if (!isScalar(v)) continue;
    byType[typeof v as "string" | "number" | "boolean"].push(j);
    const list = byValue.get(v);
    if (list === undefined) byValue.set(v, [j]);
    else list.push(j);
  }
  return { byValue, byType };
}

export interface ValueCache {
  /** The value read at each bucket position (0 where not a finite number). */
  readonly v: Float64Array;
  /** 1 where the read gave a finite number; 0 where it erred or gave anything else. */
  readonly ok: Uint8Array;
  /** Suffix aggregates over all positions (`null`) and over each equality group's positions, built on first use. */
  readonly suffixes: Map<readonly number[] | null, Suffix>;
}

export function buildValueCache(h: readonly SessionEvent[], c: readonly number[], value: IrEvent): ValueCache {
  const v = new Float64Array(c.length);
  const ok = new Uint8Array(c.length);
  for (let j = 0; j < c.length; j++) {
    let x: unknown;
    try {
      x = readEventOf(value, h[c[j]!]!);
    } catch {
      continue;
    }
    if (typeof x === "number" && Number.isFinite(x)) {
      v[j] = x;
      ok[j] = 1;
    }
  }
  return { v, ok, suffixes: new Map() };
}

/**
 * Aggregates of the values over each suffix `[k, end)` of a list of positions (a window always runs to
 * the newest event, so every range asked is a suffix). `bad[k]`: positions in the suffix whose value is
 * not a finite number (the caller then runs the reference loop, which says which error comes first).
 * `sum` only when `exactSum`: every value is an integer and every partial sum stays a safe integer, so
 * no addition rounds and any order of adding gives the reference's (left to right) sum exactly.
 */
export interface Suffix {
  readonly bad: Int32Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly sum: Float64Array;
  readonly exactSum: boolean;
}

export function suffixOf(vc: ValueCache, list: readonly number[] | null, n: number): Suffix {
  let s = vc.suffixes.get(list);
  if (s !== undefined) return s;
  const len = list === null ? n : list.length;
  const bad = new Int32Array(len + 1);
  const min = new Float64Array(len + 1);
  const max = new Float64Array(len + 1);
  const sum = new Float64Array(len + 1);
  min[len] = Infinity;
  max[len] = -Infinity;
  let exactSum = true;
  let abs = 0;
  for (let k = len - 1; k >= 0; k--) {
    const j = list === null ? k : list[k]!;
    const ok = vc.ok[j] === 1;
    const x = ok ? vc.v[j]! : 0;
    bad[k] = bad[k + 1]! + (ok ? 0 : 1);
    min[k] = ok ? Math.min(min[k + 1]!, x) : min[k + 1]!;
    max[k] = ok ? Math.max(max[k + 1]!, x) : max[k + 1]!;
    sum[k] = sum[k + 1]! + x;
    abs += Math.abs(x);
    if (!Number.isInteger(x) || abs > Number.MAX_SAFE_INTEGER) exactSum = false;
  }
  s = { bad, min, max, sum, exactSum };
  vc.suffixes.set(list, s);
  return s;
}

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
  return t.length - lowerBound(t, p) === n - p;
}
