/**
 * The attribute registry: every request attribute a policy condition may read, ONE row each. The
 * checker (names, static types, "did you mean"), both evaluators (the reader and `has`), the analysis
 * (default, domain, which request field fixes it) and the testing kit (generator hint) read this table
 * and keep no list of their own: a new request attribute is one row here
 * (test/attributes-registry.test.ts fails when some consumer ignores a row).
 * INVARIANTS:
 * - a read of an absent attribute without a default, or of a mistyped one, throws EvalError (which
 *   denies); no reader returns a guess. Readers run only on requests `validateRequest` accepted.
 * - `has` never throws (a throwing getter on a host object reads as absent).
 * - rows with a free path (`open`) take the rest of the dotted path as keys (`args.a.b`).
 * - `bind(path, text)` is `read` fixed to one condition node, `bindHas(path)` is `has` fixed to one: for
 *   every request each gives the same value (or throws the same EvalError) as the generic form, reading
 *   the same properties in the same order (test/attribute-bind.test.ts holds them to that). They are made
 *   once, at compile time, and are the compiled function's hot path: a free path of one or two keys is
 *   read with no loop, so V8 inlines the read into its caller (issue 16: a rule `args.x > N` cost ~43 ns
 *   through the generic reader, ~17 ns with its key fixed; bench/README.md, "Round 3").
 */
import { EvalError } from "./errors.js";
import type { PolicyRequest } from "./request.js";
import { parseTime } from "./time.js";

/** The static type the checker gives a read of the attribute (with a free path below an open row: any). */
export type AttrType = "string" | "number" | "boolean" | "ip" | "strings" | "any";

/**
 * What the analysis may assume about the values:
 * - `finite`: exactly these values (and absent); scenarios enumerate them. `typical` is the value a
 *   scenario gives when it does not enumerate the attribute (absent when undefined).
 * - `range`: whole numbers from `lo` to `hi`.
 * - `open`: any value of the type, or absent; the solver reasons on the literals conditions compare
 *   it with, and witness search tries the policy's own values.
 */
export type AttrDomain =
  | { readonly kind: "finite"; readonly values: readonly boolean[]; readonly typical?: boolean }
  | { readonly kind: "range"; readonly lo: number; readonly hi: number }
  | { readonly kind: "open" };

/**
 * How the testing kit generates values:
 * - `name`: the strings conditions compare it with, near misses, hostile strings and these examples;
 * - `ip`: addresses at the edges of the policy's CIDR ranges; `boolean`; `strings`: subsets of the
 *   compared strings; `free`: nested records along the paths conditions read; `clock`: a `time` around
 *   the compared hours, minutes and weekdays; `target`: the method's target name (tool, resource).
 */
export type GenHint =
  | { readonly kind: "name"; readonly examples: readonly string[] }
  | { readonly kind: "ip" }
  | { readonly kind: "boolean" }
  | { readonly kind: "strings" }
  | { readonly kind: "free" }
  | { readonly kind: "clock" }
  | { readonly kind: "target" };

export type Reader = (req: PolicyRequest, path: readonly string[], text: string) => unknown;
export type Presence = (req: PolicyRequest, path: readonly string[]) => boolean;
/** A reader fixed to one path and text (see `bind`). */
export type BoundReader = (req: PolicyRequest) => unknown;
export type Binder = (path: readonly string[], text: string) => BoundReader;
/** A presence test fixed to one path (see `bindHas`). */
export type BoundPresence = (req: PolicyRequest) => boolean;

/** A top-level field of the request. */
export type RequestField = keyof PolicyRequest & string;

