/**
 * Trusted history windows (issue 14): the append-only event log a store keeps per session (MemoryStore),
 * and the history arrays it answers from it, each recognised in O(1) as "log positions [start, start +
 * length) of this log" (`windowOf`). The request check (history-check.ts) and the compiled index
 * (codegen/history.ts) use that to skip the per-call pointer compares over the whole history: each log
 * position is checked, and indexed, once.
 * GUARANTEES (what a reader may rely on, and why a host cannot forge it):
 * - `windowOf(h)` answers only for an array `EventLog.window` made: its brand (a private field, `brand`)
 *   can only be added by this module's classes, which nothing outside it reaches; its answers are frozen.
 *   Any other array (a host's, a copy, a fork, a Proxy of a window) answers undefined.
 * - A window is a FROZEN array (its length and elements never change), and for every window `w` of log
 *   `L` from `start`, `w[k]` is the event at log position `start + k` of `L`, for ever: log positions are
 *   never rewritten (appends only; dropping old events only forgets them), and the log's storage is
 *   module-private.
 * - Every event of a log is built here from JSON text (`append(at, json)`, or the fields `sealEvent`
 *   made with that text, which JSON.parse of it gives): a deep-frozen plain object of own data
 *   properties (JSON.parse makes nothing else), so the facts a check reads of it cannot change.
 *   Whether an event is WELL FORMED is not guaranteed here (a host that reaches a store's log may append
 *   anything JSON says): readers check each position once (history-check.ts).
 * - A LENT window (`lend`, `LentWindow`) reads the same log positions in place, from the storage array
 *   the log held when it lent them (a storage array is only appended to, then replaced by compaction,
 *   never changed in place); its `window()` is the frozen window above, made once on first use. The
 *   engine decides on lent windows (eval/lent-history.ts), so a call does not copy its session's history.
 * Cost: `append` O(1) amortized (the dropped prefix is compacted once it outgrows the live events),
 * `window` O(length) (a copy, frozen), `lend` O(1), `windowOf` one private-field check.
 */
import type { SessionEvent } from "../contract/session.js";
import { brand } from "./brand.js";
import { KEEP_ALL, rememberAnswers } from "../builtins/answer-memo.js";

/** What `windowOf` answers: the log a window belongs to and the log position of its first event. */
export interface WindowOf {
  readonly log: EventLog;
  readonly start: number;
}

/** Windows: the log and the log position of the first event. Only `EventLog.window` gives it. */
const WINDOW = brand<WindowOf>();
/** Sealed events: the JSON text each was made with. Only `sealEvent` gives it. */
const SEAL = brand<string>();

/** `h` as a window of a log (see the module header), or undefined: `h` is not an array a log made. */
export const windowOf = (h: readonly unknown[]): WindowOf | undefined => WINDOW.read(h);

/**
 * Freezes `v` and every object under it. For what JSON.parse makes (plain objects and arrays of own data
 * properties); `for...in` over such an object lists its own keys only when no prototype on its chain has
 * an enumerable key, so a polluted `Object.prototype` costs a wasted read, never a skipped own key: an
 * own key is always listed. Reads no `Object.values` array per object.
 */
function deepFreeze(v: object): void {
  Object.freeze(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === "object" && x !== null) deepFreeze(x);
    }
    return;
  }
  for (const k in v) {
    const x: unknown = (v as Record<string, unknown>)[k];
    if (typeof x === "object" && x !== null) deepFreeze(x);
  }
}

/** What a recorded call's event holds besides its arguments (runtime/session-facts.ts `eventOf`). */
export interface EventParts {
  readonly method: string;
  readonly effect: string;
  readonly target?: string | undefined;
  readonly server?: string | undefined;
  readonly outcome?: string | undefined;
  readonly labels: readonly string[];
}

/**
 * `JSON.stringify(v)` of a string field, remembered (builtins/answer-memo.ts): methods, effects, outcomes,
 * tool and server names and labels come from small sets, and each call's event writes four to six of
 * them. At most 1,024 texts of at most 256 characters are held.
 */
const quotedText = rememberAnswers((v) => JSON.stringify(v), 256, KEEP_ALL, 1024);
const quoted = (v: unknown, what: string): string => {
  if (typeof v !== "string") throw new TypeError(`an event's ${what} must be a string`);
  return quotedText(v);
};

/**
 * `JSON.parse(text)`, deep-frozen, remembered by its text (builtins/answer-memo.ts): a session's calls
 * repeat their arguments (the same path, query or payee), and a deep-frozen value is safely shared by
 * every event that recorded the same text. At most 256 texts of at most 1,024 characters are held; a
 * longer text is parsed every time.
 */
