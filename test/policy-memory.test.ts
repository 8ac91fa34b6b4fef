/**
 * Issue 16: a compiled Policy keeps no front-end objects alive, and retains a bounded heap per role.
 * Each check runs in a fresh `node --expose-gc` child over dist/ (a WeakRef is only cleared by a real
 * collection): the parser's internal test hook (syntax/parse.ts `frontEndWatch`) hands over every token
 * vector, CST and AST; after compile and `gc()`, with the Policy still held and used, none may be alive.
 * The per-role bound is generous (bench/memory.mjs reports the real figure), and nothing here is timed.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const url = (p: string) => pathToFileURL(root + p).href;

function child(script: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8", maxBuffer: 16 << 20 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const PRELUDE = `
import { compilePolicy } from ${JSON.stringify(url("dist/index.js"))};
import { frontEndWatch } from ${JSON.stringify(url("dist/syntax/parse.js"))};
import { readFileSync } from "node:fs";
import { scalePolicy } from ${JSON.stringify(url("bench/lib/scale.mjs"))};
// A WeakRef keeps its target alive until the current job ends: collect on a later turn.
const gc = async () => { await new Promise((r) => setTimeout(r, 0)); globalThis.gc(); globalThis.gc(); };
const refs = [];
frontEndWatch.seen = (what, value) => refs.push([what, new WeakRef(value)]);
const alive = () => refs.filter(([, r]) => r.deref() !== undefined).map(([w]) => w);
`;

describe("what a compiled policy keeps", () => {
  it("no token vector, CST or AST outlives compile (seed, an importing policy, the scale policy)", () => {
    const out = child(`${PRELUDE}
const seed = compilePolicy(readFileSync(${JSON.stringify(root + "policies/seed.mcppolicy")}, "utf8"), { filename: "seed.mcppolicy" });
const scale = compilePolicy(scalePolicy(50).text, { filename: "scale.mcppolicy", readFile: null });
const files = { "/p/lib.mcppolicy": 'policy "lib" version "1"\\nset nets: cidr = ["10.0.0.0/8"]\\n' };
const main = 'policy "main" version "1"\\nimport "lib.mcppolicy"\\ndefault deny\\nrole a {\\n  allow tool t when client.ip in nets\\n}\\n';
const imp = compilePolicy(main, { filename: "/p/main.mcppolicy", readFile: (p) => files[p] });
await gc();
const d = imp.decide({ principal: { id: "u", roles: ["a"] }, method: "tools/call", tool: "t", client: { ip: "10.1.1.1" } });
const e = seed.explain({ principal: { id: "u", roles: [] }, method: "tools/call", tool: "x" });
console.log(JSON.stringify({ watched: refs.map(([w]) => w), alive: alive(), effect: d.effect, scaleRoles: scale.ir.roles.size, explained: e.rules.length >= 0 }));
`);
    // The hook saw every parse (two files for the import), so the check below is not vacuous.
    expect((out.watched as string[]).filter((w) => w === "tokens").length).toBe(4);
    expect((out.watched as string[]).filter((w) => w === "ast").length).toBe(4);
    expect(out.alive).toEqual([]);
    expect(out.effect).toBe("allow");
    expect(out.scaleRoles).toBe(50);
  });

  it("a failed compile keeps nothing either (the error holds diagnostics and sources only)", () => {
    const out = child(`${PRELUDE}
let error;
try { compilePolicy('policy "x" version "1"\\nrole a {\\n  allow tool t when nope.x\\n}\\n', { readFile: null }); } catch (e) { error = e; }
await gc();
console.log(JSON.stringify({ watched: refs.length, alive: alive(), name: error?.name, rendered: error.render().length > 0 }));
`);
    expect(out.watched).toBeGreaterThan(0);
    expect(out.alive).toEqual([]);
    expect(out.name).toBe("PolicyCompileError");
  });

  it("the scale policy (1,000 roles x 200 tools) retains under 6 KB per role after compile", () => {
    const out = child(`${PRELUDE}
compilePolicy('policy "warm" version "1"\\ndefault deny\\nrole a {\\n  allow tool t when client.ip in private\\n}\\n', { readFile: null });
const { text, roles } = scalePolicy();
await gc();
const before = process.memoryUsage().heapUsed;
const policy = compilePolicy(text, { filename: "scale.mcppolicy", readFile: null });
await gc();
const after = process.memoryUsage().heapUsed;
const d = policy.decide({ principal: { id: "u", roles: [roles[0].name] }, method: "tools/call", tool: roles[0].tryable[0], arguments: {}, client: { ip: "10.0.0.1", tls: true } });
console.log(JSON.stringify({ perRole: (after - before) / 1000, effect: d.effect, alive: alive() }));
`);
    expect(out.alive).toEqual([]);
    expect(["allow", "deny"]).toContain(out.effect);
    expect(out.perRole as number).toBeGreaterThan(0);
    expect(out.perRole as number).toBeLessThan(6 * 1024);
  });
});
