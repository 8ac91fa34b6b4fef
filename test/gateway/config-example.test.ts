/**
 * The gateway example (examples/gateway/) is what the docs say it is: gateway.yaml loads (its only
 * possible warning: the api keys file not created yet), with two upstreams, one stdio and one url, and
 * API keys; team.mcppolicy compiles with no warning and decides as its comments say (per upstream, through
 * `server.name`); and both example servers run: the stdio one through the SDK's StdioClientTransport, the
 * HTTP one through its StreamableHTTPClientTransport, each listing the tools the README names.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, describe, expect, it } from "vitest";
import { loadGatewayConfig } from "../../src/gateway/config/index.js";
import { compilePolicy, type Policy } from "../../src/policy.js";

const DIR = join(import.meta.dirname, "..", "..", "examples", "gateway");
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill()));

function decide(p: Policy, roles: string[], server: string, tool: string, args: Record<string, unknown> = {}) {
  return p.decide({ principal: { id: "alice", roles }, method: "tools/call", tool, arguments: args, server: { name: server } }).effect;
}

describe("examples/gateway", () => {
  it("gateway.yaml loads: two upstreams (stdio and url), api keys, env references expanded", () => {
    const r = loadGatewayConfig(join(DIR, "gateway.yaml"), { env: { DOCS_PORT: "3001", DOCS_TOKEN: "t" } });
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
    expect(r.warnings.every((w) => w.code === "W1001")).toBe(true);
    const [notes, docs] = r.config.upstreams;
    expect(notes).toMatchObject({ name: "notes", command: ["node", "notes-server.mjs"], cwd: DIR, prefix: "notes__" });
    expect(docs).toMatchObject({ name: "docs", url: "http://127.0.0.1:3001/mcp", headers: { Authorization: "Bearer t" }, prefix: "docs__" });
    expect(r.config.auth.apiKeys?.file).toBe(join(DIR, "keys.yaml"));
    expect(r.config.policy).toBe(join(DIR, "team.mcppolicy"));
  });

  it("gateway.yaml needs its environment: an unset DOCS_TOKEN is an error", () => {
    const r = loadGatewayConfig(join(DIR, "gateway.yaml"), { env: { DOCS_PORT: "3001" } });
    expect(r.ok ? [] : r.diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["E1007"]);
  });

  it("team.mcppolicy compiles without warnings and decides per upstream", () => {
    const p = compilePolicy(readFileSync(join(DIR, "team.mcppolicy"), "utf8"), { filename: join(DIR, "team.mcppolicy") });
    expect(p.warnings).toEqual([]);
    expect(decide(p, ["viewer"], "docs", "read_doc", { path: "guide/install.md" })).toBe("allow");
    expect(decide(p, ["viewer"], "docs", "read_doc", { path: "internal/oncall.md" })).toBe("deny");
    expect(decide(p, ["viewer"], "notes", "read_note", { title: "welcome" })).toBe("allow");
    expect(decide(p, ["viewer"], "notes", "write_note", { title: "a", body: "b" })).toBe("deny");
    expect(decide(p, ["editor"], "notes", "write_note", { title: "a", body: "b" })).toBe("allow");
    expect(decide(p, ["editor"], "notes", "write_note", { title: "Not A Slug", body: "b" })).toBe("deny");
    expect(decide(p, ["editor"], "notes", "delete_note", { title: "welcome" })).toBe("deny");
    expect(decide(p, ["editor"], "docs", "read_note", { title: "welcome" })).toBe("deny"); // a notes tool asked of docs
  });

  it("notes-server.mjs serves its tools over stdio", async () => {
    const c = new Client({ name: "example-test", version: "1" });
    await c.connect(new StdioClientTransport({ command: process.execPath, args: [join(DIR, "notes-server.mjs")], cwd: DIR }));
    expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual(["delete_note", "list_notes", "read_note", "write_note"]);
    await c.close();
  });

  it("docs-server.mjs serves its tools over Streamable HTTP", async () => {
    const child = spawn(process.execPath, [join(DIR, "docs-server.mjs")], { env: { ...process.env, DOCS_PORT: "0" }, stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let err = "";
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on("exit", (code) => reject(new Error(`docs-server exited (${code}): ${err}`)));
    });
    const c = new Client({ name: "example-test", version: "1" });
    await c.connect(new StreamableHTTPClientTransport(new URL(url)));
    expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual(["read_doc", "search_docs"]);
    await c.close();
  });
});
