/**
 * Session state, the parts every store shares (the algorithm is in store.ts, "Session state"):
 * - `sessionKey`: the one way a session's store key is made from principal.id and session.id (a hash,
 *   as idempotency keys are), so no principal reads or writes another's session;
 * - the checks of a request against the bounds of source/limits.ts, run by every store before anything
 *   else (a request over a bound is refused with a TypeError, never trimmed), and the canonical JSON of
 *   an event (what both stores keep, so they answer alike);
 * - the merge of labels and of provenance fingerprints (MemoryStore runs them; redis-script.ts has their
 *   Lua twins: change both together);
 * - the parse of a stored record (RedisStore): anything that does not match the shape is an error.
 * INVARIANT: pure, synchronous; no I/O.
 */
import { canonicalHash } from "../../contract/canonical.js";
import type { ProvenanceFacts, SessionEvent } from "../../contract/session.js";
import { LIMITS } from "../../source/limits.js";
import { sealedJson } from "../../eval/history-window.js";
import type { SessionAppendRequest, SessionLoadRequest, ReserveRequest } from "./store.js";

/** The store key of a session: principal and session hashed together (an absent principal is its own scope). */
export function sessionKey(principalId: string | null | undefined, sessionId: string): string {
  const p = principalId ?? null;
  // The last pair asked, remembered (a pure function of two strings: a session's calls come in runs).
  if (p === lastPrincipal && sessionId === lastSession && lastKey !== undefined) return lastKey;
  const key = canonicalHash(["session", p, sessionId]);
  lastPrincipal = p;
  lastSession = sessionId;
  lastKey = key;
  return key;
}
let lastPrincipal: string | null = null;
let lastSession = "";
let lastKey: string | undefined;

const EFFECTS: ReadonlySet<string> = new Set(["allow", "deny", "require_approval"]);
const OUTCOMES: ReadonlySet<string> = new Set(["ok", "error"]);

