/**
 * Merging the answers of a request sent to several upstreams (initialize, the lists, logging/setLevel) into
 * the one answer the client gets. Pure functions over the answers, in target order.
 * GUARANTEES:
 *  - an upstream that answered with an error is left out; when every one did, the answer is the first error
 *    (in target order), under the client's id;
 *  - initialize: `protocolVersion` is the client's when every answering upstream gave it back, else the
 *    lowest one answered (MCP versions are dates: they sort as text); capabilities are the union; serverInfo
 *    is the gateway's; instructions are joined, each under its upstream's name; the listChanged flags the
 *    gateway sends on policy reload are set (`withListChanged`);
 *  - nothing here throws on any answer shape: what cannot be read counts as absent.
 */
import { errorResponse, MCP_ERROR_CODES, type JsonRpcErrorResponse, type JsonRpcId, type JsonRpcResult } from "../../mcp/index.js";
import type { OpenCursors } from "./cursor.js";
import { exposeItems, LIST_SHAPES, type Named } from "./names.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export type Answer = JsonRpcResult | JsonRpcErrorResponse;

/** One upstream's answer to a fanned-out request, in target order; undefined: not asked. */
export interface Answered<T extends Named = Named> {
  readonly target: T;
  readonly answer: Answer;
}

/** The first error when no answer is a result (the client's id on it), else undefined. */
export function allFailed(id: JsonRpcId, answers: readonly Answered[]): JsonRpcErrorResponse | undefined {
  if (answers.some((a) => "result" in a.answer)) return undefined;
  const first = answers[0]?.answer as JsonRpcErrorResponse | undefined;
  if (first === undefined) return errorResponse(id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, "no upstream answered");
  return { jsonrpc: "2.0", id, error: first.error };
}

/** The union of two capability objects: members of both merged, `true` wins over `false`, the first value otherwise. */
export function unionCapabilities(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  // defineProperty: a member named `__proto__` stays a member (an assignment would set the prototype).
  const set = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
  for (const [k, v] of Object.entries(b)) {
    const mine = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
    if (mine === undefined) set(k, isObj(v) ? unionCapabilities({}, v) : v);
    else if (isObj(mine) && isObj(v)) set(k, unionCapabilities(mine, v));
    else if (typeof mine === "boolean" && typeof v === "boolean") set(k, mine || v);
  }
  return out;
}

/**
 * Capabilities as the gateway announces them: `tools.listChanged` always (the gateway sends it when the
 * policy is reloaded: what a principal may see changes), `prompts` and `resources` listChanged when present.
 */
export function withListChanged(capabilities: unknown): Obj {
  const caps: Obj = isObj(capabilities) ? { ...capabilities } : {};
  caps.tools = { ...(isObj(caps.tools) ? caps.tools : {}), listChanged: true };
  if (isObj(caps.prompts)) caps.prompts = { ...caps.prompts, listChanged: true };
  if (isObj(caps.resources)) caps.resources = { ...caps.resources, listChanged: true };
  return caps;
}

/** One initialize result from several. */
export function mergeInitialize(id: JsonRpcId, clientVersion: unknown, answers: readonly Answered[], serverInfo: { name: string; version: string }): Answer {
  const failed = allFailed(id, answers);
  if (failed !== undefined) return failed;
  let capabilities: Obj = {};
  const versions: string[] = [];
  const instructions: string[] = [];
  for (const { target, answer } of answers) {
    if (!("result" in answer)) continue;
    const r = answer.result;
    if (typeof r.protocolVersion === "string") versions.push(r.protocolVersion);
    if (isObj(r.capabilities)) capabilities = unionCapabilities(capabilities, r.capabilities);
    if (typeof r.instructions === "string" && r.instructions.trim() !== "") instructions.push(`[${target.name}] ${r.instructions.trim()}`);
  }
  const agreed = typeof clientVersion === "string" && versions.every((v) => v === clientVersion);
  const protocolVersion = agreed ? clientVersion : versions.length > 0 ? versions.reduce((lo, v) => (v < lo ? v : lo)) : clientVersion;
  const result: Obj = { protocolVersion, capabilities: withListChanged(capabilities), serverInfo: { name: serverInfo.name, version: serverInfo.version } };
  if (instructions.length > 0) result.instructions = instructions.join("\n\n");
  return { jsonrpc: "2.0", id, result };
}

/**
 * One page of a list from the pages of several upstreams: items in target order, names and URIs as the
 * client sees them; `nextCursor` (made by `encode`) holds the cursors of the upstreams with more pages.
 */
export function mergeList(id: JsonRpcId, method: string, answers: readonly Answered[], encode: (open: OpenCursors) => string): Answer {
  const failed = allFailed(id, answers);
  if (failed !== undefined) return failed;
  const key = LIST_SHAPES[method]!.key;
  const items: unknown[] = [];
  const open: Array<readonly [string, string]> = [];
  for (const { target, answer } of answers) {
    if (!("result" in answer)) continue;
    for (const item of exposeItems(method, answer.result[key], target)) items.push(item);
    const next = answer.result.nextCursor;
    if (typeof next === "string" && next !== "") open.push([target.name, next]);
  }
  const result: Obj = { [key]: items };
  if (open.length > 0) result.nextCursor = encode(open);
  return { jsonrpc: "2.0", id, result };
}

/** logging/setLevel: done when one upstream took it. */
export function mergeEmpty(id: JsonRpcId, answers: readonly Answered[]): Answer {
  return allFailed(id, answers) ?? { jsonrpc: "2.0", id, result: {} };
}
