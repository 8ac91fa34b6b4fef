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
import { historyFault, lentFault } from "./history-check.js";
import { LENT_HISTORY, lentOf } from "./lent-history.js";


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
 * Hot path: plain loops and property reads, no closures or temporary arrays. Each field of the request
 * (and of its `principal` and `session`) is read once, into a local, in a fixed order (the order the
 * checks below meet them), so a getter runs once and the first fault met is always the same one; the
 * requests vary in shape, so each read is a megamorphic load, most of them of absent fields.
 */
export function validateRequest(req: unknown): RequestShape | { error: string } {
  if (!isObject(req)) return { error: "the request must be an object" };
  const raw = req.method;
  const shape = raw === undefined || raw === "tools/call" ? CALL : isMethod(raw) ? SHAPES[raw] : undefined;
  if (shape === undefined) return { error: `unknown method \`${String(raw)}\`` };
  const p = req.principal;
  if (p !== undefined) {
    const fault = principalFault(p);
    if (fault !== undefined) return { error: fault };
  }
  const client = req.client;
  if (client !== undefined && !isObject(client)) return { error: "`client` must be an object" };
  const session = req.session;
  let history: unknown;
  if (session !== undefined) {
    if (!isObject(session)) return { error: "`session` must be an object" };
    history = session.history;
    const sessionFault = sessionFactsFault(session, history);
    if (sessionFault !== undefined) return { error: sessionFault };
  }
  const result = req.result;
  if (result !== undefined && !isObject(result)) return { error: "`result` must be an object (a CallToolResult)" };
  if (history !== undefined) {
    // eval/history-check.ts (a list: sessionFactsFault checked); a history a store lent is read in place.
    let hf: string | undefined;
    if (history === LENT_HISTORY) {
      const lent = lentOf(session);
      hf = lent === undefined ? "`session.history` was lent by a store but the session does not hold it" : lentFault(lent);
    } else hf = historyFault(history as unknown[]);
    if (hf !== undefined) return { error: hf };
  }
  const srv = req.server; // `server.name` (contract/attributes.ts): an object; its name a string and a valid name
  if (srv !== undefined) {
    if (!isObject(srv)) return SERVER_FAULT;
    const name = srv.name;
    if (name !== undefined) {
      if (typeof name !== "string") return SERVER_FAULT;
      const fault = nameFault(name);
      if (fault) return { error: `the server name ${JSON.stringify(name)} ${fault}` };
    }
  }
  const annotations = req.annotations;
  if (annotations !== undefined && !isObject(annotations)) return { error: "`annotations` must be an object" };
  const args = req.arguments;
  if (args !== undefined && !isObject(args)) return { error: "`arguments` must be an object" };
  const targets = shape.row.targets;
  if (targets.length === 1) {
    const target = req[targets[0]!];
    if (typeof target !== "string") return NEEDS_TARGET[shape.method]!; // prebuilt: no allocation
    const fault = valueFault(target, targets[0]!, shape.row);
    if (fault !== undefined) return { error: fault };
  } else {
    const fault = targetFault(req, shape);
    if (fault !== undefined) return { error: fault };
  }
  const time = req.time;
  if (time !== undefined && parseTime(time) === undefined) {
    return { error: "`time` must be epoch milliseconds (a whole number) or an RFC 3339 date-time with `Z` or an offset, e.g. `2026-01-05T10:00:00Z`" };
  }
  return shape;
}

const SERVER_FAULT = Object.freeze({ error: "`server` must be an object whose `name` is a string" });

/** Why `principal` is refused, or undefined: an object; `roles` valid names, `scopes` strings, `claims` an object. */
function principalFault(p: unknown): string | undefined {
  if (!isObject(p)) return "`principal` must be an object";
  const roles = p.roles;
  if (roles !== undefined) {
    if (!isStringList(roles)) return "`principal.roles` must be a list of strings";
    const list = roles as string[];
    for (let i = 0; i < list.length; i++) {
      const fault = nameFault(list[i]!);
      if (fault) return `the role name ${JSON.stringify(list[i])} ${fault}`;
    }
  }
  const scopes = p.scopes;
  if (scopes !== undefined && !isStringList(scopes)) return "`principal.scopes` must be a list of strings";
  const claims = p.claims;
  if (claims !== undefined && !isObject(claims)) return "`principal.claims` must be an object";
  return undefined;
}

/**
 * Why the session facts a host or the engine gave are refused (issue 14), or undefined: `labels` a list of
 * strings, `provenance` an object of string lists, `historyDroppedUntil` a number. `history` (read by the
 * caller, handed in) must be a list here; its events are checked by eval/history (`historyFault`).
 */
function sessionFactsFault(s: Record<string, unknown>, history: unknown): string | undefined {
  const labels = s.labels;
  if (labels !== undefined && !isStringList(labels)) return "`session.labels` must be a list of strings";
  if (history !== undefined && !Array.isArray(history)) return "`session.history` must be a list of events";
  const dropped = s.historyDroppedUntil;
  if (dropped !== undefined && (typeof dropped !== "number" || !Number.isFinite(dropped))) return "`session.historyDroppedUntil` must be a number";
  const p = s.provenance;
  if (p !== undefined) {
    if (!isObject(p)) return "`session.provenance` must be an object";
    for (const k of Object.keys(p)) if (!isStringList((p as Record<string, unknown>)[k])) return "`session.provenance` must map each label to a list of strings";
  }
  return undefined;
}

/** Why the target (or listed item) of a request with no single target field is refused, or undefined. */
function targetFault(req: Record<string, unknown>, { method, row }: RequestShape): string | undefined {
  const targets = row.targets;
  let field: TargetKind | undefined;
  let value: unknown;
  if (targets.length > 1) {
    for (const t of targets) {
      const v = req[t];
      if (v === undefined) continue;
      if (field !== undefined) return `\`${method}\` must name one of ${targets.map((x) => `\`${x}\``).join(", ")}, not both \`${field}\` and \`${t}\``;
      field = t;
      value = v;
    }
    if (field === undefined || typeof value !== "string") return `\`${method}\` needs one of ${targets.map((x) => `\`${x}\``).join(", ")} as a string`;
  } else if (row.lists !== undefined) {
    field = row.lists;
    value = req[field];
    if (value === undefined) return undefined;
    if (typeof value !== "string") return `\`${field}\` must be a string`;
  } else return undefined;
  return valueFault(value as string, field, row);
}

/** Why a target (or listed item) given as a string is refused, or undefined. */
function valueFault(value: string, field: TargetKind, row: MethodRow): string | undefined {
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
