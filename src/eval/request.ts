/**
 * Request shape checks and attribute reads, shared by both evaluators so that they cannot disagree
 * on what a request means. Every read of a missing or mistyped fact throws `EvalError`, which the
 * evaluators turn into a deny; nothing here ever returns a guess.
 */
import { isAmbiguousUri } from "../builtins/glob/glob.js";
import { ATTRIBUTES, parseTime, type AttrRoot, type Method, type MethodRow, type PolicyRequest, type TargetKind } from "../contract/index.js";
import { isMethod, METHOD_ROWS, METHODS } from "../contract/methods.js";
import { parseTemplate } from "./core/templates.js";

// The error class and the time parser live in contract/; re-exported for the code that imports them from here.
export { EvalError } from "../contract/errors.js";
export { parseTime } from "../contract/time.js";
export { ANNOTATION_DEFAULTS } from "../contract/attributes.js";

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
import { INVISIBLE } from "../builtins/text/text.js";
export { INVISIBLE };
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
  const srv = req.server; // `server.name` (contract/attributes.ts): an object; its name a string and a valid name
  if (srv !== undefined && (!isObject(srv) || (srv.name !== undefined && typeof srv.name !== "string"))) return { error: "`server` must be an object whose `name` is a string" };
  if (srv !== undefined && srv.name !== undefined && nameFault(srv.name as string)) return { error: `the server name ${JSON.stringify(srv.name)} ${nameFault(srv.name as string)}` };
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

/**
 * Read an attribute through its registry row (contract/attributes.ts). Throws EvalError when it is
 * absent (except where a default is defined) or mistyped. The interpreter's path; the compiled function
 * fetches the row's reader once per condition node instead (codegen/closures.ts).
 */
export function readAttr(req: PolicyRequest, root: AttrRoot, path: readonly string[], text: string): unknown {
  return ATTRIBUTES[root].read(req, path, text);
}

/** Whether an attribute is present (for `has`). Never throws. */
export function hasAttr(req: PolicyRequest, root: AttrRoot, path: readonly string[]): boolean {
  return ATTRIBUTES[root].has(req, path);
}

export function describeValue(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : `${typeof v} ${typeof v === "number" ? String(v) : JSON.stringify(v)}`.slice(0, 60);
}
