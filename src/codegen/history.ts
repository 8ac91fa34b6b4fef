/**
 * History predicates, compiled: the meaning of eval/history.ts (the reference scan), answered from an
 * index of the request's `session.history`. The index lives over an append-only log of events (its
 * positions are log positions); a history array is a window `[base, end)` of a log. Per event kind: the
 * log positions of the matching `tools/call` events, all of them and per tool name, ascending (events
 * are oldest first, so also by time). A window's first log position is one binary search over the
 * log's times (WindowSeek, asked once per decision and window length: `windowFrom`), then a binary search on a bucket; `after`/`count` without `where` never
 * touch an event. A predicate several rules share (one hash-consed node) is answered once per decision
 * (codegen/history-call.ts). A `where event.F == X` is
 * answered from an equality index (codegen/history-lookup.ts: events grouped by the value they read),
 * and `sum`/`min`/`max` from aggregates of the values they read (prefix counts and sums, monotonic
 * stacks), all built on first use and caught up as the log grows; any other `where`, and any range
 * where some event would make the `where` or the value read err, runs the reference loop over the
 * bucket, in the order the reference scans, so both meet the same first error.
 * Reuse across arrays (the engine's store answers a new array per load, sharing the event objects):
 * a new array whose first event is in a log at `pos`, and whose first events are the log's events from
 * `pos` to its end (pointer compares), is that log's window with its new tail appended: the call costs
 * the new events, not the history. Anything else (another session, an older array of this one whose
 * window no longer ends at the log's end, a fork, a history holding a non-object) gets a fresh log; a
 * log is rebuilt when its dropped prefix would outgrow the live window (at most twice the live events
 * held). The array itself is remembered too (WeakMap), so a host that hands one array over pays once.
 * A store's window (eval/history-window.ts: frozen, made only by a store's EventLog, log positions never
 * rewritten) skips the pointer compares: its store log maps to one index log (`BY_STORE_LOG`, with the
 * store position of its first event), whose new tail it appends; an index log another path appended to
 * (a host's fork) is not used again for the store's windows. Its events are not entered in PLACES (a
 * host's copy of a window gets an index of its own). A window the engine's store LENT
 * (eval/lent-history.ts: `historySourceOf` answers it instead of an array) is indexed the same way,
 * reading its new tail in place; its array is made only when the index must start afresh.
 * Memory: events find their log through a WeakRef, and only the 64 logs used last are held strongly, so
 * the sessions a store keeps alive do not keep their indexes alive (beyond those, each compiled predicate
 * holds the log it read last, with its bucket and lookups: a pointer compare per call instead of a Map
 * lookup, and the history array is found in its index once per decision, `indexOnce`).
 * INVARIANT: agrees with eval/history.ts on every request (test/differential-session.test.ts,
 * test/history-index.test.ts, test/history-incremental.test.ts, test/conformance/history*.yaml).
 * INVARIANT: no range reaches a log position before the window's `base` (dropped events are held, never read).
 * INVARIANT: the index depends only on the event objects and the order the arrays hand them over in: a
 * host must not change a history, or an event in it, after handing it over (request validation
 * remembers histories the same way; the engine's events are deep-frozen).
 * LIMIT (not defended): a `where` whose reads re-enter `decide` (a getter on the request) with a longer
 * history of the same session grows the log under the outer call, whose ranges then run to the new end.
 */
import type { PolicyRequest } from "../contract/index.js";
import type { SessionEvent } from "../contract/session.js";
import type { IrEventMatch, IrExpr, IrHistory } from "../ir/ir.js";
import { EVENT_KINDS } from "../ir/history.js";
import { patternMatches } from "../ir/match.js";
import { droppedError, emptyError, eventMatches, historySourceOf, kindHolds, notNumberError, nowOf, reachesDropped, readEventOf, toolOf, whereHolds } from "../eval/history.js";
import { decisionSerial, remembered, slotOf, type Slot } from "./history-call.js";
import { aggOf, cleanFrom, eqWhereOf, extendEqIndex, extendValueCache, keyOf, lowerBound, newEqIndex, newValueCache, stackFrom, type Agg, type EqIndex, type EqWhere, type ValueCache } from "./history-lookup.js";
import { RecentlyUsed } from "../eval/recently-used.js";
import { LentWindow, windowEventAt, windowOf, type EventLog, type WindowOf } from "../eval/history-window.js";

