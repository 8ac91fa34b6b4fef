/**
 * Request shape checks and attribute reads, shared by both evaluators so that they cannot disagree
 * on what a request means. Every read of a missing or mistyped fact throws `EvalError`, which the
 * evaluators turn into a deny; nothing here ever returns a guess.
 */
import type { AttrRoot } from "../ir/ir.js";
import { isAmbiguousUri } from "./builtins/glob.js";
import type { Method, MethodRow, PolicyRequest, TargetKind } from "../contract/index.js";
import { isMethod, METHOD_ROWS, METHODS } from "../contract/methods.js";
import { parseTemplate } from "./core/templates.js";

export class EvalError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function isStringList(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== "string") return false;
  return true;
}

/**
 * Characters a name never holds: controls (C0, DEL, C1), format characters (zero-width, bidi), lone
 * surrogates, line and paragraph separators, and every other default-ignorable code point (variation
 * selectors, the Hangul fillers, combining grapheme joiner, Mongolian selectors, reserved ones): these
 * render as nothing, so `read_file\uFE0F` or `read_file\u3164` would look like `read_file`. Shared
 * with the checker, which refuses the same characters in name patterns (glob-syntax.ts).
 */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const EDGE_SPACE = /^\s|\s$/u;

/**
 * Why a name (of a tool, role, prompt or resource) is refused, or undefined when it is fine: it is empty,
 * holds a control, format or separator character (NUL included) or a lone surrogate, or starts or ends
 * with white space. Such names could only be typos or attempts to look like another name (or to collide
 * in a cache key). Hot path: plain printable ASCII is settled by one loop.
 */
export function nameFault(s: string): string | undefined {
  // Hot path: the same few names arrive on every call; a name found fine once is fine for good.
  if (VALID_NAMES.has(s)) return undefined;
  const fault = nameFaultOf(s);
  if (fault === undefined && s.length <= MAX_CACHED_NAME_LENGTH) {
    if (VALID_NAMES.size >= MAX_VALID_NAMES) VALID_NAMES.clear(); // bounded: start over when full
    VALID_NAMES.add(s);
  }
  return fault;
}

/** Names already found fine (bounded, cleared when full). */
const VALID_NAMES = new Set<string>();
const MAX_VALID_NAMES = 4096;
/** Longer names are scanned every time, so the set holds at most 4096 x 256 code units. */
const MAX_CACHED_NAME_LENGTH = 256;

function nameFaultOf(s: string): string | undefined {
  if (s.length === 0) return "is empty";
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) return undefined;
  if (INVISIBLE.test(s)) return "holds a control or invisible character (or a lone surrogate)";
  if (EDGE_SPACE.test(s)) return "starts or ends with white space";
  return undefined;
}

/**
 * The request's time in epoch milliseconds, or undefined when it is neither of the two accepted forms:
 * - a number: whole milliseconds since 1970-01-01T00:00:00Z, from 0 to 8.64e15 (JavaScript's last date);
 * - a string in RFC 3339 `date-time` form with an explicit offset: `YYYY-MM-DDTHH:MM:SS[.fraction]Z` or
 *   `...+HH:MM` / `...-HH:MM` (upper-case `T` and `Z`; 1 to 9 fraction digits; real calendar dates;
 *   seconds 00-59, no leap second). No other spelling (local times, RFC 2822 dates, `Date` objects,
 *   NaN, Infinity, negative or fractional numbers) is guessed at.
 */
