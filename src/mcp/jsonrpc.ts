/**
 * JSON-RPC 2.0 framing for MCP, without I/O: one message text (or an already-parsed value) → what it is.
 * GUARANTEES:
 *  - `parseMessageText` and `classifyMessage` never throw, on any input; anything not exactly one MCP
 *    JSON-RPC message comes back as `{ kind: "invalid", error }`, the error to answer with (fail closed);
 *  - size: a text over `maxBytes` (UTF-8 bytes, default 4 MiB) is refused with MESSAGE_TOO_LARGE before it
 *    is parsed; a JSON array (a batch, removed from MCP in 2025-06-18) with INVALID_REQUEST; a duplicate key
 *    at any depth with INVALID_REQUEST (parsed by `parseRequestJson`, so the policy and the server cannot
 *    read two different messages in one text); text that is not JSON with PARSE_ERROR;
 *  - shape: exactly the members of one kind (request: jsonrpc, id, method, params?; notification: jsonrpc,
 *    method, params?; result: jsonrpc, id, result; error: jsonrpc, id, error), `jsonrpc` "2.0", `params`
 *    and `result` objects, an id a string or a safe integer (MCP: never null); an already-parsed value must
 *    be JSON data (plain objects and arrays, strings, finite numbers, booleans, null; no cycles, bounded depth);
 *  - the message returned is a new top-level object holding the validated members; from `classifyMessage`
 *    a deep copy read once (what was checked is what is returned, whatever getters the input had), except for a
 *    message `parseMessageText` made, which is plain data already and is validated again without a copy;
 *  - an error answers with the message's id only when the message was request-shaped (a `method` member,
 *    no `result` or `error`) and its id is valid; else with id null, so a bad response is never answered
 *    under an id the peer uses for a request of its own.
 */
import { parseRequestJson, RequestJsonError } from "../eval/request-json.js";
import { MCP_ERROR_CODES } from "./errors.js";
import { faultText } from "./fault.js";

export type JsonRpcId = string | number;
export interface JsonRpcRequest { jsonrpc: "2.0"; id: JsonRpcId; method: string; params?: Record<string, unknown> }
export interface JsonRpcNotification { jsonrpc: "2.0"; method: string; params?: Record<string, unknown> }
export interface JsonRpcResult { jsonrpc: "2.0"; id: JsonRpcId; result: Record<string, unknown> }
export interface JsonRpcErrorResponse { jsonrpc: "2.0"; id: JsonRpcId | null; error: { code: number; message: string; data?: unknown } }
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResult | JsonRpcErrorResponse;
export type Classified =
  | { kind: "request"; message: JsonRpcRequest }
  | { kind: "notification"; message: JsonRpcNotification }
  | { kind: "response"; message: JsonRpcResult | JsonRpcErrorResponse }
  | { kind: "invalid"; error: JsonRpcErrorResponse };

