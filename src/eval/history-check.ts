/**
 * The request check of `session.history` (request.ts calls `historyFault` for every request whose
 * session has a history, once it has checked that the history is a list and that
 * `historyDroppedUntil` is a number): every event well formed, events oldest first (`at` never
 * decreasing), at most LIMITS.maxSessionRetainEvents of them.
 * What it skips, and why that is sound:
 * - a STORE WINDOW (eval/history-window.ts: a frozen array only a store's EventLog makes, log positions
 *   `[start, start + length)`, never rewritten, events deep-frozen data): each log position is checked
 *   once, from the first window that reaches it, against the event before it (`LOG_CHECKS`); a window
 *   lying wholly after the last fault (and after any gap of positions never checked) is fine in O(1) plus
 *   its unchecked tail; any other window is checked in full below (and so denied with the usual message).
 *   A host's copy or fork of a window is not a window. A window a store lent (lent-history.ts,
 *   `lentFault`) is checked the same way, its events read in place;
 * - an array already checked (same array, same length, same last event): a host that reuses its array
 *   pays the check once;
 * - frozen data events (a frozen plain object of own data properties, `labels` frozen: what the
 *   engine's stores hand over) are checked once each, then only for their place in a list;
 * - RUNS: frozen data events checked and found in order are kept as runs (an append-only list of them,
 *   `at` never decreasing). A new array whose first events are, by pointer, a run's events from some
 *   position on is that run's window: those events are known well formed and in order, so only the
 *   events past the run's end (its new tail) are checked, against the run's last time, and then
 *   appended. A store that answers a new array per load (the window sliding forward) pays for its new
 *   events, not the history. Anything else (a fork, an event not frozen data) is checked event by
 *   event as before. A run whose dropped prefix would outgrow the live window is started again from
 *   the array (at most twice the live events held).
 * Memory: an event finds its run through a WeakRef (one shared per run; the entry replaces the set of
 * valid events), and only the 64 runs used last are held strongly.
 * INVARIANT: fail closed: an event is skipped only when it is frozen data that passed the check, the
 * very array checked before, or a store window's log position checked (with its predecessor) before; a
 * malformed or out-of-order event anywhere in the unchecked part denies.
 */
import type { SessionEvent } from "../contract/session.js";
import { LIMITS } from "../source/limits.js";
import { RecentlyUsed } from "./recently-used.js";
import { windowEventAt, windowOf, type EventLog, type LentWindow, type WindowOf } from "./history-window.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Histories already checked, with the length and the last event they had: an append is checked again, and
 * so is an array slid in place (shift, then push: the same length, a new last event).
 */
const CHECKED = new WeakMap<object, { readonly n: number; readonly last: unknown }>();
const remember = (h: readonly unknown[]): void => {
  CHECKED.set(h, { n: h.length, last: h[h.length - 1] });
};

/** Checked frozen data events in order (`at` never decreasing along `events`). */
interface Run {
  readonly events: object[];
  readonly at: number[];
  ref: WeakRef<Run>;
}

/**
 * Frozen data events found fine (the key set is what a set of valid events was), each with the run it
 * last entered, held weakly: an event no history holds any more is not kept alive by this.
 */
const RUNS = new WeakMap<object, WeakRef<Run>>();
/** The 64 runs used last, held strongly. */
const RECENT = new RecentlyUsed<Run>(64);
const touch = (run: Run): void => RECENT.touch(run);

function newRun(h: readonly unknown[]): Run {
  const run: Run = { events: [], at: [], ref: undefined as unknown as WeakRef<Run> };
  run.ref = new WeakRef(run);
  for (const ev of h) appendTo(run, ev as SessionEvent);
  return run;
}

function appendTo(run: Run, ev: SessionEvent): void {
  run.events.push(ev);
  run.at.push(ev.at);
  RUNS.set(ev, run.ref);
}

/** The position of `ev` in `run` (-1: not there), by its time, then by identity among events of that time. */
function positionOf(run: Run, ev: SessionEvent): number {
  const at = run.at;
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at[mid]! < ev.at) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < at.length && at[lo] === ev.at; lo++) if (run.events[lo] === ev) return lo;
  return -1;
}