export function parseTime(t: unknown): number | undefined {
  if (typeof t === "number") return Number.isSafeInteger(t) && t >= 0 && t <= 8.64e15 ? t : undefined;
  if (typeof t !== "string" || t.length > 40) return undefined;
  const m = RFC3339.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
  const year = +y!, month = +mo!, day = +d!, hour = +h!, minute = +mi!, second = +sec!;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zone !== "Z") {
    const oh = +zone!.slice(1, 3), om = +zone!.slice(4, 6);
    if (oh > 23 || om > 59) return undefined;
    offset = (zone![0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac ? Number(`${frac.slice(1)}00`.slice(0, 3)) : 0; // milliseconds; digits past them are dropped
  // Not Date.UTC(year, ...): it reads years 0-99 as 1900-1999 ("0070-01-04" would be 1970-01-04).
  // setUTCFullYear takes the year as written; years before 1970 then give a negative time, refused below.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const at = date.getTime() - offset * 60_000;
  return at >= 0 && at <= 8.64e15 ? at : undefined;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** A validated request's method and its row of the method table. */
export interface RequestShape {
  readonly method: Method;
  readonly row: MethodRow;
}

/**
 * The request's method (and its row), or an error message when the request is malformed. The row says
 * which field(s) name the target: an action method needs its one target as a string (`completion/complete`
 * exactly one of its two), a list method may name one item of its kind, a to-client method names none.
 * Hot path: plain loops and property reads, no closures or temporary arrays.
 */
export function validateRequest(req: unknown): RequestShape | { error: string } {
  if (!isObject(req)) return { error: "the request must be an object" };
  const raw = req.method;
  const shape = raw === undefined || raw === "tools/call" ? CALL : isMethod(raw) ? SHAPES[raw] : undefined;
  if (shape === undefined) return { error: `unknown method \`${String(raw)}\`` };
  const p = req.principal;
  if (p !== undefined) {
    if (!isObject(p)) return { error: "`principal` must be an object" };
    if (p.roles !== undefined) {
      if (!isStringList(p.roles)) return { error: "`principal.roles` must be a list of strings" };
      const roles = p.roles as string[];
      for (let i = 0; i < roles.length; i++) {
        const fault = nameFault(roles[i]!);
        if (fault) return { error: `the role name ${JSON.stringify(roles[i])} ${fault}` };
      }
    }
    if (p.scopes !== undefined && !isStringList(p.scopes)) return { error: "`principal.scopes` must be a list of strings" };
    if (p.claims !== undefined && !isObject(p.claims)) return { error: "`principal.claims` must be an object" };
  }
  if (req.client !== undefined && !isObject(req.client)) return { error: "`client` must be an object" };
  if (req.session !== undefined && !isObject(req.session)) return { error: "`session` must be an object" };
  if (req.annotations !== undefined && !isObject(req.annotations)) return { error: "`annotations` must be an object" };
  if (req.arguments !== undefined && !isObject(req.arguments)) return { error: "`arguments` must be an object" };
  const fault = targetFault(req, shape);
  if (fault !== undefined) return { error: fault };
  if (req.time !== undefined && parseTime(req.time) === undefined) {
    return { error: "`time` must be epoch milliseconds (a whole number) or an RFC 3339 date-time with `Z` or an offset, e.g. `2026-01-05T10:00:00Z`" };
  }
  return shape;
}

/** Why the target (or listed item) of a request is refused, or undefined. */
function targetFault(req: Record<string, unknown>, { method, row }: RequestShape): string | undefined {
  const targets = row.targets;
  let field: TargetKind | undefined;
  if (targets.length === 1) {
    field = targets[0]!;
    if (typeof req[field] !== "string") return `\`${method}\` needs \`${field}\` as a string`;
  } else if (targets.length > 1) {
    for (const t of targets) {
      if (req[t] === undefined) continue;
      if (field !== undefined) return `\`${method}\` must name one of ${targets.map((x) => `\`${x}\``).join(", ")}, not both \`${field}\` and \`${t}\``;
      field = t;
    }
    if (field === undefined || typeof req[field] !== "string") return `\`${method}\` needs one of ${targets.map((x) => `\`${x}\``).join(", ")} as a string`;
  } else if (row.lists !== undefined) {
    if (req[row.lists] === undefined) return undefined;
    field = row.lists;
    if (typeof req[field] !== "string") return `\`${field}\` must be a string`;
  } else return undefined;
  const value = req[field] as string;
  if (field === "resource") {
    if (isAmbiguousUri(value)) return `the resource ${row.templates ? "template" : "URI"} is ambiguous (dot segments, encoded slashes, backslashes or control characters)`;
    if (row.templates) {
      const t = parseTemplate(value);
      if (typeof t === "string") return `the resource template ${JSON.stringify(value)} ${t}`;
    }
  }
  const fault = nameFault(value);
  if (fault) return `the ${field === "resource" ? (row.templates ? "resource template" : "resource URI") : `${field} name`} ${JSON.stringify(value)} ${fault}`;
  return undefined;
}