type Pred = (req: PolicyRequest) => boolean;
type Fn = (req: PolicyRequest) => unknown;

interface KindBuckets {
  readonly all: number[];
  readonly byTool: Map<string, number[]>;
}

/** A glob/several-name bucket, merged from the kind's buckets, and the log positions it covers. */
interface Merged {
  readonly list: number[];
  upto: number;
}

/**
 * An append-only log of events and its index: buckets of log positions, and the lookups built on them.
 * A history is a window `[base, end)` of a log (a View); every lookup covers the whole log and grows
 * with it, so a history that slides forward (oldest events dropped, new ones appended) costs the new
 * events only.
 */
interface Log {
  readonly events: SessionEvent[];
  readonly at: number[];
  /** Per event kind, in EVENT_KINDS order (an array: one element load, whichever kind a node asks). */
  readonly kinds: readonly KindBuckets[];
  /** Buckets merged for an event match whose names are globs or several (per IR node). */
  readonly merged: Map<IrEventMatch, Merged>;
  /** Equality indexes of an event match's bucket (per IR node with an equality `where`). */
  readonly eq: Map<IrEventMatch, EqIndex>;
  /** The values a `sum`/`min`/`max` reads, per position of its bucket (per IR node). */
  readonly values: Map<IrHistory, ValueCache>;
  /** The weak reference PLACES hold (set once, when the log is made). */
  ref: WeakRef<Log>;
}

/** A history array seen as a window of a log: its events are `log.events[base..end)`. Valid while `end` is the log's end. */
interface HistoryIndex {
  readonly log: Log;
  readonly base: number;
  readonly end: number;
  readonly length: number;
}

const INDEXES = new WeakMap<readonly SessionEvent[], HistoryIndex>();
/**
 * The log an event object last entered (set on entry; a history whose first event is found here may
 * extend that log; its position there is found by its time, `at` never decreasing along a log, and then
 * by identity). One shared value per log, no object per event. The log is held weakly: the store keeps its events alive for the session's life, and
 * a log with its lookups is far larger than the events; only the RECENT logs are held strongly.
 */
const PLACES = new WeakMap<object, WeakRef<Log>>();
/** The 64 logs used last, held strongly: at most that many sessions keep their index between calls. */
const RECENT = new RecentlyUsed<Log>(64);
const touch = (log: Log): void => RECENT.touch(log);
const EMPTY: readonly number[] = [];

const isEventObject = (ev: unknown): ev is SessionEvent => typeof ev === "object" && ev !== null;

/** Appends `ev` to `log`; `placed`: the event finds the log (PLACES) for a later array's pointer compares. */
function append(log: Log, ev: SessionEvent, placed = true): void {
  const i = log.events.length;
  log.events.push(ev);
  log.at.push(ev.at);
  if (placed) PLACES.set(ev, log.ref);
  bucket(log, i, ev);
}

/** Files log position `i` (event `ev`) under each kind it holds, by its tool. */
function bucket(log: Log, i: number, ev: SessionEvent): void {
  const tool = toolOf(ev);
  if (tool === undefined) return;
  for (let ki = 0; ki < EVENT_KINDS.length; ki++) {
    if (!kindHolds(EVENT_KINDS[ki]!, ev)) continue;
    const b = log.kinds[ki]!;
    b.all.push(i);
    const list = b.byTool.get(tool);
    if (list === undefined) b.byTool.set(tool, [i]);
    else list.push(i);
  }
}

function newLog(events: SessionEvent[], at: number[]): Log {
  const kinds = EVENT_KINDS.map((): KindBuckets => ({ all: [], byTool: new Map() }));
  const log: Log = { events, at, kinds, merged: new Map(), eq: new Map(), values: new Map(), ref: undefined as unknown as WeakRef<Log> };
  log.ref = new WeakRef(log);
  return log;
}