/** The default size limit of one message from the client: 4 MiB of UTF-8. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** The default size limit of one message from the server (results can be large): 64 MiB of UTF-8. */
export const DEFAULT_MAX_SERVER_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Deepest nesting of objects and arrays in a message (as `parseRequestJson`'s default). */
export const MAX_MESSAGE_DEPTH = 128;

export const BATCH_MESSAGE = "JSON-RPC batches are not supported (removed from MCP in 2025-06-18)";

export interface ParseMessageOptions {
  /** Largest message accepted, in bytes of UTF-8. Default 4 MiB; a value that is not a whole number ≥ 1 means the default. */
  maxBytes?: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** A JSON-RPC id MCP accepts: a string or a safe integer (never null; a fraction or a number past 2^53 cannot be echoed exactly). */
export function isJsonRpcId(v: unknown): v is JsonRpcId {
  return typeof v === "string" || (typeof v === "number" && Number.isSafeInteger(v));
}

export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown): JsonRpcErrorResponse {
  const error: JsonRpcErrorResponse["error"] = {
    code: typeof code === "number" && Number.isInteger(code) ? code : MCP_ERROR_CODES.INTERNAL_ERROR,
    message: typeof message === "string" ? message : faultText({ message: safeString(message) }),
  };
  if (data !== undefined) error.data = data;
  return { jsonrpc: "2.0", id: isJsonRpcId(id) ? id : null, error };
}

const invalid = (id: JsonRpcId | null, code: number, message: string): Classified => ({ kind: "invalid", error: errorResponse(id, code, message) });

function maxBytesOf(options: ParseMessageOptions | undefined): number {
  const m = options?.maxBytes;
  return typeof m === "number" && Number.isSafeInteger(m) && m >= 1 ? m : DEFAULT_MAX_MESSAGE_BYTES;
}

/** UTF-8 length of a string (a lone surrogate counts 3, as it is encoded as U+FFFD). */
function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Whether `text` is longer than `maxBytes` bytes of UTF-8. Every UTF-16 unit is 1 to 3 bytes of UTF-8 (a
 * surrogate pair: 2 units, 4 bytes): a text longer in units is over, one at most a third of it in units is
 * under (hot path: no count); only the rest is counted.
 */
export function isOverBytes(text: string, maxBytes: number): boolean {
  return text.length > maxBytes || (text.length * 3 > maxBytes && utf8Bytes(text) > maxBytes);
}

/** One message text (a stdio line, an HTTP body) → what it is. Never throws. */
export function parseMessageText(text: string, options?: ParseMessageOptions): Classified {
  try {
    if (typeof text !== "string") return invalid(null, MCP_ERROR_CODES.PARSE_ERROR, "a message must be JSON text");
    const maxBytes = maxBytesOf(options);
    if (isOverBytes(text, maxBytes)) {
      return invalid(null, MCP_ERROR_CODES.MESSAGE_TOO_LARGE, `the message is larger than ${maxBytes} bytes`);
    }
    let value: unknown;
    try {
      value = parseRequestJson(text, { maxLength: text.length, maxDepth: MAX_MESSAGE_DEPTH });
    } catch (err) {
      const raw = err instanceof RequestJsonError ? err.message : faultText(err);
      // A duplicate key is quoted in the problem: bounded, so an answer never echoes a huge key back.
      const problem = raw.length > 300 ? `${raw.slice(0, 300)}...` : raw;
      // Well-formed JSON that two parsers could read as two messages, or too deep to read: refused as a message.
      if (/^duplicate key|^nesting/.test(problem)) return invalid(null, MCP_ERROR_CODES.INVALID_REQUEST, `the message is refused: ${problem}`);
      return invalid(null, MCP_ERROR_CODES.PARSE_ERROR, `the message is not valid JSON: ${problem}`);
    }
    const classified = classifyData(value);
    if (classified.kind !== "invalid") READ_FROM_TEXT.add(classified.message);
    return classified;
  } catch (err) {
    return invalid(null, MCP_ERROR_CODES.INTERNAL_ERROR, `the message could not be read: ${faultText(err)}`);
  }
}

/**
 * Messages `parseMessageText` made: plain data it parsed itself (no getters, no prototypes, no duplicate
 * keys), which `classifyMessage` validates again without copying (the gateway parses a body once to route it,
 * then hands the message to an enforcer).
 */
const READ_FROM_TEXT = new WeakSet<object>();

/** An already-parsed message (from an SDK transport) → what it is. Never throws. */
export function classifyMessage(value: unknown): Classified {
  try {
    if (Array.isArray(value)) return invalid(null, MCP_ERROR_CODES.INVALID_REQUEST, BATCH_MESSAGE);
    if (typeof value === "object" && value !== null && READ_FROM_TEXT.has(value)) return classifyData(value);
    const data = jsonData(value);
    if ("fault" in data) return invalid(null, MCP_ERROR_CODES.INVALID_REQUEST, `the message is not JSON data: ${data.fault}`);
    return classifyData(data.value);
  } catch (err) {
    return invalid(null, MCP_ERROR_CODES.INVALID_REQUEST, `the message could not be read: ${faultText(err)}`);
  }
}

/**
 * A value fresh from `JSON.parse` (plain data: no getters, no cycles, no prototypes) → what it is, without
 * the copy `classifyMessage` makes. For a peer trusted with duplicate keys (the upstream server, whose
 * results can be large); the client's messages go through `parseMessageText`. Never throws.
 */
export function classifyParsedJson(value: unknown): Classified {
  try {
    return classifyData(value);
  } catch (err) {
    return invalid(null, MCP_ERROR_CODES.INVALID_REQUEST, `the message could not be read: ${faultText(err)}`);
  }
}

const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);
const RESULT_KEYS = new Set(["jsonrpc", "id", "result"]);
const ERROR_KEYS = new Set(["jsonrpc", "id", "error"]);
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The id to answer a bad message with: its own when it is request-shaped (a `method` member, no `result`
 * or `error`) with a valid id, else null (a bad response is never answered under an id its sender uses).
 */
function requestIdOf(o: Record<string, unknown>): JsonRpcId | null {
  try {
    return has(o, "method") && !has(o, "result") && !has(o, "error") && isJsonRpcId(o.id) ? o.id : null;
  } catch {
    return null;
  }
}

