// README's "In front of an MCP server" examples, run as written: the proxy command (with `npx` swapped
// for the installed CLI and server: no network) in front of the official filesystem server, driven by a
// real SDK client; and the SDK middleware snippet, loaded as a module and called by a real SDK client.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const CLI = path.join(ROOT, "dist/cli/main.js");
const FS_SERVER = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
const DEMO = "/tmp/mcppolicy-demo";

/** The README's code blocks of a language, in order. */
function blocks(lang: string): string[] {
  return [...README.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

const text = (r: unknown) => JSON.stringify((r as { content?: unknown }).content ?? r);

beforeAll(() => {
  mkdirSync(DEMO, { recursive: true });
  writeFileSync(path.join(DEMO, "todo.md"), "- ship the proxy\n");
  writeFileSync(path.join(DEMO, ".env"), "TOKEN=hunter2\n");
});

describe("README: one command in front of a stdio server", () => {
  const command = blocks("sh").find((b) => b.includes("mcppolicy proxy"))!.trim();

  it("is the command the README shows", () => {
    expect(command).toBe("npx mcppolicy proxy --policy examples/proxy/notes.mcppolicy --principal examples/proxy/alice.json -- npx -y @modelcontextprotocol/server-filesystem /tmp/mcppolicy-demo");
  });

  it("runs: the viewer lists and reads inside the directory; writes, .env and escapes are denied", async () => {
    const words = command.split(/\s+/);
    expect(words.slice(0, 2)).toEqual(["npx", "mcppolicy"]);
    const dash = words.indexOf("--");
    expect(words.slice(dash + 1, dash + 4)).toEqual(["npx", "-y", "@modelcontextprotocol/server-filesystem"]);
    const args = [CLI, ...words.slice(2, dash + 1), process.execPath, FS_SERVER, ...words.slice(dash + 4)];
    const client = new Client({ name: "readme", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: process.execPath, args, cwd: ROOT, stderr: "pipe" }));
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toContain("read_text_file");
      expect(tools).not.toContain("write_file");
      const read = await client.callTool({ name: "read_text_file", arguments: { path: `${DEMO}/todo.md` } });
      expect(read.isError).toBeFalsy();
      expect(text(read)).toContain("ship the proxy");
      const secret = await client.callTool({ name: "read_text_file", arguments: { path: `${DEMO}/.env` } }).catch((e: Error) => e);
      expect(String((secret as Error).message ?? text(secret))).toContain("secrets");
      const escape = await client.callTool({ name: "read_text_file", arguments: { path: `${DEMO}/../../etc/passwd` } }).catch((e: Error) => e);
      expect(JSON.stringify(escape)).not.toContain("root:");
      const write = await client.callTool({ name: "write_file", arguments: { path: `${DEMO}/x.md`, content: "x" } }).catch((e: Error) => e);
      expect(write).toBeInstanceOf(Error);
      expect(String((write as Error).message)).toContain("denied by policy");
    } finally {
      await client.close();
    }
  });
});

describe("README: one call in front of an SDK server", () => {
  const code = blocks("ts").find((b) => b.includes('from "mcppolicy/mcp"'))!;
  const file = path.join(ROOT, "test/fixtures/.readme-sdk-example.mjs");

  afterAll(() => rmSync(file, { force: true }));

  it("runs: the caller's scopes decide, and a path outside the directory is denied with the reason", async () => {
    expect(code).toContain("protect(server, { policy });");
    // The snippet as written (it is plain JavaScript too), plus an export to reach its server.
    writeFileSync(file, `${code}\nexport { server };\n`);
    const { server } = (await import(file)) as { server: { connect(t: unknown): Promise<void> } };
    const connect = async (auth?: object) => {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      if (auth) {
        const send = clientSide.send.bind(clientSide);
        clientSide.send = (m, o) => send(m, { ...o, authInfo: auth } as never);
      }
      await server.connect(serverSide);
      const client = new Client({ name: "readme", version: "1.0.0" });
      await client.connect(clientSide);
      return client;
    };
    const alice = await connect({ token: "t", clientId: "alice", scopes: ["notes:read"] });
    const ok = await alice.callTool({ name: "read_text_file", arguments: { path: `${DEMO}/todo.md` } });
    expect(text(ok)).toContain("ship the proxy");
    const outside = await alice.callTool({ name: "read_text_file", arguments: { path: "/etc/passwd" } }).catch((e: Error) => e);
    expect(String((outside as Error).message ?? text(outside))).toContain("outside the sandbox root");
    expect(JSON.stringify(outside)).not.toContain("root:x");
    await alice.close();
    const anonymous = await connect();
    const denied = await anonymous.callTool({ name: "read_text_file", arguments: { path: `${DEMO}/todo.md` } }).catch((e: Error) => e);
    expect(denied).toBeInstanceOf(Error);
    await anonymous.close();
  });
});