function freshIndex(h: readonly SessionEvent[], placed = true): HistoryIndex {
  const log = newLog([], []);
  for (let i = 0; i < h.length; i++) append(log, h[i]!, placed);
  return { log, base: 0, end: h.length, length: h.length };
}

/**
 * `h` as the window of the log that holds `h[0]` at `pos`, with `h`'s new tail appended, or undefined:
 * the log's events from `pos` on are not a prefix of `h` (pointer compares), or the dropped prefix
 * would outgrow the live window (the log is then rebuilt, so it holds at most twice the live events).
 */
function extendIndex(log: Log, pos: number, h: readonly SessionEvent[]): HistoryIndex | undefined {
  const ev = log.events;
  const ov = ev.length - pos;
  if (ov > h.length || pos > h.length) return undefined;
  for (let j = 0; j < ov; j++) if (h[j] !== ev[pos + j]) return undefined;
  for (let j = ov; j < h.length; j++) if (!isEventObject(h[j])) return undefined;
  for (let j = ov; j < h.length; j++) append(log, h[j]!);
  return { log, base: pos, end: ev.length, length: h.length };
}

/** The position of `ev` in `log` (-1: not there), found by its time, then by identity among events of that time. */
function positionOf(log: Log, ev: SessionEvent): number {
  let i = lowerBound(log.at, ev.at);
  for (; i < log.events.length && log.at[i] === ev.at; i++) if (log.events[i] === ev) return i;
  return -1;
}

/** What a compiled predicate reads: a history array, or a window a store lent (eval/lent-history.ts). */
type Source = readonly SessionEvent[] | LentWindow;

function indexOf(src: Source): HistoryIndex {
  if (src instanceof LentWindow) {
    // A lent window is a store window read in place: its new tail, and nothing else, is read.
    const wi = windowIndex(src, src, src.length);
    if (wi !== undefined) {
      touch(wi.log);
      return wi;
    }
    return indexOf(src.window());
  }
  const h = src;
  // A store's window is found in its log's index in O(1) (no cache of the array needed).
  const w = windowOf(h);
  const wi = w === undefined ? undefined : windowIndex(h, w, h.length);
  if (wi !== undefined) {
    touch(wi.log);
    return wi;
  }
  const cached = INDEXES.get(h);
  // The first and last events too: a host that slides its one array in place (shift, then push) keeps
  // its length, and a stale index would miss the new event (a count too low: a wrong allow).
  if (cached !== undefined && cached.length === h.length && cached.end === cached.log.events.length && sameEnds(cached, h)) return cached;
  let idx: HistoryIndex | undefined;
  if (h.length > 0 && isEventObject(h[0])) {
    const log = PLACES.get(h[0])?.deref();
    const pos = log === undefined ? -1 : positionOf(log, h[0]);
    if (pos >= 0) idx = extendIndex(log!, pos, h);
  }
  if (idx === undefined) idx = h.every(isEventObject) ? freshIndex(h) : freshUnshared(h);
  touch(idx.log);
  INDEXES.set(h, idx);
  return idx;
}

/**
 * The log indexing a store's log (eval/history-window.ts): `origin` is the store's log position of this
 * log's position 0, and `n` how many events this path put in it. A log some other path extended (a
 * host's copy, found by pointer compares, may append a fork) no longer has `n` events: it is not used.
 */
const BY_STORE_LOG = new WeakMap<EventLog, { readonly log: Log; readonly origin: number; n: number }>();

/**
 * A store's window `h` (positions `[w.start, w.start + length)` of its log, frozen, never rewritten:
 * history-window.ts; an array, or lent and read in place) as a window of the log indexing that store log, with its new tail appended: no
 * pointer compares, the call costs the new events. A fresh log when there is none yet, when the window
 * starts before it or ends before its end (an older window), when its dropped prefix would outgrow the
 * live window, or when another path appended to it. Undefined: `h` holds a non-object (left to indexOf).
 */
