/**
 * The package as users get it: `mcppolicy` resolves by name through package.json `exports`, its
 * public API behaves as documented, and the bundled example runs under plain Node.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as api from "mcppolicy";
import { checkPolicy, compilePolicy, PolicyCompileError } from "mcppolicy";

const ROOT = join(import.meta.dirname, "..");

describe("package", () => {
  it("exports the documented API", () => {
    expect(Object.keys(api).sort()).toEqual([
      "ApprovalError",
      "Authorization",
      "CATALOG",
      "DETECTOR_NAMES",
      "Engine",
      "METHODS",
      "MemoryStore",
      "Policy",
      "PolicyCompileError",
      "RequestJsonError",
      "analyzePolicy",
      "applyResultVerdict",
      "canRoleCall",
      "canRoleReach",
      "checkPolicy",
      "compilePolicy",
      "createEngine",
      "detect",
      "formatPolicyTestReport",
      "loadPolicyTests",
      "parseRequestJson",
      "redactText",
      "rolesReaching",
      "runPolicyTests",
      "whatMay",
      "withheldResult",
    ]);
  });

  it("compilePolicy throws PolicyCompileError carrying every diagnostic", () => {
    let caught: unknown;
    try {
      compilePolicy('policy "p"\nrole a includes b { allow tool x when client.tls == 1 }', { filename: "p.mcppolicy" });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PolicyCompileError);
    const err = caught as PolicyCompileError;
    expect(err.diagnostics.map((d) => d.code)).toEqual(["E0101", "E0201"]);
    expect(err.render()).toContain("p.mcppolicy:2:17");
    expect(err.toJSON()[0]).toMatchObject({ code: "E0101", file: "p.mcppolicy", start: { line: 2, column: 17 } });
  });

  it("checkPolicy never throws, even on non-string input", () => {
    expect(checkPolicy(undefined as unknown as string).ok).toBe(false);
    expect(checkPolicy('policy "p"\nrole a { allow tool x }').ok).toBe(true);
  });

  it("method defaults to tools/call; explain lists every rule with its outcome and line", () => {
    const p = compilePolicy('policy "p"\nrole dev {\n  allow tool read_file\n  deny tool read_file when client.mtls\n}\nrole ops { allow tool "*" }', { readFile: null });
    const e = p.explain({ principal: { roles: ["dev"] }, tool: "read_file" });
    expect(e.decision.effect).toBe("allow");
    expect(e.rules).toEqual([
      { rule: "dev/1", effect: "allow", line: 3, outcome: "matched" },
      { rule: "dev/2", effect: "deny", line: 4, outcome: "condition-false" },
      { rule: "ops/1", effect: "allow", line: 6, outcome: "not-held" },
    ]);
  });

  it("imports resolve through the host's reader, relative to the importing file", () => {
    const files: Record<string, string> = { "/p/lib/nets.mcppolicy": 'policy "nets"\nset corp: cidr = ["10.0.0.0/8"]\n' };
    const p = compilePolicy('policy "main"\nimport "./lib/nets.mcppolicy"\nrole dev { allow tool x when client.ip in corp }', {
      filename: "/p/main.mcppolicy",
      readFile: (path) => {
        const text = files[path];
        if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
        return text;
      },
    });
    expect(p.decide({ principal: { roles: ["dev"] }, tool: "x", client: { ip: "10.1.2.3" } }).effect).toBe("allow");
    expect(p.decide({ principal: { roles: ["dev"] }, tool: "x", client: { ip: "11.1.2.3" } }).effect).toBe("deny");
    expect(checkPolicy('policy "m"\nimport "./x.mcppolicy"', { filename: "/p/m.mcppolicy", readFile: null }).diagnostics[0]?.code).toBe("E0106");
  });

  it("visibleTools filters a tools/list result", () => {
    const p = compilePolicy('policy "p"\nrole dev {\n  allow tool read_file\n  allow tool "*" when annotations.readOnlyHint\n  allow tool write_file when args.path matches "/ws/*"\n}', { readFile: null });
    const tools = [{ name: "read_file" }, { name: "grep", annotations: { readOnlyHint: true } }, { name: "rm" }, { name: "write_file" }];
    expect(p.visibleTools({ roles: ["dev"] }, tools).map((t) => t.name)).toEqual(["read_file", "grep", "write_file"]);
    expect(p.toolVisibility({ roles: ["dev"] }, "write_file")).toBe("depends");
    expect(p.toolVisibility({ roles: ["nobody"] }, "read_file")).toBe("never");
  });

  it("the example runs under plain Node, importing the package by name", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "examples", "decide.mjs")], { encoding: "utf8" });
    expect(out).toContain("developer read_file: allow");
    expect(out).toContain("developer execute_command: deny (developers may not run commands or change files)");
    expect(out).toContain("admin execute_command: require_approval");
    expect(out.split("\n")[1]).toMatch(/^developer read_file: deny \(args\.path: /);
  });

  it("the engine example runs under plain Node: a burst limit, then an approval used once", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "examples", "engine.mjs")], { encoding: "utf8" }).trim().split("\n");
    expect(out[0]).toBe("read_file #10: allow");
    expect(out[1]).toMatch(/^read_file #11: deny \(the rate limit 60 per minute \(burst 10\) by client \(`policy\/limit\/1`\) is used up; retry in (\d+ ms|\d+\.\d s)\)$/);
    expect(out.slice(2)).toEqual(["execute_command: require_approval", "execute_command after approval: allow", "execute_command again: require_approval"]);
  });
});

/**
 * Light imports: the main entry loads none of the heavy or optional packages. libpg-query loads when the
 * first postgresql `sql(...)` check is compiled (synchronously), node-sql-parser when a policy first names
 * one of its dialects, ioredis only through `mcppolicy/redis`. Read from Node's module cache in a fresh
 * process, which also shows each one loading when it should (so the probe itself is checked).
 */
