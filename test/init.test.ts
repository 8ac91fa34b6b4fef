/**
 * `mcppolicy init` and `mcppolicy drift`, run as users run them (`node dist/cli/main.js`), against the
 * REAL official filesystem server (@modelcontextprotocol/server-filesystem over stdio, on a temp
 * directory) and against saved tool lists; plus properties of the schema conversion: the skeleton
 * always compiles, is deterministic, and its args types never refuse a value the JSON Schema accepts.
 * Assumes dist/ is built.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import AjvModule from "ajv";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "./helpers/fast-check-seed.js";
// @ts-expect-error: a JavaScript fixture without types
import { startHttpUpstream } from "./fixtures/servers/http-upstream.mjs";
import { compilePolicy } from "../src/policy.js";
import { writeSkeleton } from "../src/cli/init/skeleton.js";
import { findDrift } from "../src/cli/init/drift.js";
import type { ListedTool } from "../src/cli/init/tool-list.js";
import { decimal } from "../src/cli/init/schema.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const SERVER = join(ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As `run`, without blocking the event loop (for servers in this process). */
function runAsync(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

let dir = "";
let serverDir = "";
let tools: ListedTool[] = [];
let toolsFile = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mcpp-init-"));
  serverDir = mkdtempSync(join(tmpdir(), "mcpp-init-fs-"));
  const client = new Client({ name: "mcppolicy-init-test", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [SERVER, serverDir], stderr: "pipe" }));
  try {
    tools = (await client.listTools()).tools as unknown as ListedTool[];
  } finally {
    await client.close();
  }
  toolsFile = join(dir, "fs-tools.json");
  writeFileSync(toolsFile, JSON.stringify({ tools }));
}, 60_000);

afterAll(() => {
  for (const d of [dir, serverDir]) if (d) rmSync(d, { recursive: true, force: true });
});

const fromServer = () => ["--from", "--", process.execPath, SERVER, serverDir];