function windowIndex(h: Source, w: WindowOf, length: number): HistoryIndex | undefined {
  const e = BY_STORE_LOG.get(w.log);
  const end = w.start + length;
  if (e !== undefined && e.log.events.length === e.n) {
    const have = e.origin + e.n;
    const base = w.start - e.origin;
    if (base >= 0 && base <= length && have >= w.start && have <= end) {
      for (let k = have; k < end; k++) if (!isEventObject(windowEventAt(h, k - w.start))) return undefined;
      for (let k = have; k < end; k++) append(e.log, windowEventAt(h, k - w.start) as SessionEvent, false);
      e.n = e.log.events.length;
      return { log: e.log, base, end: e.n, length };
    }
  }
  const events = h instanceof LentWindow ? h.window() : h;
  if (!events.every(isEventObject)) return undefined;
  const idx = freshIndex(events, false);
  BY_STORE_LOG.set(w.log, { log: idx.log, origin: w.start, n: idx.end });
  return idx;
}

/**
 * `indexOf(h)`, asked once per decision: the predicates of one decision read one history array, so the
 * second and later ask for the same array inside the same decision (serial) skip the WeakMap and the
 * end checks, while the log has not grown under it (a nested decide's longer history: then asked again).
 * Holds the last array until the next decision asks (one array, not one per session).
 */
let memoSerial = 0;
let memoH: Source | undefined;
let memoIdx: HistoryIndex | undefined;
function indexOnce(h: Source): HistoryIndex {
  const s = decisionSerial();
  if (s !== 0 && s === memoSerial && h === memoH && memoIdx!.end === memoIdx!.log.events.length) return memoIdx!;
  const idx = indexOf(h);
  memoSerial = s;
  memoH = h;
  memoIdx = idx;
  return idx;
}

/** Whether `h` still starts and ends with the events its cached window starts and ends with. */
const sameEnds = (idx: HistoryIndex, h: readonly SessionEvent[]): boolean =>
  h.length === 0 || (h[0] === idx.log.events[idx.base] && h[h.length - 1] === idx.log.events[idx.end - 1]);

/** A history holding something other than an event object (request validation rejects it first): indexed alone, never shared. */
function freshUnshared(h: readonly SessionEvent[]): HistoryIndex {
  const log = newLog(h.slice(), h.map((ev) => ev.at));
  for (let i = 0; i < h.length; i++) bucket(log, i, h[i]!);
  return { log, base: 0, end: h.length, length: h.length };
}

/** The candidates of an event match (kind and tool, not `where`), ascending log positions: how to find them, chosen once per node. */
function candidates(m: IrEventMatch): (log: Log) => readonly number[] {
  const kind = EVENT_KINDS.indexOf(m.kind);
  const only = m.tools.length === 1 ? m.tools[0]! : undefined;
  if (only?.kind === "exact") {
    const name = only.text;
    // The bucket of the log read last (a bucket, once made, is only appended to: valid while the log is the same).
    let lastLog: Log | undefined;
    let lastC: readonly number[] = EMPTY;
    return (log) => {
      if (log === lastLog) return lastC;
      const c = log.kinds[kind]!.byTool.get(name);
      if (c === undefined) return EMPTY;
      lastLog = log;
      return (lastC = c);
    };
  }
  if (m.tools.some((p) => p.kind === "glob" && p.text === "*")) return (log) => log.kinds[kind]!.all;
  return (log) => {
    let c = log.merged.get(m);
    const n = log.events.length;
    if (c === undefined) {
      const parts: number[] = [];
      for (const [tool, list] of log.kinds[kind]!.byTool) if (m.tools.some((p) => patternMatches(p, tool))) for (const i of list) parts.push(i);
      log.merged.set(m, (c = { list: parts.sort((a, b) => a - b), upto: n }));
    } else if (c.upto < n) {
      for (let i = c.upto; i < n; i++) if (eventMatches(m, log.events[i]!)) c.list.push(i);
      c.upto = n;
    }
    return c.list;
  };
}

/**
 * WindowSeek: the first log position of a window starting at `start` (-Infinity: none), inside the
 * history (at or after `idx.base`): one binary search over the log's times (`at` never decreases along
 * a log). A bucket's first position in the window is then a binary search over the bucket's own
 * positions (`lowerBound(c, seek)`), with no second indirection. Asked through `windowFrom`, once per
 * decision and window length.
 */
