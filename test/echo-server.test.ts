// The echo-server fixture (test/fixtures/servers/echo-server.mjs) as other suites and bench/proxy.mjs rely on
// it: a real SDK Client over real stdio lists its two tools with their annotations, `echo` returns its text,
// `write_note` saves, and the process answers what it was sent, then exits 0 once stdin closes.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SERVER = fileURLToPath(new URL("./fixtures/servers/echo-server.mjs", import.meta.url));

describe("echo-server fixture", () => {
  it("lists echo (read-only) and write_note (destructive), and answers both", async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER], stderr: "pipe" });
    const client = new Client({ name: "echo-server-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect([...byName.keys()].sort()).toEqual(["echo", "write_note"]);
      expect(byName.get("echo")?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(byName.get("write_note")?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
      expect(byName.get("echo")?.inputSchema).toMatchObject({ properties: { text: { type: "string" } }, required: ["text"] });

      const echoed = await client.callTool({ name: "echo", arguments: { text: "hello ✓" } });
      expect(echoed).toEqual({ content: [{ type: "text", text: "hello ✓" }] });
      const saved = await client.callTool({ name: "write_note", arguments: { title: "t1", body: "b" } });
      expect(saved).toEqual({ content: [{ type: "text", text: "saved note t1" }] });
      const bad = await client.callTool({ name: "echo", arguments: { text: 42 } });
      expect(bad.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("answers a request written just before stdin closes, then exits 0 on its own", async () => {
    const child = spawn(process.execPath, [SERVER], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };
    const call = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "last" } } };
    child.stdin.end(`${JSON.stringify(init)}\n${JSON.stringify(call)}\n`);
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
    const answers = out.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result: unknown });
    expect(answers.map((a) => a.id)).toEqual([1, 2]);
    expect(answers[1]?.result).toEqual({ content: [{ type: "text", text: "last" }] });
  });
});
