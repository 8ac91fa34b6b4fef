/**
 * `mcppolicy proxy`, run as a user runs it (`node dist/cli/main.js proxy ... -- node server.js`; assumes
 * dist/ is built), in front of the official @modelcontextprotocol/server-filesystem over a temp root,
 * driven by a real SDK Client over StdioClientTransport: tools/list filtered to what the principal may
 * call, reads inside the root answered, traversal out of the root and writes denied (nothing written),
 * a `limit calls 2 by session` budget exhausted. Then, with the probe fixture, the upstream killed
 * mid-call (the pending call gets -32013); and the command line: usage errors, compile errors (the
 * server is never started), principal files, an upstream that cannot be started.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const FS_SERVER = join(ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");
const PROBE = join(ROOT, "test", "fixtures", "servers", "probe-server.mjs");

let dir = "";
let files = "";
let policyPath = "";
let principalPath = "";

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "mcpp-proxy-fs-")));
  files = join(dir, "root");
  mkdirSync(join(files, "docs"), { recursive: true });
  writeFileSync(join(files, "docs", "hello.txt"), "hello from inside the root\n");
  writeFileSync(join(dir, "outside.txt"), "SECRET outside the root\n");
  policyPath = join(dir, "fs.mcppolicy");
  writeFileSync(
    policyPath,
    `policy "proxy-fs" version "1"
default deny
const ROOT = ${JSON.stringify(files)}

role reader {
  allow tool read_text_file, list_directory, list_allowed_directories
}

tool read_text_file { args { path: path(root: ROOT), head?: integer, tail?: integer } }
tool list_directory {
  args { path: path(root: ROOT) }
  limit calls 2 by session
}
`,
  );
  principalPath = join(dir, "reader.json");
  writeFileSync(principalPath, JSON.stringify({ id: "ann", roles: ["reader"] }));
  writeFileSync(join(dir, "probe.mcppolicy"), `policy "probe" version "1"\ndefault deny\nrole agent {\n  allow tool echo, hang\n}\n`);
  writeFileSync(join(dir, "agent.json"), JSON.stringify({ id: "ann", roles: ["agent"] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function client(args: string[], env: Record<string, string> = {}): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "proxy", ...args], stderr: "pipe", env: { ...(process.env as Record<string, string>), ...env } });
  let err = "";
  transport.stderr?.on("data", (c) => (err += c.toString()));
  const c = new Client({ name: "proxy-fs-test", version: "1.0.0" });
  await c.connect(transport);
  return { client: c, stderr: () => err };
}

async function errorOf(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (e) {
    return e as McpError;
  }
  throw new Error("expected the request to fail");
}

async function outcomeOf(p: Promise<unknown>): Promise<{ result?: { isError?: boolean }; error?: McpError }> {
  try {
    return { result: (await p) as { isError?: boolean } };
  } catch (e) {
    return { error: e as McpError };
  }
}

const textOf = (r: unknown) => (((r as { content?: unknown }).content as { type: string; text?: string }[]) ?? []).map((c) => c.text ?? "").join("");

describe("proxy in front of the official filesystem server", () => {
  it("lists only the tools the principal may call, reads inside the root, denies traversal and writes", async () => {
    const { client: c } = await client(["--policy", policyPath, "--principal", principalPath, "--", process.execPath, FS_SERVER, files]);
    try {
      const names = (await c.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(["list_allowed_directories", "list_directory", "read_text_file"]);

      const read = await c.callTool({ name: "read_text_file", arguments: { path: join(files, "docs", "hello.txt") } });
      expect(read.isError).toBeFalsy();
      expect(textOf(read)).toContain("hello from inside the root");

      // Out of the root by `..`: refused (an argument fault comes back as a tool error the model can
      // read, a denial as -32010); either way the file outside is not read.
      const traversal = await outcomeOf(c.callTool({ name: "read_text_file", arguments: { path: `${files}/docs/../../outside.txt` } }));
      if (traversal.error) expect(traversal.error.code).toBe(-32010);
      else expect(traversal.result?.isError).toBe(true);
      expect(JSON.stringify(traversal)).not.toContain("SECRET");

      // A write: no role allows it.
      const write = await errorOf(c.callTool({ name: "write_file", arguments: { path: join(files, "new.txt"), content: "x" } }));
      expect(write.code).toBe(-32010);
      expect(existsSync(join(files, "new.txt"))).toBe(false);
    } finally {
      await c.close();
    }
  });

  it("exhausts `limit calls 2 by session`: the third call is refused -32011 with retry data", async () => {
    const { client: c } = await client(["--policy", policyPath, "--principal", principalPath, "--", process.execPath, FS_SERVER, files]);
    try {
      for (let i = 0; i < 2; i++) {
        const r = await c.callTool({ name: "list_directory", arguments: { path: files } });
        expect(textOf(r)).toContain("docs");
      }
      const over = await errorOf(c.callTool({ name: "list_directory", arguments: { path: files } }));
      expect(over.code).toBe(-32011);
      // Other tools are not charged against this budget.
      expect(textOf(await c.callTool({ name: "read_text_file", arguments: { path: join(files, "docs", "hello.txt") } }))).toContain("hello");
    } finally {
      await c.close();
    }
  });

  it("takes the principal from MCPPOLICY_PRINCIPAL when there is no --principal", async () => {
    const { client: c } = await client(["--policy", policyPath, "--", process.execPath, FS_SERVER, files], { MCPPOLICY_PRINCIPAL: JSON.stringify({ id: "env", roles: ["reader"] }) });
    try {
      expect((await c.listTools()).tools.length).toBe(3);
    } finally {
      await c.close();
    }
  });

  it("without a principal, says so on stderr once and the client holds no role", async () => {
    const { client: c, stderr } = await client(["--policy", policyPath, "--", process.execPath, FS_SERVER, files], { MCPPOLICY_PRINCIPAL: "" });
    try {
      expect((await errorOf(c.callTool({ name: "read_text_file", arguments: { path: join(files, "docs", "hello.txt") } }))).code).toBe(-32010);
      expect(stderr().match(/holds no role/g)).toHaveLength(1);
    } finally {
      await c.close();
    }
  });
});

describe("proxy: the upstream dies mid-call", () => {
  it("answers the pending call -32013 and exits with 128+9", async () => {
    const policy = join(dir, "probe.mcppolicy");
    const principal = join(dir, "agent.json");
    const pidFile = join(dir, "probe.pid");
    const log = join(dir, "probe.log");
    const child = spawn(process.execPath, [CLI, "proxy", "--policy", policy, "--principal", principal, "--", process.execPath, PROBE], {
      env: { ...process.env, MCPP_PROBE_PID: pidFile, MCPP_PROBE_LOG: log },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const answers = new Map<unknown, { error?: { code: number } }>();
    let buf = "";
    const waiting = new Map<unknown, (m: unknown) => void>();
    child.stdout.on("data", (c) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const m = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        answers.set(m.id, m);
        waiting.get(m.id)?.(m);
      }
    });
    const request = (id: number, method: string, params: unknown) => {
      child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
      return new Promise<{ error?: { code: number } }>((resolve) => (answers.has(id) ? resolve(answers.get(id)!) : waiting.set(id, resolve as never)));
    };
    await request(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } });
    child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
    const pending = request(1, "tools/call", { name: "hang", arguments: {} });
    await new Promise<void>((resolve) => {
      const poll = () => (existsSync(log) && readFileSync(log, "utf8").includes('"hang"') ? resolve() : setTimeout(poll, 20));
      poll();
    });
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
    expect((await pending).error?.code).toBe(-32013);
    expect(await exited).toBe(137);
  });
  it("passes SIGTERM on to the upstream and exits 128+15 once it is gone", async () => {
    const policy = join(dir, "probe.mcppolicy");
    const principal = join(dir, "agent.json");
    const pidFile = join(dir, "probe-term.pid");
    const child = spawn(process.execPath, [CLI, "proxy", "--policy", policy, "--principal", principal, "--", process.execPath, PROBE], {
      env: { ...process.env, MCPP_PROBE_PID: pidFile },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let err = "";
    const ready = new Promise<void>((resolve) => child.stderr.on("data", (c) => ((err += c.toString()), err.includes("probe-server: ready") && resolve())));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await ready;
    const upstream = Number(readFileSync(pidFile, "utf8"));
    child.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(() => process.kill(upstream, 0)).toThrow();
  });
});

describe("proxy: the command line", () => {
  const run = (args: string[], env: Record<string, string | undefined> = {}) =>
    spawnSync(process.execPath, [CLI, "proxy", ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000, input: "", env: { ...process.env, ...env } });

  it("needs `--` and a command, and --policy (exit 2, nothing on stdout)", () => {
    for (const args of [["--policy", policyPath], ["--policy", policyPath, "--"], ["--", process.execPath, PROBE], ["--policy", policyPath, "extra", "--", "x"]]) {
      const r = run(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^mcppolicy: /);
    }
  });

  it("rejects an unknown flag and a bad --encoding with exit 2", () => {
    expect(run(["--polcy", policyPath, "--", "x"]).stderr).toMatch(/did you mean '--policy'/);
    expect(run(["--policy", policyPath, "--encoding", "gpt2", "--", "x"]).status).toBe(2);
  });

  it("prints the diagnostics of a policy with errors, exits 1 and never starts the server", () => {
    const broken = join(dir, "broken.mcppolicy");
    writeFileSync(broken, `policy "broken"\ndefault deny\nrole r { allow tool x when principal.idd == "a" }\n`);
    const pidFile = join(dir, "never.pid");
    const r = run(["--policy", broken, "--principal", principalPath, "--", process.execPath, PROBE], { MCPP_PROBE_PID: pidFile });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/error\[E\d+\]/);
    expect(r.stderr).toMatch(/the server was not started/);
    expect(existsSync(pidFile)).toBe(false);
  });

  it("refuses a malformed principal file or MCPPOLICY_PRINCIPAL with a clear message (exit 2)", () => {
    const bad = join(dir, "bad-principal.json");
    for (const [text, message] of [
      ['{"id": "a", "roles": "admin"}', /invalid principal/],
      ['{"id": "a", "role": ["admin"]}', /unknown key `role`/],
      ["[1]", /must hold a JSON object/],
      ['{"id": "a", "id": "b"}', /invalid principal JSON/],
    ] as const) {
      writeFileSync(bad, text);
      const r = run(["--policy", policyPath, "--principal", bad, "--", process.execPath, PROBE]);
      expect(r.status, text).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const env = run(["--policy", policyPath, "--", process.execPath, PROBE], { MCPPOLICY_PRINCIPAL: "{not json" });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/MCPPOLICY_PRINCIPAL/);
  });

  it("exits 127 with a clear message when the server's command does not exist", () => {
    const r = run(["--policy", policyPath, "--principal", principalPath, "--", join(dir, "no-such-server")]);
    expect(r.status).toBe(127);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/cannot start the upstream server/);
  });

  it("refuses a --store that is not a redis:// URL", () => {
    const r = run(["--policy", policyPath, "--store", "http://localhost:6379", "--", process.execPath, PROBE]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/redis:\/\//);
  });

  it("shows its help", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: mcppolicy proxy --policy FILE/);
  });
});

describe("the catalog rule through the proxy: annotations come from the server", () => {
  it("decides a call made before any tools/list on the server's own annotations", async () => {
    const annotated = join(dir, "annotated.mcppolicy");
    writeFileSync(annotated, `policy "by-annotations" version "1"\ndefault deny\nrole reader {\n  allow tool "*" when annotations.readOnlyHint\n}\n`);
    const { client: c } = await client(["--policy", annotated, "--principal", principalPath, "--", process.execPath, FS_SERVER, files]);
    try {
      // No listTools first: the proxy pinned the server's catalog after initialize.
      const read = await c.callTool({ name: "read_text_file", arguments: { path: join(files, "docs", "hello.txt") } });
      expect(read.isError).toBeFalsy();
      expect(textOf(read)).toContain("hello from inside the root");
      // write_file is not read-only by the server's annotations: denied, and nothing is written.
      const write = await outcomeOf(c.callTool({ name: "write_file", arguments: { path: join(files, "new.txt"), content: "x" } }));
      expect(write.error?.code).toBe(-32010);
      expect(existsSync(join(files, "new.txt"))).toBe(false);
      // A tool the server does not have is decided on the spec's defaults (not read-only): denied before it reaches the server.
      const unknown = await outcomeOf(c.callTool({ name: "no_such_tool", arguments: {} }));
      expect(unknown.error?.code).toBe(-32010);
    } finally {
      await c.close();
    }
  });
});
