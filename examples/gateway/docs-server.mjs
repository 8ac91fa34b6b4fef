#!/usr/bin/env node
// The example's HTTP upstream `docs`: a small MCP server over Streamable HTTP (the SDK's McpServer and
// StreamableHTTPServerTransport on node:http, one session per client), on 127.0.0.1:${DOCS_PORT:-3001}/mcp.
// Tools: search_docs {query}, read_doc {path}. Run it before `mcppolicy serve` (see README.md here).
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const DOCS = {
  "guide/install.md": "Install with npm, then run `mcppolicy serve --config gateway.yaml`.",
  "guide/policies.md": "Policies are text files: roles, tools, limits.",
  "internal/oncall.md": "Pager rota and escalation numbers (internal).",
};
const text = (t) => ({ content: [{ type: "text", text: t }] });

function newServer() {
  const server = new McpServer({ name: "docs", version: "1.0.0" });
  server.registerTool("search_docs", { description: "Paths of the documents that mention a word", inputSchema: { query: z.string() }, annotations: { readOnlyHint: true } }, async ({ query }) =>
    text(Object.entries(DOCS).filter(([, body]) => body.toLowerCase().includes(query.toLowerCase())).map(([path]) => path).join("\n")),
  );
  server.registerTool("read_doc", { description: "One document", inputSchema: { path: z.string() }, annotations: { readOnlyHint: true } }, async ({ path }) =>
    text(DOCS[path] ?? `no document ${path}`),
  );
  return server;
}

const sessions = new Map();
const http = createServer(async (req, res) => {
  if (!req.url?.startsWith("/mcp")) return void res.writeHead(404).end();
  const id = req.headers["mcp-session-id"];
  let transport = typeof id === "string" ? sessions.get(id) : undefined;
  if (!transport) {
    transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void sessions.set(sid, transport) });
    transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res);
});
const port = Number(process.env.DOCS_PORT ?? 3001);
http.listen(port, "127.0.0.1", () => console.error(`docs MCP server on http://127.0.0.1:${http.address().port}/mcp`));
