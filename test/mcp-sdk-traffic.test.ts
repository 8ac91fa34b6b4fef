/**
 * The mapping on real traffic: a real SDK `Client` and a real low-level SDK `Server` over the SDK's
 * in-memory transport, each side's incoming messages recorded. Every message the SDK sends is classified
 * the same from the value (SDK transports) and from its JSON text (stdio), and maps to the request the
 * policy should see; the server's real tools/list result pins the catalog and is filtered; the server's
 * sampling, elicitation and roots requests map as governed / pass.
 */
import { describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { compilePolicy } from "../src/policy.js";
import {
  classifyMessage,
  filterListResult,
  notificationPasses,
  parseMessageText,
  ToolCatalog,
  toPolicyRequest,
  type Caller,
  type JsonRpcRequest,
  type Mapped,
} from "../src/mcp/index.js";

/** A transport that records every message it receives, then hands it on. */
class Recording implements Transport {
  readonly seen: unknown[] = [];
  onmessage?: Transport["onmessage"];
  onclose?: Transport["onclose"];
  onerror?: Transport["onerror"];
  constructor(private readonly inner: Transport) {}
  async start(): Promise<void> {
    this.inner.onmessage = (m, extra) => {
      this.seen.push(structuredClone(m));
      this.onmessage?.(m, extra);
    };
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (e) => this.onerror?.(e);
    await this.inner.start();
  }
  send: Transport["send"] = (m, o) => this.inner.send(m, o);
  close = () => this.inner.close();
}

const TOOLS = [
  { name: "search", description: "search", inputSchema: { type: "object", properties: { q: { type: "string" } } }, annotations: { readOnlyHint: true } },
  { name: "write_file", inputSchema: { type: "object", properties: { path: { type: "string" } } }, annotations: { readOnlyHint: false, destructiveHint: true } },
  { name: "untagged", inputSchema: { type: "object" } },
];

async function connect() {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = new Server({ name: "fixture", version: "1.0.0" }, { capabilities: { tools: {}, resources: { subscribe: true }, prompts: {}, completions: {}, logging: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (r) => ({ content: [{ type: "text", text: `called ${r.params.name}` }] }));
  server.setRequestHandler(ReadResourceRequestSchema, async (r) => ({ contents: [{ uri: r.params.uri, text: "x" }] }));
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [{ uri: "file:///workspace/a.ts", name: "a" }, { uri: "file:///etc/passwd", name: "p" }], nextCursor: "next" }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: [{ uriTemplate: "file:///workspace/{path}", name: "ws" }] }));
  server.setRequestHandler(SubscribeRequestSchema, async () => ({}));
  server.setRequestHandler(UnsubscribeRequestSchema, async () => ({}));
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: [{ name: "code-review" }, { name: "admin" }] }));
  server.setRequestHandler(GetPromptRequestSchema, async () => ({ messages: [] }));
  server.setRequestHandler(CompleteRequestSchema, async () => ({ completion: { values: [] } }));
  server.setRequestHandler(SetLevelRequestSchema, async () => ({}));
  const client = new Client({ name: "c", version: "1" }, { capabilities: { sampling: {}, elicitation: {}, roots: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: "assistant", content: { type: "text", text: "hi" }, model: "m" }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "decline" }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [] }));
  const toServer = new Recording(serverSide);
  const toClient = new Recording(clientSide);
  await server.connect(toServer);
  await client.connect(toClient);
  return { client, server, toServer, toClient };
}

const policy = compilePolicy(
  `policy "sdk"
default deny
role reader {
  allow tool "*" when annotations.readOnlyHint
  allow resource "file:///workspace/**"
  allow prompt "code-*"
}
`,
  { readFile: null },
);
const caller: Caller = { principal: { id: "alice", roles: ["reader"] }, session: { id: "s" } };

/** Classify a recorded value both ways; they must agree. */
function classifyBoth(value: unknown) {
  const fromValue = classifyMessage(value);
  const fromText = parseMessageText(JSON.stringify(value));
  expect(fromText).toEqual(fromValue);
  return fromValue;
}

