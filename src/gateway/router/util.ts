/**
 * Small pieces both routers share: id keys, fault text, a send that never rejects, the reload notices.
 * Total functions: none throws.
 */
import type { JsonRpcId, JsonRpcNotification } from "../../mcp/index.js";

/** One map key for a JSON-RPC id (`1` and `"1"` are two ids). Same scheme as adapters/ids.ts. */
export function idKey(id: JsonRpcId): string {
  return typeof id === "number" ? `n:${id}` : `s:${id}`;
}

export function faultOf(err: unknown): string {
  try {
    return (err as Error)?.message ?? String(err);
  } catch {
    return "an unreadable error";
  }
}

/** Runs a send; a throw or a rejection goes to `problem`, never to the caller. */
export async function sendSafely(send: () => void | Promise<void>, problem: (text: string) => void): Promise<void> {
  try {
    await send();
  } catch (err) {
    try {
      problem(faultOf(err));
    } catch {
      // a host hook that throws changes nothing
    }
  }
}

/** The notices a policy reload sends: tools always, prompts and resources when announced. */
export function listChangedNotices(announced: Record<string, unknown>): JsonRpcNotification[] {
  const out: JsonRpcNotification[] = [{ jsonrpc: "2.0", method: "notifications/tools/list_changed" }];
  if (typeof announced.prompts === "object" && announced.prompts !== null) out.push({ jsonrpc: "2.0", method: "notifications/prompts/list_changed" });
  if (typeof announced.resources === "object" && announced.resources !== null) out.push({ jsonrpc: "2.0", method: "notifications/resources/list_changed" });
  return out;
}

/** A name or URI quoted in an error message: at most 100 characters. */
export function shown(text: unknown): string {
  try {
    const s = typeof text === "string" ? text : (JSON.stringify(text) ?? String(text));
    return s.length > 100 ? `${s.slice(0, 100)}...` : s;
  } catch {
    return "?";
  }
}
