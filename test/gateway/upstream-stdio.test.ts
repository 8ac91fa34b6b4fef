// The stdio upstream link with REAL child processes: the SDK echo server (test/fixtures/servers/echo-server.mjs)
// and small inline Node programs for the misbehaviours (stderr chatter, non-JSON lines, exiting mid-call,
// never answering, ignoring the end of stdin or SIGTERM).
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { MCP_ERROR_CODES } from "../../src/mcp/index.js";
import { ECHO_FIXTURE, errorOf, Peer, textOf, upstreamConfig } from "./upstream-helpers.js";

const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.link.close()));
});

function node(script: string, over: Parameters<typeof upstreamConfig>[0] = {}, stderr?: PassThrough): Peer {
  const p = new Peer(upstreamConfig({ name: "kid", command: [process.execPath, "-e", script], ...over }), stderr ? { stderr } : undefined);
  peers.push(p);
  return p;
}

function collect(stream: PassThrough): () => string {
  let text = "";
  stream.on("data", (c: Buffer) => (text += c.toString("utf8")));
  return () => text;
}

/** Answers every request line with an empty result, after writing `before` first. */
const ANSWER_ALL = (before = "") => `
  ${before}
  const rl = require("node:readline").createInterface({ input: process.stdin });
  rl.on("line", (l) => { const m = JSON.parse(l); if (m.id !== undefined && m.method) process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: m.id, result: {} }) + "\\n"); });
`;

describe("stdio upstream", () => {
  it("talks to the SDK echo server: initialize, tools/list, tools/call; nothing is related (stdio has no streams)", async () => {
    const p = new Peer(upstreamConfig({ name: "echo", command: [process.execPath, ECHO_FIXTURE] }));
    peers.push(p);
    expect(p.link.kind).toBe("stdio");
    const init = await p.initialize();
    expect(init.result.serverInfo.name).toBe("echo-server");
    const list = await p.request("tools/list");
    expect("response" in list && list.response.result.tools.map((t: { name: string }) => t.name).sort()).toEqual(["echo", "write_note"]);
    const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => p.request("tools/call", { name: "echo", arguments: { text: `n${i}` } })));
    expect(outs.map(textOf)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    expect(p.messages.every((m) => m.related === undefined)).toBe(true);
  });

  it("passes cwd and env (ours plus the configured ones)", async () => {
    const script = ANSWER_ALL().replace("result: {}", "result: { cwd: process.cwd(), v: process.env.UP_TEST_VAR, path: typeof process.env.PATH }");
    const p = node(script, { cwd: "/tmp", env: { UP_TEST_VAR: "v1" } });
    const out = await p.request("x");
    expect("response" in out && out.response.result).toEqual({ cwd: "/tmp", v: "v1", path: "string" });
  });

  it("copies its stderr line by line, prefixed with the upstream's name; drops non-JSON lines with a note", async () => {
    const err = new PassThrough();
    const text = collect(err);
    const p = node(ANSWER_ALL(`process.stderr.write("warming up\\nsecond line\\n"); process.stdout.write("not json\\n");`), {}, err);
    expect(await p.request("x", {}, 1)).toEqual({ response: { jsonrpc: "2.0", id: 1, result: {} } });
    await until(() => text().includes("second line"));
    expect(text()).toContain("[upstream kid] warming up\n[upstream kid] second line\n");
    expect(text()).toMatch(/\[upstream kid\] dropped a line that is not JSON/);
  });

  it("a line over the size limit is dropped (reported), the next answer still arrives", async () => {
    const err = new PassThrough();
    const text = collect(err);
    const big = `process.stdout.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { data: "y".repeat(5000) } }) + "\\n");`;
    const small = new Peer(upstreamConfig({ name: "kid", command: [process.execPath, "-e", ANSWER_ALL(big)] }), { maxMessageBytes: 1000, stderr: err });
    peers.push(small);
    expect(await small.request("x", {}, 2)).toEqual({ response: { jsonrpc: "2.0", id: 2, result: {} } });
    expect(small.messages.some((m) => m.message.method === "notifications/message")).toBe(false);
    expect(text()).toMatch(/dropped a message over the size limit/);
  });

  it("exits mid-call: onClose with its exit code; the pending call resolves (closed), never hangs", async () => {
    const p = node(`process.stdin.once("data", () => process.exit(7));`);
    const out = await p.request("tools/call", { name: "x" });
    expect(out).toEqual({ closed: "the upstream process exited with code 7" });
    expect(p.closeReasons).toHaveLength(1);
    expect(errorOf(await p.request("ping")).code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
  });

  it("a command that cannot be started closes the link", async () => {
    const p = new Peer(upstreamConfig({ name: "ghost", command: ["/nonexistent/mcp-server-xyz"] }));
    peers.push(p);
    expect(await p.closed).toBe("cannot start the upstream `/nonexistent/mcp-server-xyz`: no such file or command");
  });

  it("a request not answered within requestTimeoutMs is answered -32013 and cancelled upstream", async () => {
    const err = new PassThrough();
    const text = collect(err);
    const script = `require("node:readline").createInterface({ input: process.stdin }).on("line", (l) => process.stderr.write("got " + l + "\\n"));`;
    const p = node(script, { requestTimeoutMs: 150 }, err);
    const e = errorOf(await p.request("tools/call", { name: "x" }, "t9"));
    expect(e.code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
    await until(() => text().includes('"method":"notifications/cancelled"'));
    expect(text()).toContain('"requestId":"t9"');
  });

  it("a server that does not answer initialize within connectTimeoutMs: onClose, and the process is stopped", async () => {
    const err = new PassThrough();
    const text = collect(err);
    const p = node(`process.stdin.on("end", () => { process.stderr.write("stdin ended\\n"); process.exit(0); }); process.stdin.resume();`, { connectTimeoutMs: 150 }, err);
    const out = await p.request("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } });
    expect(out).toEqual({ closed: "the upstream did not answer initialize within 150 ms" });
    await until(() => text().includes("[upstream kid] stdin ended"));
    expect(p.closeReasons).toHaveLength(1);
  });

  it("close(): a server that exits at the end of its stdin is done at once; no onClose for a requested close", async () => {
    const p = new Peer(upstreamConfig({ name: "echo", command: [process.execPath, ECHO_FIXTURE] }));
    await p.initialize();
    await p.link.close();
    expect(p.closeReasons).toEqual([]);
    expect(errorOf(await p.request("ping")).code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
  });

  it("close(): SIGTERM for a server that ignores the end of stdin; SIGKILL for one that also ignores SIGTERM", async () => {
    const err = new PassThrough();
    const text = collect(err);
    const stubborn = node(`process.stdin.resume(); process.stdin.on("end", () => {}); process.on("SIGTERM", () => process.stderr.write("ignoring SIGTERM\\n")); setInterval(() => {}, 1000);`, {}, err);
    const polite = node(`process.stdin.resume(); process.stdin.on("end", () => {}); process.on("SIGTERM", () => { process.stderr.write("bye on SIGTERM\\n"); process.exit(0); }); setInterval(() => {}, 1000);`, {}, err);
    await Promise.all([stubborn.link.close(), polite.link.close()]);
    expect(text()).toContain("[upstream kid] bye on SIGTERM");
    expect(text()).toContain("[upstream kid] ignoring SIGTERM");
    expect(stubborn.closeReasons).toEqual([]);
  }, 15_000);
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}
