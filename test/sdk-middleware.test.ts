/**
 * The SDK middleware (src/adapters/sdk.ts) between a real SDK `Client` and a real `McpServer` (and a
 * low-level `Server`), over the SDK's InMemoryTransport pair, with the real enforcer and engine: lists
 * filtered per principal, calls allowed and denied (the server's handler never runs for a denied call),
 * the principal taken from the SDK's authInfo by default, a custom identify, budgets per session,
 * server-to-client sampling governed, and `protect` idempotent over McpServer.connect and .server.connect.
 */
import { describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { CallToolRequestSchema, CreateMessageRequestSchema, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { compilePolicy, createEngine } from "../src/index.js";
import { protect, protectTransport, defaultIdentify, type IdentifyInfo } from "../src/adapters/sdk.js";

const POLICY = compilePolicy(`policy "sdk-middleware" version "1"
default deny
role agent {
  member when "mcp:agent" in principal.scopes
  allow tool echo, counted, ask_model
}
role admin {
  allow tool "*"
}
tool counted {
  limit calls 2 by session
}
`);

type AuthInfo = { token: string; clientId: string; scopes: string[]; extra?: Record<string, unknown> };
const AGENT: AuthInfo = { token: "t-ann", clientId: "ann", scopes: ["mcp:agent"], extra: { team: "blue" } };

function mcpServer(ran: string[]) {
  const server = new McpServer({ name: "sdk-fixture", version: "1.0.0" });
  const text = (t: string) => ({ content: [{ type: "text" as const, text: t }] });
  for (const name of ["echo", "counted"]) {
    server.registerTool(name, { inputSchema: { text: z.string() }, annotations: { readOnlyHint: true, openWorldHint: false } }, async ({ text: t }) => {
      ran.push(name);
      return text(t);
    });
  }
  server.registerTool("write_note", { inputSchema: { text: z.string() }, annotations: { destructiveHint: true } }, async () => {
    ran.push("write_note");
    return text("written");
  });
  server.registerTool("ask_model", { inputSchema: { prompt: z.string() }, annotations: { readOnlyHint: true, openWorldHint: false } }, async ({ prompt }) => {
    ran.push("ask_model");
    try {
      const r = await server.server.createMessage({ messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens: 10 });
      return text(`model said: ${r.content.type === "text" ? r.content.text : "?"}`);
    } catch (e) {
      return { content: [{ type: "text" as const, text: `sampling failed: ${(e as Error).message}` }], isError: true };
    }
  });
  return server;
}

/** A client whose every message carries `auth` as the SDK's authInfo (as an HTTP transport with bearer auth would). */
async function connect(server: { connect(t: InMemoryTransport): Promise<void> }, auth?: AuthInfo, capabilities: Record<string, unknown> = {}) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  if (auth) {
    const send = clientSide.send.bind(clientSide);
    clientSide.send = (message, options) => send(message, { ...options, authInfo: auth } as never);
  }
  await server.connect(serverSide);
  const client = new Client({ name: "sdk-middleware-test", version: "1.0.0" }, { capabilities });
  await client.connect(clientSide);
  return client;
}

async function errorOf(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (e) {
    return e as McpError;
  }
  throw new Error("expected the request to fail");
}

describe("SDK middleware: McpServer", () => {
  it("filters tools/list per principal and lets only allowed calls reach the tool", async () => {
    const ran: string[] = [];
    const client = await connect(protect(mcpServer(ran), { policy: POLICY }), AGENT);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(["ask_model", "counted", "echo"]);
    expect((await client.callTool({ name: "echo", arguments: { text: "hi" } })).content).toEqual([{ type: "text", text: "hi" }]);
    const denied = await errorOf(client.callTool({ name: "write_note", arguments: { text: "x" } }));
    expect(denied.code).toBe(-32010);
    expect(denied.message).toMatch(/denied by policy/);
    expect(ran).toEqual(["echo"]);
    await client.close();
  });

  it("takes the principal from authInfo by default: without it the client holds no role", async () => {
    const ran: string[] = [];
    const client = await connect(protect(mcpServer(ran), { policy: POLICY }));
    const denied = await errorOf(client.callTool({ name: "echo", arguments: { text: "hi" } }));
    expect(denied.code).toBe(-32010);
    expect(ran).toEqual([]);
    await client.close();
  });

  it("maps authInfo to the principal (clientId, scopes, extra) and the transport's session", () => {
    const c = defaultIdentify({ authInfo: AGENT as never, sessionId: "s-1" });
    expect(c).toEqual({ principal: { id: "ann", scopes: ["mcp:agent"], claims: { team: "blue" } }, session: { id: "s-1" } });
    expect(defaultIdentify({ sessionId: "s-2" })).toEqual({ principal: {}, session: { id: "s-2" } });
  });

  it("calls a custom identify with authInfo and a per-connection session id", async () => {
    const seen: IdentifyInfo[] = [];
    const server = protect(mcpServer([]), {
      policy: POLICY,
      identify: (info) => {
        seen.push(info);
        return { principal: { id: "root", roles: ["admin"] } };
      },
    });
    const client = await connect(server, AGENT);
    expect((await client.callTool({ name: "write_note", arguments: { text: "x" } })).content).toEqual([{ type: "text", text: "written" }]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.authInfo?.clientId).toBe("ann");
    const sessions = new Set(seen.map((s) => s.sessionId));
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).toMatch(/^[0-9a-f-]{36}$/);
    await client.close();
  });

  it("charges budgets per session: a third call of `limit calls 2 by session` is refused -32011, a new connection starts again", async () => {
    const ran: string[] = [];
    const engine = createEngine(POLICY);
    const server = mcpServer(ran);
    protect(server, { engine });
    const client = await connect(server, AGENT);
    await client.callTool({ name: "counted", arguments: { text: "1" } });
    await client.callTool({ name: "counted", arguments: { text: "2" } });
    const over = await errorOf(client.callTool({ name: "counted", arguments: { text: "3" } }));
    expect(over.code).toBe(-32011);
    expect(ran).toEqual(["counted", "counted"]);
    await client.close();
    // One McpServer serves one connection at a time: a second server on the same engine is a new session.
    const again = await connect(protect(mcpServer(ran), { engine }), AGENT);
    await again.callTool({ name: "counted", arguments: { text: "4" } });
    expect(ran).toEqual(["counted", "counted", "counted"]);
    await again.close();
  });

  it("governs server-to-client sampling: denied by the policy's default, the client's handler never runs", async () => {
    let asked = 0;
    const client = await connect(protect(mcpServer([]), { policy: POLICY }), AGENT, { sampling: {} });
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      asked++;
      return { model: "m", role: "assistant", content: { type: "text", text: "hello" } };
    });
    const r = await client.callTool({ name: "ask_model", arguments: { prompt: "hi" } });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toMatch(/sampling failed/);
    expect(asked).toBe(0);
    await client.close();
  });

  it("protect is idempotent and covers both McpServer.connect and McpServer.server.connect", async () => {
    const ran: string[] = [];
    const server = mcpServer(ran);
    expect(protect(protect(server, { policy: POLICY }), { policy: POLICY })).toBe(server);
    const client = await connect(server.server, AGENT);
    expect(await errorOf(client.callTool({ name: "write_note", arguments: { text: "x" } }))).toMatchObject({ code: -32010 });
    expect(ran).toEqual([]);
    await client.close();
  });

  it("refuses a server it cannot protect and options without a policy or engine", () => {
    expect(() => protect({} as never, { policy: POLICY })).toThrow(TypeError);
    expect(() => protect(mcpServer([]), {} as never)).toThrow(/policy.*engine/);
  });
});