describe("real SDK traffic through the mapping", () => {
  it("client → server: every request and notification the SDK sends classifies and maps as documented", async () => {
    const { client, toServer } = await connect();
    const tools = await client.listTools();
    await client.callTool({ name: "search", arguments: { q: "x" } });
    await client.callTool({ name: "write_file", arguments: { path: "/a" } });
    await client.readResource({ uri: "file:///workspace/a.ts" });
    await client.subscribeResource({ uri: "file:///workspace/a.ts" });
    await client.unsubscribeResource({ uri: "file:///workspace/a.ts" });
    await client.listResources();
    await client.listResourceTemplates();
    await client.listPrompts();
    await client.getPrompt({ name: "code-review", arguments: { lang: "ts" } });
    await client.complete({ ref: { type: "ref/prompt", name: "code-review" }, argument: { name: "lang", value: "t" } });
    await client.complete({ ref: { type: "ref/resource", uri: "file:///workspace/{path}" }, argument: { name: "path", value: "a" } });
    await client.setLoggingLevel("info");
    await client.ping();

    const catalog = new ToolCatalog();
    catalog.pin(tools.tools, tools.nextCursor === undefined);

    const mapped: [string, Mapped][] = [];
    for (const value of toServer.seen) {
      const c = classifyBoth(value);
      if (c.kind === "notification") {
        expect(notificationPasses(c.message.method, "to-server"), c.message.method).toBe(true);
        continue;
      }
      expect(c.kind).toBe("request");
      if (c.kind !== "request") continue;
      mapped.push([c.message.method, toPolicyRequest(c.message, "to-server", caller, catalog)]);
    }
    const view = mapped.map(([method, m]) => {
      if (m.kind !== "governed") return [method, m.kind, m.kind === "refuse" ? m.error.error.code : undefined];
      const { method: decidedAs, tool, resource, prompt, arguments: args } = m.request;
      return [method, decidedAs, tool ?? resource ?? prompt ?? null, args ?? null, policy.decide(m.request).effect];
    });
    expect(view).toEqual([
      ["initialize", "pass", undefined],
      ["tools/list", "tools/list", null, null, "allow"],
      ["tools/call", "tools/call", "search", { q: "x" }, "allow"],
      ["tools/call", "tools/call", "write_file", { path: "/a" }, "deny"],
      ["resources/read", "resources/read", "file:///workspace/a.ts", null, "allow"],
      ["resources/subscribe", "resources/read", "file:///workspace/a.ts", null, "allow"],
      ["resources/unsubscribe", "resources/read", "file:///workspace/a.ts", null, "allow"],
      ["resources/list", "resources/list", null, null, "allow"],
      ["resources/templates/list", "resources/templates/list", null, null, "allow"],
      ["prompts/list", "prompts/list", null, null, "allow"],
      ["prompts/get", "prompts/get", "code-review", { lang: "ts" }, "allow"],
      ["completion/complete", "completion/complete", "code-review", null, "allow"],
      ["completion/complete", "completion/complete", "file:///workspace/{path}", null, "allow"],
      ["logging/setLevel", "refuse", -32010],
      ["ping", "pass", undefined],
    ]);
    await client.close();
  });

  it("server → client: tools/list results pin the catalog and are filtered; list cursors are kept", async () => {
    const { client, toClient } = await connect();
    await client.listTools();
    await client.listResources();
    const results = toClient.seen.map(classifyBoth).filter((c) => c.kind === "response");
    const toolsResult = results.find((c) => c.kind === "response" && "result" in c.message && Array.isArray(c.message.result.tools));
    const resourcesResult = results.find((c) => c.kind === "response" && "result" in c.message && Array.isArray(c.message.result.resources));
    if (toolsResult?.kind !== "response" || !("result" in toolsResult.message)) throw new Error("no tools/list result");
    if (resourcesResult?.kind !== "response" || !("result" in resourcesResult.message)) throw new Error("no resources/list result");

    const catalog = new ToolCatalog();
    catalog.pin(toolsResult.message.result.tools as unknown[], true);
    expect(catalog.annotationsOf("search").readOnlyHint).toBe(true);
    expect(catalog.annotationsOf("untagged")).toEqual({ readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true });
    expect(catalog.inputSchemaOf("search")).toEqual(TOOLS[0]!.inputSchema);

    const tools = filterListResult("tools/list", toolsResult.message.result, policy, caller).tools as { name: string }[];
    expect(tools.map((t) => t.name)).toEqual(["search"]);
    const resources = filterListResult("resources/list", resourcesResult.message.result, policy, caller);
    expect((resources.resources as { name: string }[]).map((r) => r.name)).toEqual(["a"]);
    expect(resources.nextCursor).toBe("next");
    await client.close();
  });

  it("server → client: sampling and elicitation are governed, roots/list passes", async () => {
    const { client, server, toClient } = await connect();
    await server.createMessage({ messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 5 });
    await server.elicitInput({ message: "ok?", requestedSchema: { type: "object", properties: { approve: { type: "boolean" } } } });
    await server.listRoots();
    const requests = toClient.seen.map(classifyBoth).filter((c) => c.kind === "request");
    const view = requests.map((c) => {
      const m = toPolicyRequest(c.message as JsonRpcRequest, "to-client", caller, undefined);
      return [(c.message as JsonRpcRequest).method, m.kind, m.kind === "governed" ? policy.decide(m.request).effect : undefined];
    });
    expect(view).toEqual([
      ["sampling/createMessage", "governed", "deny"],
      ["elicitation/create", "governed", "deny"],
      ["roots/list", "pass", undefined],
    ]);
    await client.close();
  });
});
