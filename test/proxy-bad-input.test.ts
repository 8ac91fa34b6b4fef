/**
 * Bad input at `mcppolicy proxy`'s stdin (the CLI spawned as users run it; assumes dist/ is built), in
 * front of the probe fixture, which appends every line it receives to a log file. Malformed JSON, a
 * line over the size limit, a batch, duplicate keys, an unknown method, a denied call, an unknown
 * notification, a response to a request never sent: each is answered with a clear JSON-RPC error or
 * dropped; the proxy keeps running (a valid request after all of them is answered; it exits 0 when
 * stdin ends); stdout holds JSON-RPC messages only; and the log proves that nothing reached the
 * upstream that the policy did not allow.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const PROBE = join(ROOT, "test", "fixtures", "servers", "probe-server.mjs");
const dir = mkdtempSync(join(tmpdir(), "mcpp-proxy-bad-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Msg = { jsonrpc?: string; id?: unknown; result?: any; error?: { code: number; message: string }; method?: string };

describe("proxy: bad input at stdin", () => {
  it("answers or drops every bad line, keeps running, and forwards only what the policy allows", async () => {
    const policy = join(dir, "probe.mcppolicy");
    writeFileSync(policy, `policy "probe" version "1"\ndefault deny\nrole agent {\n  allow tool echo\n}\n`);
    const principal = join(dir, "agent.json");
    writeFileSync(principal, JSON.stringify({ id: "ann", roles: ["agent"] }));
    const log = join(dir, "received.jsonl");
    writeFileSync(log, "");
    const child = spawn(process.execPath, [CLI, "proxy", "--policy", policy, "--principal", principal, "--", process.execPath, PROBE], {
      env: { ...process.env, MCPP_PROBE_LOG: log },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const got: Msg[] = [];
    const rawLines: string[] = [];
    const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
    let buf = "";
    child.stdout.on("data", (c) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        rawLines.push(line);
        const m = JSON.parse(line) as Msg;
        got.push(m);
        for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
      }
    });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c.toString()));
    const raw = (line: string) => child.stdin.write(line + "\n");
    const next = (pred: (m: Msg) => boolean) =>
      new Promise<Msg>((resolve) => {
        const seen = got.find(pred);
        if (seen) resolve(seen);
        else waiters.push({ pred, resolve });
      });
    /** Sends a line whose only answer is an error with id null, and waits for that (n-th) answer. */
    let nullErrors = 0;
    const nullAnswer = async (line: string) => {
      const want = ++nullErrors;
      raw(line);
      await next(() => got.filter((m) => m.id === null).length >= want);
      return got.filter((m) => m.id === null)[want - 1]!;
    };

    raw(JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }));
    expect((await next((m) => m.id === 0)).result?.serverInfo?.name).toBe("probe-server");
    raw(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));

    // Malformed JSON: parse error, id null.
    expect((await nullAnswer("{this is not json")).error?.code).toBe(-32700);
    // A line over the 4 MiB default: discarded unread, -32012, id null.
    expect((await nullAnswer(JSON.stringify({ jsonrpc: "2.0", id: 50, method: "tools/call", params: { name: "echo", arguments: { text: "H".repeat(5 * 1024 * 1024) } } }))).error?.code).toBe(-32012);
    // A batch: refused as a whole (removed from MCP in 2025-06-18).
    const batch = await nullAnswer(JSON.stringify([{ jsonrpc: "2.0", id: 51, method: "tools/call", params: { name: "echo", arguments: { text: "in a batch" } } }]));
    expect(batch.error?.code).toBe(-32600);
    expect(batch.error?.message).toMatch(/batch/i);

    // Duplicate keys: refused (a server's parser might read the other one).
    raw('{"jsonrpc":"2.0","id":52,"method":"tools/call","params":{"name":"echo","name":"write_note","arguments":{"text":"dup"}}}');
    const dup = await next((m) => m.id === 52 || (m.id === null && got.filter((x) => x.id === null).length > nullErrors));
    expect(dup.error).toBeDefined();
    if (dup.id === null) nullErrors++;
    // An unknown method: denied, not forwarded.
    raw(JSON.stringify({ jsonrpc: "2.0", id: 53, method: "no/such/method", params: {} }));
    expect((await next((m) => m.id === 53)).error?.code).toBeLessThan(0);
    // A call the policy does not allow.
    raw(JSON.stringify({ jsonrpc: "2.0", id: 54, method: "tools/call", params: { name: "write_note", arguments: { text: "denied" } } }));
    expect((await next((m) => m.id === 54)).error?.code).toBe(-32010);
    // Not a JSON-RPC message: wrong version.
    raw(JSON.stringify({ jsonrpc: "1.0", id: 55, method: "ping" }));
    expect((await next((m) => m.id === 55)).error?.code).toBe(-32600);
    // Dropped without an answer: an unknown notification, a response to a request never sent.
    raw(JSON.stringify({ jsonrpc: "2.0", method: "notifications/made_up", params: { text: "unknown-notification" } }));
    raw(JSON.stringify({ jsonrpc: "2.0", id: "never-sent", result: { text: "stray-response" } }));
    raw("");
    raw("   ");

    // Still running: a valid call after all of that is answered.
    raw(JSON.stringify({ jsonrpc: "2.0", id: 60, method: "tools/call", params: { name: "echo", arguments: { text: "still alive" } } }));
    expect((await next((m) => m.id === 60)).result?.content).toEqual([{ type: "text", text: "still alive" }]);

    child.stdin.end();
    expect(await exited).toBe(0);

    // stdout: JSON-RPC messages only, one per line.
    for (const m of got) expect(m.jsonrpc).toBe("2.0");
    expect(got.some((m) => m.id === "never-sent")).toBe(false);
    expect(stderr).toContain("probe-server: ready");

    // What reached the upstream: only what the policy allowed (and the enforcer's own requests).
    const received = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Msg & { params?: any });
    for (const m of received) {
      const ok =
        m.method === "initialize" ||
        m.method === "notifications/initialized" ||
        m.method === "tools/list" ||
        (m.method === "tools/call" && m.params?.name === "echo");
      expect(ok, JSON.stringify(m).slice(0, 200)).toBe(true);
    }
    const text = readFileSync(log, "utf8");
    for (const never of ["HHHHHHHH", "in a batch", "dup", "no/such/method", "denied", "unknown-notification", "stray-response"]) expect(text).not.toContain(never);
    expect(received.filter((m) => m.method === "tools/call").map((m) => m.params.arguments.text)).toEqual(["still alive"]);
  });
});