/**
 * Why the events of `session.history` are malformed, or undefined (see the module header).
 * INVARIANT: a history array is data the host hands over and does not change afterwards; a checked
 * one is remembered (by identity and length) so a host that reuses it pays the check once.
 */
export function historyFault(h: readonly unknown[]): string | undefined {
  const w = windowOf(h);
  if (w !== undefined && h.length <= LIMITS.maxSessionRetainEvents && windowClean(h, h.length, w)) return undefined;
  const seen = CHECKED.get(h);
  if (seen !== undefined && seen.n === h.length && seen.last === h[h.length - 1]) return undefined;
  if (h.length > LIMITS.maxSessionRetainEvents) return `\`session.history\` holds more than ${LIMITS.maxSessionRetainEvents} events`;
  let last = -Infinity;
  // A host that freezes its events (the engine's stores do) freezes them all: when the first is not
  // frozen, no event is looked up in (or added to) RUNS, so plain events cost what they did.
  const remembered = h.length > 0 && Object.isFrozen(h[0]);
  if (!remembered) {
    for (let i = 0; i < h.length; i++) {
      const f = eventFault(h[i], last);
      if (f !== undefined) return `\`session.history[${i}]\` ${f}`;
      last = passedAt;
    }
    remember(h);
    return undefined;
  }
  // The run holding h[0], and how many of h's first events are that run's events (pointer compares).
  const run = RUNS.get(h[0] as object)?.deref();
  const pos = run === undefined ? -1 : positionOf(run, h[0] as SessionEvent);
  let i = 0;
  if (pos >= 0) {
    const ev = run!.events;
    const n = Math.min(ev.length - pos, h.length);
    while (i < n && h[i] === ev[pos + i]) i++;
    last = run!.at[pos + i - 1]!;
  }
  const tailFrom = i;
  let frozen = true;
  for (; i < h.length; i++) {
    const ev = h[i];
    if (RUNS.has(ev as object)) {
      // Checked before, and frozen data: only its place in this list (oldest first) is left to check.
      const at = (ev as SessionEvent).at;
      if (at < last) return `\`session.history[${i}]\` is older than the event before it (events are oldest first)`;
      last = at;
      continue;
    }
    const f = eventFault(ev, last);
    if (f !== undefined) return `\`session.history[${i}]\` ${f}`;
    last = passedAt;
    if (isFrozenData(ev as Record<string, unknown>)) RUNS.set(ev as object, NO_RUN);
    else frozen = false;
  }
  if (frozen) {
    if (pos >= 0 && tailFrom === run!.events.length - pos && pos <= h.length) {
      for (let j = tailFrom; j < h.length; j++) appendTo(run!, h[j] as SessionEvent);
      touch(run!);
    } else if (pos < 0 || tailFrom < h.length) touch(newRun(h));
  }
  remember(h);
  return undefined;
}

/**
 * `historyFault` of a window a store lent (lent-history.ts), reading its events in place: known clean
 * in O(1) plus its unchecked tail, as a window array is; otherwise its array is made and checked in full
 * (and so denied with the usual message).
 */
export function lentFault(lent: LentWindow): string | undefined {
  if (lent.length <= LIMITS.maxSessionRetainEvents && windowClean(lent, lent.length, lent)) return undefined;
  return historyFault(lent.window());
}

/**
 * What the check knows of a store's log (history-window.ts), by log position: every position below `next`
 * was checked once (from the window that reached it first); a window `[s, e)` with `e <= next` and
 * `s >= cleanFrom` holds only well formed events in order. A position not checked well formed, an event
 * older than the one before it, or a gap (positions a window skipped: never checked) moves `cleanFrom`
 * past it, so a window reaching back over it is checked in full (and then denied with the usual message,
 * or found fine: a gap).
 */
interface LogCheck {
  next: number;
  lastAt: number;
  cleanFrom: number;
}
const LOG_CHECKS = new WeakMap<EventLog, LogCheck>();

