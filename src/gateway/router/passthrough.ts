/**
 * The router for ONE upstream with an empty prefix: every message passes as it is, both ways, with one
 * change: the initialize result's capabilities announce the listChanged notifications the gateway sends on a
 * policy reload (`withListChanged`). Ids, names, URIs and cursors are the upstream's own.
 * GUARANTEES: never rejects into its callers (a target or client that throws is reported through
 * `onProblem`; a request the target could not take is answered with INTERNAL_ERROR); no state but the ids
 * of initialize requests not answered yet and the capabilities announced (for `notifyListChanged`).
 */
import { errorResponse, MCP_ERROR_CODES, type JsonRpcId, type JsonRpcMessage } from "../../mcp/index.js";
import { withListChanged } from "./merge.js";
import type { RouteTarget, Router, RouterOptions } from "./types.js";
import { faultOf, idKey, listChangedNotices, sendSafely } from "./util.js";

export class PassThroughRouter implements Router {
  readonly #o: RouterOptions;
  readonly #target: RouteTarget;
  readonly #initializing = new Set<string>();
  /** The capabilities the client was told, once an initialize result passed. */
  #announced: Record<string, unknown> | undefined;

  constructor(o: RouterOptions, target: RouteTarget) {
    this.#o = o;
    this.#target = target;
  }

  async fromClient(message: JsonRpcMessage, extra?: unknown): Promise<void> {
    // HOT PATH: one member test and one comparison per message.
    const isInitialize = (message as { method?: unknown }).method === "initialize" && "id" in message;
    if (isInitialize) this.#initializing.add(idKey((message as { id: JsonRpcId }).id));
    try {
      await this.#target.send(message, extra);
    } catch (err) {
      this.#problem(`upstream \`${this.#target.name}\` could not take a message: ${faultOf(err)}`);
      if ("method" in message && "id" in message) {
        if (isInitialize) this.#initializing.delete(idKey(message.id));
        await this.#toClient(errorResponse(message.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in the gateway: ${faultOf(err)}`));
      }
    }
  }

  async fromUpstream(name: string, message: JsonRpcMessage, options?: { relatedRequestId?: JsonRpcId }): Promise<void> {
    if (name !== this.#target.name) return this.#problem(`dropped a message from unknown upstream \`${String(name)}\``);
    let out = message;
    if (this.#initializing.size > 0 && !("method" in message) && message.id !== null && this.#initializing.delete(idKey(message.id)) && "result" in message) {
      try {
        const capabilities = withListChanged(message.result.capabilities);
        this.#announced = capabilities;
        out = { ...message, result: { ...message.result, capabilities } };
      } catch (err) {
        out = errorResponse(message.id, MCP_ERROR_CODES.INTERNAL_ERROR, `internal error in the gateway: ${faultOf(err)}`);
      }
    }
    await this.#toClient(out, options);
  }

  async notifyListChanged(): Promise<void> {
    if (this.#announced === undefined) return;
    for (const n of listChangedNotices(this.#announced)) await this.#toClient(n);
  }

  #toClient(message: JsonRpcMessage, options?: { relatedRequestId?: JsonRpcId }): Promise<void> {
    return sendSafely(() => this.#o.toClient(message, options), (p) => this.#problem(`could not send to the client: ${p}`));
  }

  #problem(text: string): void {
    try {
      this.#o.onProblem?.(text);
    } catch {
      // a host hook that throws changes nothing
    }
  }
}