function fail(msg: string): never {
  throw new TypeError(`session state: ${msg}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function intIn(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) fail(`${what} must be an integer from ${min} to ${max}`);
  return v;
}

function checkKey(key: unknown): string {
  if (typeof key !== "string" || key === "" || key.length > 512) fail("the key must be a string of 1 to 512 characters");
  return key;
}

// A lone surrogate would not survive UTF-8 (Redis); control characters have no business in a label.
const BAD_LABEL_CHAR = /[\u0000-\u001f\u007f\uD800-\uDFFF]/u;

/** A label as a store accepts it: 1 to LIMITS.maxSessionLabelLength characters, well-formed, no control character. */
export function checkLabel(l: unknown): string {
  if (typeof l !== "string" || l === "" || l.length > LIMITS.maxSessionLabelLength || BAD_LABEL_CHAR.test(l)) {
    fail(`a label must be a string of 1 to ${LIMITS.maxSessionLabelLength} characters without control characters or lone surrogates`);
  }
  return l;
}

function checkFingerprint(f: unknown): string {
  if (typeof f !== "string" || f.length === 0 || f.length > LIMITS.maxSessionFingerprintLength || !/^[\x21-\x7e]+$/.test(f)) {
    fail(`a fingerprint must be 1 to ${LIMITS.maxSessionFingerprintLength} printable ASCII characters`);
  }
  return f;
}

function checkLabels(v: unknown, what: string): readonly string[] {
  if (!Array.isArray(v)) fail(`${what} must be an array of labels`);
  if (v.length > LIMITS.maxSessionLabels) fail(`${what} may name at most ${LIMITS.maxSessionLabels} labels`);
  for (const l of v) checkLabel(l);
  return v as string[];
}

export function checkSessionLoad(q: SessionLoadRequest): void {
  if (!isPlainObject(q)) fail("the request must be an object");
  checkKey(q.key);
  intIn(q.maxEntries, 0, LIMITS.maxSessionEvents, "maxEntries");
}

/** reserve's `r.session`, when present. */
export function checkSessionGuard(s: ReserveRequest["session"]): void {
  if (s === undefined) return;
  if (!isPlainObject(s)) fail("reserve's session must be an object");
  checkKey(s.key);
  intIn(s.version, 0, Number.MAX_SAFE_INTEGER, "the session version");
}

/** An append checked against every bound: the event's JSON (without `at`) and the provenance as ordered pairs. */
export interface CheckedAppend {
  readonly key: string;
  /** The event's JSON without `at`: a non-empty object (it always has `method` and `effect`). */
  readonly eventJson: string;
  /** The event itself when it is sealed (`sealEvent(eventJson)`): a store may keep its fields as they are. */
  readonly sealed: object | undefined;
  readonly labels: readonly string[];
  readonly provenance: readonly (readonly [string, readonly string[]])[];
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly maxFingerprintsPerLabel: number;
}

/**
 * The UTF-8 bytes of `s`, or a bound of them at most `limit` (3 bytes per UTF-16 code unit at most): the
 * exact count is taken only when the bound is over `limit`, so `utf8AtMost(s, limit) <= limit` exactly
 * when `s` fits.
 */
export function utf8AtMost(s: string, limit: number): number {
  const bound = 3 * s.length;
  return bound <= limit ? bound : Buffer.byteLength(s, "utf8");
}

function withoutAt(ev: Record<string, unknown>): Record<string, unknown> {
  const { at: _at, ...rest } = ev;
  return rest;
}

export function checkSessionAppend(a: SessionAppendRequest): CheckedAppend {
  if (!isPlainObject(a)) fail("the request must be an object");
  const key = checkKey(a.key);
  const ev = a.event as unknown;
  if (!isPlainObject(ev)) fail("the event must be an object");
  if (typeof ev.method !== "string" || ev.method === "") fail("the event's method must be a non-empty string");
  if (typeof ev.effect !== "string" || !EFFECTS.has(ev.effect)) fail("the event's effect must be allow, deny or require_approval");
  if (ev.outcome !== undefined && (typeof ev.outcome !== "string" || !OUTCOMES.has(ev.outcome))) fail("the event's outcome must be ok or error");
  if (ev.target !== undefined && typeof ev.target !== "string") fail("the event's target must be a string");
  if (ev.server !== undefined && typeof ev.server !== "string") fail("the event's server must be a string");
  if (ev.args !== undefined && !isPlainObject(ev.args)) fail("the event's args must be an object");
  if (ev.argsDropped !== undefined && typeof ev.argsDropped !== "boolean") fail("the event's argsDropped must be a boolean");
  if (ev.labels !== undefined) checkLabels(ev.labels, "the event's labels");
  // The store sets `at`; one given is ignored.
  // (An object rest only when `at` is there: the rest pattern takes V8's slow path, and without an own
  // `at` the event's JSON is the same: own enumerable properties, read once each.)
  // A sealed event (eval/history-window.ts: deep-frozen, parsed from its JSON) answers its JSON unchanged.
  const hasAt = Object.hasOwn(ev, "at");
  const sealed = hasAt ? undefined : sealedJson(ev);
  let eventJson: string;
  if (sealed !== undefined) eventJson = sealed;
  else {
    try {
      eventJson = JSON.stringify(hasAt ? withoutAt(ev) : ev);
    } catch (err) {
      fail(`the event is not JSON: ${(err as Error).message}`);
    }
  }
  const bytes = utf8AtMost(eventJson, LIMITS.maxSessionEventBytes);
  if (bytes > LIMITS.maxSessionEventBytes) fail(`the event is ${bytes} bytes of JSON, more than ${LIMITS.maxSessionEventBytes}`);
  const labels = checkLabels(a.labels, "labels");
  const maxFingerprintsPerLabel = intIn(a.maxFingerprintsPerLabel, 1, LIMITS.maxSessionFingerprintsPerLabel, "maxFingerprintsPerLabel");
  if (!isPlainObject(a.provenance)) fail("provenance must be an object of label -> fingerprints");
  const provenance: [string, readonly string[]][] = [];
  // Own enumerable keys in Object.entries' order, without its array per call (most calls give none).
  const given = a.provenance as Record<string, unknown>;
  for (const label in given) {
    if (!Object.hasOwn(given, label)) continue;
    const fps = given[label];
    checkLabel(label);
    if (!Array.isArray(fps)) fail(`the provenance of \`${label}\` must be an array of fingerprints`);
    if (fps.length > LIMITS.maxSessionFingerprintsPerLabel) fail(`the provenance of \`${label}\` has more than ${LIMITS.maxSessionFingerprintsPerLabel} fingerprints`);
    for (const f of fps) checkFingerprint(f);
    if (fps.length > 0) provenance.push([label, fps as string[]]);
  }
  if (provenance.length > LIMITS.maxSessionLabels) fail(`provenance may name at most ${LIMITS.maxSessionLabels} labels`);
  return {
    key,
    eventJson,
    sealed: sealed === undefined ? undefined : ev,
    labels,
    provenance,
    ttlMs: intIn(a.ttlMs, 1, LIMITS.maxSessionTtlMs, "ttlMs"),
    maxEntries: intIn(a.maxEntries, 1, LIMITS.maxSessionEvents, "maxEntries"),
    maxFingerprintsPerLabel,
  };
}

