// Types of gateway-load.mjs (plain JS so the benchmark needs no build), for the TypeScript tests.
import type http from "node:http";

export const ACCEPT: string;
export function keepAliveAgent(sockets?: number): http.Agent;
export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
export function httpRequest(url: string | URL, options?: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent; timeoutMs?: number }): Promise<HttpResult>;
export function findResponse(contentType: string | undefined, body: string, id: number | string): JsonRpcAnswer | undefined;

/** A JSON-RPC response (result or error), or `{ httpStatus, body }` when the HTTP status was not 200. */
export interface JsonRpcAnswer {
  jsonrpc?: "2.0";
  id?: number | string | null;
  result?: { content?: { type: string; text?: string }[]; isError?: boolean; _meta?: Record<string, unknown>; [k: string]: unknown };
  error?: { code: number; message: string; data?: { reasons?: { code: string; message: string }[]; [k: string]: unknown } };
  httpStatus?: number;
  body?: string;
  headers?: http.IncomingHttpHeaders;
}

export class McpHttpSession {
  constructor(url: string, options?: { agent?: http.Agent; raw?: boolean; headers?: Record<string, string>; protocolVersion?: string; timeoutMs?: number; clientName?: string });
  readonly url: URL;
  sessionId: string | undefined;
  protocolVersion: string | undefined;
  initializeResult: Record<string, unknown> | undefined;
  open(): Promise<this>;
  request(method: string, params?: unknown): Promise<JsonRpcAnswer>;
  callTool(name: string, args: Record<string, unknown>): Promise<JsonRpcAnswer>;
  close(): Promise<void>;
}

export function resultText(msg: JsonRpcAnswer | undefined): string | undefined;

export interface LoadResult {
  inFlight: number;
  calls: number;
  errors: number;
  firstError?: string;
  /** Timed calls answered with a policy denial, by reason code. */
  denied: Record<string, number>;
  /** Timed calls answered wrongly, by kind (JSON-RPC error code, `HTTP <status>`, `transport`, `wrong answer`). */
  failed: Record<string, number>;
  /** Timed calls answered with the expected result. */
  allowed: number;
  seconds: number;
  callsPerSec: number;
  allowedPerSec: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  setupMs: number;
}
export function runLoad(options: {
  url: string;
  inFlight: number;
  durationMs?: number;
  warmupMs?: number;
  totalCalls?: number;
  headers?: Record<string, string>;
  tool?: string;
  args?: Record<string, unknown>;
  expect?: string;
  sessionCalls?: number;
  timeoutMs?: number;
  agent?: http.Agent;
  /** "raw" (default): a connection per loop through gateway-rawhttp.mjs; "http": node:http. */
  client?: "raw" | "http";
  /** Stop the run after 1,000 errors (default true). */
  stopOnError?: boolean;
  onTimed?: () => void;
}): Promise<LoadResult>;