export interface AttributeRow<P extends string = string> {
  /** The dotted name in policy text: `client.ip`, `args` (open). */
  readonly path: P;
  readonly type: AttrType;
  /** A free path of keys follows (`principal.claims.org`, `args.a.b`). */
  readonly open: boolean;
  /** Where the value lives in the request: a top-level field, then a key inside it (none for `tool`, `resource`, `time`). */
  readonly at: readonly [RequestField] | readonly [RequestField, string];
  /** The value, or EvalError. Hot path: the compiled function fetches this once per condition node. */
  readonly read: Reader;
  /** `read` with the path and text fixed, made once per condition node (the compiled function's reader). */
  readonly bind: Binder;
  /** For `has`: whether the request holds it. Never throws. */
  readonly has: Presence;
  /** `has` with the path fixed, made once per node: for every request the same answer as `has(req, path)`, the same reads. */
  readonly bindHas: (path: readonly string[]) => BoundPresence;
  /** What an absent value reads as (MCP's annotation defaults, `false`, no scopes). */
  readonly default?: boolean | readonly string[];
  /** Always present (the clock stands in for an absent `time`). */
  readonly alwaysPresent?: true;
  /** Known only after the tool ran (`result`): readable in `result of ... { }` blocks only (E0451 in rules). */
  readonly afterTool?: true;
  /** On a request `validateRequest` accepted, the read never errs (validation refuses every mistyped value). */
  readonly neverErrs?: true;
  /**
   * A name: `validateRequest` refuses a value that is empty, holds a control or invisible character or
   * has white space at an end (so a lookalike cannot slip past `==`), and the checker flags comparisons
   * with such a value (E0213): they never hold for a call the rules see.
   */
  readonly name?: true;
  readonly domain: AttrDomain;
  readonly gen: GenHint;
  /**
   * The `time.*` rows: the reader of the same part in an IANA time zone (`time.in("Europe/Berlin").hour`).
   * `zone` must be canonical (`canonicalTimeZone`); the zone's formatter is made once, by this call.
   */
  readonly zoned?: (zone: string) => Reader;
}

const OPEN: AttrDomain = { kind: "open" };
const BOOLEANS = [false, true] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function str(v: unknown, text: string): string {
  if (v === undefined || v === null) throw new EvalError(`\`${text}\` is missing`);
  if (typeof v !== "string") throw new EvalError(`\`${text}\` is not a string`);
  return v;
}

function bool(v: unknown, text: string): boolean {
  if (typeof v !== "boolean") throw new EvalError(`\`${text}\` is not a boolean`);
  return v;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** An indexed loop, not for..of: the iterator cost ~15 ns a read in the compiled function (issue 16). */
function walk(base: unknown, path: readonly string[], text: string): unknown {
  let v = base;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (!isObject(v) || !hasOwn.call(v, seg)) throw new EvalError(`\`${text}\` is missing`);
    v = v[seg];
  }
  if (v === undefined || v === null) throw new EvalError(`\`${text}\` is missing`);
  return v;
}

/**
 * `walk` fixed to one path: the keys and the message are constants of the closure, and paths of up to
 * two keys (nearly all: `args.path`, `principal.claims.org`) are straight-line code. Each level is
 * tested exactly as `walk` tests it (an object, not an array; the key an own property, so `__proto__`,
 * `constructor` and a polluted `Object.prototype` read as missing), then read once.
 */
function bindWalk(raw: Raw, path: readonly string[], text: string): BoundReader {
  const missing = `\`${text}\` is missing`;
  const keys = path.slice();
  if (keys.length === 0) {
    return (req) => {
      const v = raw(req);
      if (v === undefined || v === null) throw new EvalError(missing);
      return v;
    };
  }
  if (keys.length === 1) {
    const a = keys[0]!;
    return (req) => {
      const o = raw(req);
      if (!isObject(o) || !hasOwn.call(o, a)) throw new EvalError(missing);
      const v = o[a];
      if (v === undefined || v === null) throw new EvalError(missing);
      return v;
    };
  }
  if (keys.length === 2) {
    const a = keys[0]!;
    const b = keys[1]!;
    return (req) => {
      const o = raw(req);
      if (!isObject(o) || !hasOwn.call(o, a)) throw new EvalError(missing);
      const o2 = o[a];
      if (!isObject(o2) || !hasOwn.call(o2, b)) throw new EvalError(missing);
      const v = o2[b];
      if (v === undefined || v === null) throw new EvalError(missing);
      return v;
    };
  }
  return (req) => walk(raw(req), keys, text);
}