/** Classify a value known to be JSON data (parsed text, or a copy made by `jsonData`). */
function classifyData(value: unknown): Classified {
  const bad = (id: JsonRpcId | null, message: string) => invalid(id, MCP_ERROR_CODES.INVALID_REQUEST, message);
  if (Array.isArray(value)) return bad(null, BATCH_MESSAGE);
  if (!isPlainObject(value)) return bad(null, "a message must be a JSON object");
  const o = value;
  const id = requestIdOf(o);
  if (o.jsonrpc !== "2.0") return bad(id, 'a message must have `"jsonrpc": "2.0"`');
  if (has(o, "method")) {
    if (typeof o.method !== "string") return bad(id, "`method` must be a string");
    for (const k of Object.keys(o)) if (!REQUEST_KEYS.has(k)) return bad(id, `a request or notification has no member \`${shown(k)}\``);
    if (has(o, "params") && !isPlainObject(o.params)) return bad(id, "`params` must be an object (MCP uses named parameters)");
    const params = o.params as Record<string, unknown> | undefined;
    if (!has(o, "id")) {
      const message: JsonRpcNotification = { jsonrpc: "2.0", method: o.method };
      if (params !== undefined) message.params = params;
      return { kind: "notification", message };
    }
    if (!isJsonRpcId(o.id)) return bad(null, describeBadId(o.id));
    const message: JsonRpcRequest = { jsonrpc: "2.0", id: o.id, method: o.method };
    if (params !== undefined) message.params = params;
    return { kind: "request", message };
  }
  if (has(o, "result") && has(o, "error")) return bad(null, "a response has either `result` or `error`, not both");
  if (has(o, "result")) {
    for (const k of Object.keys(o)) if (!RESULT_KEYS.has(k)) return bad(null, `a response has no member \`${shown(k)}\``);
    if (!isJsonRpcId(o.id)) return bad(null, `a result's ${describeBadId(o.id)}`);
    if (!isPlainObject(o.result)) return bad(null, "a response's `result` must be an object");
    return { kind: "response", message: { jsonrpc: "2.0", id: o.id, result: o.result } };
  }
  if (has(o, "error")) {
    for (const k of Object.keys(o)) if (!ERROR_KEYS.has(k)) return bad(null, `a response has no member \`${shown(k)}\``);
    // An error answering a message its sender could not read has id null (JSON-RPC) or none (MCP 2025-11-25).
    const eid = o.id === undefined || o.id === null ? null : o.id;
    if (eid !== null && !isJsonRpcId(eid)) return bad(null, `an error's ${describeBadId(eid)}`);
    const e = o.error;
    if (!isPlainObject(e) || typeof e.code !== "number" || !Number.isInteger(e.code) || typeof e.message !== "string") {
      return bad(null, "a response's `error` must be an object with an integer `code` and a string `message`");
    }
    for (const k of Object.keys(e)) if (k !== "code" && k !== "message" && k !== "data") return bad(null, `a response's \`error\` has no member \`${shown(k)}\``);
    const error: JsonRpcErrorResponse["error"] = { code: e.code, message: e.message };
    if (has(e, "data")) error.data = e.data;
    return { kind: "response", message: { jsonrpc: "2.0", id: eid, error } };
  }
  return bad(id, "a message must have a `method` (request, notification) or a `result` or `error` (response)");
}

function describeBadId(v: unknown): string {
  if (v === null) return "`id` must not be null (MCP)";
  if (typeof v === "number") return Number.isInteger(v) ? "`id` must be a safe integer (at most 2^53 - 1 in magnitude)" : "`id` must be a string or an integer";
  return "`id` must be a string or an integer";
}

/**
 * A copy of a value as JSON data, or why it is not: only plain objects (own enumerable data properties;
 * an `undefined` member is left out, as JSON.stringify does), arrays without holes, strings, finite
 * numbers, booleans and null, at most MAX_MESSAGE_DEPTH deep, no cycle. Each property is read once
 * (through its descriptor), so the copy is what was checked, whatever getters or proxies the input held.
 */
function jsonData(root: unknown): { value: unknown } | { fault: string } {
  const onPath = new Set<object>();
  class Fault {
    constructor(readonly fault: string) {}
  }
  const copy = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new Fault("a number is not finite");
      return v;
    }
    if (typeof v !== "object") throw new Fault(`a value is a ${typeof v}`);
    if (depth >= MAX_MESSAGE_DEPTH) throw new Fault(`nesting deeper than ${MAX_MESSAGE_DEPTH} levels`);
    if (onPath.has(v)) throw new Fault("a value contains itself (a cycle)");
    onPath.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      const n = v.length;
      const a: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const d = Object.getOwnPropertyDescriptor(v, i);
        if (!d) throw new Fault("an array has a hole");
        if (!("value" in d)) throw new Fault("an array item is an accessor");
        a[i] = copy(d.value, depth + 1);
      }
      out = a;
    } else {
      if (!isPlainObject(v)) throw new Fault("an object is not a plain object");
      const o: Record<string, unknown> = {};
      for (const k of Reflect.ownKeys(v)) {
        if (typeof k === "symbol") throw new Fault("an object has a symbol key");
        const d = Object.getOwnPropertyDescriptor(v, k);
        if (!d) continue;
        if (!("value" in d)) throw new Fault(`member \`${shown(k)}\` is an accessor`);
        if (!d.enumerable) throw new Fault(`member \`${shown(k)}\` is not enumerable`);
        if (d.value === undefined) continue;
        Object.defineProperty(o, k, { value: copy(d.value, depth + 1), writable: true, enumerable: true, configurable: true });
      }
      out = o;
    }
    onPath.delete(v);
    return out;
  };
  try {
    return { value: copy(root, 0) };
  } catch (err) {
    if (err instanceof Fault) return { fault: err.fault };
    return { fault: `it could not be read (${faultText(err)})` };
  }
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return "an unreadable message";
  }
}

/** A key as quoted in a message: at most 100 characters. */
function shown(k: string): string {
  return k.length > 100 ? `${k.slice(0, 100)}...` : k;
}

