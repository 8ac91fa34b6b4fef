/**
 * End to end, on real SDK peers: an SDK `Client` (in-memory transport) talks through the router to two real
 * SDK `McpServer`s, each behind its own REAL enforcer (one engine, one compiled policy) over an in-memory
 * transport, plus a third McpServer that fails its initialize. The client lists prefixed tools, prompts and
 * resources, pages across the upstreams, calls each, reads a prefixed resource; the policy denies one
 * upstream's tool through `server.name`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ErrorCode, InitializeRequestSchema, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { compilePolicy } from "../../src/policy.js";
import { createEngine } from "../../src/runtime/engine.js";
import { createEnforcer } from "../../src/adapters/enforcer.js";
import { createRouter, type RouteTarget, type Router } from "../../src/gateway/router/index.js";
import type { JsonRpcMessage } from "../../src/mcp/index.js";

const POLICY = `
policy "gateway" version "1"
default deny
role dev {
  allow tool "*"
  allow prompt "*"
  allow resource "**"
}
deny tool secret when server.name == "docs" because "docs' secret is not for agents"
`;

function notesServer(): McpServer {
  const s = new McpServer({ name: "notes", version: "1.0.0" });
  for (const name of ["read", "write", "secret"]) {
    s.registerTool(name, { description: `notes ${name}`, inputSchema: { text: z.string().optional() } }, async ({ text }) => ({ content: [{ type: "text", text: `notes:${name}:${text ?? ""}` }] }));
  }
  s.registerPrompt("greet", { description: "greet" }, () => ({ messages: [{ role: "user", content: { type: "text", text: "hello from notes" } }] }));
  s.registerResource("a", "file:///notes/a.txt", { mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, text: "note a" }] }));
  // Pages of two tools (McpServer lists all at once): the same tools, paginated by the server itself.
  const all = ["read", "write", "secret"].map((name) => ({ name, description: `notes ${name}`, inputSchema: { type: "object" as const, properties: { text: { type: "string" } } } }));
  s.server.setRequestHandler(ListToolsRequestSchema, async (req) => {
    const from = Number(req.params?.cursor ?? 0);
    return { tools: all.slice(from, from + 2), ...(from + 2 < all.length && { nextCursor: String(from + 2) }) };
  });
  return s;
}

function docsServer(): McpServer {
  const s = new McpServer({ name: "docs", version: "2.0.0" }, { instructions: "Search the docs before answering." });
  s.registerTool("search", { description: "search", inputSchema: { q: z.string() } }, async ({ q }) => ({ content: [{ type: "text", text: `docs:search:${q}` }] }));
  s.registerTool("secret", { description: "secret" }, async () => ({ content: [{ type: "text", text: "docs:secret" }] }));
  s.registerPrompt("summarize", { description: "summarize", argsSchema: { topic: z.string() } }, ({ topic }) => ({ messages: [{ role: "user", content: { type: "text", text: `summarize ${topic}` } }] }));
  s.registerResource("index", "docs://index", { mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, text: "the index" }] }));
  return s;
}

function brokenServer(): McpServer {
  const s = new McpServer({ name: "broken", version: "0" });
  s.server.setRequestHandler(InitializeRequestSchema, () => {
    throw new McpError(ErrorCode.InternalError, "broken: cannot start");
  });
  return s;
}

const wire = (m: unknown): unknown => JSON.parse(JSON.stringify(m));

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function throughGateway(servers: Record<string, McpServer>): Promise<{ client: Client; router: Router; problems: string[] }> {
  const engine = createEngine(compilePolicy(POLICY, { filename: "gateway.mcppolicy" }));
  const problems: string[] = [];
  let router!: Router;
  const targets: RouteTarget[] = [];
  for (const [name, server] of Object.entries(servers)) {
    const [serverSide, gatewaySide] = InMemoryTransport.createLinkedPair();
    const enforcer = createEnforcer({
      engine,
      serverName: name,
      allowMethods: ["logging/setLevel"],
      identify: () => ({ principal: { id: "alice", roles: ["dev"] }, session: { id: "session-1" } }),
      onProtocolError: (p) => problems.push(`${name}: ${p}`),
      toServer: (m) => gatewaySide.send(m as never),
      toClient: (m, o) => router.fromUpstream(name, m, o),
    });
    // As on the wire (the gateway's links parse JSON text): the in-memory transport hands over the SDK's
    // objects as they are (a listed tool's schema can still hold a zod object).
    gatewaySide.onmessage = (m) => void enforcer.fromServer(wire(m));
    gatewaySide.onclose = () => void enforcer.upstreamClosed("closed");
    await gatewaySide.start();
    await server.connect(serverSide);
    targets.push({ name, prefix: `${name}__`, send: (m, extra) => enforcer.fromClient(m, extra) });
    closers.push(() => server.close());
  }
  const [clientSide, gatewayClientSide] = InMemoryTransport.createLinkedPair();
  router = createRouter({
    targets,
    serverInfo: { name: "mcppolicy-gateway", version: "1.2.3" },
    toClient: (m, o) => gatewayClientSide.send(m as never, o as never),
    onProblem: (p) => problems.push(p),
  });
  gatewayClientSide.onmessage = (m, extra) => void router.fromClient(wire(m) as JsonRpcMessage, extra);
  await gatewayClientSide.start();
  const client = new Client({ name: "agent", version: "1.0.0" });
  await client.connect(clientSide);
  closers.push(() => client.close());
  return { client, router, problems };
}

describe("router end to end: SDK client -> router -> enforcers -> SDK servers", () => {
  it("initializes with the upstreams merged and the failing one left out", async () => {
    const { client } = await throughGateway({ notes: notesServer(), docs: docsServer(), broken: brokenServer() });
    expect(client.getServerVersion()).toEqual({ name: "mcppolicy-gateway", version: "1.2.3" });
    const caps = client.getServerCapabilities()!;
    expect(caps.tools).toEqual({ listChanged: true });
    expect(caps.prompts).toMatchObject({ listChanged: true });
    expect(caps.resources).toMatchObject({ listChanged: true });
    expect(client.getInstructions()).toBe("[docs] Search the docs before answering.");
  });

  it("lists prefixed tools page by page across upstreams, the policy hiding docs' secret", async () => {
    const { client } = await throughGateway({ notes: notesServer(), docs: docsServer(), broken: brokenServer() });
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const r = await client.listTools(cursor === undefined ? {} : { cursor });
      pages.push(r.tools.map((t) => t.name));
      cursor = r.nextCursor;
    } while (cursor !== undefined && pages.length < 10);
    expect(pages).toEqual([["notes__read", "notes__write", "docs__search"], ["notes__secret"]]);
  });

  it("calls each upstream's tools by prefix; `server.name` denies docs' secret while notes' runs", async () => {
    const { client } = await throughGateway({ notes: notesServer(), docs: docsServer(), broken: brokenServer() });
    expect(await client.callTool({ name: "notes__read", arguments: { text: "x" } })).toEqual({ content: [{ type: "text", text: "notes:read:x" }] });
    expect(await client.callTool({ name: "docs__search", arguments: { q: "mcp" } })).toEqual({ content: [{ type: "text", text: "docs:search:mcp" }] });
    expect(await client.callTool({ name: "notes__secret", arguments: {} })).toEqual({ content: [{ type: "text", text: "notes:secret:" }] });
    await expect(client.callTool({ name: "docs__secret", arguments: {} })).rejects.toMatchObject({ code: -32010 });
    await expect(client.callTool({ name: "nowhere__read", arguments: {} })).rejects.toMatchObject({ code: -32602 });
  });

  it("lists and gets prefixed prompts, lists and reads prefixed resources", async () => {
    const { client } = await throughGateway({ notes: notesServer(), docs: docsServer(), broken: brokenServer() });
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["notes__greet", "docs__summarize"]);
    const prompt = await client.getPrompt({ name: "docs__summarize", arguments: { topic: "routing" } });
    expect(prompt.messages[0]!.content).toEqual({ type: "text", text: "summarize routing" });
    const resources = (await client.listResources()).resources;
    expect(resources.map((r) => [r.name, r.uri])).toEqual([["notes__a", "notes+file:///notes/a.txt"], ["docs__index", "docs+docs://index"]]);
    const read = await client.readResource({ uri: "notes+file:///notes/a.txt" });
    expect(read.contents).toEqual([{ uri: "notes+file:///notes/a.txt", text: "note a" }]);
    expect((await client.readResource({ uri: "docs+docs://index" })).contents[0]).toMatchObject({ text: "the index" });
    await expect(client.readResource({ uri: "file:///notes/a.txt" })).rejects.toMatchObject({ code: -32602 });
    expect(await client.ping()).toEqual({});
  });

  it("sends list_changed to the client after a policy reload", async () => {
    const { client, router } = await throughGateway({ notes: notesServer(), docs: docsServer() });
    const heard = new Promise<string>((resolve) => client.setNotificationHandler(z.object({ method: z.literal("notifications/tools/list_changed") }) as never, () => resolve("tools")));
    await router.notifyListChanged();
    expect(await heard).toBe("tools");
  });
});