/** The binder of a row whose reader needs nothing fixed beyond the call. */
const bindAny =
  (read: Reader): Binder =>
  (path, text) => {
    const keys = path.slice();
    return (req) => read(req, keys, text);
  };

function timeOf(req: PolicyRequest): Date {
  const t = req.time === undefined ? Date.now() : parseTime(req.time);
  if (t === undefined) throw new EvalError("`time` is not a valid time");
  return new Date(t);
}

type Raw = (req: PolicyRequest) => unknown;

/** The raw value at `at` (undefined when a level is absent), as `req.client?.ip` reads it. */
function rawAt(at: AttributeRow["at"]): Raw {
  const [field, key] = at;
  if (key === undefined) return (req) => req[field];
  return (req) => {
    const o = req[field] as Record<string, unknown> | null | undefined;
    return o === undefined || o === null ? undefined : o[key];
  };
}

/*
 * `has` is "the read would give a value without error", tested without making the error: an EvalError
 * built and caught cost ~7 µs a `has` of an absent attribute (issue 16). Each reads what the reader
 * reads, in the same order; whatever a getter throws makes the attribute absent.
 */

/** `has` of a string attribute: the read gives a value exactly when it is a string. */
function stringPresent(raw: Raw): Presence {
  return (req) => {
    try {
      return typeof raw(req) === "string";
    } catch {
      return false;
    }
  };
}

/** `walkPresent` fixed to one path: up to two keys in straight-line code (as `bindWalk`). */
function bindWalkPresent(raw: Raw, path: readonly string[]): BoundPresence {
  const keys = path.slice();
  if (keys.length === 1) {
    const a = keys[0]!;
    return (req) => {
      try {
        const o = raw(req);
        if (!isObject(o) || !hasOwn.call(o, a)) return false;
        const v = o[a];
        return v !== undefined && v !== null;
      } catch {
        return false;
      }
    };
  }
  if (keys.length === 2) {
    const a = keys[0]!;
    const b = keys[1]!;
    return (req) => {
      try {
        const o = raw(req);
        if (!isObject(o) || !hasOwn.call(o, a)) return false;
        const o2 = o[a];
        if (!isObject(o2) || !hasOwn.call(o2, b)) return false;
        const v = o2[b];
        return v !== undefined && v !== null;
      } catch {
        return false;
      }
    };
  }
  const has = walkPresent(raw);
  return (req) => has(req, keys);
}

/** The presence binder of a row whose `has` needs nothing fixed beyond the call. */
const bindAnyHas =
  (has: Presence) =>
  (path: readonly string[]): BoundPresence => {
    const keys = path.slice();
    return (req) => has(req, keys);
  };

/** A row's `has` and its binder. */
const presence = (has: Presence) => ({ has, bindHas: bindAnyHas(has) });

/** `has` of a free path: every level an object holding the key as its own property, the value not null. */
function walkPresent(raw: Raw): Presence {
  return (req, path) => {
    try {
      let v = raw(req);
      for (let i = 0; i < path.length; i++) {
        const seg = path[i]!;
        if (!isObject(v) || !hasOwn.call(v, seg)) return false;
        v = v[seg];
      }
      return v !== undefined && v !== null;
    } catch {
      return false;
    }
  };
}

/** `has` for a defaulted attribute: present when the request gives it (the default does not count). */
function given(raw: Raw): Presence {
  return (req) => {
    try {
      return raw(req) !== undefined;
    } catch {
      return false;
    }
  };
}

type Extra = Partial<Pick<AttributeRow, "domain" | "gen">>;

/** A string (or ip) attribute: absent or not a string is an error. */
function text<P extends string>(path: P, at: AttributeRow["at"], gen: GenHint, x: { type?: "string" | "ip"; name?: true } & Extra = {}): AttributeRow<P> {
  const raw = rawAt(at);
  const read: Reader = (req, _path, t) => str(raw(req), t);
  const bind: Binder = (_path, t) => (req) => str(raw(req), t);
  return { path, type: x.type ?? "string", open: false, at, read, bind, ...presence(stringPresent(raw)), ...(x.name && { name: true }), domain: x.domain ?? OPEN, gen };
}

