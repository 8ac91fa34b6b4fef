/**
 * Request shape checks and attribute reads, shared by both evaluators so that they cannot disagree
 * on what a request means. Every read of a missing or mistyped fact throws `EvalError`, which the
 * evaluators turn into a deny; nothing here ever returns a guess.
 */
import { isAmbiguousUri } from "../builtins/glob/glob.js";
import { ATTRIBUTES, parseTime, type AttrRoot, type Method, type PolicyRequest } from "../contract/index.js";

// The error class and the time parser live in contract/; re-exported for the code that imports them from here.
export { EvalError } from "../contract/errors.js";
export { parseTime } from "../contract/time.js";
export { ANNOTATION_DEFAULTS } from "../contract/attributes.js";

const METHOD_TARGET: Partial<Record<Method, "tool" | "resource" | "prompt" | undefined>> = Object.assign(Object.create(null), {
  "tools/call": "tool",
  "tools/list": undefined,
  "resources/read": "resource",
  "prompts/get": "prompt",
});

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
 * The request's method, or an error message when the request is malformed.
 * Hot path: plain loops and property reads, no closures or temporary arrays.
 */
export function validateRequest(req: unknown): { method: Method } | { error: string } {
  if (!isObject(req)) return { error: "the request must be an object" };
  const raw = req.method;
  const method = (raw === undefined ? "tools/call" : raw) as Method;
  if (typeof method !== "string" || !(method in METHOD_TARGET)) return { error: `unknown method \`${String(raw)}\`` };
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
  const target = METHOD_TARGET[method];
  if (target !== undefined && typeof req[target] !== "string") return { error: `\`${method}\` needs \`${target}\` as a string` };
  if (method === "resources/read" && isAmbiguousUri(req.resource)) return { error: "the resource URI is ambiguous (dot segments, encoded slashes, backslashes or control characters)" };
  if (method === "tools/list" && req.tool !== undefined && typeof req.tool !== "string") return { error: "`tool` must be a string" };
  const name = target ?? (req.tool !== undefined ? "tool" : undefined);
  if (name !== undefined) {
    const fault = nameFault(req[name] as string);
    if (fault) return { error: `the ${name === "resource" ? "resource URI" : `${name} name`} ${JSON.stringify(req[name])} ${fault}` };
  }
  if (req.time !== undefined && parseTime(req.time) === undefined) {
    return { error: "`time` must be epoch milliseconds (a whole number) or an RFC 3339 date-time with `Z` or an offset, e.g. `2026-01-05T10:00:00Z`" };
  }
  return method === "tools/call" ? CALL : { method };
}

const CALL = Object.freeze({ method: "tools/call" as Method });

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