/**
 * Whether the window `h` (of `w.log` from `w.start`, `length` events: an array, or a lent window read in
 * place) is known well formed: its positions not checked yet
 * are checked now (each position once per log), against the event before them. False: not known (check
 * `h` in full). The events are deep-frozen data (history-window.ts), so a check once is a check for ever.
 */
function windowClean(h: readonly unknown[] | LentWindow, length: number, w: WindowOf): boolean {
  let c = LOG_CHECKS.get(w.log);
  if (c === undefined) LOG_CHECKS.set(w.log, (c = { next: w.start, lastAt: -Infinity, cleanFrom: w.start }));
  const end = w.start + length;
  if (c.next < w.start) {
    // Positions [next, start) were never seen: no window reaching back over them is known clean.
    c.next = c.cleanFrom = w.start;
    c.lastAt = -Infinity;
  }
  for (let k = c.next; k < end; k++) {
    const ev = windowEventAt(h, k - w.start) as SessionEvent;
    if (eventFault(ev, -Infinity) !== undefined) {
      c.cleanFrom = k + 1;
      c.lastAt = -Infinity;
      continue;
    }
    if (passedAt < c.lastAt) c.cleanFrom = k;
    c.lastAt = passedAt;
  }
  if (end > c.next) c.next = end;
  return w.start >= c.cleanFrom;
}

/** The run of a valid event checked outside any run (a history holding an event that is not frozen data). */
const NO_RUN = new WeakRef<Run>({ events: [], at: [], ref: undefined as unknown as WeakRef<Run> });

/**
 * Whether a (checked) event is frozen data whose checked facts cannot change: a frozen plain object
 * (its prototype Object.prototype or null) of own data properties, its `labels` list frozen too (`args`
 * is only checked to be an object, which a frozen property keeps it). Anything else is checked on
 * every new array, as before. Runs once per event that passes.
 */
function isFrozenData(ev: Record<string, unknown>): boolean {
  if (!Object.isFrozen(ev)) return false;
  const proto = Object.getPrototypeOf(ev);
  if (proto !== Object.prototype && proto !== null) return false;
  const own = Object.getOwnPropertyDescriptors(ev);
  for (const k in own) if (own[k]!.get !== undefined || own[k]!.set !== undefined) return false;
  return ev.labels === undefined || Object.isFrozen(ev.labels);
}

/** The `at` of the event `eventFault` passed last (read once there: a getter runs once per check). */
let passedAt = 0;

/**
 * Why event `ev` is malformed (or older than `last`), or undefined; then `passedAt` is its `at`. Each field
 * is read once, in a fixed order (the first fault met is always the same one); the events of a history
 * vary in shape, so every read is a megamorphic load: as few as possible.
 */
function eventFault(ev: unknown, last: number): string | undefined {
  if (typeof ev !== "object" || ev === null || Array.isArray(ev)) return "must be an object";
  const e = ev as Record<string, unknown>;
  const at = e.at;
  if (typeof at !== "number" || !Number.isFinite(at)) return "needs `at` as a number (epoch milliseconds)";
  if (at < last) return "is older than the event before it (events are oldest first)";
  if (typeof e.method !== "string") return "needs `method` as a string";
  const target = e.target;
  if (target !== undefined && typeof target !== "string") return "has a `target` that is not a string";
  const server = e.server;
  if (server !== undefined && typeof server !== "string") return "has a `server` that is not a string";
  const args = e.args;
  if (args !== undefined && !isObject(args)) return "has `args` that are not an object";
  const argsDropped = e.argsDropped;
  if (argsDropped !== undefined && typeof argsDropped !== "boolean") return "has an `argsDropped` that is not a boolean";
  const effect = e.effect;
  if (effect !== "allow" && effect !== "deny" && effect !== "require_approval") return "needs `effect`: `allow`, `deny` or `require_approval`";
  const outcome = e.outcome;
  if (outcome !== undefined && outcome !== "ok" && outcome !== "error") return "has an `outcome` other than `ok` or `error`";
  const labels = e.labels;
  if (labels !== undefined && (!Array.isArray(labels) || labels.some((l) => typeof l !== "string"))) return "has `labels` that are not a list of strings";
  passedAt = at;
  return undefined;
}