/** A boolean with a default when absent; a present non-boolean is an error. */
function flag<P extends string>(path: P, at: AttributeRow["at"], dflt: boolean, typical?: boolean): AttributeRow<P> {
  const raw = rawAt(at);
  const read: Reader = (req, _path, t) => bool(raw(req) ?? dflt, t);
  const bind: Binder = (_path, t) => (req) => bool(raw(req) ?? dflt, t);
  const domain: AttrDomain = typical === undefined ? { kind: "finite", values: BOOLEANS } : { kind: "finite", values: BOOLEANS, typical };
  return { path, type: "boolean", open: false, at, read, bind, ...presence(given(raw)), default: dflt, domain, gen: { kind: "boolean" } };
}

/** A free path into an object of the request (claims, arguments): any JSON value, absent is an error. */
function free<P extends string>(path: P, at: AttributeRow["at"]): AttributeRow<P> {
  const raw = rawAt(at);
  const read: Reader = (req, p, t) => walk(raw(req), p, t);
  const bind: Binder = (p, t) => bindWalk(raw, p, t);
  return { path, type: "any", open: true, at, read, bind, has: walkPresent(raw), bindHas: (p) => bindWalkPresent(raw, p), domain: OPEN, gen: { kind: "free" } };
}

/** The parts of a time a zoned reader can give (the names of `Intl.DateTimeFormat` parts). */
type ZonedPart = "hour" | "minute" | "weekday";
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/**
 * The IANA name of a time zone as Node's Intl data spells it (`europe/berlin` is `Europe/Berlin`), or
 * undefined when the platform does not know the zone. Offsets and the empty string are not zones.
 */
