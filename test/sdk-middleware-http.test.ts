// The SDK middleware over the SDK's Streamable HTTP transport (the usual deployment of an SDK server): a
// real McpServer behind `protect`, served on loopback by node:http, a real SDK Client over
// StreamableHTTPClientTransport. Denials come back on the request's own stream, the principal comes from
// the bearer token (authInfo), and an approval asked through elicitation travels on the call's stream.
import { createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { compilePolicy } from "../src/policy.js";
import { createEngine } from "../src/runtime/engine.js";
import { protect } from "../src/adapters/sdk.js";

const policy = compilePolicy(`policy "http" version "1"
default deny
role agent {
  member when "mcp:agent" in principal.scopes
  allow tool echo, deploy
}
tool deploy { approval required by caller }
`);
const engine = createEngine(policy);
const ran: string[] = [];

let http: HttpServer;
let url: URL;

/** One McpServer per session, each protected (the SDK's stateful pattern). */
function newServer(): McpServer {
  const server = new McpServer({ name: "http-fixture", version: "1.0.0" });
  const text = (t: string) => ({ content: [{ type: "text" as const, text: t }] });
  server.registerTool("echo", { inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } }, async ({ text: t }) => (ran.push("echo"), text(t)));
  server.registerTool("deploy", { inputSchema: { env: z.string() } }, async ({ env }) => (ran.push(`deploy:${env}`), text(`deployed ${env}`)));
  server.registerTool("wipe", { inputSchema: {} }, async () => (ran.push("wipe"), text("wiped")));
  return protect(server, { engine });
}

beforeAll(async () => {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  http = createServer(async (req, res) => {
    // A bearer token stands for a verified identity here (issue 13 brings OAuth): the SDK reads `req.auth`.
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (token) (req as IncomingMessage & { auth?: unknown }).auth = { token, clientId: token, scopes: token === "ann" ? ["mcp:agent"] : [] };
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void sessions.set(sid, transport!) });
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
});

afterAll(async () => {
  http.closeAllConnections?.();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

async function client(token: string, onElicit?: (message: string) => { action: "accept" | "decline"; content?: Record<string, unknown> }) {
  const c = new Client({ name: "http-test", version: "1.0.0" }, { capabilities: onElicit ? { elicitation: {} } : {} });
  if (onElicit) c.setRequestHandler(ElicitRequestSchema, async (r) => onElicit(r.params.message));
  await c.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return c;
}

describe("protect() over Streamable HTTP", () => {
  it("allows and denies by the bearer's scopes, and a denied tool never runs", async () => {
    const ann = await client("ann");
    try {
      expect((await ann.listTools()).tools.map((t) => t.name).sort()).toEqual(["deploy", "echo"]);
      const r = await ann.callTool({ name: "echo", arguments: { text: "hi" } });
      expect(JSON.stringify(r.content)).toContain("hi");
      const denied = await ann.callTool({ name: "wipe", arguments: {} }).catch((e: Error) => e);
      expect(String((denied as Error).message)).toMatch(/-32010.*denied by policy/);
      expect(ran).not.toContain("wipe");
    } finally {
      await ann.close();
    }
    const bob = await client("bob");
    try {
      const denied = await bob.callTool({ name: "echo", arguments: { text: "hi" } }).catch((e: Error) => e);
      expect(String((denied as Error).message)).toContain("denied by policy");
    } finally {
      await bob.close();
    }
  });

  it("asks the caller through elicitation on the call's own stream; accept runs the call once, decline does not", async () => {
    const asked: string[] = [];
    const yes = await client("ann", (m) => (asked.push(m), { action: "accept", content: { approve: true } }));
    try {
      const r = await yes.callTool({ name: "deploy", arguments: { env: "staging" } });
      expect(JSON.stringify(r.content)).toContain("deployed staging");
      expect(asked[0]).toContain("deploy");
      expect(ran.filter((x) => x === "deploy:staging")).toHaveLength(1);
    } finally {
      await yes.close();
    }
    const no = await client("ann", () => ({ action: "decline" }));
    try {
      const r = await no.callTool({ name: "deploy", arguments: { env: "prod" } });
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).toContain("declined");
      expect(ran).not.toContain("deploy:prod");
    } finally {
      await no.close();
    }
  });
});
