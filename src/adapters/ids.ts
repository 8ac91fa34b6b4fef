/**
 * Request ids on a relayed connection. JSON-RPC ids are strings or numbers chosen by the sender;
 * `idKey` makes one map key of either (`1` and `"1"` are two ids). The enforcer's own requests (its
 * tools/list to pin the catalog, its elicitation to ask for an approval) carry string ids in a
 * namespace of their own (`mcppolicy:<random>:<n>`), which no peer can guess in advance.
 * Guarantees: `idKey` is injective over strings and numbers; `ownIds` never repeats within a process.
 */
import { randomBytes } from "node:crypto";
import type { JsonRpcId } from "../mcp/index.js";

export function idKey(id: JsonRpcId): string {
  return typeof id === "number" ? `n:${id}` : `s:${id}`;
}

export const OWN_ID_PREFIX = "mcppolicy:";

/** A generator of the enforcer's own request ids. */
export function ownIds(): () => string {
  const prefix = `${OWN_ID_PREFIX}${randomBytes(9).toString("base64url")}:`;
  let n = 0;
  return () => `${prefix}${(n++).toString(36)}`;
}

/** Whether an id is in the enforcer's namespace (a peer's request must not use one). */
export function isOwnId(id: JsonRpcId): boolean {
  return typeof id === "string" && id.startsWith(OWN_ID_PREFIX);
}