const frozenArgs = rememberAnswers(
  (text): unknown => {
    const v = JSON.parse(text) as unknown;
    if (typeof v === "object" && v !== null) deepFreeze(v);
    return v;
  },
  1024,
  KEEP_ALL,
  256,
);

/**
 * The event of `parts` and the arguments of JSON text `args` (`null`: `argsDropped`; undefined: none),
 * deep-frozen and sealed with its JSON text (keys in the object's order, `at` left to the store): what a
 * recorder hands a store, so the store takes the JSON (`sealedJson`) and the fields (`EventLog.append`)
 * without a second pass of either. `JSON.parse(sealedJson(ev))` deep-equals `ev`: every field but the
 * arguments is a string written with JSON.stringify, and the arguments are parsed from the very text the
 * JSON embeds (one JSON value, or JSON.parse throws and nothing is sealed).
 */
export function sealEvent(parts: EventParts, args: string | null | undefined): Omit<SessionEvent, "at"> {
  const ev: Record<string, unknown> = { method: parts.method, effect: parts.effect };
  let json = `{"method":${quoted(parts.method, "method")},"effect":${quoted(parts.effect, "effect")}`;
  if (parts.target !== undefined) {
    json += `,"target":${quoted(parts.target, "target")}`;
    ev.target = parts.target;
  }
  if (parts.server !== undefined) {
    json += `,"server":${quoted(parts.server, "server")}`;
    ev.server = parts.server;
  }
  if (args === null) {
    json += ',"argsDropped":true';
    ev.argsDropped = true;
  } else if (args !== undefined) {
    ev.args = frozenArgs(args);
    json += `,"args":${args}`;
  }
  if (parts.outcome !== undefined) {
    json += `,"outcome":${quoted(parts.outcome, "outcome")}`;
    ev.outcome = parts.outcome;
  }
  if (parts.labels.length > 0) {
    const labels = [...parts.labels];
    for (const l of labels) quoted(l, "label");
    json += `,"labels":${JSON.stringify(labels)}`;
    ev.labels = Object.freeze(labels);
  }
  json += "}";
  SEAL.give(ev, json);
  // Every field is a string, `true`, or frozen above (the arguments, the labels).
  Object.freeze(ev);
  return ev as unknown as Omit<SessionEvent, "at">;
}

/** The JSON text sealed event `ev` was parsed from (it cannot have changed since: deep-frozen), or undefined. */
export const sealedJson = (ev: object): string | undefined => SEAL.read(ev);

/** `n` as a whole number from 0 to `max` (anything not a whole number: 0). */
const clamp = (n: number, max: number): number => (Number.isInteger(n) ? Math.max(0, Math.min(n, max)) : 0);

/** A sealed event's fields (`sealEvent`): what `stamped` copies. */
interface SealedFields {
  readonly method: string;
  readonly effect: string;
  readonly target?: string;
  readonly server?: string;
  readonly argsDropped?: true;
  readonly args?: unknown;
  readonly outcome?: string;
  readonly labels?: readonly string[];
}

/**
 * `Object.freeze({ at, ...s })` for a sealed event `s`, written out: its keys in sealEvent's order (so
 * the same object and key order as the spread), without the spread's generic copy. Own keys only, as
 * the spread copies (an inherited `target` on a polluted prototype is not the event's).
 */
function stamped(at: number, s: SealedFields): SessionEvent {
  const ev: Record<string, unknown> = { at, method: s.method, effect: s.effect };
  if (Object.hasOwn(s, "target")) ev.target = s.target;
  if (Object.hasOwn(s, "server")) ev.server = s.server;
  if (Object.hasOwn(s, "argsDropped")) ev.argsDropped = s.argsDropped;
  if (Object.hasOwn(s, "args")) ev.args = s.args;
  if (Object.hasOwn(s, "outcome")) ev.outcome = s.outcome;
  if (Object.hasOwn(s, "labels")) ev.labels = s.labels;
  return Object.freeze(ev) as unknown as SessionEvent;
}

/** The frozen window of `events[from, from + length)`, log positions from `start` of `log` (WINDOW-branded). */
function frozenWindow(log: EventLog, start: number, events: readonly SessionEvent[], from: number, length: number): readonly SessionEvent[] {
  const w = events.slice(from, from + length);
  WINDOW.give(w, Object.freeze({ log, start }));
  return Object.freeze(w);
}

