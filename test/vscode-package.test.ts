/**
 * The VS Code extension as it ships: editors/vscode/build.mjs (tsc, esbuild, `vsce package`) builds a .vsix
 * into a temporary directory; the .vsix (a zip, read here by its central directory) holds the manifest, the
 * grammars, the language configuration and the bundle, and the bundle requires nothing but `vscode` and
 * node builtins. The client's launch logic (editors/vscode/src/launch.ts) picks the server from the
 * setting, the workspace's node_modules/.bin or PATH, on real directories; and the command it picks,
 * started with `lsp --stdio`, answers an LSP `initialize` (only once `mcppolicy lsp` exists in dist/).
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isExecutableFile, resolveServer, SERVER_ARGS } from "../editors/vscode/src/launch.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const VERSION: string = JSON.parse(readFileSync(join(ROOT, "editors", "vscode", "package.json"), "utf8")).version;
const temps: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), "mcppolicy-vscode-"));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** The entries of a zip file, by name, read through its central directory. */
function unzip(zip: Buffer): Map<string, () => Buffer> {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error("not a zip: no end of central directory");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, () => Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const [nameLen, extraLen, commentLen] = [zip.readUInt16LE(at + 28), zip.readUInt16LE(at + 30), zip.readUInt16LE(at + 32)];
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLen);
    out.set(name, () => {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 8 ? inflateRawSync(data) : Buffer.from(data);
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe("the .vsix", () => {
  let entries: Map<string, () => Buffer>;
  beforeAll(() => {
    const out = temp();
    const r = spawnSync(process.execPath, [join(ROOT, "editors", "vscode", "build.mjs"), "--out-dir", out], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    entries = unzip(readFileSync(join(out, `mcppolicy-${VERSION}.vsix`)));
  }, 180_000);

  it("holds the manifest, both grammars, the language configuration and the bundle, and no sources", () => {
    for (const name of ["extension/package.json", "extension/syntaxes/mcppolicy.tmLanguage.json", "extension/syntaxes/mcppolicy.markdown.tmLanguage.json", "extension/language-configuration.json", "extension/dist/extension.js", "extension.vsixmanifest"]) {
      expect([...entries.keys()], name).toContain(name);
    }
    expect([...entries.keys()].filter((n) => n.endsWith(".ts") || n.includes("node_modules/"))).toEqual([]);
    const manifest = JSON.parse(entries.get("extension/package.json")!().toString("utf8"));
    expect(manifest.main).toMatch(/^\.\/dist\/extension\.js$/); // the bundle, not a source file
    expect(manifest.contributes.languages[0].extensions).toEqual([".mcppolicy"]);
    // The grammars the manifest points at are the ones packaged, byte for byte.
    for (const g of manifest.contributes.grammars) {
      const packaged = entries.get(`extension/${g.path.replace(/^\.\//, "")}`)!().toString("utf8");
      expect(JSON.parse(packaged).scopeName).toBe(g.scopeName);
      expect(packaged).toBe(readFileSync(join(ROOT, "editors", "vscode", g.path), "utf8"));
    }
  });

  it("bundles the language client: the extension requires only vscode and node builtins", () => {
    const js = entries.get("extension/dist/extension.js")!().toString("utf8");
    const required = new Set([...js.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!));
    expect(required.has("vscode")).toBe(true);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    expect([...required].filter((m) => m !== "vscode" && !builtins.has(m))).toEqual([]);
    expect(js).toContain("lsp");
  });
});

describe("which server the extension starts", () => {
  /** A workspace whose node_modules/.bin/mcppolicy links to this project's CLI, as npm links a bin. */
  function workspace(): string {
    const ws = temp();
    mkdirSync(join(ws, "node_modules", ".bin"), { recursive: true });
    chmodSync(CLI, 0o755); // npm makes a bin's target executable when it links it
    symlinkSync(CLI, join(ws, "node_modules", ".bin", "mcppolicy"));
    return ws;
  }

  it("takes the workspace's node_modules/.bin/mcppolicy before PATH", () => {
    const ws = workspace();
    const other = temp();
    const launch = resolveServer({ workspaceFolders: [other, ws], envPath: "/usr/bin:/bin", platform: "linux" });
    expect(launch).toEqual({ ok: true, command: join(ws, "node_modules", ".bin", "mcppolicy"), args: ["lsp", "--stdio"], source: "workspace", shell: false });
  });

  it("never runs the workspace's own executable in an untrusted workspace", () => {
    const ws = workspace();
    const launch = resolveServer({ workspaceFolders: [ws], envPath: temp(), platform: "linux", trusted: false });
    expect(launch).toEqual({ ok: false, message: expect.stringContaining("not used until you trust the workspace") });
    const trusted = resolveServer({ workspaceFolders: [ws], envPath: temp(), platform: "linux", trusted: true });
    expect(trusted.ok && trusted.source).toBe("workspace");
  });

  it("takes the setting first, a relative one from the first workspace folder", () => {
    const ws = workspace();
    const launch = resolveServer({ configuredPath: "node_modules/.bin/mcppolicy", workspaceFolders: [ws], platform: "linux" });
    expect(launch.ok && launch.source).toBe("setting");
    expect(launch.ok && launch.command).toBe(join(ws, "node_modules", ".bin", "mcppolicy"));
  });

  it("says which setting is wrong when it names no executable, without looking elsewhere", () => {
    const ws = workspace();
    const launch = resolveServer({ configuredPath: join(ws, "nope"), workspaceFolders: [ws], platform: "linux" });
    expect(launch).toEqual({ ok: false, message: expect.stringContaining(`\`${join(ws, "nope")}\` (setting mcppolicy.server.path) is not an executable file`) });
    const dir = resolveServer({ configuredPath: join(ws, "node_modules"), workspaceFolders: [ws], platform: "linux" });
    expect(dir.ok).toBe(false);
  });

  it("falls back to an executable mcppolicy on PATH, and skips one that is not executable", () => {
    const [a, b] = [temp(), temp()];
    writeFileSync(join(a, "mcppolicy"), "#!/bin/sh\n", { mode: 0o644 });
    writeFileSync(join(b, "mcppolicy"), "#!/bin/sh\n", { mode: 0o755 });
    const launch = resolveServer({ workspaceFolders: [temp()], envPath: `${a}:${b}`, platform: "linux" });
    expect(launch.ok && [launch.source, launch.command]).toEqual(["path", join(b, "mcppolicy")]);
  });

  it("explains how to install the server when there is none", () => {
    const launch = resolveServer({ workspaceFolders: [temp()], envPath: temp(), platform: "linux" });
    expect(launch).toEqual({ ok: false, message: expect.stringContaining("npm install --save-dev mcppolicy") });
    expect(resolveServer({ workspaceFolders: [], envPath: undefined, platform: "linux" }).ok).toBe(false);
  });

  it("never throws: any settings and folders give an executable file or a message for the user", () => {
    const ws = workspace();
    const text = fc.oneof(fc.string(), fc.constantFrom("", " ", "\0", "~", ".", "..", "node_modules/.bin/mcppolicy", ws, join(ws, "node_modules", ".bin", "mcppolicy")));
    fc.assert(
      fc.property(fc.option(text, { nil: undefined }), fc.array(text, { maxLength: 3 }), fc.option(text, { nil: undefined }), fc.boolean(), fc.constantFrom("linux", "win32", "darwin") as fc.Arbitrary<NodeJS.Platform>, (configuredPath, workspaceFolders, envPath, trusted, platform) => {
        const launch = resolveServer({ configuredPath, workspaceFolders, envPath, trusted, platform });
        if (launch.ok) {
          expect(isExecutableFile(launch.command, platform)).toBe(true);
          expect(launch.args).toEqual(["lsp", "--stdio"]);
        } else expect(launch.message).toMatch(/^mcppolicy: \S/);
      }),
    );
  });

  it("refuses a relative setting with no workspace folder to read it from", () => {
    expect(resolveServer({ configuredPath: "bin/mcppolicy", workspaceFolders: [], platform: "linux" })).toEqual({ ok: false, message: expect.stringContaining("no workspace folder is open") });
  });

  const hasLsp = spawnSync(process.execPath, [CLI, "lsp", "--help"], { encoding: "utf8" }).status === 0;
  it.runIf(hasLsp)("starts a server that answers LSP initialize over stdio", async () => {
    const ws = workspace();
    const launch = resolveServer({ workspaceFolders: [ws], envPath: "", platform: process.platform });
    if (!launch.ok) throw new Error(launch.message);
    expect(launch.args).toEqual(SERVER_ARGS);
    const child = spawn(launch.command, [...launch.args], { cwd: ws, stdio: ["pipe", "pipe", "pipe"] });
    try {
      const send = (msg: object) => {
        const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...msg }), "utf8");
        child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
        child.stdin.write(body);
      };
      const response = new Promise<{ id: number; result?: { capabilities?: object } }>((resolve, reject) => {
        let buf = Buffer.alloc(0);
        child.stdout.on("data", (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          for (;;) {
            const head = buf.indexOf("\r\n\r\n");
            if (head < 0) return;
            const len = Number(/Content-Length: *(\d+)/i.exec(buf.toString("ascii", 0, head))?.[1]);
            if (buf.length < head + 4 + len) return;
            const msg = JSON.parse(buf.toString("utf8", head + 4, head + 4 + len));
            buf = buf.subarray(head + 4 + len);
            if (msg.id === 1) resolve(msg);
          }
        });
        child.on("exit", (code) => reject(new Error(`the server exited (${code}) before answering`)));
      });
      send({ id: 1, method: "initialize", params: { processId: process.pid, rootUri: null, capabilities: {} } });
      const answer = await response;
      expect(answer.result?.capabilities).toBeTypeOf("object");
      send({ method: "initialized", params: {} });
      send({ id: 2, method: "shutdown" });
      send({ method: "exit" });
    } finally {
      child.kill();
    }
  }, 30_000);
});
