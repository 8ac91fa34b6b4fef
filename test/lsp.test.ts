/**
 * The language server, driven as an editor drives it: `node dist/cli/main.js lsp --stdio` in a child
 * process, a JSON-RPC connection over its stdin/stdout (vscode-jsonrpc), initialize / initialized /
 * didOpen / didChange like VS Code. Asserts what an editor would show: published diagnostics with the
 * compiler's codes and ranges (and their clearing), hover texts, definitions and references across an
 * import, completion lists, rename edits that compile and decide as before, empty answers to bad
 * requests, and a clean exit. Assumes dist/ is built.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { TextDocument, type TextEdit } from "vscode-languageserver-textdocument";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";
import { KEYWORD_DOCS, KEYWORDS, TYPE_DOCS } from "../src/lsp/words.js";
import { TYPE_NAMES } from "../src/check/arg-types.js";
import { nameText } from "../src/syntax/name-text.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist", "cli", "main.js");

const MAIN = `policy "t" version "1"
default deny
import "./shared.mcppolicy"

set allowed_hosts: string = ["api.github.com", "example.com"]

role developer {
  member when principal.id in admins
  allow "dev-reads" tool read_file
  allow tool fetch when args.host in allowed_hosts
  limit calls 10 per minute by principal
}

role lead includes developer {
  allow tool write_file
}

tool fetch {
  args {
    host: string
    depth: number
  }
}
`;
const SHARED = `set admins: string = ["alice", "bob"]
`;

interface PublishedDiagnostics {
  uri: string;
  diagnostics: { code?: string; message: string; source?: string; severity?: number; range: { start: { line: number; character: number }; end: { line: number; character: number } } }[];
}

class Client {
  readonly proc: ChildProcess;
  readonly conn: MessageConnection;
  readonly published: PublishedDiagnostics[] = [];
  readonly logs: string[] = [];
  private waiters: (() => void)[] = [];
  private versions = new Map<string, number>();

  constructor() {
    this.proc = spawn(process.execPath, [CLI, "lsp", "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onNotification("textDocument/publishDiagnostics", (p: PublishedDiagnostics) => {
      this.published.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
    this.conn.onNotification("window/logMessage", (p: { message: string }) => {
      this.logs.push(p.message);
    });
    this.conn.listen();
  }

  async start(): Promise<void> {
    const r = await this.conn.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
    expect(r.capabilities.hoverProvider).toBe(true);
    await this.conn.sendNotification("initialized", {});
  }

  async open(uri: string, text: string): Promise<void> {
    this.versions.set(uri, 1);
    await this.conn.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "mcppolicy", version: 1, text } });
  }

  async change(uri: string, text: string): Promise<void> {
    const v = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, v);
    await this.conn.sendNotification("textDocument/didChange", { textDocument: { uri, version: v }, contentChanges: [{ text }] });
  }

  /** The first diagnostics for `uri` published from now on that satisfy `ok`. */
  async diagnostics(uri: string, ok: (d: PublishedDiagnostics) => boolean = () => true, from = this.published.length): Promise<PublishedDiagnostics> {
    for (;;) {
      const hit = this.published.slice(from).find((p) => p.uri === uri && ok(p));
      if (hit) return hit;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no diagnostics for ${uri}`)), 10_000);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest<R>(method, params);
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.proc.on("exit", (code) => resolve(code)));
    await this.request("shutdown", null);
    await this.conn.sendNotification("exit");
    const code = await exited;
    this.conn.dispose();
    return code;
  }
}

let dir: string;
let mainUri: string;
let sharedUri: string;
let client: Client;

/** The position of the `n`th (0-based) occurrence of `needle` in `text`, `shift` characters into it. */
function pos(text: string, needle: string, shift = 0, n = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= n; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`no ${needle}`);
  return TextDocument.create("x:", "", 0, text).positionAt(at + shift);
}
/** Like pos, for `needle` not followed by a name character (`in a` is not the start of `in allowed_hosts`). */
function wordPos(text: string, needle: string, shift: number): { line: number; character: number } {
  const m = new RegExp(`${needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`).exec(text);
  if (!m) throw new Error(`no ${needle}`);
  return TextDocument.create("x:", "", 0, text).positionAt(m.index + shift);
}
const doc = (uri: string) => ({ textDocument: { uri } });
const hoverText = async (uri: string, text: string, needle: string, shift = 1): Promise<string> => {
  const h = await client.request<{ contents: { value: string } } | null>("textDocument/hover", { ...doc(uri), position: pos(text, needle, shift) });
  return h?.contents.value ?? "";
};
const labels = async (uri: string, text: string): Promise<string[]> => {
  const at = text.indexOf("|");
  await client.change(uri, text.replace("|", ""));
  const items = await client.request<{ label: string }[]>("textDocument/completion", { ...doc(uri), position: pos(text, "|") });
  expect(at).toBeGreaterThanOrEqual(0);
  return items.map((i) => i.label);
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-lsp-"));
  writeFileSync(path.join(dir, "main.mcppolicy"), MAIN);
  writeFileSync(path.join(dir, "shared.mcppolicy"), SHARED);
  writeFileSync(path.join(dir, "tools.json"), JSON.stringify({ tools: [{ name: "list_issues", description: "List issues" }, { name: "create_issue" }] }));
  mainUri = pathToFileURL(path.join(dir, "main.mcppolicy")).href;
  sharedUri = pathToFileURL(path.join(dir, "shared.mcppolicy")).href;
  client = new Client();
  await client.start();
  await client.open(mainUri, MAIN);
  await client.diagnostics(mainUri);
});

afterAll(async () => {
  if (client.proc.exitCode === null) client.proc.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("mcppolicy lsp: command line", () => {
  it("refuses a missing --stdio and an unknown flag with exit 2", () => {
    for (const args of [["lsp"], ["lsp", "--stdio", "--tcp"], ["lsp", "--stdio", "x"]]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", input: "" });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^mcppolicy: /);
      expect(r.stdout).toBe("");
    }
    const help = spawnSync(process.execPath, [CLI, "lsp", "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: mcppolicy lsp --stdio");
  });
});

describe("mcppolicy lsp: diagnostics", () => {
  it("publishes the compiler's diagnostics with code and range, and clears them after a fix", async () => {
    const broken = MAIN.replace("includes developer", "includes develper");
    const from = client.published.length;
    await client.change(mainUri, broken);
    const bad = await client.diagnostics(mainUri, (p) => p.diagnostics.length > 0, from);
    const d = bad.diagnostics.find((x) => x.code === "E0101");
    expect(d, JSON.stringify(bad.diagnostics)).toBeDefined();
    expect(d!.source).toBe("mcppolicy");
    expect(d!.severity).toBe(1);
    expect(d!.range.start).toEqual(pos(broken, "develper"));
    expect(d!.range.end).toEqual(pos(broken, "develper", "develper".length));
    expect(d!.message).toContain("hint: ");
    const again = client.published.length;
    await client.change(mainUri, MAIN);
    const fixed = await client.diagnostics(mainUri, () => true, again);
    expect(fixed.diagnostics).toEqual([]);
  });

  it("reports a syntax error with its code and still answers from the declarations it recovered", async () => {
    const broken = MAIN.replace("allow tool write_file", "allow tool write_file when (");
    const from = client.published.length;
    await client.change(mainUri, broken);
    const bad = await client.diagnostics(mainUri, (p) => p.diagnostics.length > 0, from);
    expect(bad.diagnostics.map((x) => x.code)).toContain("E0003");
    expect(await hoverText(mainUri, broken, "allowed_hosts", 2, )).toContain("api.github.com");
    await client.change(mainUri, MAIN);
  });

  it("debounces: a burst of changes is checked once, for its last text", async () => {
    const from = client.published.length;
    for (let i = 0; i < 5; i++) await client.change(mainUri, MAIN.replace("includes developer", i < 4 ? `includes dev${i}` : "includes developer"));
    await client.diagnostics(mainUri, () => true, from);
    await new Promise((r) => setTimeout(r, 400));
    const mine = client.published.slice(from).filter((p) => p.uri === mainUri);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.diagnostics).toEqual([]);
  });

  it("checks an untitled buffer (no file: its imports cannot be read, and say so)", async () => {
    const uri = "untitled:Untitled-1";
    const from = client.published.length;
    await client.open(uri, `policy "u" version "1"\nimport "./x.mcppolicy"\nrole r {\n  allow tool t\n}\n`);
    const d = await client.diagnostics(uri, () => true, from);
    expect(d.diagnostics.map((x) => x.code)).toEqual(["E0106"]);
    await client.conn.sendNotification("textDocument/didClose", { textDocument: { uri } });
  });

  it("reads an import from its unsaved buffer before the disk", async () => {
    await client.open(sharedUri, SHARED);
    const from = client.published.length;
    await client.change(sharedUri, `set admins: string = ["alice", "bob"]\nset admins: string = ["carol"]\n`);
    const d = await client.diagnostics(mainUri, (p) => p.diagnostics.length > 0, from);
    expect(d.diagnostics[0]!.code).toBe("E0103");
    expect(d.diagnostics[0]!.message).toMatch(/^in shared\.mcppolicy: /);
    const back = client.published.length;
    await client.change(sharedUri, SHARED);
    expect((await client.diagnostics(mainUri, () => true, back)).diagnostics).toEqual([]);
  });
});

describe("mcppolicy lsp: hover", () => {
  it("has a line for every keyword of the lexer, and none for a word that is not one", () => {
    expect(KEYWORDS.length).toBeGreaterThan(40);
    expect(KEYWORDS.filter((k) => !KEYWORD_DOCS[k])).toEqual([]);
    expect(Object.keys(KEYWORD_DOCS).filter((k) => !KEYWORDS.includes(k))).toEqual([]);
  });

  it("explains a set, a role, a rule, a tool argument, a budget, an attribute and a keyword", async () => {
    await client.change(mainUri, MAIN);
    const set = await hoverText(mainUri, MAIN, "in allowed_hosts", 4);
    expect(set).toContain("**set** `allowed_hosts`");
    expect(set).toContain('"example.com"');
    const imported = await hoverText(mainUri, MAIN, "in admins", 4);
    expect(imported).toContain('"alice", "bob"');
    const role = await hoverText(mainUri, MAIN, "includes developer", 10);
    expect(role).toContain("**role** `developer`");
    expect(role).toContain("allow tool read_file (rule `dev-reads`)");
    expect(role).toContain("allow tool fetch (rule `developer/2`)");
    expect(await hoverText(mainUri, MAIN, "allow tool write_file", 1)).toContain("rule `lead/1`");
    expect(await hoverText(mainUri, MAIN, "args.host", 6)).toContain("**argument** `host` of tool `fetch`: string");
    const budget = await hoverText(mainUri, MAIN, "limit calls", 8);
    expect(budget).toContain("**budget** (role developer): calls 10 per minute");
    expect(budget).toContain("by principal");
    expect(await hoverText(mainUri, MAIN, "principal.id", 11)).toContain("**attribute** `principal.id`: string");
    expect(await hoverText(mainUri, MAIN, "default deny", 2)).toMatch(/^\*\*default\*\* — /);
  });

  it("explains an argument type in an args block, with its parameters; a field name is not a type", async () => {
    expect(Object.keys(TYPE_DOCS).sort()).toEqual([...TYPE_NAMES].sort()); // a line for every type the checker knows
    const withTypes = MAIN.replace("host: string", 'host: url(schemes: ["https"], hosts: allowed_hosts)').replace("depth: number", "depth: array(integer | string)");
    await client.change(mainUri, withTypes);
    const url = await hoverText(mainUri, withTypes, "url(", 1);
    expect(url).toMatch(/^\*\*type\*\* `url`: a URL /);
    expect(url).toContain("parameters: schemes, hosts, deny");
    expect(await hoverText(mainUri, withTypes, "array(", 1)).toContain("parameters: minItems, maxItems");
    expect(await hoverText(mainUri, withTypes, "integer |", 1)).toMatch(/^\*\*type\*\* `integer`: a whole number/);
    expect(await hoverText(mainUri, withTypes, "| string", 3)).toMatch(/^\*\*type\*\* `string`/);
    expect(await hoverText(mainUri, withTypes, "host: url", 1)).not.toContain("**type**");
    await client.change(mainUri, MAIN);
  });
});

describe("mcppolicy lsp: definition and references", () => {
  it("goes from a use in one file to the declaration in the imported file, and from the import to the file", async () => {
    const defs = await client.request<{ uri: string; range: { start: unknown } }[]>("textDocument/definition", { ...doc(mainUri), position: pos(MAIN, "in admins", 4) });
    expect(defs).toEqual([{ uri: sharedUri, range: { start: pos(SHARED, "admins"), end: pos(SHARED, "admins", 6) } }]);
    const imp = await client.request<{ uri: string }[]>("textDocument/definition", { ...doc(mainUri), position: pos(MAIN, "./shared", 2) });
    expect(imp.map((l) => l.uri)).toEqual([sharedUri]);
  });

  it("finds every reference, across files, with or without the declaration", async () => {
    const refs = await client.request<{ uri: string }[]>("textDocument/references", { ...doc(sharedUri), position: pos(SHARED, "admins", 1), context: { includeDeclaration: true } });
    expect(refs.map((r) => r.uri).sort()).toEqual([mainUri, sharedUri].sort());
    const roles = await client.request<unknown[]>("textDocument/references", { ...doc(mainUri), position: pos(MAIN, "developer", 1), context: { includeDeclaration: false } });
    expect(roles).toHaveLength(1);
  });
});

describe("mcppolicy lsp: completion", () => {
  it("offers keywords, attributes, set and role names, the tool's arguments and tools.json names", async () => {
    expect(await labels(mainUri, MAIN + "|")).toEqual(expect.arrayContaining(["role", "tool", "set", "import"]));
    expect(await labels(mainUri, MAIN.replace("principal.id in", "principal.|id in"))).toEqual(expect.arrayContaining(["id", "scopes", "claims"]));
    expect(await labels(mainUri, MAIN.replace("args.host in", "args.| in"))).toEqual(["host", "depth"]);
    // `result.|` in a result block: the CallToolResult's fields and `structured` (field labels read it).
    expect(await labels(mainUri, `${MAIN}result of tool fetch {\n  label known on item.to for item in result.|\n}\n`)).toEqual(["structured", "structuredContent", "content", "isError"]);
    expect(await labels(mainUri, MAIN.replace("args.host in allowed_hosts", "args.host in |"))).toEqual(expect.arrayContaining(["allowed_hosts", "admins"]));
    // `role lead includes |`: the other roles, not `lead` itself (a role cannot include itself).
    expect(await labels(mainUri, MAIN.replace("includes developer", "includes |"))).toEqual(["developer"]);
    const tools = await labels(mainUri, MAIN.replace("allow tool write_file", "allow tool write_file, |"));
    expect(tools).toEqual(expect.arrayContaining(["fetch", "list_issues", "create_issue"]));
    // A tool only a rule names (no tool block) is offered too: `read_file` in `allow "dev-reads" tool read_file`.
    expect(tools).toContain("read_file");
    // ... but not the word being typed.
    expect(await labels(mainUri, MAIN.replace("allow tool write_file", "allow tool wri|"))).not.toContain("wri");
    // A builtin's named parameter takes a set, a const or a literal: no keywords, no roles.
    const param = await labels(mainUri, MAIN.replace("host: string", 'host: url(schemes: ["https"], hosts: |)'));
    expect(param).toEqual(expect.arrayContaining(["allowed_hosts", "admins"]));
    expect(param).not.toContain("role");
    expect(param).not.toContain("developer");
    await client.change(mainUri, MAIN);
  });

  it("ignores a garbage tools.json with a logged warning", async () => {
    writeFileSync(path.join(dir, "tools.json"), "{ not json");
    const tools = await labels(mainUri, MAIN.replace("allow tool write_file", "allow tool |"));
    expect(tools).toContain("fetch");
    expect(tools).not.toContain("list_issues");
    await new Promise((r) => setTimeout(r, 100));
    expect(client.logs.some((m) => m.includes("tools.json") && m.includes("invalid JSON"))).toBe(true);
    writeFileSync(path.join(dir, "tools.json"), JSON.stringify([{ name: "list_issues" }]));
    expect(await labels(mainUri, MAIN.replace("allow tool write_file", "allow tool |"))).toContain("list_issues");
    await client.change(mainUri, MAIN);
  });
});

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create("x:", "", 0, text), [...edits]);
}

describe("mcppolicy lsp: rename", () => {
  const requests: PolicyRequest[] = [
    { principal: { id: "alice" }, method: "tools/call", tool: "fetch", arguments: { host: "example.com" } },
    { principal: { id: "carl", roles: ["lead"] }, method: "tools/call", tool: "fetch", arguments: { host: "evil.com" } },
    { principal: { id: "carl", roles: ["lead"] }, method: "tools/call", tool: "write_file", arguments: {} },
    { principal: { id: "dan" }, method: "tools/call", tool: "read_file", arguments: {} },
  ];
  const decisions = (main: string, shared: string) => {
    const p = compilePolicy(main, { filename: path.join(dir, "main.mcppolicy"), readFile: (f) => (f.endsWith("shared.mcppolicy") ? shared : MAIN) });
    return requests.map((r) => p.decide(r).effect);
  };

  it("renames a set across both files; the result compiles and decides the same", async () => {
    await client.change(mainUri, MAIN);
    await client.change(sharedUri, SHARED);
    const prep = await client.request<{ placeholder: string } | null>("textDocument/prepareRename", { ...doc(mainUri), position: pos(MAIN, "in admins", 4) });
    expect(prep?.placeholder).toBe("admins");
    const edit = await client.request<{ changes: Record<string, TextEdit[]> }>("textDocument/rename", { ...doc(mainUri), position: pos(MAIN, "in admins", 4), newName: "operators" });
    expect(Object.keys(edit.changes).sort()).toEqual([mainUri, sharedUri].sort());
    const main2 = applyEdits(MAIN, edit.changes[mainUri]!);
    const shared2 = applyEdits(SHARED, edit.changes[sharedUri]!);
    expect(main2).toContain("principal.id in operators");
    expect(shared2).toContain("set operators");
    expect(decisions(main2, shared2)).toEqual(decisions(MAIN, SHARED));
  });

  it("renames a role and a tool everywhere they are named", async () => {
    const edit = await client.request<{ changes: Record<string, TextEdit[]> }>("textDocument/rename", { ...doc(mainUri), position: pos(MAIN, "role developer", 6), newName: "dev" });
    const main2 = applyEdits(MAIN, edit.changes[mainUri]!);
    expect(main2).toContain("role dev {");
    expect(main2).toContain("includes dev {");
    const tool = await client.request<{ changes: Record<string, TextEdit[]> }>("textDocument/rename", { ...doc(mainUri), position: pos(MAIN, "tool fetch {", 6), newName: "http_get" });
    const main3 = applyEdits(MAIN, tool.changes[mainUri]!);
    expect(main3).toContain("allow tool http_get when");
    expect(main3).toContain("tool http_get {");
  });

  it("refuses keywords, attributes, invalid and colliding names", async () => {
    expect(await client.request("textDocument/prepareRename", { ...doc(mainUri), position: pos(MAIN, "default deny", 2) })).toBeNull();
    expect(await client.request("textDocument/prepareRename", { ...doc(mainUri), position: pos(MAIN, "principal.id", 3) })).toBeNull();
    const at = { ...doc(mainUri), position: pos(MAIN, "role developer", 6) };
    await expect(client.request("textDocument/rename", { ...at, newName: "not a name" })).rejects.toThrow(/not a valid role name/);
    await expect(client.request("textDocument/rename", { ...at, newName: "deny" })).rejects.toThrow(/not a valid role name/);
    await expect(client.request("textDocument/rename", { ...at, newName: "lead" })).rejects.toThrow(/already exists/);
  });

  it("renaming a set or role to a fresh name and back gives the original text (property)", async () => {
    const targets = [
      { needle: "in admins", shift: 4, name: "admins" },
      { needle: "in allowed_hosts", shift: 4, name: "allowed_hosts" },
      { needle: "role lead", shift: 6, name: "lead" },
    ];
    await client.open(sharedUri, SHARED);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), async (t, fresh) => {
        fc.pre(!["admins", "allowed_hosts", "lead", "developer"].includes(fresh) && nameText(fresh) === fresh);
        await client.change(mainUri, MAIN);
        await client.change(sharedUri, SHARED);
        const there = await client.request<{ changes: Record<string, TextEdit[]> }>("textDocument/rename", { ...doc(mainUri), position: pos(MAIN, t.needle, t.shift), newName: fresh });
        const main2 = applyEdits(MAIN, there.changes[mainUri] ?? []);
        const shared2 = applyEdits(SHARED, there.changes[sharedUri] ?? []);
        await client.change(mainUri, main2);
        await client.change(sharedUri, shared2);
        const back = await client.request<{ changes: Record<string, TextEdit[]> }>("textDocument/rename", { ...doc(mainUri), position: wordPos(main2, t.needle.replace(t.name, fresh), t.shift), newName: t.name });
        expect(applyEdits(main2, back.changes[mainUri] ?? [])).toBe(MAIN);
        expect(applyEdits(shared2, back.changes[sharedUri] ?? [])).toBe(SHARED);
      }),
      { numRuns: 25 },
    );
    await client.change(mainUri, MAIN);
    await client.change(sharedUri, SHARED);
  });
});

describe("mcppolicy lsp: bad requests and exit", () => {
  it("answers an unknown document or an invalid position with an empty result", async () => {
    const unknown = { textDocument: { uri: "file:///nowhere/x.mcppolicy" }, position: { line: 0, character: 0 } };
    expect(await client.request("textDocument/hover", unknown)).toBeNull();
    expect(await client.request("textDocument/definition", unknown)).toEqual([]);
    expect(await client.request("textDocument/completion", unknown)).toEqual([]);
    const far = { ...doc(mainUri), position: { line: 9999, character: 3 } };
    expect(await client.request("textDocument/hover", far)).toBeNull();
    expect(await client.request("textDocument/references", { ...far, context: { includeDeclaration: true } })).toEqual([]);
    expect(await client.request("textDocument/hover", { ...doc(mainUri), position: { line: -1, character: "x" } })).toBeNull();
    expect(await client.request("textDocument/rename", { ...far, newName: "x" })).toBeNull();
    // Still alive and answering.
    expect(await hoverText(mainUri, MAIN, "in allowed_hosts", 4)).toContain("allowed_hosts");
  });

  it("exits 0 after shutdown and exit", async () => {
    expect(await client.stop()).toBe(0);
  });
});