/** Why a URI is refused as a resource (the checks a `resources/read` target passes), or undefined. */
export function resourceFault(uri: string): string | undefined {
  return isAmbiguousUri(uri) ? "is ambiguous" : nameFault(uri);
}

const SHAPES: Readonly<Record<Method, RequestShape>> = Object.freeze(
  Object.assign(Object.create(null) as Record<Method, RequestShape>, Object.fromEntries(METHODS.map((m) => [m, Object.freeze({ method: m, row: METHOD_ROWS[m] })]))),
);
const CALL = SHAPES["tools/call"];

export const ANNOTATION_DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

function walk(base: unknown, path: readonly string[], text: string): unknown {
  let v = base;
  for (const seg of path) {
    if (!isObject(v) || !Object.prototype.hasOwnProperty.call(v, seg)) throw new EvalError(`\`${text}\` is missing`);
    v = v[seg];
  }
  if (v === undefined || v === null) throw new EvalError(`\`${text}\` is missing`);
  return v;
}

function timeOf(req: PolicyRequest): Date {
  const t = req.time === undefined ? Date.now() : parseTime(req.time);
  if (t === undefined) throw new EvalError("`time` is not a valid time");
  return new Date(t);
}

/** Read an attribute. Throws EvalError when it is absent (except where a default is defined) or mistyped. */
export function readAttr(req: PolicyRequest, root: AttrRoot, path: readonly string[], text: string): unknown {
  switch (root) {
    case "principal.id":
      return str(req.principal?.id, text);
    case "principal.scopes":
      return req.principal?.scopes ?? [];
    case "principal.claims":
      return walk(req.principal?.claims, path, text);
    case "client.ip":
      return str(req.client?.ip, text);
    case "client.tls":
      return bool(req.client?.tls ?? false, text);
    case "client.mtls":
      return bool(req.client?.mtls ?? false, text);
    case "client.certSubject":
      return str(req.client?.certSubject, text);
    case "session.id":
      return str(req.session?.id, text);
    case "tool.name":
      return str(req.tool, text);
    case "annotations.readOnlyHint":
    case "annotations.destructiveHint":
    case "annotations.idempotentHint":
    case "annotations.openWorldHint": {
      const key = root.slice("annotations.".length) as keyof typeof ANNOTATION_DEFAULTS;
      return bool(req.annotations?.[key] ?? ANNOTATION_DEFAULTS[key], text);
    }
    case "args":
      return walk(req.arguments, path, text);
    case "resource.uri":
      return str(req.resource, text);
    case "time.hour":
      return timeOf(req).getUTCHours();
    case "time.minute":
      return timeOf(req).getUTCMinutes();
    case "time.weekday":
      return timeOf(req).getUTCDay();
  }
}

/** Whether an attribute is present (for `has`). Never throws. */
export function hasAttr(req: PolicyRequest, root: AttrRoot, path: readonly string[]): boolean {
  try {
    switch (root) {
      case "client.tls":
        return req.client?.tls !== undefined;
      case "client.mtls":
        return req.client?.mtls !== undefined;
      case "principal.scopes":
        return req.principal?.scopes !== undefined;
      case "annotations.readOnlyHint":
      case "annotations.destructiveHint":
      case "annotations.idempotentHint":
      case "annotations.openWorldHint":
        return req.annotations?.[root.slice("annotations.".length) as keyof typeof ANNOTATION_DEFAULTS] !== undefined;
      case "time.hour":
      case "time.minute":
      case "time.weekday":
        return true;
      default:
        readAttr(req, root, path, "");
        return true;
    }
  } catch {
    return false;
  }
}

function str(v: unknown, text: string): string {
  if (v === undefined || v === null) throw new EvalError(`\`${text}\` is missing`);
  if (typeof v !== "string") throw new EvalError(`\`${text}\` is not a string`);
  return v;
}
function bool(v: unknown, text: string): boolean {
  if (typeof v !== "boolean") throw new EvalError(`\`${text}\` is not a boolean`);
  return v;
}

export function describeValue(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : `${typeof v} ${typeof v === "number" ? String(v) : JSON.stringify(v)}`.slice(0, 60);
}