describe("package: light imports", () => {
  const PROBE = `
    import { createRequire } from "node:module";
    const require = createRequire(import.meta.url);
    const loaded = () => [...new Set(Object.keys(require.cache).map((k) => /node_modules[\\/](ioredis|node-sql-parser|libpg-query)[\\/]/.exec(k)?.[1]).filter(Boolean))].sort();
    const steps = [];
    const m = await import("mcppolicy");
    steps.push(loaded());
    const p = m.compilePolicy('policy "p"\\ntool q { args { sql: sql(readonly: true) } }\\nrole a { allow tool q }');
    steps.push(loaded());
    const decided = [p.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { sql: "SELECT 1" } }).effect, p.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { sql: "DELETE FROM t" } }).effect];
    m.compilePolicy('policy "p"\\ntool q { args { sql: sql(readonly: true, dialect: "mysql") } }\\nrole a { allow tool q }');
    steps.push(loaded());
    const r = await import("mcppolicy/redis");
    steps.push(loaded());
    console.log(JSON.stringify({ steps, decided, redis: typeof r.RedisStore }));`;

  it("import loads none of libpg-query, node-sql-parser, ioredis; each loads when first needed", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", PROBE], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(out.trim())).toEqual({
      steps: [[], ["libpg-query"], ["libpg-query", "node-sql-parser"], ["ioredis", "libpg-query", "node-sql-parser"]],
      decided: ["allow", "deny"],
      redis: "function",
    });
  });

  it("ajv loads with the first JSON Schema compiled, yaml with the first test file read; neither at import or for a policy without them", () => {
    const probe = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const loaded = () => [...new Set(Object.keys(require.cache).map((k) => /node_modules[\\/](ajv|yaml)[\\/]/.exec(k)?.[1]).filter(Boolean))].sort();
      const steps = [];
      const m = await import("mcppolicy");
      steps.push(loaded());
      const plain = m.compilePolicy('policy "p"\\nrole a { allow tool q }', { readFile: null });
      steps.push(loaded());
      const p = m.compilePolicy('policy "p"\\ntool q { args { n: json(inline: "{\\\\"type\\\\": \\\\"integer\\\\"}") } }\\nrole a { allow tool q }', { readFile: null });
      steps.push(loaded());
      const decided = [p.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { n: 1 } }).effect, p.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { n: "x" } }).effect];
      const t = m.loadPolicyTests("x.test.yaml", () => "cases:\\n  - name: c\\n    request: { tool: q }\\n    expect: deny\\n");
      steps.push(loaded());
      console.log(JSON.stringify({ steps, decided, plain: plain.decide({ principal: { roles: ["a"] }, tool: "q" }).effect, cases: t.tests?.cases.length ?? t.errors }));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", probe], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(out.trim())).toEqual({ steps: [[], [], ["ajv"], ["ajv", "yaml"]], decided: ["allow", "deny"], plain: "allow", cases: 1 });
  });

  it("re2js loads with the first pattern compiled, ipaddr.js with the first address check; neither at import or for a policy without them", () => {
    const probe = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const loaded = () => [...new Set(Object.keys(require.cache).map((k) => /node_modules[\\/](re2js|ipaddr\\.js)[\\/]/.exec(k)?.[1]).filter(Boolean))].sort();
      const steps = [];
      const m = await import("mcppolicy");
      steps.push(loaded());
      const plain = m.compilePolicy('policy "p"\\ntool q { args { n: string(maxLength: 3) } }\\nrole a { allow tool q }', { readFile: null });
      const decided = [plain.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { n: "ab" } }).effect];
      steps.push(loaded());
      const re = m.compilePolicy('policy "p"\\ntool q { args { n: string(pattern: "^[a-z]+[0-9]$") } }\\nrole a { allow tool q }', { readFile: null });
      decided.push(re.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { n: "ab1" } }).effect, re.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { n: "1ab" } }).effect);
      steps.push(loaded());
      const ip = m.compilePolicy('policy "p"\\ntool q { args { h: ip(deny: private) } }\\nrole a { allow tool q }', { readFile: null });
      decided.push(ip.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { h: "8.8.8.8" } }).effect, ip.decide({ principal: { roles: ["a"] }, tool: "q", arguments: { h: "10.0.0.1" } }).effect);
      steps.push(loaded());
      console.log(JSON.stringify({ steps, decided }));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", probe], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(out.trim())).toEqual({ steps: [[], [], ["re2js"], ["ipaddr.js", "re2js"]], decided: ["allow", "allow", "deny", "allow", "deny"] });
    // Node's require cache sees only the CommonJS loads: the built code must name neither package in an ES import.
    for (const dir of ["dist", "dist/chunks", "dist/chunks/cli", "dist/cli"]) {
      for (const f of readdirSync(join(ROOT, dir)).filter((n) => n.endsWith(".js"))) {
        expect(readFileSync(join(ROOT, dir, f), "utf8"), `${dir}/${f}`).not.toMatch(/(?:from|import\s*\(?)\s*["'](?:re2js|ipaddr\.js)["']/);
      }
    }
  });

  it("mcppolicy/mcp exports enforcement (relay, SDK middleware, stdio proxy, mapping, audit, tokens, telemetry) without loading the MCP SDK", async () => {
    const mcp = await import("mcppolicy/mcp");
    for (const name of ["createEnforcer", "protect", "protectTransport", "runStdioProxy", "toPolicyRequest", "answerFor", "filterListResult", "ToolCatalog", "MCP_ERROR_CODES", "JsonlAuditSink", "verifyAuditLog", "redactSecrets", "tokenCounter", "createTelemetry"]) {
      expect(typeof (mcp as Record<string, unknown>)[name], name).not.toBe("undefined");
    }
    // The SDK is an optional peer: only its types are imported, so the built code never names it.
    for (const dir of ["dist/adapters", "dist/mcp", "dist/audit"]) {
      for (const f of readdirSync(join(ROOT, dir)).filter((n) => n.endsWith(".js"))) {
        expect(readFileSync(join(ROOT, dir, f), "utf8"), `${dir}/${f}`).not.toMatch(/(?:from|import\s*\(|require\s*\()\s*["']@modelcontextprotocol/);
      }
    }
  });

  it("mcppolicy/redis exports RedisStore (and the main entry no longer does)", async () => {
    const redis = await import("mcppolicy/redis");
    expect(Object.keys(redis)).toEqual(["RedisStore"]);
    expect("RedisStore" in api).toBe(false);
  });
});

describe("the CLI's check loads the front end only", () => {
  /** The `// src/...` modules in the static and dynamic import closure of a built CLI file. */
  function closure(start: string): Set<string> {
    const dir = join(ROOT, "dist/chunks/cli");
    const seen = new Set<string>();
    const modules = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(dir, file), "utf8");
      for (const m of text.matchAll(/^\/\/ (src\/\S+)$/gm)) modules.add(m[1]!);
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"\.\/([\w.-]+\.js)"/g)) visit(m[1]!);
    };
    visit(start);
    return modules;
  }

  it("`mcppolicy check` reaches the parser and the checker, not the code generator, the interpreter or the runtime", () => {
    const check = readdirSync(join(ROOT, "dist/chunks/cli")).find((f) => /^check-[A-Z0-9]+\.js$/.test(f));
    expect(check).toBeDefined();
    const modules = [...closure(check!)];
    expect(modules).toContain("src/syntax/parser.ts");
    expect(modules).toContain("src/check/front-end.ts");
    expect(modules.filter((m) => m.startsWith("src/codegen/") || m.startsWith("src/runtime/") || m === "src/eval/interpreter.ts" || m === "src/policy.ts")).toEqual([]);
  });
});
