// A scripted client and a scripted server on each side of one enforcer (real policy, real engine).
import { expect } from "vitest";
import { compilePolicy } from "../../src/policy.js";
import { createEngine } from "../../src/runtime/engine.js";
import { createEnforcer, type EnforcerOptions } from "../../src/adapters/enforcer.js";
import type { Principal } from "../../src/contract/index.js";

export type Msg = Record<string, any>;

export function relay(source: string, opts: Partial<EnforcerOptions> & { principal?: Principal; clientCaps?: Record<string, unknown> } = {}) {
  const policy = compilePolicy(source, { filename: "test.mcppolicy" });
  const engine = opts.engine ?? createEngine(policy);
  const toClient: Msg[] = [];
  const toServer: Msg[] = [];
  const problems: string[] = [];
  const enforcer = createEnforcer({
    engine,
    identify: () => ({ principal: opts.principal ?? { id: "alice", roles: ["dev"] }, session: { id: "s1" } }),
    onProtocolError: (p) => problems.push(p),
    ...opts,
    toClient: (m) => void toClient.push(m as Msg),
    toServer: (m) => void toServer.push(m as Msg),
  });
  const call = (id: number | string, name: string, args: Record<string, unknown> = {}, extra: Msg = {}) =>
    enforcer.fromClient({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args, ...extra } });
  const answer = (id: number | string, result: Msg) => enforcer.fromServer({ jsonrpc: "2.0", id, result });
  return { policy, engine, enforcer, toClient, toServer, problems, call, answer };
}

/** Plays the start of a connection: initialize (with the client's capabilities), the server's answer, initialized, and the catalog fetch. */
export async function handshake(r: ReturnType<typeof relay>, tools: Msg[], clientCaps: Record<string, unknown> = {}) {
  await r.enforcer.fromClient({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: clientCaps, clientInfo: { name: "t", version: "1" } } });
  await r.enforcer.fromServer({ jsonrpc: "2.0", id: 0, result: { protocolVersion: "2025-11-25", capabilities: { tools: { listChanged: true } }, serverInfo: { name: "s", version: "1" } } });
  await r.enforcer.fromClient({ jsonrpc: "2.0", method: "notifications/initialized" });
  const fetch = r.toServer.find((m) => m.method === "tools/list" && typeof m.id === "string");
  expect(fetch, "the relay fetches the server's tools after initialized").toBeDefined();
  await r.enforcer.fromServer({ jsonrpc: "2.0", id: fetch!.id, result: { tools } });
  r.toClient.length = 0;
  r.toServer.length = 0;
}

export const tick = () => new Promise((res) => setTimeout(res, 0));

