/**
 * History predicates, compiled: the meaning of eval/history.ts (the reference scan), answered from an
 * index of the request's `session.history` built once per history array and kept in a WeakMap keyed
 * by it. Per event kind: the indexes of the matching `tools/call` events, all of them and per tool
 * name, ascending (events are oldest first, so also by time). A window is a binary search on a bucket;
 * `after`/`count` without `where` never touch an event. A `where event.F == X` is answered from an
 * equality index (codegen/history-lookup.ts: events grouped by the value they read), and `sum`/`min`/
 * `max` from suffix aggregates of the values they read, all built on first use per history array; any
 * other `where`, and any range where some event would make the `where` or the value read err, runs
 * the reference loop over the bucket, in the order the reference scans, so both meet the same first
 * error.
 * INVARIANT: agrees with eval/history.ts on every request (test/differential-session.test.ts, test/history-index.test.ts, test/conformance/history*.yaml).
 * INVARIANT: the index depends only on the history array (its identity and length): a host must not
 * change a history after handing it over (request validation remembers it the same way).
 */
import type { PolicyRequest } from "../contract/index.js";
import type { SessionEvent } from "../contract/session.js";
import type { EventKind, IrEventMatch, IrExpr, IrHistory } from "../ir/ir.js";
import { EVENT_KINDS } from "../ir/history.js";
import { patternMatches } from "../ir/match.js";
import { droppedError, emptyError, eventMatches, historyOf, kindHolds, notNumberError, nowOf, reachesDropped, readEventOf, toolOf, whereHolds, windowStart } from "../eval/history.js";
import { buildEqIndex, buildValueCache, cleanFrom, eqWhereOf, keyOf, lowerBound, suffixOf, type EqIndex, type EqWhere, type ValueCache } from "./history-lookup.js";

type Pred = (req: PolicyRequest) => boolean;
type Fn = (req: PolicyRequest) => unknown;

interface KindBuckets {
  readonly all: number[];
  readonly byTool: Map<string, number[]>;
}

interface HistoryIndex {
  readonly length: number;
  readonly at: Float64Array;
  readonly kinds: Readonly<Record<EventKind, KindBuckets>>;
  /** Buckets merged for an event match whose names are globs or several (per IR node). */
  readonly merged: Map<IrEventMatch, readonly number[]>;
  /** Equality indexes of an event match's bucket (per IR node with an equality `where`). */
  readonly eq: Map<IrEventMatch, EqIndex>;
  /** The values a `sum`/`min`/`max` reads, per position of its bucket (per IR node). */
  readonly values: Map<IrHistory, ValueCache>;
}

const INDEXES = new WeakMap<readonly SessionEvent[], HistoryIndex>();
const EMPTY: readonly number[] = [];

function indexOf(h: readonly SessionEvent[]): HistoryIndex {
  const cached = INDEXES.get(h);
  if (cached !== undefined && cached.length === h.length) return cached;
  const at = new Float64Array(h.length);
  const kinds = {} as Record<EventKind, KindBuckets>;
  for (const k of EVENT_KINDS) kinds[k] = { all: [], byTool: new Map() };
  for (let i = 0; i < h.length; i++) {
    const ev = h[i]!;
    at[i] = ev.at;
    const tool = toolOf(ev);
    if (tool === undefined) continue;
    for (const k of EVENT_KINDS) {
      if (!kindHolds(k, ev)) continue;
      const b = kinds[k];
      b.all.push(i);
      const list = b.byTool.get(tool);
      if (list === undefined) b.byTool.set(tool, [i]);
      else list.push(i);
    }
  }
  const idx: HistoryIndex = { length: h.length, at, kinds, merged: new Map(), eq: new Map(), values: new Map() };
  INDEXES.set(h, idx);
  return idx;
}

/** The candidates of an event match (kind and tool, not `where`), ascending: how to find them, chosen once per node. */
function candidates(m: IrEventMatch): (idx: HistoryIndex) => readonly number[] {
  const kind = m.kind;
  const only = m.tools.length === 1 ? m.tools[0]! : undefined;
  if (only?.kind === "exact") {
    const name = only.text;
    return (idx) => idx.kinds[kind].byTool.get(name) ?? EMPTY;
  }
  if (m.tools.some((p) => p.kind === "glob" && p.text === "*")) return (idx) => idx.kinds[kind].all;
  return (idx) => {
    let c = idx.merged.get(m);
    if (c === undefined) {
      const parts: number[] = [];
      for (const [tool, list] of idx.kinds[kind].byTool) if (m.tools.some((p) => patternMatches(p, tool))) for (const i of list) parts.push(i);
      idx.merged.set(m, (c = parts.sort((a, b) => a - b)));
    }
    return c;
  };
}

