/**
 * Request shape checks and attribute reads, shared by both evaluators so that they cannot disagree
 * on what a request means. Every read of a missing or mistyped fact throws `EvalError`, which the
 * evaluators turn into a deny; nothing here ever returns a guess.
 */
import { isAmbiguousUri } from "../builtins/glob/glob.js";
import { ATTRIBUTES, parseTime, type AttrRoot, type Method, type MethodRow, type PolicyRequest, type TargetKind } from "../contract/index.js";
import { isMethod, METHOD_ROWS, METHODS } from "../contract/methods.js";
import { EvalError } from "../contract/errors.js";
import { nameFault } from "../contract/names.js";
import type { Reader } from "../contract/attributes.js";
import { parseTemplate } from "./core/templates.js";
import { sessionHistoryFault } from "./history.js";


const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function isStringList(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== "string") return false;
  return true;
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
  const sessionFault = req.session === undefined ? undefined : sessionFactsFault(req.session as Record<string, unknown>);
  if (sessionFault !== undefined) return { error: sessionFault };
  if (req.result !== undefined && !isObject(req.result)) return { error: "`result` must be an object (a CallToolResult)" };
  if (req.session !== undefined) {
    const hf = sessionHistoryFault(req.session); // eval/history.ts
    if (hf !== undefined) return { error: hf };
  }
  const srv = req.server; // `server.name` (contract/attributes.ts): an object; its name a string and a valid name
  if (srv !== undefined && (!isObject(srv) || (srv.name !== undefined && typeof srv.name !== "string"))) return { error: "`server` must be an object whose `name` is a string" };
  if (srv !== undefined && srv.name !== undefined && nameFault(srv.name as string)) return { error: `the server name ${JSON.stringify(srv.name)} ${nameFault(srv.name as string)}` };
  if (req.annotations !== undefined && !isObject(req.annotations)) return { error: "`annotations` must be an object" };
  if (req.arguments !== undefined && !isObject(req.arguments)) return { error: "`arguments` must be an object" };
  if (shape.row.targets.length === 1 && typeof req[shape.row.targets[0]!] !== "string") return NEEDS_TARGET[shape.method]!; // prebuilt: no allocation
  const fault = targetFault(req, shape);
  if (fault !== undefined) return { error: fault };
  if (req.time !== undefined && parseTime(req.time) === undefined) {
    return { error: "`time` must be epoch milliseconds (a whole number) or an RFC 3339 date-time with `Z` or an offset, e.g. `2026-01-05T10:00:00Z`" };
  }
  return shape;
}

/**
 * Why the session facts a host or the engine gave are refused (issue 14), or undefined: `labels` a list of
 * strings, `provenance` an object of string lists, `historyDroppedUntil` a number. `history` is checked
 * by its readers (eval/history), which deny on a malformed event.
 */
function sessionFactsFault(s: Record<string, unknown>): string | undefined {
  if (s.labels !== undefined && !isStringList(s.labels)) return "`session.labels` must be a list of strings";
  if (s.history !== undefined && !Array.isArray(s.history)) return "`session.history` must be a list of events";
  if (s.historyDroppedUntil !== undefined && (typeof s.historyDroppedUntil !== "number" || !Number.isFinite(s.historyDroppedUntil))) return "`session.historyDroppedUntil` must be a number";
  const p = s.provenance;
  if (p !== undefined) {
    if (!isObject(p)) return "`session.provenance` must be an object";
    for (const k of Object.keys(p)) if (!isStringList((p as Record<string, unknown>)[k])) return "`session.provenance` must map each label to a list of strings";
  }
  return undefined;
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
/** The fault of an action method whose one target is not a string, per method, built once. */
const NEEDS_TARGET: Readonly<Partial<Record<Method, { error: string }>>> = Object.freeze(
  Object.fromEntries(METHODS.filter((m) => METHOD_ROWS[m].targets.length === 1).map((m) => [m, Object.freeze({ error: `\`${m}\` needs \`${METHOD_ROWS[m].targets[0]}\` as a string` })])),
);

/**
 * Read an attribute through its registry row (contract/attributes.ts). Throws EvalError when it is
 * absent (except where a default is defined) or mistyped. The interpreter's path; the compiled function
 * fetches the row's reader once per condition node instead (codegen/closures.ts).
 */
export function readAttr(req: PolicyRequest, root: AttrRoot, path: readonly string[], text: string, zone?: string): unknown {
  return (zone === undefined ? ATTRIBUTES[root].read : zonedReader(root, zone))(req, path, text);
}

/** Zoned readers (`time.in("Europe/Berlin").hour`), one per row and zone: each holds its formatter. */
const ZONED = new Map<string, Reader>();

/**
 * The reader of a `time.*` row in a time zone, cached (zones in the IR are canonical names the checker
 * accepted, so the cache holds at most one entry per row and IANA zone). Throws EvalError for a row
 * without zones or a zone the platform does not know (an IR the checker did not make).
 */
export function zonedReader(root: AttrRoot, zone: string): Reader {
  const key = `${root} ${zone}`;
  let r = ZONED.get(key);
  if (r === undefined) {
    const make = ATTRIBUTES[root].zoned;
    if (make === undefined) throw new EvalError(`\`${root}\` has no time zone`);
    try {
      r = make(zone);
    } catch {
      throw new EvalError(`unknown time zone ${JSON.stringify(zone)}`);
    }
    ZONED.set(key, r);
  }
  return r;
}

/** Whether an attribute is present (for `has`). Never throws. */
export function hasAttr(req: PolicyRequest, root: AttrRoot, path: readonly string[]): boolean {
  return ATTRIBUTES[root].has(req, path);
}

/**
 * Presence for `PATH ?? DEFAULT`: the default applies only when the request does not give the fact at
 * all. A free path (claims, arguments) and a row with its own default use `has`; any other row (a
 * string or an address) is present when its request field holds ANY value, so a value of the wrong type
 * is read (and errs) instead of being replaced by the default, which could switch a deny off. A getter
 * that throws counts as present (the read then fails as it would without `??`). Never throws.
 */
export function defaultPresence(root: AttrRoot): (req: PolicyRequest, path: readonly string[]) => boolean {
  const row = ATTRIBUTES[root];
  if (row.open || row.default !== undefined || row.alwaysPresent) return row.has;
  const at = row.at;
  return (req) => {
    try {
      let v: unknown = req;
      for (const k of at) {
        if (v === null || typeof v !== "object") return v !== undefined && v !== null;
        v = (v as Record<string, unknown>)[k];
      }
      return v !== undefined;
    } catch {
      return true;
    }
  };
}

export function describeValue(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : `${typeof v} ${typeof v === "number" ? String(v) : JSON.stringify(v)}`.slice(0, 60);
}
