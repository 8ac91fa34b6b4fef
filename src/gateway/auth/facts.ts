/**
 * The request facts the authenticator reads, from a node:http(s) request: method, path (without the query),
 * headers, the peer's address and, on TLS, what the client certificate proved (tlsFactsOf). One conversion for
 * the gateway and the tests. GUARANTEES: never throws; a socket without an address gives "".
 */
import type { IncomingMessage } from "node:http";
import type { RequestFacts } from "./index.js";
import { tlsFactsOf } from "./tls-facts.js";

export function requestFactsOf(req: IncomingMessage): RequestFacts {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  const facts: RequestFacts = { method: req.method ?? "", path: q < 0 ? url : url.slice(0, q), headers: req.headers, remoteAddress: req.socket?.remoteAddress ?? "" };
  const tls = tlsFactsOf(req.socket);
  if (tls !== undefined) facts.tls = tls;
  return facts;
}
