// README's "A gateway for many agents" section, run as written: the three shell commands (with `npx
// mcppolicy` as the built CLI, the example copied to a temp folder so the repository stays clean, and the
// gateway's port 8080 replaced by a free one), then the README's client snippet, unchanged but for that
// URL, as a real SDK client with the key the command printed.
// The example is copied to a temp folder under test/ (removed afterwards): the servers import the SDK.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const CLI = path.join(ROOT, "dist/cli/main.js");
const section = README.slice(README.indexOf("## A gateway for many agents"), README.indexOf("## A policy"));
const block = (lang: string, n = 0) => [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))][n]![1]!;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function waitForLine(child: ChildProcess, stream: "stdout" | "stderr", test: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`no matching line; got: ${buf}`)), 20_000);
    child[stream]!.on("data", (c: Buffer) => {
      buf += c.toString();
      for (const line of buf.split("\n")) if (test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${buf}`)));
  });
}

describe("README: a gateway in front of two upstreams in three commands", () => {
  const commands = block("sh").trim().split("\n");

  it("shows these three commands", () => {
    expect(commands).toEqual([
      "export DOCS_PORT=3001 DOCS_TOKEN=example-only && node examples/gateway/docs-server.mjs &",
      "KEY=$(npx mcppolicy keys create --file examples/gateway/keys.yaml --id alice --role editor)",
      "npx mcppolicy serve --config examples/gateway/gateway.yaml",
    ]);
  });

  it("runs them, and the client snippet lists both upstreams' tools, writes a note and is denied an internal document", async () => {
    // Inside the repository, so the example servers resolve the SDK from its node_modules.
    const dir = mkdtempSync(path.join(ROOT, "test", ".readme-gw-"));
    dirs.push(dir);
    cpSync(path.join(ROOT, "examples/gateway"), path.join(dir, "examples/gateway"), { recursive: true });
    rmSync(path.join(dir, "examples/gateway/keys.yaml"), { force: true });
    rmSync(path.join(dir, "examples/gateway/audit.jsonl"), { force: true });
    const yamlFile = path.join(dir, "examples/gateway/gateway.yaml");
    writeFileSync(yamlFile, readFileSync(yamlFile, "utf8").replace("port: 8080", "port: 0"));
    const env = { ...process.env, DOCS_PORT: String(await freePort()), DOCS_TOKEN: "example-only" };

    // 1. the HTTP upstream
    const docs = spawn(process.execPath, [path.join(dir, "examples/gateway/docs-server.mjs")], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(docs);
    // 2. the key, printed once
    const keys = spawnSync(process.execPath, [CLI, "keys", "create", "--file", "examples/gateway/keys.yaml", "--id", "alice", "--role", "editor"], { cwd: dir, env, encoding: "utf8" });
    expect(keys.status).toBe(0);
    const key = keys.stdout.trim();
    expect(key).toMatch(/^mcpp_alice_[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(path.join(dir, "examples/gateway/keys.yaml"), "utf8")).not.toContain(key.split("_").pop());
    // 3. the gateway
    const gw = spawn(process.execPath, [CLI, "serve", "--config", "examples/gateway/gateway.yaml"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(gw);
    const listening = JSON.parse(await waitForLine(gw, "stderr", (l) => l.includes('"msg":"listening"'))) as { url: string };
    await new Promise((r) => setTimeout(r, 300)); // docs-server is up by now (started first)

    // The client snippet, as written but for the URL.
    const snippet = block("ts").replace("http://127.0.0.1:8080/mcp", listening.url);
    const file = path.join(ROOT, "test", `.readme-gateway-${process.pid}.mjs`);
    writeFileSync(file, snippet);
    try {
      const run = spawnSync(process.execPath, [file], { cwd: ROOT, env: { ...env, KEY: key }, encoding: "utf8", timeout: 30_000 });
      expect(run.stderr).toBe("");
      expect(run.stdout).toContain("notes__write_note");
      expect(run.stdout).toContain("docs__read_doc");
      expect(run.stdout).toContain("-32010");
      expect(run.stdout).toMatch(/text: '[^']*plan/);
    } finally {
      rmSync(file, { force: true });
    }
    gw.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => gw.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
  });
});