describe("init against the real filesystem server", () => {
  let policyPath = "";
  let policyText = "";

  beforeAll(() => {
    policyPath = join(dir, "fs.mcppolicy");
    const r = run(["init", "--out", policyPath, ...fromServer()]);
    expect(r.stderr).toContain("wrote");
    expect(r.status).toBe(0);
    policyText = readFileSync(policyPath, "utf8");
  }, 60_000);

  it("writes a policy that compiles with no error, with an exact tool block and args for every tool the server lists", () => {
    expect(tools.length).toBeGreaterThan(10);
    const policy = compilePolicy(policyText, { filename: policyPath });
    expect(policy.name).toBe("secure-filesystem-server");
    for (const t of tools) {
      const block = policy.ir.tools.get(t.name);
      expect(block?.args?.t, t.name).toBe("object");
      const props = Object.keys((t.inputSchema as { properties?: object }).properties ?? {});
      const fields = block?.args?.t === "object" ? block.args.fields.map((f) => f.name) : [];
      expect(fields, t.name).toEqual(props);
    }
  });

  it("derives roles, risk and approval from the annotations, and types from the schemas", () => {
    const policy = compilePolicy(policyText, { filename: policyPath });
    const read = (tool: string, arguments_: Record<string, unknown>, role: string) => policy.decide({ principal: { id: "u", roles: [role] }, tool, arguments: arguments_ });
    // read_text_file is readOnlyHint: a reader may call it; write_file is destructive: approval.
    expect(read("read_text_file", { path: "a.txt" }, "reader").effect).toBe("allow");
    expect(read("write_file", { path: "a.txt", content: "x" }, "reader").effect).toBe("deny");
    expect(read("write_file", { path: "a.txt", content: "x" }, "writer").effect).toBe("require_approval");
    // create_directory says destructiveHint: false: no approval.
    expect(read("create_directory", { path: "d" }, "writer").effect).toBe("allow");
    expect(policy.ir.tools.get("write_file")?.risk).toBe("high");
    expect(policy.ir.tools.get("read_text_file")?.risk).toBe("low");
    // Types: an enum, a required field, minItems.
    expect(read("list_directory_with_sizes", { path: "a", sortBy: "date" }, "reader").reasons[0]?.code).toBe("invalid_argument");
    expect(read("move_file", { source: "a" }, "writer").reasons[0]?.code).toBe("invalid_argument");
    expect(read("read_multiple_files", { paths: [] }, "reader").reasons[0]?.code).toBe("invalid_argument");
    expect(policyText).toMatch(/TODO a file path\? consider path\(root:/);
    expect(policyText).toContain("limit rate 60 per minute");
  });

  it("writes a test file beside the policy whose cases all pass under `mcppolicy test`", () => {
    const testPath = join(dir, "fs.test.yaml");
    const text = readFileSync(testPath, "utf8");
    for (const t of tools) expect(text, t.name).toContain(`"tool":${JSON.stringify(t.name)}`);
    const r = run(["test", testPath, "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { summary: { passed: number; failed: number; skipped?: number } };
    expect(report.summary.failed).toBe(0);
    expect(report.summary.passed).toBeGreaterThanOrEqual(tools.length + 1);
  });

  it("--out into a directory that does not exist yet creates it", () => {
    const nested = join(dir, "new-dir", "deeper", "fs2.mcppolicy");
    const r = run(["init", "--out", nested, "--tools", toolsFile]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(nested, "utf8")).toContain("tool read_file");
    expect(existsSync(join(dir, "new-dir", "deeper", "fs2.test.yaml"))).toBe(true);
  });

  it("refuses to overwrite the policy or its test file without --force, and overwrites with it", () => {
    const again = run(["init", "--out", policyPath, "--tools", toolsFile]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("already exists; pass --force");
    const other = join(dir, "only-test.mcppolicy");
    writeFileSync(join(dir, "only-test.test.yaml"), "keep me");
    const blocked = run(["init", "--out", other, "--tools", toolsFile]);
    expect(blocked.status).toBe(2);
    expect(existsSync(other)).toBe(false);
    expect(readFileSync(join(dir, "only-test.test.yaml"), "utf8")).toBe("keep me");
    const forced = run(["init", "--out", other, "--tools", toolsFile, "--force"]);
    expect(forced.status).toBe(0);
    expect(readFileSync(join(dir, "only-test.test.yaml"), "utf8")).toContain("cases:");
  });

  it("drift reports nothing for the fresh skeleton against the live server", () => {
    const r = run(["drift", policyPath, ...fromServer()]);
    expect(r.stdout).toContain("no drift");
    expect(r.status).toBe(0);
  }, 60_000);

  it("drift reports nothing for the bundled policies/filesystem.mcppolicy (its refinements are not drift)", () => {
    const r = run(["drift", "policies/filesystem.mcppolicy", "--tools", toolsFile]);
    expect(r.stdout).toContain("no drift");
    expect(r.status).toBe(0);
  });

  it("drift reports a changed schema: fields added, removed, now required, retyped, and tools on one side only", () => {
    const changed = structuredClone(tools) as { name: string; inputSchema: { properties: Record<string, { type?: string; items?: { properties: Record<string, { type: string }> } }>; required?: string[] } }[];
    const byName = (n: string) => changed.find((t) => t.name === n)!;
    byName("read_text_file").inputSchema.properties["head"]!.type = "string";
    byName("read_text_file").inputSchema.required!.push("tail");
    byName("search_files").inputSchema.properties["caseSensitive"] = { type: "boolean" };
    delete byName("list_directory_with_sizes").inputSchema.properties["sortBy"];
    byName("edit_file").inputSchema.properties["edits"]!.items!.properties["newText"]!.type = "integer";
    const file = join(dir, "changed.json");
    writeFileSync(file, JSON.stringify({ tools: [...changed.filter((t) => t.name !== "move_file"), { name: "delete_file", inputSchema: { type: "object" } }] }));
    const text = run(["drift", policyPath, "--tools", file]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain("tool `read_text_file` argument `head`: type changed: the policy says number, the server string");
    expect(text.stdout).toContain("tool `read_text_file` argument `tail`: now required on the server");
    expect(text.stdout).toContain("tool `search_files` argument `caseSensitive`: added on the server (optional)");
    expect(text.stdout).toContain("tool `list_directory_with_sizes` argument `sortBy`: in the args block, no longer on the server");
    expect(text.stdout).toContain("tool `edit_file` argument `edits[].newText`: type changed: the policy says string, the server number");
    expect(text.stdout).toContain("tool `delete_file`: on the server, no tool block in the policy");
    expect(text.stdout).toContain("tool `move_file`: a tool block in the policy, no longer on the server");
    const json = run(["drift", policyPath, "--tools", file, "--format", "json"]);
    expect(json.status).toBe(1);
    const doc = JSON.parse(json.stdout) as { ok: boolean; drift: { tool: string; kind: string; field?: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.drift).toHaveLength(7);
    expect(doc.drift).toContainEqual({ tool: "read_text_file", kind: "now-required", field: "tail" });
  });
});

describe("init --tools FILE", () => {
  it("prints the same policy from the saved list as from the server, whatever the order of the tools", () => {
    const a = run(["init", "--tools", toolsFile, "--name", "fs"]);
    expect(a.status).toBe(0);
    const reversed = join(dir, "reversed.json");
    writeFileSync(reversed, JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [...tools].reverse() } }));
    const b = run(["init", "--tools", reversed, "--name", "fs"]);
    expect(b.status).toBe(0);
    const body = (s: string) => s.split("\n").slice(1).join("\n"); // the first line names the source
    expect(body(b.stdout)).toBe(body(a.stdout));
    const live = run(["init", "--name", "fs", ...fromServer()]);
    expect(body(live.stdout)).toBe(body(a.stdout));
  }, 60_000);

  it("turns enums, lengths, bounds and nested objects into types, and what the language cannot say into notes and looser types", () => {
    const schema = {
      type: "object",
      properties: {
        mode: { type: "string", enum: ["fast", "safe"] },
        title: { type: "string", minLength: 1, maxLength: 80, pattern: "^[A-Z]" },
        look: { type: "string", pattern: "^(?=a)" },
        count: { type: "integer", minimum: 1, exclusiveMaximum: 10 },
        ratio: { type: "number", exclusiveMinimum: 0, maximum: 1 },
        owner: { type: "object", properties: { login: { type: "string" }, id: { type: "integer" } }, required: ["login"], additionalProperties: false },
        tags: { type: "array", items: { type: "string", maxLength: 20 }, maxItems: 5 },
        maybe: { type: ["string", "null"] },
        either: { anyOf: [{ type: "string" }, { type: "integer" }] },
        both: { allOf: [{ type: "string" }, { minLength: 2 }] },
        ref: { $ref: "#/properties/owner" },
        endpoint: { type: "string", format: "uri" },
        query: { type: "string", description: "the SQL query to run" },
        "odd name": { type: "boolean" },
        default: { type: "boolean" },
      },
      required: ["mode", "title", "owner"],
      additionalProperties: false,
    };
    const file = join(dir, "rich.json");
    writeFileSync(file, JSON.stringify([{ name: "rich.tool", inputSchema: schema, annotations: { readOnlyHint: true } }, { name: "drop", inputSchema: { type: "object" } }]));
    const out = join(dir, "rich.mcppolicy");
    const r = run(["init", "--tools", file, "--out", out]);
    expect(r.stderr).toContain("wrote");
    expect(r.status).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toContain('tool "rich.tool" {');
    expect(text).toContain('"mode": enum("fast", "safe")'); // `mode` is a (soft) keyword: quoted
    expect(text).toContain('title: string(minLength: 1, maxLength: 80, pattern: "^[A-Z]")');
    expect(text).toContain("look?: string\n"); // the lookahead is refused by the language: no pattern
    expect(text).toMatch(/NOTE: pattern .* linear-time/);
    expect(text).toContain("count?: integer(min: 1, max: 9)");
    expect(text).toContain("ratio?: number(min: 0, max: 1)");
    expect(text).toContain("exclusive minimum 0 is checked as inclusive");
    expect(text).toContain("owner: { login: string, id?: integer }");
    expect(text).toContain("tags?: array(string(maxLength: 20), maxItems: 5)");
    expect(text).toContain("maybe?: any");
    expect(text).toContain("either?: string | integer");
    expect(text).toContain("both?: any");
    expect(text).toContain("ref?: { login: string, id?: integer }");
    expect(text).toMatch(/TODO a URL\? consider url\(/);
    expect(text).toMatch(/TODO SQL\? consider sql\(readonly: true\)/);
    expect(text).toContain('"odd name"?: boolean');
    expect(text).toContain('"default"?: boolean');
    const rich = text.slice(text.indexOf('tool "rich.tool"'));
    expect(rich.slice(0, rich.indexOf("\n}"))).not.toContain("    ...  //"); // closed: additionalProperties false
    expect(text).toContain("approval required"); // `drop` has no annotations: destructive by default
    const policy = compilePolicy(text, { filename: out });
    expect(policy.decide({ principal: { id: "u", roles: ["reader"] }, tool: "rich.tool", arguments: { mode: "fast", title: "Hi", owner: { login: "x" }, extra: 1 } }).reasons[0]?.code).toBe("invalid_argument");
    expect(policy.decide({ principal: { id: "u", roles: ["reader"] }, tool: "rich.tool", arguments: { mode: "fast", title: "Hi", owner: { login: "x" }, maybe: null } }).effect).toBe("allow");
    const t = run(["test", join(dir, "rich.test.yaml")]);
    expect(t.stdout).toContain("0 failed");
    expect(t.status).toBe(0);
  });
});

describe("init --url", () => {
  it("lists the tools of a real Streamable HTTP server (the SDK's McpServer) and writes a skeleton that compiles", async () => {
    const fx = (await startHttpUpstream()) as { url: string; close(): Promise<void> };
    try {
      const r = await runAsync(["init", "--url", fx.url, "--timeout", "20"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const policy = compilePolicy(r.stdout);
      expect(policy.ir.tools.get("echo")?.args).toEqual({ t: "object", fields: [{ name: "text", optional: false, type: { t: "string" } }], open: true });
      expect(r.stdout).toContain(`the server '${fx.url}'`);
    } finally {
      await fx.close();
    }
  }, 60_000);
});

describe("bad input", () => {
  it("a recursive or widely shared $ref is cut at a depth and size limit, quickly, and still compiles", () => {
    const wide = { type: "object", properties: Object.fromEntries("abcdefgh".split("").map((k) => [k, { $ref: "#" }])) };
    const started = Date.now();
    const s = writeSkeleton({ tools: [{ name: "r", inputSchema: wide }], policyName: "p", source: "a test", policyFile: "p.mcppolicy" });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(s.policy).toContain("larger than 2000 nodes");
    expect(s.policy.length).toBeLessThan(200_000);
    expect(compilePolicy(s.policy).ir.tools.get("r")?.args?.t).toBe("object");
  });

  it("an empty tool list still writes a policy that compiles (and denies every call), with a warning saying so", () => {
    const empty = join(dir, "empty.json");
    writeFileSync(empty, JSON.stringify({ tools: [] }));
    const r = run(["init", "--tools", empty]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("warning: the tool list in");
    expect(r.stderr).toContain("lists no tools");
    const policy = compilePolicy(r.stdout);
    expect(policy.decide({ principal: { id: "u", roles: [...policy.ir.roles.keys()] }, method: "tools/call", tool: "anything" }).effect).toBe("deny");
  });

  it("a missing tool file, bad JSON, and a file that is not a tool list are clear usage errors", () => {
    const missing = run(["init", "--tools", join(dir, "nope.json")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read '.*nope\.json': no such file/);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    const badRun = run(["init", "--tools", bad]);
    expect(badRun.status).toBe(2);
    expect(badRun.stderr).toContain("is not valid JSON");
    const notList = join(dir, "not-list.json");
    writeFileSync(notList, JSON.stringify({ tools: [{ name: "x" }] }));
    const notListRun = run(["init", "--tools", notList]);
    expect(notListRun.status).toBe(2);
    expect(notListRun.stderr).toContain("tools[0].inputSchema (of tool 'x') is not an object");
    for (const r of [missing, badRun, notListRun]) expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it("a server that exits, a command that does not exist, and a silent server are clear errors within the timeout", () => {
    const exits = run(["init", "--from", "--", process.execPath, "-e", "process.stderr.write('boom: no config\\n'); process.exit(3)"]);
    expect(exits.status).toBe(2);
    expect(exits.stderr).toContain("cannot list the tools of");
    expect(exits.stderr).toContain("boom: no config");
    const absent = run(["init", "--from", "--", "/no/such/mcp-server"]);
    expect(absent.status).toBe(2);
    expect(absent.stderr).toContain("cannot list the tools of '/no/such/mcp-server'");
    const started = Date.now();
    const silent = run(["init", "--timeout", "1", "--from", "--", process.execPath, "-e", "setInterval(() => {}, 1000)"]);
    expect(silent.status).toBe(2);
    expect(silent.stderr).toContain("no answer within 1 s");
    expect(Date.now() - started).toBeLessThan(15_000);
    const http = run(["init", "--timeout", "5", "--url", "http://127.0.0.1:9/mcp"]);
    expect(http.status).toBe(2);
    expect(http.stderr).toContain("cannot list the tools of 'http://127.0.0.1:9/mcp'");
    for (const r of [exits, absent, silent, http]) expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 60_000);

  it("flags: no source, two sources, --from without a command, a stray file argument, a bad timeout, a bad URL", () => {
    const cases: [string[], string][] = [
      [["init"], "init needs the server's tools"],
      [["init", "--tools", "a.json", "--url", "http://x"], "--tools and --url cannot be used together"],
      [["init", "--from"], "--from needs the server's command after '--'"],
      [["init", "--tools", "a.json", "--", "node"], "only read with --from"],
      [["init", "x.json"], "did you mean --tools FILE"],
      [["init", "--tools", "a.json", "--timeout", "0"], "invalid value '0' for '--timeout'"],
      [["init", "--url", "ftp://x/"], "expected http or https"],
      [["drift", "--tools", "a.json"], "drift needs a policy file"],
      [["drift", join(dir, "none.mcppolicy"), "--tools", toolsFile], "cannot read"],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.stderr, args.join(" ")).toContain(message);
      expect(r.status, args.join(" ")).toBe(2);
    }
  });

  it("help names both commands", () => {
    expect(run(["--help"]).stdout).toMatch(/init .*\n.*drift /);
    expect(run(["init", "--help"]).stdout).toContain("--from -- CMD ARGS");
    expect(run(["drift", "--help"]).stdout).toContain("Exit codes:");
  });
});

// ---- properties --------------------------------------------------------------------------------

const fieldName = fc.oneof(fc.constantFrom("path", "url", "query", "default", "tool", "a b", "x-y", "A-", "é", "", "a\nb"), fc.string({ minLength: 1, maxLength: 8 }), fc.string({ unit: "binary", maxLength: 4 }));
const leaf = fc.oneof(
  fc.record({ type: fc.constant("string"), maxLength: fc.option(fc.nat(50), { nil: undefined }), minLength: fc.option(fc.nat(3), { nil: undefined }) }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constantFrom("number", "integer"), minimum: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }), exclusiveMaximum: fc.option(fc.double({ min: 6, max: 1e6, noNaN: true }), { nil: undefined }) }, { requiredKeys: ["type"] }),
  fc.constant({ type: "boolean" }),
  fc.record({ enum: fc.uniqueArray(fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean(), fc.constant(null)), { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant(["string", "null"]) }),
  fc.record({ type: fc.constant("array"), items: fc.constant({ type: "string" }), minItems: fc.option(fc.nat(2), { nil: undefined }) }, { requiredKeys: ["type"] }),
);
const schemaArb = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, leaf, tie("object")),
  object: fc.record({
    type: fc.constant("object"),
    properties: fc.dictionary(fieldName, tie("node"), { maxKeys: 4 }),
    additionalProperties: fc.boolean(),
  }),
})).object as fc.Arbitrary<Record<string, unknown> & { properties: Record<string, unknown> }>;
const toolName = fc.oneof(
  fc.constantFrom("read_file", "a.b", "allow", "x y", " x", "a\nb", "a\u200bb", "github__*", "[x]", "é", "a{b}", "a\\b", "a\"b", "*/"),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 6 }),
);

describe("properties", () => {
  it("every finite number is written as a plain decimal that reads back as the same number", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const text = decimal(n);
        expect(text).toMatch(/^-?\d+(\.\d+)?$/);
        expect(Number(text)).toBe(n === 0 ? 0 : n);
      }),
      { numRuns: 2000 },
    );
    expect([decimal(1.5e-7), decimal(1e21), decimal(-2.5e22), decimal(Number.NaN)]).toEqual(["0.00000015", "1000000000000000000000", "-25000000000000000000000", undefined]);
  });

  it("any tool list makes a skeleton that compiles, deterministically, whose fresh drift is empty", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ name: toolName, inputSchema: schemaArb, annotations: fc.record({ readOnlyHint: fc.boolean(), destructiveHint: fc.boolean() }, { requiredKeys: [] }) }), { maxLength: 5, selector: (t) => t.name }), (list) => {
        const input = { tools: list, policyName: "p", source: "a test", policyFile: "p.mcppolicy" };
        const a = writeSkeleton(input);
        expect(writeSkeleton({ ...input, tools: [...list].reverse() }).policy).toBe(a.policy);
        const policy = compilePolicy(a.policy);
        const kept = list.filter((t) => !a.skipped.some((s) => s.name === t.name));
        expect(findDrift(policy.ir, kept)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it("an args type never refuses arguments the tool's JSON Schema accepts", () => {
    type AjvClass = typeof AjvModule.default; // CommonJS: the class is the module or its default
    const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as unknown as AjvClass;
    const ajv = new Ajv({ strict: false });
    let decided = 0;
    fc.assert(
      fc.property(schemaArb, fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), (schema, values) => {
        const names = Object.keys(schema.properties);
        const { policy: text } = writeSkeleton({ tools: [{ name: "t", inputSchema: schema, annotations: { readOnlyHint: true } }], policyName: "p", source: "a test", policyFile: "p.mcppolicy" });
        const policy = compilePolicy(text);
        const validate = ajv.compile(schema);
        const args = Object.fromEntries(values.map((v, i) => [names[i % Math.max(names.length, 1)] ?? "k", v]));
        if (!validate(args)) return;
        decided++;
        const d = policy.decide({ principal: { id: "u", roles: ["reader"] }, tool: "t", arguments: args });
        expect(d.reasons.map((r) => r.code)).not.toContain("invalid_argument");
      }),
      { numRuns: 300 },
    );
    expect(decided).toBeGreaterThan(60); // enough of the generated arguments pass the schema to prove something
  });
});