/** The error an append past LIMITS.maxSessionLabels raises (RedisStore's script raises the same text). */
export const TOO_MANY_LABELS = `session state: a session holds at most ${LIMITS.maxSessionLabels} labels`;

/**
 * Add `add` to the ordered set `into` (in place), new ones in request order. Throws, changing nothing,
 * when the set would exceed LIMITS.maxSessionLabels.
 */
export function addLabels(into: Set<string>, add: readonly string[]): void {
  if (add.length === 0) return;
  let n = into.size;
  const fresh = new Set<string>();
  for (const l of add) if (!into.has(l) && !fresh.has(l)) fresh.add(l), n++;
  if (n > LIMITS.maxSessionLabels) throw new Error(TOO_MANY_LABELS);
  for (const l of fresh) into.add(l);
}

/** A label's fingerprints after an append: the old without the added, then the added (first places), the last `cap`. */
export function mergeFingerprints(old: readonly string[], add: readonly string[], cap: number): string[] {
  const seen = new Set<string>();
  const fresh: string[] = [];
  for (const f of add) if (!seen.has(f)) seen.add(f), fresh.push(f);
  const out: string[] = [];
  for (const f of old) if (!seen.has(f)) out.push(f);
  for (const f of fresh) out.push(f);
  return out.length > cap ? out.slice(out.length - cap) : out;
}

// ---- Parsing a stored record (RedisStore) ----

function malformed(what: string): never {
  throw new Error(`session state: the stored session record is malformed (${what}); the call is denied`);
}

function parseJson(s: string, what: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return malformed(what);
  }
}

/** A stored event (JSON, `at` first): the shape checked. */
export function parseEvent(s: string): SessionEvent {
  const e = parseJson(s, "an event is not JSON");
  if (!isPlainObject(e)) malformed("an event is not an object");
  if (typeof e.at !== "number" || !Number.isFinite(e.at)) malformed("an event has no time");
  if (typeof e.method !== "string" || typeof e.effect !== "string" || !EFFECTS.has(e.effect)) malformed("an event has no method or effect");
  if (e.outcome !== undefined && (typeof e.outcome !== "string" || !OUTCOMES.has(e.outcome))) malformed("an event's outcome");
  if (e.args !== undefined && !isPlainObject(e.args)) malformed("an event's args");
  if (e.labels !== undefined && !(Array.isArray(e.labels) && e.labels.every((l) => typeof l === "string"))) malformed("an event's labels");
  return e as unknown as SessionEvent;
}

/** The stored label set (a JSON array of strings). */
export function parseLabels(s: string): string[] {
  const l = parseJson(s, "the labels are not JSON");
  if (!Array.isArray(l) || !l.every((x) => typeof x === "string")) malformed("the labels are not a list of strings");
  return l as string[];
}

/** The stored provenance (a JSON array of [label, [fingerprint...]] pairs). */
export function parseProvenance(s: string): ProvenanceFacts {
  const p = parseJson(s, "the provenance is not JSON");
  if (!Array.isArray(p)) malformed("the provenance is not a list");
  const out: ProvenanceFacts = {};
  for (const pair of p) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || !Array.isArray(pair[1]) || !pair[1].every((f: unknown) => typeof f === "string")) {
      malformed("a provenance entry");
    }
    setOwn(out, pair[0] as string, pair[1] as string[]);
  }
  return out;
}

/** `o[k] = v` as an own property, whatever `k` is (a label `__proto__` must not set the prototype). */
export function setOwn<V>(o: Record<string, V>, k: string, v: V): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** A stored non-negative integer (version, time). */
export function parseCount(s: unknown, what: string): number {
  const n = typeof s === "string" && /^-?\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n)) malformed(what);
  return n;
}
