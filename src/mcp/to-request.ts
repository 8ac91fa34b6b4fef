/**
 * One JSON-RPC request → what the policy decides on, or why it passes or is refused. No I/O.
 * GUARANTEES (never throws; anything unexpected is refused: fail closed):
 *  - governed: the rows of contract/methods.ts (THE method table) in their own direction, plus
 *    `resources/subscribe` and `resources/unsubscribe`, decided as `resources/read` of `params.uri`;
 *  - pass: the lifecycle requests (`initialize`, `ping` to the server; `ping`, `roots/list` to the client)
 *    and the host's `allowMethods`, which can never pass a governed method (nor one in the wrong direction);
 *  - refused: every other request, with POLICY_DENIED (the policy governs no such method);
 *  - a tools/call's annotations come from the catalog (the server's tools/list), NEVER from the message:
 *    `params.annotations` or any hint a caller sends is ignored; no catalog, or a tool not in it, gives
 *    DEFAULT_ANNOTATIONS (the spec's defaults for absent annotations);
 *  - the name, URI or ref the policy decides on is read from the params as a string, else the request is
 *    refused with INVALID_PARAMS (the policy validates the string itself: empty, invisible characters...);
 *    `arguments` must be an object or absent (absent is decided as `{}`, as a server reads it).
 */
import { METHOD_ROWS, isMethod, type Method } from "../contract/methods.js";
import type { ClientInfo, PolicyRequest, Principal, ServerInfo, SessionFacts } from "../contract/request.js";
import { DEFAULT_ANNOTATIONS, type ToolCatalog } from "./catalog.js";
import { MCP_ERROR_CODES } from "./errors.js";
import { faultText } from "./fault.js";
import { errorResponse, type JsonRpcErrorResponse, type JsonRpcRequest } from "./jsonrpc.js";

export interface Caller {
  principal: Principal;
  session?: SessionFacts;
  client?: ClientInfo;
  server?: ServerInfo;
  time?: number | string;
}

export type Mapped =
  | { kind: "governed"; request: PolicyRequest }
  | { kind: "pass" }
  | { kind: "refuse"; error: JsonRpcErrorResponse };

export type Direction = "to-server" | "to-client";

export interface ToRequestOptions {
  /** Methods outside the method table that pass untouched (e.g. `logging/setLevel`). */
  allowMethods?: readonly string[];
}

/** Requests that always pass, by direction. */
export const LIFECYCLE_REQUESTS: Readonly<Record<Direction, readonly string[]>> = Object.freeze({
  "to-server": Object.freeze(["initialize", "ping"]),
  "to-client": Object.freeze(["ping", "roots/list"]),
});

/** Notifications from the client that are forwarded; any other is dropped. Every server notification passes. */
export const CLIENT_NOTIFICATIONS: readonly string[] = Object.freeze([
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
]);

/** Methods decided as another method of the table: subscribing to a resource is reading it. */
export const METHOD_ALIASES: Readonly<Record<string, Method>> = Object.freeze({
  "resources/subscribe": "resources/read",
  "resources/unsubscribe": "resources/read",
});

