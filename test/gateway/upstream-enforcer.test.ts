// The link in its place: THE relay (adapters/enforcer.ts, real policy and engine) in front of an HTTP
// upstream link to a REAL SDK server, wired as the gateway wires them (link.send = toServer; onMessage ->
// enforcer.fromServer with relatedRequestId; onClose -> enforcer.upstreamClosed). Proves the contract
// between the two: related messages keep their request id up to the client side, a server-to-client
// sampling request related to a call is answered back through the relay, and an upstream killed mid-call
// leaves the client with a -32013 answer, never a hang.
import { afterEach, expect, it } from "vitest";
import { createEnforcer, type Enforcer } from "../../src/adapters/enforcer.js";
import { compilePolicy } from "../../src/policy.js";
import { createEngine } from "../../src/runtime/engine.js";
import { MCP_ERROR_CODES, type JsonRpcId } from "../../src/mcp/index.js";
import { openLink, type UpstreamLink } from "../../src/gateway/upstream/index.js";
import { startFixtureProcess, upstreamConfig, type FixtureProcess } from "./upstream-helpers.js";

const POLICY = `
policy "gw" version "1"
default allow
role dev {
  deny tool big
}
`;

interface ToClient {
  message: any;
  related: JsonRpcId | undefined;
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function wire(url: string): { enforcer: Enforcer; link: UpstreamLink; toClient: ToClient[]; next(pred: (m: ToClient) => boolean): Promise<ToClient> } {
  const engine = createEngine(compilePolicy(POLICY, { filename: "gw.mcppolicy" }));
  const toClient: ToClient[] = [];
  const watchers = new Set<() => void>();
  let link!: UpstreamLink;
  const enforcer = createEnforcer({
    engine,
    serverName: "up",
    transport: "tcp",
    identify: () => ({ principal: { id: "ann", roles: ["dev"] }, session: { id: "s-1" } }),
    toServer: (m) => link.send(m),
    toClient: (m, o) => {
      toClient.push({ message: m, related: o?.relatedRequestId });
      for (const w of watchers) w();
    },
  });
  link = openLink(upstreamConfig({ url, backoff: { initialMs: 50, maxMs: 200 } }), {
    onMessage: (m, related) => void enforcer.fromServer(m, related === undefined ? undefined : { relatedRequestId: related }),
    onClose: (reason) => void enforcer.upstreamClosed(reason),
  });
  cleanup.push(() => link.close());
  const next = (pred: (m: ToClient) => boolean) =>
    new Promise<ToClient>((resolve) => {
      const check = () => {
        const hit = toClient.find(pred);
        if (hit === undefined) return;
        watchers.delete(check);
        resolve(hit);
      };
      watchers.add(check);
      check();
    });
  return { enforcer, link, toClient, next };
}

async function handshake(w: ReturnType<typeof wire>): Promise<void> {
  await w.enforcer.fromClient({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: { sampling: {} }, clientInfo: { name: "c", version: "1" } } });
  await w.next((m) => m.message.id === 0);
  await w.enforcer.fromClient({ jsonrpc: "2.0", method: "notifications/initialized" });
}

async function fixture(args: string[] = []): Promise<FixtureProcess> {
  const fx = await startFixtureProcess(args);
  cleanup.push(() => fx.kill());
  return fx;
}

it("a call's progress, log and sampling request reach the client related to the call; the sampled answer goes back", async () => {
  const fx = await fixture();
  const w = wire(fx.url);
  await handshake(w);
  await w.enforcer.fromClient({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "notify", arguments: {}, _meta: { progressToken: "pt" } } });
  const sampling = await w.next((m) => m.message.method === "sampling/createMessage");
  expect(sampling.related).toBe(5);
  await w.enforcer.fromClient({ jsonrpc: "2.0", id: sampling.message.id, result: { role: "assistant", content: { type: "text", text: "hello" }, model: "m" } });
  const answer = await w.next((m) => m.message.id === 5 && m.message.method === undefined);
  expect(answer.message.result.content[0].text).toBe("sampled: hello");
  // (The response itself goes to the client by its id.)
  const related = w.toClient.filter((m) => m.related === 5).map((m) => m.message.method);
  expect(related).toEqual(["notifications/progress", "notifications/message", "sampling/createMessage"]);
  // A denied tool never reaches the upstream.
  await w.enforcer.fromClient({ jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "big", arguments: { bytes: 10 } } });
  expect((await w.next((m) => m.message.id === 6)).message.error.code).toBe(MCP_ERROR_CODES.POLICY_DENIED);
});

it("the upstream killed mid-call: the client's pending call is answered -32013 by the relay", async () => {
  const fx = await fixture();
  const w = wire(fx.url);
  await handshake(w);
  await w.enforcer.fromClient({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "slow", arguments: { ms: 60_000 } } });
  await new Promise((r) => setTimeout(r, 100));
  await fx.kill("SIGKILL");
  const answer = await w.next((m) => m.message.id === 9);
  expect(answer.message.error.code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
  expect(answer.message.error.message).toMatch(/^the MCP server is not available: (cannot reach http:\/\/127\.0\.0\.1|the connection was reset)/);
  expect(w.enforcer.pending).toBe(0);
});
