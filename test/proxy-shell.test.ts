/**
 * The stdio proxy's shell (src/adapters/stdio-proxy.ts), run in-process with the real enforcer and a real
 * engine, in front of a real SDK server over stdio (test/fixtures/servers/probe-server.mjs): the child's
 * lifetime and exit codes (its code, 128+signal, 127 when it cannot start), stderr passed through, stdin
 * EOF ending the upstream, a client that went away (EPIPE), over-long lines answered -32012 without
 * reaching the upstream, and pending calls answered -32013 when the upstream dies mid-call.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { compilePolicy, createEngine } from "../src/index.js";
import { runStdioProxy } from "../src/adapters/stdio-proxy.js";
import { readLines } from "../src/adapters/line-reader.js";

const ROOT = join(import.meta.dirname, "..");
const PROBE = join(ROOT, "test", "fixtures", "servers", "probe-server.mjs");
const POLICY = `policy "shell" version "1"
default deny
role agent {
  allow tool echo, hang, exit
}
`;
const dir = mkdtempSync(join(tmpdir(), "mcpp-shell-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Msg = { id?: unknown; result?: any; error?: { code: number; message: string; data?: unknown }; method?: string };

let n = 0;
function start(options: { command?: string; stdout?: Writable; maxMessageBytes?: number } = {}) {
  const tag = String(++n);
  const log = join(dir, `received-${tag}.jsonl`);
  const pidFile = join(dir, `pid-${tag}`);
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let errText = "";
  stderr.on("data", (c) => (errText += c.toString()));
  const got: Msg[] = [];
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  readLines(stdout, {
    maxLineBytes: 1 << 24,
    onLine: (l) => {
      const m = JSON.parse(l) as Msg;
      got.push(m);
      for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
    },
  });
  const engine = createEngine(compilePolicy(POLICY));
  const exit = runStdioProxy({
    command: options.command ?? process.execPath,
    args: options.command ? [] : [PROBE],
    env: { ...process.env, MCPP_PROBE_LOG: log, MCPP_PROBE_PID: pidFile },
    enforcer: { engine, identify: () => ({ principal: { id: "ann", roles: ["agent"] }, session: { id: "s-" + tag } }), maxMessageBytes: options.maxMessageBytes },
    stdin,
    stdout: options.stdout ?? stdout,
    stderr,
    exitTimeoutMs: 3000,
  });
  const send = (m: unknown) => stdin.write(JSON.stringify(m) + "\n");
  const next = (pred: (m: Msg) => boolean) =>
    new Promise<Msg>((resolve) => {
      const seen = got.find(pred);
      if (seen) resolve(seen);
      else waiters.push({ pred, resolve });
    });
  const request = (id: number, method: string, params?: unknown) => {
    send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    return next((m) => m.id === id);
  };
  const init = async () => {
    const r = await request(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "shell-test", version: "1" } });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return r;
  };
  return { stdin, exit, send, next, request, init, log, pidFile, got, stderr: () => errText };
}

describe("stdio proxy shell", () => {
  it("answers 127 with a clear message when the upstream command does not exist", async () => {
    const p = start({ command: join(dir, "no-such-server") });
    expect(await p.exit).toBe(127);
    expect(p.stderr()).toMatch(/cannot start the upstream server .*no-such-server.*no such file/);
    expect(p.got).toEqual([]);
  });

  it("relays a call, passes the upstream's stderr through, and exits 0 when stdin ends", async () => {
    const p = start();
    const init = await p.init();
    expect(init.result?.serverInfo?.name).toBe("probe-server");
    const r = await p.request(1, "tools/call", { name: "echo", arguments: { text: "hi" } });
    expect(r.result?.content).toEqual([{ type: "text", text: "hi" }]);
    p.stdin.end();
    expect(await p.exit).toBe(0);
    expect(p.stderr()).toContain("probe-server: ready");
  });

  it("exits with the upstream's code when it exits mid-call, and answers the pending call -32013", async () => {
    const p = start();
    await p.init();
    const r = await p.request(1, "tools/call", { name: "exit", arguments: { code: 3 } });
    expect(r.error?.code).toBe(-32013);
    expect(await p.exit).toBe(3);
  });

  it("exits 128+9 when the upstream is killed by SIGKILL mid-call", async () => {
    const p = start();
    await p.init();
    const pending = p.request(1, "tools/call", { name: "hang", arguments: {} });
    // The call has reached the upstream before it is killed.
    await new Promise<void>((resolve) => {
      const poll = () => (existsSync(p.log) && readFileSync(p.log, "utf8").includes('"hang"') ? resolve() : setTimeout(poll, 20));
      poll();
    });
    process.kill(Number(readFileSync(p.pidFile, "utf8")), "SIGKILL");
    expect((await pending).error?.code).toBe(-32013);
    expect(await p.exit).toBe(137);
  });

  it("answers an over-long line -32012 with id null, never passes it on, and keeps going", async () => {
    const p = start({ maxMessageBytes: 1000 });
    await p.init();
    p.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "echo", arguments: { text: "x".repeat(5000) } } }) + "\n");
    const tooLarge = await p.next((m) => m.error?.code === -32012);
    expect(tooLarge.id).toBeNull();
    const r = await p.request(6, "tools/call", { name: "echo", arguments: { text: "after" } });
    expect(r.result?.content).toEqual([{ type: "text", text: "after" }]);
    p.stdin.end();
    expect(await p.exit).toBe(0);
    const received = readFileSync(p.log, "utf8");
    expect(received).not.toContain("xxxxxxxxxx");
    expect(received).toContain('"after"');
  });

  it("stops the upstream when the client's side fails (EPIPE on stdout) and exits with its code", async () => {
    let writes = 0;
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        writes++;
        cb(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    const p = start({ stdout: broken });
    p.send({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    expect(await p.exit).toBe(0);
    expect(writes).toBeGreaterThan(0);
    expect(p.stderr()).toMatch(/client's side closed/);
  });
});
