#!/usr/bin/env node
// The example's stdio upstream `notes`: a small MCP server (the SDK's McpServer over stdio) the gateway
// spawns once per client session. Notes live in memory for the life of that process.
// Tools: list_notes {}, read_note {title}, write_note {title, body}, delete_note {title}.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "notes", version: "1.0.0" });
const notes = new Map([["welcome", "Notes live in memory; this one was here first."]]);
const text = (t) => ({ content: [{ type: "text", text: t }] });

server.registerTool("list_notes", { description: "Titles of all notes", inputSchema: {}, annotations: { readOnlyHint: true } }, async () =>
  text([...notes.keys()].join("\n")),
);
server.registerTool("read_note", { description: "One note's text", inputSchema: { title: z.string() }, annotations: { readOnlyHint: true } }, async ({ title }) =>
  text(notes.get(title) ?? `no note ${title}`),
);
server.registerTool(
  "write_note",
  { description: "Saves a note, replacing any of that title", inputSchema: { title: z.string(), body: z.string() }, annotations: { readOnlyHint: false, destructiveHint: true } },
  async ({ title, body }) => (notes.set(title, body), text(`saved ${title}`)),
);
server.registerTool(
  "delete_note",
  { description: "Deletes a note", inputSchema: { title: z.string() }, annotations: { readOnlyHint: false, destructiveHint: true } },
  async ({ title }) => text(notes.delete(title) ? `deleted ${title}` : `no note ${title}`),
);

await server.connect(new StdioServerTransport());
