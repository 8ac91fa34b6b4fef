/**
 * Request shape checks and attribute reads, shared by both evaluators so that they cannot disagree
 * on what a request means. Every read of a missing or mistyped fact throws `EvalError`, which the
 * evaluators turn into a deny; nothing here ever returns a guess.
 */
import type { AttrRoot } from "../ir/ir.js";
import { isAmbiguousUri } from "./builtins/glob.js";
import type { Method, PolicyRequest } from "../runtime/types.js";

export class EvalError extends Error {}

const METHOD_TARGET: Record<Method, "tool" | "resource" | "prompt" | undefined> = Object.assign(Object.create(null), {
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
    if (p.roles !== undefined && !isStringList(p.roles)) return { error: "`principal.roles` must be a list of strings" };
    if (p.scopes !== undefined && !isStringList(p.scopes)) return { error: "`principal.scopes` must be a list of strings" };
    if (p.claims !== undefined && !isObject(p.claims)) return { error: "`principal.claims` must be an object" };
  }
  if (req.client !== undefined && !isObject(req.client)) return { error: "`client` must be an object" };
  if (req.session !== undefined && !isObject(req.session)) return { error: "`session` must be an object" };
  if (req.annotations !== undefined && !isObject(req.annotations)) return { error: "`annotations` must be an object" };
  if (req.arguments !== undefined && !isObject(req.arguments)) return { error: "`arguments` must be an object" };
  const target = METHOD_TARGET[method];
  if (target !== undefined && typeof req[target] !== "string") return { error: `\`${method}\` needs \`${target}\` as a string` };
  if (method === "resources/read" && isAmbiguousUri(req.resource)) return { error: "the resource URI is ambiguous (dot segments, encoded slashes, backslashes or control characters)" };
  if (method === "tools/list" && req.tool !== undefined && typeof req.tool !== "string") return { error: "`tool` must be a string" };
  return method === "tools/call" ? CALL : { method };
}

const CALL = Object.freeze({ method: "tools/call" as Method });

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
  const t = req.time;
  const d = t === undefined ? new Date() : new Date(t);
  if (Number.isNaN(d.getTime())) throw new EvalError("`time` is not a valid time");
  return d;
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
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`.slice(0, 60);
}