/** Whether a notification going this way is forwarded (client: the lifecycle list; server: all). */
export function notificationPasses(method: string, direction: Direction): boolean {
  return direction === "to-client" || CLIENT_NOTIFICATIONS.includes(method);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export function toPolicyRequest(
  message: JsonRpcRequest,
  direction: Direction,
  caller: Caller,
  catalog: ToolCatalog | undefined,
  options?: ToRequestOptions,
): Mapped {
  let id: JsonRpcRequest["id"] | null = null;
  try {
    id = message.id;
    const method = message.method;
    if (typeof method !== "string") return invalidParams(id, "`method` must be a string");
    if (direction !== "to-server" && direction !== "to-client") return notGoverned(id, method, "to-server");
    const params = message.params === undefined ? {} : message.params;
    if (!isObject(params)) return invalidParams(id, "`params` must be an object");

    const decidedAs: string = own(METHOD_ALIASES, method) && direction === "to-server" ? METHOD_ALIASES[method]! : method;
    if (isMethod(decidedAs)) {
      if (METHOD_ROWS[decidedAs].direction !== direction) return notGoverned(id, method, direction);
      const target = targetOf(decidedAs, params, catalog);
      if ("problem" in target) return invalidParams(id, target.problem);
      // HOT PATH (every call): fields assigned one by one; an object spread takes V8's slow path.
      const request = callerFacts(caller);
      request.method = decidedAs;
      const f = target.fields;
      for (const k in f) (request as Record<string, unknown>)[k] = (f as Record<string, unknown>)[k];
      return { kind: "governed", request };
    }
    if (own(METHOD_ALIASES, method)) return notGoverned(id, method, direction);
    if (LIFECYCLE_REQUESTS[direction].includes(method)) return { kind: "pass" };
    const allow = options?.allowMethods;
    if (Array.isArray(allow) && allow.includes(method)) return { kind: "pass" };
    return notGoverned(id, method, direction);
  } catch (err) {
    return {
      kind: "refuse",
      error: errorResponse(id, MCP_ERROR_CODES.INTERNAL_ERROR, `the request could not be read: ${faultText(err)}`),
    };
  }
}

/** The fields of the caller the policy reads (validated by the policy: a malformed one is denied). */
function callerFacts(caller: Caller): PolicyRequest {
  const out: PolicyRequest = {};
  if (!isObject(caller)) return out;
  if (caller.principal !== undefined) out.principal = caller.principal;
  if (caller.session !== undefined) out.session = caller.session;
  if (caller.client !== undefined) out.client = caller.client;
  if (caller.server !== undefined) out.server = caller.server;
  if (caller.time !== undefined) out.time = caller.time;
  return out;
}

type Target = { fields: Partial<PolicyRequest> } | { problem: string };

/** What a governed method acts on, read from its params. */
function targetOf(method: Method, params: Record<string, unknown>, catalog: ToolCatalog | undefined): Target {
  switch (method) {
    case "tools/call": {
      const name = params.name;
      if (typeof name !== "string") return { problem: "`params.name` must be a string (the tool to call)" };
      const args = params.arguments;
      if (args !== undefined && !isObject(args)) return { problem: "`params.arguments` must be an object" };
      const annotations = catalog ? catalog.annotationsOf(name) : { ...DEFAULT_ANNOTATIONS };
      return { fields: { tool: name, arguments: args ?? {}, annotations } };
    }
    case "resources/read": {
      const uri = params.uri;
      if (typeof uri !== "string") return { problem: "`params.uri` must be a string (the resource)" };
      return { fields: { resource: uri } };
    }
    case "prompts/get": {
      const name = params.name;
      if (typeof name !== "string") return { problem: "`params.name` must be a string (the prompt)" };
      const args = params.arguments;
      if (args !== undefined && !isObject(args)) return { problem: "`params.arguments` must be an object" };
      return { fields: args === undefined ? { prompt: name } : { prompt: name, arguments: args } };
    }
    case "completion/complete": {
      const ref = params.ref;
      if (!isObject(ref)) return { problem: "`params.ref` must be an object (`ref/prompt` or `ref/resource`)" };
      if (ref.type === "ref/prompt") {
        if (typeof ref.name !== "string") return { problem: "`params.ref.name` must be a string (the prompt)" };
        return { fields: { prompt: ref.name } };
      }
      if (ref.type === "ref/resource") {
        if (typeof ref.uri !== "string") return { problem: "`params.ref.uri` must be a string (the resource)" };
        return { fields: { resource: ref.uri } };
      }
      return { problem: "`params.ref.type` must be `ref/prompt` or `ref/resource`" };
    }
    case "tools/list":
    case "resources/list":
    case "resources/templates/list":
    case "prompts/list":
    case "sampling/createMessage":
    case "elicitation/create":
      return { fields: {} };
    default: {
      // A new row of the method table needs its reading here; until then it is refused.
      const never: never = method;
      return { problem: `method \`${String(never)}\` has no mapping yet` };
    }
  }
}

function invalidParams(id: JsonRpcRequest["id"] | null, message: string): Mapped {
  return { kind: "refuse", error: errorResponse(id, MCP_ERROR_CODES.INVALID_PARAMS, message) };
}

function notGoverned(id: JsonRpcRequest["id"] | null, method: string, direction: Direction): Mapped {
  const way = direction === "to-server" ? "from the client" : "from the server";
  const shown = method.length > 200 ? `${method.slice(0, 200)}...` : method;
  const text = `the policy governs no method \`${shown}\` ${way}, and the host does not allow it`;
  return {
    kind: "refuse",
    error: errorResponse(id, MCP_ERROR_CODES.POLICY_DENIED, `denied by policy: ${text}`, {
      effect: "deny",
      reasons: [{ code: "invalid_request", message: text }],
    }),
  };
}