/** What only this module holds: the key that lets `LentWindow`'s constructor run. */
const LEND = Symbol("lend");

/**
 * A window lent, not copied (`EventLog.lend`): log positions `[start, start + length)` of `log`, read in
 * place from the storage array the log held when it lent them. A storage array is only ever appended to
 * and then replaced (compaction copies the live part into a new one), never changed in place, so the
 * slots a lent window reads hold the same events for ever. `at(k)` reads the k-th event in O(1);
 * `window()` makes the frozen window array (what `EventLog.window` answers) on first use, then answers
 * the same one. Only `EventLog.lend` makes one (the constructor wants a key only this module holds), and
 * the storage it reads is not reachable from it.
 */
export class LentWindow implements WindowOf {
  readonly log: EventLog;
  readonly start: number;
  readonly length: number;
  readonly #events: readonly SessionEvent[];
  readonly #from: number;
  #window: readonly SessionEvent[] | undefined;

  constructor(key: symbol, log: EventLog, start: number, events: readonly SessionEvent[], from: number, length: number) {
    if (key !== LEND) throw new TypeError("a lent window is made by EventLog.lend only");
    this.log = log;
    this.start = start;
    this.length = length;
    this.#events = events;
    this.#from = from;
  }

  /** The k-th event of the window (0: the oldest), for 0 <= k < length. */
  at(k: number): SessionEvent {
    return this.#events[this.#from + k]!;
  }

  /** The window as a frozen array (made once). */
  window(): readonly SessionEvent[] {
    return (this.#window ??= frozenWindow(this.log, this.start, this.#events, this.#from, this.length));
  }
}

/** The k-th event of a store window: an array, or a lent window read in place. */
export const windowEventAt = (h: readonly unknown[] | LentWindow, k: number): unknown => (h instanceof LentWindow ? h.at(k) : h[k]);

/** An append-only log of session events, oldest first, of which the newest `length` are live. */
export class EventLog {
  /** Storage: `#events[i]` is log position `#base + i`; positions below `#base + #head` are dropped. */
  #events: SessionEvent[] = [];
  #head = 0;
  #base = 0;

  /** How many events are live. */
  get length(): number {
    return this.#live();
  }

  // (What the methods below read: never the getter, which a subclass could override.)
  #live(): number {
    return this.#events.length - this.#head;
  }

  /** The `i`-th live event (0: the oldest live). */
  get(i: number): SessionEvent | undefined {
    return i >= 0 && i < this.#live() ? this.#events[this.#head + i] : undefined;
  }

  /**
   * Appends the event `{ at, ...JSON.parse(json) }` (deep-frozen) and answers it. `json`: an object's JSON
   * without `at`. `sealed`: the event `sealEvent` made with the JSON text `json`, if any: its fields are
   * taken as they are (deep-frozen, what `JSON.parse(json)` gives) instead of parsing `json` again.
   */
  append(at: number, json: string, sealed?: object): SessionEvent {
    if (sealed !== undefined && SEAL.read(sealed) === json) {
      const ev = stamped(at, sealed as SealedFields);
      this.#events.push(ev);
      return ev;
    }
    // One parse, `at` first (as `{ at, ...JSON.parse(json) }`: a later `at` in `json` wins the same way)
    // when `json` is an object with a key and `at` a finite number; else the spread.
    const ev = (
      Number.isFinite(at) && json.startsWith('{"') ? JSON.parse(`{"at":${at},${json.slice(1)}`) : { at, ...(JSON.parse(json) as object) }
    ) as SessionEvent;
    deepFreeze(ev);
    this.#events.push(ev);
    return ev;
  }

  /** Forgets the `n` oldest live events (their log positions are never reused). */
  dropOldest(n: number): void {
    this.#head += clamp(n, this.#live());
    // Compact once the dropped prefix outgrows the live events: O(1) amortized per append.
    if (this.#head > 64 && this.#head >= this.#live()) {
      this.#events = this.#events.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }

  /** The live events from the `from`-th on, as a frozen window (see the module header). */
  window(from: number): readonly SessionEvent[] {
    const i = this.#head + clamp(from, this.#live());
    return frozenWindow(this, this.#base + i, this.#events, i, this.#events.length - i);
  }

  /** The live events from the `from`-th on, lent (`LentWindow`): O(1), nothing copied until its `window()` is asked. */
  lend(from: number): LentWindow {
    const i = this.#head + clamp(from, this.#live());
    return new LentWindow(LEND, this, this.#base + i, this.#events, i, this.#events.length - i);
  }
}