export function canonicalTimeZone(zone: string): string | undefined {
  if (zone === "" || zone.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * A reader of one part of the request's time in `zone` (DST included, from Node's Intl data). The
 * formatter is built here, once per reader (at compile time for the compiled function).
 */
function zonedReader(part: ZonedPart, zone: string): Reader {
  const f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", weekday: "short", hour: "2-digit", minute: "2-digit" });
  return (req) => {
    const parts = f.formatToParts(timeOf(req));
    const p = parts.find((x) => x.type === part);
    const v = p === undefined ? undefined : part === "weekday" ? WEEKDAYS[p.value] : Number(p.value);
    if (v === undefined || !Number.isInteger(v)) throw new EvalError(`\`time\` has no ${part} in time zone ${zone}`);
    return v;
  };
}

/** A part of the request's time (UTC); the clock when the request has none. */
function clock<P extends string>(path: P, part: (d: Date) => number, lo: number, hi: number, zonedPart: ZonedPart): AttributeRow<P> {
  const read: Reader = (req) => part(timeOf(req));
  const zoned = (zone: string) => zonedReader(zonedPart, zone);
  return { path, type: "number", open: false, at: ["time"], read, bind: bindAny(read), ...presence(() => true), alwaysPresent: true, neverErrs: true, domain: { kind: "range", lo, hi }, gen: { kind: "clock" }, zoned };
}

/** MCP's defaults for absent tool annotations. */
export const ANNOTATION_DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

/** A list of strings, empty when absent (validateRequest refuses scopes that are not a list of strings). */
function scopes<P extends string>(path: P, at: AttributeRow["at"]): AttributeRow<P> {
  const raw = rawAt(at);
  const read: Reader = (req) => raw(req) ?? [];
  return { path, type: "strings", open: false, at, read, bind: bindAny(read), ...presence(given(raw)), default: [], neverErrs: true, domain: OPEN, gen: { kind: "strings" } };
}

/**
 * The session's labels (issue 14): a list of strings the engine loads before deciding. Absent is an
 * error, never an empty list: a policy that reads labels must not decide as if nothing had tainted the
 * session because the facts were not loaded (fail closed).
 */
function sessionLabels<P extends string>(path: P, at: AttributeRow["at"]): AttributeRow<P> {
  const raw = rawAt(at);
  const read: Reader = (req, _path, t) => {
    const v = raw(req);
    if (v === undefined || v === null) throw new EvalError(`\`${t}\` is missing: the session's labels were not loaded`);
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new EvalError(`\`${t}\` is not a list of strings`);
    return v;
  };
  // `default: []` is for the analysis and the kit (they model "no label"); the reader itself never defaults.
  return { path, type: "strings", open: false, at, read, bind: bindAny(read), ...presence(given(raw)), default: [], domain: OPEN, gen: { kind: "strings" } };
}

/** THE registry (exported as ATTRIBUTE_ROWS). Order is the order of "did you mean" candidates and of documentation. */
const ROWS = [
  text("principal.id", ["principal", "id"], { kind: "name", examples: ["agent-1", "agent-2"] }),
  scopes("principal.scopes", ["principal", "scopes"]),
  free("principal.claims", ["principal", "claims"]),
  text("client.ip", ["client", "ip"], { kind: "ip" }, { type: "ip" }),
  flag("client.tls", ["client", "tls"], false, true),
  flag("client.mtls", ["client", "mtls"], false, false),
  text("client.certSubject", ["client", "certSubject"], { kind: "name", examples: ["CN=other"] }),
  text("client.certFingerprint", ["client", "certFingerprint"], { kind: "name", examples: ["AB:CD"] }),
  text("session.id", ["session", "id"], { kind: "name", examples: ["s-1", "s-2"] }),
  sessionLabels("session.labels", ["session", "labels"]),
  text("tool.name", ["tool"], { kind: "target" }, { name: true }),
  flag("annotations.readOnlyHint", ["annotations", "readOnlyHint"], ANNOTATION_DEFAULTS.readOnlyHint),
  flag("annotations.destructiveHint", ["annotations", "destructiveHint"], ANNOTATION_DEFAULTS.destructiveHint),
  flag("annotations.idempotentHint", ["annotations", "idempotentHint"], ANNOTATION_DEFAULTS.idempotentHint),
  flag("annotations.openWorldHint", ["annotations", "openWorldHint"], ANNOTATION_DEFAULTS.openWorldHint),
  free("args", ["arguments"]),
  text("resource.uri", ["resource"], { kind: "target" }, { name: true }),
  clock("time.hour", (d) => d.getUTCHours(), 0, 23, "hour"),
  clock("time.minute", (d) => d.getUTCMinutes(), 0, 59, "minute"),
  clock("time.weekday", (d) => d.getUTCDay(), 0, 6, "weekday"),
  // A tool call's result (MCP CallToolResult), readable only in `result of ...` blocks (issue 14).
  { ...free("result", ["result"]), afterTool: true },
  // Which upstream MCP server the call goes to, for gateways that front several.
  text("server.name", ["server", "name"], { kind: "name", examples: ["upstream-a", "upstream-b"] }, { name: true }),
] as const;

/** Attribute roots a condition may read. `principal.claims` and `args` take a free path of segments. */
export type AttrRoot = (typeof ROWS)[number]["path"];

// INVARIANT: rows are frozen, so no consumer can swap a reader at run time.
for (const row of ROWS) Object.freeze(row);
export const ATTRIBUTE_ROWS: readonly AttributeRow<AttrRoot>[] = Object.freeze(ROWS);

/** The row of each root, in a prototype-free record (`"constructor"` is not an attribute). */
export const ATTRIBUTES: Readonly<Record<AttrRoot, AttributeRow<AttrRoot>>> = Object.freeze(
  Object.assign(Object.create(null) as Record<AttrRoot, AttributeRow<AttrRoot>>, Object.fromEntries(ATTRIBUTE_ROWS.map((r) => [r.path, r]))),
);

/** Every attribute path, in registry order. */
export const ATTRIBUTE_PATHS: readonly AttrRoot[] = ATTRIBUTE_ROWS.map((r) => r.path);
