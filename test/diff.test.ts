/**
 * `mcppolicy diff` (issue 15): what a change opens and closes, with witness requests that both policies
 * really decide as reported; no change reported between a policy and itself or a refactoring of it;
 * argument-level and approval changes found; exit codes for CI (1 on widening unless --allow-widening).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compilePolicy, type Policy } from "../src/policy.js";
import { diffPolicies, type PolicyDiff } from "../src/authoring/diff.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const SEED = path.join(ROOT, "policies/seed.mcppolicy");
const seedText = readFileSync(SEED, "utf8");
const compile = (src: string) => compilePolicy(src, { filename: SEED });
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
const dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-diff-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every witness is decided by both policies as the diff says. */
function witnessesHold(d: PolicyDiff, a: Policy, b: Policy): void {
  for (const c of d.changes) {
    if (!c.witness) continue;
    expect(a.decide(c.witness.request).effect).toBe(c.witness.old.effect);
    expect(b.decide(c.witness.request).effect).toBe(c.witness.new.effect);
    expect(c.witness.old.effect).not.toBe(c.witness.new.effect);
  }
}

const summary = (d: PolicyDiff) => d.changes.map((c) => `${c.direction} ${c.role} ${c.tool}`);

describe("diffPolicies", () => {
  const seed = compile(seedText);

  it("a policy and itself: no change", () => {
    const d = diffPolicies(seed, compile(seedText), { runs: 100, seed: 1 });
    expect(d.changes).toEqual([]);
    expect(d.widening).toBe(false);
  });

  it("a refactoring (a set in place of a list, rules reordered) changes nothing", () => {
    const a = compile(`policy "a"\nrole dev { allow tool read, list\n deny tool rm }\nrole ops { allow tool "*" }\n`);
    const b = compile(`policy "b"\nset readers: tool = ["list", "read"]\nrole ops { allow tool "*" }\nrole dev { deny tool rm\n allow tool readers }\n`);
    expect(diffPolicies(a, b, { runs: 100, seed: 1 }).changes).toEqual([]);
  });

  it("a role gains a tool and another loses one: opens and closes, each with a witness", () => {
    const next = seedText
      .replace('allow "developer-reads" tool read_file, search_code, run_tests', 'allow "developer-reads" tool read_file, search_code, run_tests, list_directory')
      .replace('allow "readonly-reads" tool read_file, list_directory, query_database', 'allow "readonly-reads" tool read_file, list_directory');
    const b = compile(next);
    const d = diffPolicies(seed, b, { runs: 100, seed: 1 });
    expect(summary(d)).toEqual(["opens developer list_directory", "closes readonly-agent query_database"]);
    expect(d.widening).toBe(true);
    witnessesHold(d, seed, b);
  });

  it("an argument constraint loosened is found with a request only the new policy allows", () => {
    const b = compile(seedText.replace('path: path(root: "/workspace", maxLength: 256)', 'path: path(root: "/", maxLength: 256)'));
    const d = diffPolicies(seed, b, { runs: 300, seed: 7 });
    const read = d.changes.filter((c) => c.tool === "read_file");
    expect(read.length).toBeGreaterThan(0);
    expect(read.every((c) => c.direction === "opens" && c.witness !== undefined)).toBe(true);
    witnessesHold(d, seed, b);
  });

  it("an approval removed opens (require_approval -> allow); one added closes", () => {
    const a = compile(`policy "a"\nrole dev { allow tool deploy }\ntool deploy { approval required }\n`);
    const b = compile(`policy "b"\nrole dev { allow tool deploy }\n`);
    expect(summary(diffPolicies(a, b, { runs: 50, seed: 1 }))).toEqual(["opens dev deploy"]);
    expect(summary(diffPolicies(b, a, { runs: 50, seed: 1 }))).toEqual(["closes dev deploy"]);
  });

  it("a glob and a role only one side declares are compared too", () => {
    const a = compile(`policy "a"\nrole dev { allow tool "git_*" }\n`);
    const b = compile(`policy "b"\nrole dev { allow tool "git_*" }\nrole intern { allow tool "git_status" }\n`);
    expect(summary(diffPolicies(a, b, { runs: 50, seed: 1 }))).toEqual(["opens intern git_status"]);
  });
});

describe("mcppolicy diff (CLI)", () => {
  const widened = path.join(dir, "widened.mcppolicy");
  writeFileSync(widened, seedText.replace('allow "developer-reads" tool read_file, search_code, run_tests', 'allow "developer-reads" tool read_file, search_code, run_tests, list_directory'));
  const narrowed = path.join(dir, "narrowed.mcppolicy");
  writeFileSync(narrowed, seedText.replace('allow "readonly-reads" tool read_file, list_directory, query_database', 'allow "readonly-reads" tool read_file, list_directory'));

  it("exit 1 on widening, 0 with --allow-widening, 0 when it only narrows", () => {
    const w = cli("diff", SEED, widened, "--seed", "1");
    expect(w.status).toBe(1);
    expect(w.stdout).toContain("+ opens role developer, tool list_directory: never -> always");
    expect(w.stderr).toContain("allows what");
    expect(cli("diff", SEED, widened, "--allow-widening", "--seed", "1").status).toBe(0);
    const n = cli("diff", SEED, narrowed, "--seed", "1");
    expect(n.status).toBe(0);
    expect(n.stdout).toContain("- closes role readonly-agent, tool query_database");
  });

  it("an argument change reads as such, not as `always -> always`", () => {
    const loosened = path.join(dir, "loosened.mcppolicy");
    writeFileSync(loosened, seedText.replace('path: path(root: "/workspace", maxLength: 256)', 'path: path(root: "/", maxLength: 256)'));
    const r = cli("diff", SEED, loosened, "--seed", "7", "--runs", "300");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("+ opens role developer, tool read_file: always in both, but some requests differ");
    expect(r.stdout).not.toMatch(/always -> always/);
    const m = cli("diff", SEED, loosened, "--seed", "7", "--runs", "300", "--format", "markdown");
    expect(m.stdout).toContain("| opens | `developer` | `read_file` | always | always (some requests differ) |");
  });

  it("--format json and markdown", () => {
    const j = cli("diff", SEED, widened, "--format", "json", "--seed", "1");
    const doc = JSON.parse(j.stdout) as { widening: boolean; changes: { role: string; tool: string; direction: string; witness: { request: unknown } }[] };
    expect(doc.widening).toBe(true);
    expect(doc.changes.map((c) => [c.direction, c.role, c.tool])).toEqual([["opens", "developer", "list_directory"]]);
    const m = cli("diff", SEED, widened, "--format", "markdown", "--allow-widening", "--seed", "1");
    expect(m.stdout).toContain("| opens | `developer` | `list_directory` | never | always |");
  });

  it("usage errors exit 2; a policy that does not compile exits 1 with its diagnostics", () => {
    expect(cli("diff", SEED).status).toBe(2);
    expect(cli("diff", SEED, widened, "--format", "yaml").status).toBe(2);
    expect(cli("diff", SEED, widened, "--runs", "0").status).toBe(2);
    expect(cli("diff", SEED, path.join(dir, "missing.mcppolicy")).status).toBe(2);
    const broken = path.join(dir, "broken.mcppolicy");
    writeFileSync(broken, "role { }");
    const r = cli("diff", SEED, broken);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[E\d{4}\]/);
  });
});
