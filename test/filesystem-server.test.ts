/**
 * `any path arg` against the REAL filesystem server's tool list: the official server
 * (@modelcontextprotocol/server-filesystem) is spawned over stdio through the MCP SDK's client, its
 * tools are listed, and test/fixtures/filesystem-server.mcppolicy (`deny tool "*" when any path arg
 * matches "**\/.env"`) is checked against a call to EVERY listed tool that takes a path, once per path
 * argument (names taken from the live inputSchema), on both evaluators. A tool or a path argument the
 * server has and the policy does not type `path(...)` fails the test, so the policy cannot silently
 * fall behind the server.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, type Decision, type PolicyRequest } from "mcppolicy";

const ROOT = join(import.meta.dirname, "..");
const SERVER = join(ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");
const FIXTURE = join(ROOT, "test", "fixtures", "filesystem-server.mcppolicy");
const policy = compilePolicy(readFileSync(FIXTURE, "utf8"), { filename: FIXTURE });

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
}
interface Tool {
  name: string;
  inputSchema: Schema;
}

/** An argument holds a file system path when its name says so (`path`, `paths`, `source`, `destination`, ...). */
const PATH_NAME = /^(path|paths|source|destination|file|files|dir|directory|target|from|to)$|Path$|Paths$|File$|Dir$/;
const pathArgs = (t: Tool): string[] => Object.keys(t.inputSchema.properties ?? {}).filter((k) => PATH_NAME.test(k));

/** A valid value for a schema (the first enum value, an item for arrays, every required property). */
function sample(s: Schema, path: string): unknown {
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case "string":
      return path;
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return false;
    case "array":
      return [sample(s.items ?? {}, path)];
    case "object":
      return Object.fromEntries((s.required ?? Object.keys(s.properties ?? {})).map((k) => [k, sample(s.properties?.[k] ?? {}, "x")]));
    default:
      return "x";
  }
}

/** A call to `tool` with every required argument valid, path arguments `ok`, and `arg` holding `value`. */
function call(tool: Tool, arg: string | undefined, value: string): PolicyRequest {
  const props = tool.inputSchema.properties ?? {};
  const args: Record<string, unknown> = {};
  for (const k of tool.inputSchema.required ?? []) args[k] = sample(props[k]!, PATH_NAME.test(k) ? "docs/ok.txt" : "x");
  if (arg !== undefined) args[arg] = sample(props[arg]!, value);
  return { principal: { roles: ["agent"] }, tool: tool.name, arguments: args };
}

const both = (r: PolicyRequest): [Decision, Decision] => [policy.decide(r), policy.interpret(r)];

let tools: Tool[] = [];
let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mcpp-fs-server-"));
  const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER, dir], stderr: "pipe" });
  const client = new Client({ name: "mcppolicy-test", version: "1.0.0" });
  await client.connect(transport);
  try {
    tools = (await client.listTools()).tools as Tool[];
  } finally {
    await client.close();
  }
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the filesystem server's real tool list", () => {
  it("lists tools, and some of them take paths (the server was reached)", () => {
    expect(tools.length).toBeGreaterThan(5);
    expect(tools.filter((t) => pathArgs(t).length > 0).length).toBeGreaterThan(5);
    expect(pathArgs(tools.find((t) => t.name === "move_file")!)).toEqual(["source", "destination"]);
  });

  it("every tool the server lists is declared with an args block, and every path argument is typed path(...)", () => {
    const ir = policy.ir;
    const missing: string[] = [];
    for (const t of tools) {
      const block = ir.tools.get(t.name);
      if (!block?.args || block.args.t !== "object") {
        missing.push(`tool \`${t.name}\` has no args block in the fixture`);
        continue;
      }
      for (const arg of Object.keys(t.inputSchema.properties ?? {})) {
        const f = block.args.fields.find((x) => x.name === arg);
        if (!f) missing.push(`${t.name}.${arg} is not declared`);
        else if (PATH_NAME.test(arg)) {
          const ty = f.type.t === "array" ? f.type.item : f.type;
          if (!(ty.t === "check" && ty.kind === "path")) missing.push(`${t.name}.${arg} takes a path but is typed ${f.type.t}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("denies `.env` under EVERY path argument of EVERY tool, on both evaluators, and allows ordinary paths", () => {
    let checked = 0;
    for (const t of tools) {
      for (const arg of pathArgs(t)) {
        for (const bad of [".env", "sub/.env", "/srv/fs/a/../.env"]) {
          for (const d of both(call(t, arg, bad))) {
            expect(d.effect, `${t.name}.${arg} = ${bad}`).toBe("deny");
            expect(d.reasons[0], `${t.name}.${arg} = ${bad}`).toMatchObject({ code: "deny_rule", rule: "policy/1" });
          }
          checked++;
        }
        for (const d of both(call(t, arg, "docs/readme.md"))) expect(d.effect, `${t.name}.${arg} ordinary`).toBe("allow");
      }
    }
    // Tools without a path argument are not matched by the rule.
    for (const t of tools.filter((x) => pathArgs(x).length === 0)) for (const d of both(call(t, undefined, ""))) expect(d.effect, t.name).toBe("allow");
    expect(checked).toBeGreaterThanOrEqual(3 * 14);
  });
});