/** The first position in `c` whose event is at or after `start`. */
function fromTime(c: readonly number[], at: Float64Array, start: number): number {
  if (start === -Infinity) return 0;
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at[c[mid]!]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first position in `c` holding an event index above `i`. */
function after(c: readonly number[], i: number): number {
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c[mid]! <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The equality index of `m`'s bucket `c` in `idx` (built on first use). */
function eqIndexOf(idx: HistoryIndex, h: readonly SessionEvent[], m: IrEventMatch, c: readonly number[], eq: EqWhere): EqIndex {
  let ix = idx.eq.get(m);
  if (ix === undefined) idx.eq.set(m, (ix = buildEqIndex(h, c, eq.event)));
  return ix;
}

/** The values `e` reads on `e.m`'s bucket `c` in `idx` (built on first use). */
function valuesOf(idx: HistoryIndex, h: readonly SessionEvent[], e: IrHistory, c: readonly number[]): ValueCache {
  let vc = idx.values.get(e);
  if (vc === undefined) idx.values.set(e, (vc = buildValueCache(h, c, e.value!)));
  return vc;
}

/**
 * Whether some event of `c` from position `p` on satisfies `where`: from the equality index when `where`
 * has that shape (a match is certain; no match is certain only when no event of the range errs), else
 * (and whenever the index cannot say) the reference loop, `someFrom`.
 */
function anyFrom(idx: HistoryIndex, h: readonly SessionEvent[], m: IrEventMatch, c: readonly number[], p: number, where: Pred | undefined, eq: EqWhere | undefined, req: PolicyRequest): boolean {
  if (eq !== undefined) {
    const key = keyOf(eq, req);
    if (key !== undefined) {
      const ix = eqIndexOf(idx, h, m, c, eq);
      const hits = ix.byValue.get(key);
      if (hits !== undefined && hits[hits.length - 1]! >= p) return true;
      if (cleanFrom(ix, key, p, c.length)) return false;
    }
  }
  return someFrom(h, c, p, where, req);
}

export function compileHistory(e: IrHistory, compilePred: (x: IrExpr) => Pred, compileExpr: (x: IrExpr) => Fn): Fn {
  const cands = candidates(e.m);
  const where = e.m.where && compilePred(e.m.where);
  const eq = eqWhereOf(e.m.where, compileExpr);
  switch (e.op) {
    case "after":
      return (req) => {
        const h = historyOf(req, e);
        const idx = indexOf(h);
        const c = cands(idx);
        const start = e.windowMs === undefined ? -Infinity : windowStart(e, nowOf(req));
        const p = fromTime(c, idx.at, start);
        if (anyFrom(idx, h, e.m, c, p, where, eq, req)) return true;
        if (reachesDropped(req, start)) throw droppedError(e, req);
        return false;
      };
    case "count":
    case "sum":
    case "min":
    case "max": {
      const op = e.op;
      const value = e.value;
      /** The reference loop over positions `p..` of `c` (every `where` run, every value read). */
      const scan = (req: PolicyRequest, h: readonly SessionEvent[], c: readonly number[], p: number): number => {
        let n = 0;
        let acc = op === "min" ? Infinity : op === "max" ? -Infinity : 0;
        for (; p < c.length; p++) {
          const ev = h[c[p]!]!;
          if (where !== undefined) {
            const t = whereHolds(ev, where, req);
            if (t === false) continue;
            if (t !== true) throw t;
          }
          n++;
          if (op === "count") continue;
          const v = readEventOf(value!, ev);
          if (typeof v !== "number" || !Number.isFinite(v)) throw notNumberError(e, v);
          acc = op === "sum" ? acc + v : op === "min" ? Math.min(acc, v) : Math.max(acc, v);
        }
        if (op === "count") return n;
        if (n === 0 && op !== "sum") throw emptyError(e);
        return acc;
      };
      /**
       * The same answer from the lookups (a window is a suffix of the bucket, and of an equality
       * group), or undefined when the lookups cannot give it: a position of the range would err, an
       * inexact sum, a `min`/`max` of nothing (the reference loop then says what happens).
       */
      const fast = (req: PolicyRequest, idx: HistoryIndex, h: readonly SessionEvent[], c: readonly number[], p: number): number | undefined => {
        let hits: readonly number[] | null = null;
        let k = p;
        if (where !== undefined) {
          if (eq === undefined) return undefined;
          const key = keyOf(eq, req);
          if (key === undefined) return undefined;
          const ix = eqIndexOf(idx, h, e.m, c, eq);
          if (!cleanFrom(ix, key, p, c.length)) return undefined;
          hits = ix.byValue.get(key) ?? EMPTY;
          k = lowerBound(hits, p);
          if (op === "count") return hits.length - k;
        }
        const sx = suffixOf(valuesOf(idx, h, e, c), hits, c.length);
        if (sx.bad[k] !== 0) return undefined;
        if (op === "sum") return sx.exactSum ? sx.sum[k]! : undefined;
        if ((hits === null ? c.length : hits.length) === k) return undefined;
        return op === "min" ? sx.min[k]! : sx.max[k]!;
      };
      return (req) => {
        const h = historyOf(req, e);
        const start = e.windowMs === undefined ? -Infinity : windowStart(e, nowOf(req));
        if (reachesDropped(req, start)) throw droppedError(e, req);
        const idx = indexOf(h);
        const c = cands(idx);
        const p = fromTime(c, idx.at, start);
        if (op === "count" && where === undefined) return c.length - p;
        return fast(req, idx, h, c, p) ?? scan(req, h, c, p);
      };
    }
    case "previous": {
      const m = e.m;
      return (req) => {
        const h = historyOf(req, e);
        const last = h[h.length - 1];
        if (last === undefined) {
          if (reachesDropped(req, -Infinity)) throw droppedError(e, req);
          return false;
        }
        if (!eventMatches(m, last)) return false;
        if (where === undefined) return true;
        const t = whereHolds(last, where, req);
        if (t !== true && t !== false) throw t;
        return t;
      };
    }
    case "no": {
      const since = e.since;
      const sinceCands = since && candidates(since);
      const sinceWhere = since?.where && compilePred(since.where);
      const sinceEq = eqWhereOf(since?.where, compileExpr);
      /** The newest position of `s` whose event satisfies `since`'s `where` (-1: none), or undefined when the index cannot say. */
      const anchorFast = (req: PolicyRequest, idx: HistoryIndex, h: readonly SessionEvent[], s: readonly number[]): number | undefined => {
        const key = keyOf(sinceEq!, req);
        if (key === undefined) return undefined;
        const ix = eqIndexOf(idx, h, since!, s, sinceEq!);
        const hits = ix.byValue.get(key);
        const q = hits === undefined ? -1 : hits[hits.length - 1]!;
        return cleanFrom(ix, key, q + 1, s.length) ? q : undefined;
      };
      return (req) => {
        const h = historyOf(req, e);
        const idx = indexOf(h);
        let anchor = -1;
        if (sinceCands !== undefined) {
          const s = sinceCands(idx);
          const q = sinceWhere === undefined ? s.length - 1 : sinceEq === undefined ? undefined : anchorFast(req, idx, h, s);
          if (q !== undefined) anchor = q < 0 ? -1 : s[q]!;
          else {
            for (let p = s.length - 1; p >= 0; p--) {
              const t = whereHolds(h[s[p]!]!, sinceWhere!, req);
              if (t === true) {
                anchor = s[p]!;
                break;
              }
              if (t !== false) throw t;
            }
          }
        }
        const c = cands(idx);
        if (anyFrom(idx, h, e.m, c, after(c, anchor), where, eq, req)) return false;
        if (anchor < 0 && reachesDropped(req, -Infinity)) throw droppedError(e, req);
        return true;
      };
    }
  }
}

/**
 * Whether some candidate event from position `p` on satisfies `where` (no `where`: whether any is left).
 * A `where` that errs on one event and holds on none throws the first error (fail closed).
 */
function someFrom(h: readonly SessionEvent[], c: readonly number[], p: number, where: Pred | undefined, req: PolicyRequest): boolean {
  if (where === undefined) return p < c.length;
  let first: Error | undefined;
  for (; p < c.length; p++) {
    const t = whereHolds(h[c[p]!]!, where, req);
    if (t === true) return true;
    if (t !== false) first ??= t;
  }
  if (first) throw first;
  return false;
}