describe("SDK middleware: low-level Server", () => {
  function lowLevel(ran: string[]) {
    const server = new Server({ name: "low-level", version: "1.0.0" }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [
        { name: "echo", inputSchema: { type: "object" as const, properties: { text: { type: "string" } } }, annotations: { readOnlyHint: true, openWorldHint: false } },
        { name: "drop_table", inputSchema: { type: "object" as const }, annotations: { destructiveHint: true } },
      ],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (req) => {
      ran.push(req.params.name);
      return { content: [{ type: "text", text: `ran ${req.params.name}` }] };
    });
    return server;
  }

  it("filters the list and denies calls the policy does not allow", async () => {
    const ran: string[] = [];
    const client = await connect(protect(lowLevel(ran), { policy: POLICY }), AGENT);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo"]);
    expect((await client.callTool({ name: "echo", arguments: { text: "x" } })).content).toEqual([{ type: "text", text: "ran echo" }]);
    expect(await errorOf(client.callTool({ name: "drop_table", arguments: {} }))).toMatchObject({ code: -32010 });
    expect(ran).toEqual(["echo"]);
    await client.close();
  });

  it("protectTransport wraps one transport for a server connected by hand", async () => {
    const ran: string[] = [];
    const server = lowLevel(ran);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const send = clientSide.send.bind(clientSide);
    clientSide.send = (message, options) => send(message, { ...options, authInfo: AGENT } as never);
    await server.connect(protectTransport(serverSide, { policy: POLICY }));
    const client = new Client({ name: "t", version: "1" });
    await client.connect(clientSide);
    expect(await errorOf(client.callTool({ name: "drop_table", arguments: {} }))).toMatchObject({ code: -32010 });
    expect(ran).toEqual([]);
    await client.close();
  });
});
