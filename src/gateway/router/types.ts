/**
 * The router's contract with the gateway (design: issue 13, "router"): what a target is, what the router is
 * given and what it offers. Types only.
 */
import type { JsonRpcId, JsonRpcMessage } from "../../mcp/index.js";

export interface RouteTarget {
  readonly name: string;
  /** "" only when it is the only target. */
  readonly prefix: string;
  /** To this upstream's enforcer (`enforcer.fromClient`). */
  send(message: JsonRpcMessage, extra?: unknown): Promise<void>;
}

export interface RouterOptions {
  targets: readonly RouteTarget[];
  toClient(message: JsonRpcMessage, options?: { relatedRequestId?: JsonRpcId }): void | Promise<void>;
  /** For a merged initialize. */
  serverInfo: { name: string; version: string };
  /** Something was dropped or failed on the way (a stray response, a target or the client that threw). Optional. */
  onProblem?(problem: string): void;
}

export interface Router {
  /** One message from the client (parsed and validated: mcp/jsonrpc). Never rejects. */
  fromClient(message: JsonRpcMessage, extra?: unknown): Promise<void>;
  /** One message from the upstream `name`'s enforcer (its `toClient`). Never rejects. */
  fromUpstream(name: string, message: JsonRpcMessage, options?: { relatedRequestId?: JsonRpcId }): Promise<void>;
  /** After a policy reload: `notifications/tools/list_changed` (+ prompts, resources when any target has them). */
  notifyListChanged(): Promise<void>;
}