function windowSeek(idx: HistoryIndex, start: number): number {
  if (start === -Infinity) return idx.base;
  let lo = idx.base;
  let hi = idx.log.at.length;
  const at = idx.log.at;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What the predicates of one decision share about windows: "now" (the request's `time`, parsed once:
 * eval/history.ts `nowOf`; an error is not kept, it is thrown again) and, for the index `idx`, the first
 * log position of each window length asked (a policy has a few). Valid for the decision's serial and
 * request, and the positions for `idx` only (a log grown under a nested decision gives a new index
 * object); outside a decision (serial 0) nothing is kept.
 */
const FRAME = { serial: 0, req: undefined as PolicyRequest | undefined, now: undefined as number | undefined, idx: undefined as HistoryIndex | undefined, ms: [] as number[], pos: [] as number[] };
/** How many window lengths a decision remembers. */
const WINDOWS_KEPT = 4;

function frameOf(req: PolicyRequest): typeof FRAME {
  const s = decisionSerial();
  if (s === 0 || s !== FRAME.serial || req !== FRAME.req) {
    FRAME.serial = s;
    FRAME.req = req;
    FRAME.now = undefined;
    FRAME.idx = undefined;
  }
  return FRAME;
}

/** Where a window of `windowMs` starts ("now" minus it), "now" read once per decision. */
function windowStartOnce(req: PolicyRequest, windowMs: number): number {
  const f = frameOf(req);
  return (f.now ??= nowOf(req)) - windowMs;
}

/** `windowSeek(idx, start)` for a window of `windowMs` starting at `start`, once per decision and window length. */
function windowFrom(req: PolicyRequest, idx: HistoryIndex, windowMs: number, start: number): number {
  const f = frameOf(req);
  if (f.idx !== idx) {
    f.idx = idx;
    f.ms.length = 0;
    f.pos.length = 0;
  }
  for (let j = 0; j < f.ms.length; j++) if (f.ms[j] === windowMs) return f.pos[j]!;
  const p = windowSeek(idx, start);
  if (f.ms.length < WINDOWS_KEPT) {
    f.ms.push(windowMs);
    f.pos.push(p);
  }
  return p;
}

/** The first position of `c` inside the window (a log position at or after `idx.base`). */
const liveFrom = (idx: HistoryIndex, c: readonly number[]): number => (idx.base === 0 ? 0 : lowerBound(c, idx.base));

/**
 * A compiled predicate's memory of the lookup it read last and the log it belongs to: the next call on
 * the same log skips the log's Map (one pointer compare). Each compiled predicate so holds at most one
 * log beyond the RECENT ones (the one it read last).
 */
interface Memo<T> {
  log: Log | undefined;
  v: T | undefined;
}
const newMemo = <T>(): Memo<T> => ({ log: undefined, v: undefined });

/** `map`'s entry for `key` in `log` (made by `make` on first use), through the predicate's memo of the last log. */
function entryOf<K, T>(log: Log, map: Map<K, T>, key: K, make: () => T, memo: Memo<T>): T {
  if (memo.log === log) return memo.v!;
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  memo.log = log;
  memo.v = v;
  return v;
}

/** The equality index of `m`'s bucket `c` in `log` (built on first use, caught up with the log). */
function eqIndexOf(log: Log, m: IrEventMatch, c: readonly number[], eq: EqWhere, memo: Memo<EqIndex>): EqIndex {
  const ix = entryOf(log, log.eq, m, newEqIndex, memo);
  return ix.n === c.length ? ix : extendEqIndex(ix, log.events, c, eq.event);
}

/** The values `e` reads on `e.m`'s bucket `c` in `log` (built on first use, caught up with the log). */
function valuesOf(log: Log, e: IrHistory, c: readonly number[], memo: Memo<ValueCache>): ValueCache {
  const vc = entryOf(log, log.values, e, newValueCache, memo);
  return vc.n === c.length ? vc : extendValueCache(vc, log.events, c, e.value!);
}

/**
 * Whether some event of `c` from position `p` on satisfies `where`: from the equality index when `where`
 * has that shape (a match is certain; no match is certain only when no event of the range errs), else
 * (and whenever the index cannot say) the reference loop, `someFrom`.
 */
function anyFrom(log: Log, m: IrEventMatch, c: readonly number[], p: number, where: Pred | undefined, eq: EqWhere | undefined, memo: Memo<EqIndex>, req: PolicyRequest): boolean {
  if (eq !== undefined) {
    const key = keyOf(eq, req);
    if (key !== undefined) {
      const ix = eqIndexOf(log, m, c, eq, memo);
      const hits = ix.byValue.get(key);
      if (hits !== undefined && hits[hits.length - 1]! >= p) return true;
      if (cleanFrom(ix, key, p, c.length)) return false;
    }
  }
  return someFrom(log.events, c, p, where, req);
}

/**
 * A compiled history predicate, its answer remembered for the decision (codegen/history-call.ts) when
 * more than one rule reads it (`uses` is read per call: rules compiled later may share the node). Each
 * kind's closure has its own wrapper, so the wrapper's call site sees one kind of closure.
 */
export function compileHistory(e: IrHistory, compilePred: (x: IrExpr) => Pred, compileExpr: (x: IrExpr) => Fn): Fn {
  return compileHistoryOnce(e, slotOf(e), compilePred, compileExpr);
}

function compileHistoryOnce(e: IrHistory, slot: Slot, compilePred: (x: IrExpr) => Pred, compileExpr: (x: IrExpr) => Fn): Fn {
  const cands = candidates(e.m);
  const where = e.m.where && compilePred(e.m.where);
  const eq = eqWhereOf(e.m.where, compileExpr);
  const eqMemo = newMemo<EqIndex>();
  const valuesMemo = newMemo<ValueCache>();
  switch (e.op) {
    case "after": {
      const windowMs = e.windowMs;
      const run: Fn = (req) => {
        const h = historySourceOf(req, e);
        const idx = indexOnce(h);
        const log = idx.log;
        const c = cands(log);
        const start = windowMs === undefined ? -Infinity : windowStartOnce(req, windowMs);
        const p = windowMs === undefined ? liveFrom(idx, c) : lowerBound(c, windowFrom(req, idx, windowMs, start));
        if (anyFrom(log, e.m, c, p, where, eq, eqMemo, req)) return true;
        if (reachesDropped(req, start)) throw droppedError(e, req);
        return false;
      };
      return (req) => (slot.uses < 2 ? run(req) : remembered(slot, req, run));
    }
    case "count":
    case "sum":
    case "min":
    case "max": {
      const op = e.op;
      const value = e.value;
      const windowMs = e.windowMs;
      const m = e.m;
      // The aggregates over the whole bucket (no `where`) read last, valid while the log and the bucket are the same.
      let allLog: Log | undefined;
      let allN = -1;
      let allAgg: Agg | undefined;
      /** The reference loop over positions `p..` of `c` (every `where` run, every value read). */
      const scan = (req: PolicyRequest, events: readonly SessionEvent[], c: readonly number[], p: number): number => {
        let n = 0;
        let acc = op === "min" ? Infinity : op === "max" ? -Infinity : 0;
        for (; p < c.length; p++) {
          const ev = events[c[p]!]!;
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
      const fast = (req: PolicyRequest, log: Log, c: readonly number[], p: number): number | undefined => {
        let hits: readonly number[] | null = null;
        let k = p;
        if (where !== undefined) {
          if (eq === undefined) return undefined;
          const key = keyOf(eq, req);
          if (key === undefined) return undefined;
          const ix = eqIndexOf(log, m, c, eq, eqMemo);
          if (!cleanFrom(ix, key, p, c.length)) return undefined;
          hits = ix.byValue.get(key) ?? EMPTY;
          k = lowerBound(hits, p);
          if (op === "count") return hits.length - k;
        }
        const len = hits === null ? c.length : hits.length;
        let a: Agg;
        if (hits !== null) a = aggOf(valuesOf(log, e, c, valuesMemo), hits, c.length);
        else if (log === allLog && len === allN) a = allAgg!;
        else {
          a = aggOf(valuesOf(log, e, c, valuesMemo), null, len);
          allLog = log;
          allN = len;
          allAgg = a;
        }
        if (a.bad[len]! - a.bad[k]! !== 0) return undefined;
        if (op === "sum") return a.exactSum ? a.sum[len]! - a.sum[k]! : undefined;
        if (len === k) return undefined;
        return op === "min" ? stackFrom(a.minAt, a.minV, k) : stackFrom(a.maxAt, a.maxV, k);
      };
      const run: Fn = (req) => {
        const h = historySourceOf(req, e);
        const start = windowMs === undefined ? -Infinity : windowStartOnce(req, windowMs);
        if (reachesDropped(req, start)) throw droppedError(e, req);
        const idx = indexOnce(h);
        const log = idx.log;
        const c = cands(log);
        const p = windowMs === undefined ? liveFrom(idx, c) : lowerBound(c, windowFrom(req, idx, windowMs, start));
        if (op === "count" && where === undefined) return c.length - p;
        return fast(req, log, c, p) ?? scan(req, log.events, c, p);
      };
      return (req) => (slot.uses < 2 ? run(req) : remembered(slot, req, run));
    }
    case "previous": {
      const m = e.m;
      const run: Fn = (req) => {
        const h = historySourceOf(req, e);
        const last = (h.length === 0 ? undefined : windowEventAt(h, h.length - 1)) as SessionEvent | undefined;
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
      return (req) => (slot.uses < 2 ? run(req) : remembered(slot, req, run));
    }
    case "no": {
      const since = e.since;
      const sinceCands = since && candidates(since);
      const sinceWhere = since?.where && compilePred(since.where);
      const sinceEq = eqWhereOf(since?.where, compileExpr);
      const sinceMemo = newMemo<EqIndex>();
      /** The newest position of `s` from `lo` on whose event satisfies `since`'s `where` (-1: none), or undefined when the index cannot say. */
      const anchorFast = (req: PolicyRequest, log: Log, s: readonly number[], lo: number): number | undefined => {
        const key = keyOf(sinceEq!, req);
        if (key === undefined) return undefined;
        const ix = eqIndexOf(log, since!, s, sinceEq!, sinceMemo);
        const hits = ix.byValue.get(key);
        let q = hits === undefined ? -1 : hits[hits.length - 1]!;
        if (q < lo) q = -1;
        return cleanFrom(ix, key, Math.max(q + 1, lo), s.length) ? q : undefined;
      };
      const run: Fn = (req) => {
        const h = historySourceOf(req, e);
        const idx = indexOnce(h);
        const log = idx.log;
        let anchor = -1;
        if (sinceCands !== undefined) {
          const s = sinceCands(log);
          const lo = liveFrom(idx, s);
          const q = sinceWhere === undefined ? (s.length > lo ? s.length - 1 : -1) : sinceEq === undefined ? undefined : anchorFast(req, log, s, lo);
          if (q !== undefined) anchor = q < 0 ? -1 : s[q]!;
          else {
            for (let p = s.length - 1; p >= lo; p--) {
              const t = whereHolds(log.events[s[p]!]!, sinceWhere!, req);
              if (t === true) {
                anchor = s[p]!;
                break;
              }
              if (t !== false) throw t;
            }
          }
        }
        const c = cands(log);
        const p = anchor < 0 ? liveFrom(idx, c) : lowerBound(c, anchor + 1); // log positions are integers: the first above `anchor`
        if (anyFrom(log, e.m, c, p, where, eq, eqMemo, req)) return false;
        if (anchor < 0 && reachesDropped(req, -Infinity)) throw droppedError(e, req);
        return true;
      };
      return (req) => (slot.uses < 2 ? run(req) : remembered(slot, req, run));
    }
  }
}

/**
 * Whether some candidate event from position `p` on satisfies `where` (no `where`: whether any is left).
 * A `where` that errs on one event and holds on none throws the first error (fail closed).
 */
function someFrom(events: readonly SessionEvent[], c: readonly number[], p: number, where: Pred | undefined, req: PolicyRequest): boolean {
  if (where === undefined) return p < c.length;
  let first: Error | undefined;
  for (; p < c.length; p++) {
    const t = whereHolds(events[c[p]!]!, where, req);
    if (t === true) return true;
    if (t !== false) first ??= t;
  }
  if (first) throw first;
  return false;
}
