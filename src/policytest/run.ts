/**
 * Runs policy test files: loads and validates every file, compiles each policy once, checks the
 * files' rule, role and budget names against their policy, then decides every case with BOTH the
 * compiled function and the reference interpreter (a case whose two decisions differ fails, whatever
 * it expected), compares the decision with the expectation and records coverage from `explain`.
 * GUARANTEES: never throws on any input. When a test file has a mistake (`errors`), no case runs. A
 * policy that does not compile fails the files that test it (with its diagnostics); the others run.
 */
import * as nodePath from "node:path";
import { FileRefusal, fsReader, policyFileReader } from "../source/files.js";
import type { JsonDiagnostic } from "../diagnostics/render.js";
import { compilePolicy, PolicyCompileError, type Policy } from "../policy.js";
import { canonicalJson } from "../contract/canonical.js";
import type { Decision } from "../contract/index.js";
import { rulesWithPositions } from "../ir/rule-ids.js";
import { CoverageTracker, coverageItems, exercisedItems, type PolicyCoverage } from "./coverage.js";
import {
  checkReferences,
  defaultPolicyPath,
  loadPolicyTests,
  readUtf8,
  type PolicyTestCase,
  type PolicyTestFile,
  type Position,
  type ReadText,
  type TestExpectation,
  type TestFileError,
} from "./load.js";

export interface RunOptions {
  /** Reads test files, policies and their imports. Default: the file system (UTF-8). */
  readFile?: ReadText;
  /** The percentage of its rules each policy's tests must exercise (0-100). */
  minCoverage?: number;
  /** Where the policies' imports may lie (the compile option `importRoots`); default: each policy's directory. */
  importRoots?: readonly string[];
}

export type CaseStatus = "passed" | "failed" | "skipped";

export interface CaseResult {
  name: string;
  at: Position;
  status: CaseStatus;
  expected: TestExpectation;
  /** The compiled function's decision (absent when skipped). */
  decision?: Decision;
  /** What did not match, one line each (empty when passed). */
  failures: string[];
  /** The compiled function and the interpreter disagreed: a bug in mcppolicy. */
  disagreement?: { decide: Decision; interpret: Decision };
  skip?: true | string;
}

export interface FileResult {
  file: string;
  policy: string;
  /** The policy does not compile: nothing in this file ran. */
  compileError?: { rendered: string; diagnostics: JsonDiagnostic[] };
  cases: CaseResult[];
}

export interface TestSummary {
  files: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Test files whose policy does not compile. */
  broken: number;
  /** Coverage over every policy tested. */
  exercised: number;
  total: number;
  percent: number;
}

export interface PolicyTestReport {
  /** Mistakes in the test files; when there is any, no case ran and `files` is empty. */
  errors: TestFileError[];
  files: FileResult[];
  coverage: PolicyCoverage[];
  minCoverage?: number;
  /** The policies whose coverage is below `minCoverage`. */
  belowMinimum: string[];
  summary: TestSummary;
  /** No error, every case passed, every policy compiled and reached `minCoverage`. */
  ok: boolean;
}

type Compiled =
  | { kind: "ok"; policy: Policy; coverage: CoverageTracker; known: Parameters<typeof checkReferences>[1]; named: ReadonlyMap<string, string> }
  | { kind: "unreadable"; message: string }
  | { kind: "broken"; error: PolicyCompileError };

export function runPolicyTests(files: readonly string[], options: RunOptions = {}): PolicyTestReport {
  const read = options.readFile ?? readUtf8;
  const errors: TestFileError[] = [];
  const loaded: PolicyTestFile[] = [];
  for (const file of files) {
    const r = loadPolicyTests(file, read);
    errors.push(...r.errors);
    if (r.tests) loaded.push(r.tests);
  }
  const policies = new Map<string, Compiled>();
  const compiledFor = (t: PolicyTestFile) => policies.get(nodePath.resolve(t.policy)) as Compiled;
  for (const t of loaded) {
    const key = nodePath.resolve(t.policy);
    // A test file is input too: the policy it names must lie where the policy may be read from (the
    // import roots when given, else the test file's directory tree or the working directory), after
    // following symbolic links, or a test file could show any file (`policy: /proc/self/environ`)
    // line by line in the diagnostics of its compile.
    const where = policyWhere(t.file, t.policy, options.readFile ?? fsReader, options.importRoots);
    if (where !== null) {
      errors.push({ ...t.policyAt, message: `cannot read the policy '${t.policy}': ${where}` });
      continue;
    }
    // The default policy reader is the compiler's own, so imports get its symlink checks too.
    if (!policies.has(key)) policies.set(key, compile(t.policy, options.readFile ?? fsReader, options.importRoots));
    const c = compiledFor(t);
    if (c.kind === "unreadable") {
      const hint = t.policy === defaultPolicyPath(t.file) ? " (name the policy with `policy:`)" : "";
      errors.push({ ...t.policyAt, message: `cannot read the policy '${t.policy}': ${c.message}${hint}` });
    }
    if (c.kind === "ok") errors.push(...checkReferences(t, c.known, c.named));
  }
  const minCoverage = options.minCoverage;
  if (errors.length > 0) {
    const order = new Map(files.map((f, i) => [f, i]));
    errors.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line || a.column - b.column);
    return finish({ errors, files: [], coverage: [], belowMinimum: [], ...(minCoverage !== undefined && { minCoverage }) });
  }

  const results: FileResult[] = [];
  for (const t of loaded) {
    const c = compiledFor(t);
    if (c.kind === "broken") {
      results.push({ file: t.file, policy: t.policy, compileError: { rendered: c.error.render(), diagnostics: c.error.toJSON() }, cases: [] });
    } else if (c.kind === "ok") {
      results.push({ file: t.file, policy: t.policy, cases: t.cases.map((tc) => runCase(c.policy, c.coverage, tc)) });
    }
  }
  const coverage = [...policies.values()].flatMap((c) => (c.kind === "ok" ? [c.coverage.result()] : []));
  const belowMinimum = minCoverage === undefined ? [] : coverage.filter((p) => p.exercised * 100 < minCoverage * p.total).map((p) => p.policy);
  return finish({ errors, files: results, coverage, belowMinimum, ...(minCoverage !== undefined && { minCoverage }) });
}

/** Why the policy a test file names may not be read from there (null: it may). */
function policyWhere(testFile: string, policy: string, read: ReadText, importRoots: readonly string[] | undefined): string | null {
  const roots = importRoots && importRoots.length > 0 ? importRoots.map((r) => nodePath.resolve(r)) : [nodePath.dirname(nodePath.resolve(testFile)), process.cwd()];
  try {
    policyFileReader(read, roots)(policy);
    return null;
  } catch (e) {
    if (e instanceof FileRefusal && e.kind === "outside") {
      return `${e.message}: a test file may name a policy inside its own directory tree or the working directory${importRoots ? "" : " (or pass --import-root)"}`;
    }
    return null; // missing, unreadable, too large: reported by the compile below, as before
  }
}

function compile(path: string, read: ReadText, importRoots: readonly string[] | undefined): Compiled {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    return { kind: "unreadable", message: code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : ((e as Error)?.message ?? String(e)) };
  }
  let policy: Policy;
  try {
    policy = compilePolicy(text, { filename: path, readFile: read, ...(importRoots && { importRoots }) });
  } catch (e) {
    if (e instanceof PolicyCompileError) return { kind: "broken", error: e };
    return { kind: "unreadable", message: (e as Error)?.message ?? String(e) };
  }
  const items = coverageItems(policy, text, path, read, importRoots);
  const known = {
    rule: new Set(items.map((i) => i.id)),
    role: new Set(policy.ir.roles.keys()),
    budget: new Set(policy.budgets.map((b) => b.id)),
  };
  // Named rules: their positional ids, so a test still using one is told the name.
  const named = new Map(rulesWithPositions(policy.ir).flatMap(({ rule, positional }) => (rule.name !== undefined ? [[positional, rule.name] as const] : [])));
  return { kind: "ok", policy, coverage: new CoverageTracker(path, items), known, named };
}

function runCase(policy: Policy, coverage: CoverageTracker, c: PolicyTestCase): CaseResult {
  const base = { name: c.name, at: c.at, expected: c.expect };
  if (c.skip !== undefined) return { ...base, status: "skipped", failures: [], skip: c.skip };
  const decision = policy.decide(c.request);
  const interpreted = policy.interpret(c.request);
  const explanation = policy.explain(c.request);
  coverage.record(exercisedItems(explanation.rules, decision), `${c.at.file}:${c.at.line} ${c.name}`);
  const failures = compare(c.expect, decision);
  let disagreement: CaseResult["disagreement"];
  if (!sameJson(decision, interpreted)) {
    disagreement = { decide: decision, interpret: interpreted };
    failures.unshift("the compiled function and the interpreter disagree (a bug in mcppolicy; please report it)");
  }
  return { ...base, status: failures.length === 0 ? "passed" : "failed", decision, failures, ...(disagreement && { disagreement }) };
}

function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return JSON.stringify(a) === JSON.stringify(b);
  }
}

const shown = (items: readonly (string | undefined)[]) => {
  const defined = items.filter((x): x is string => x !== undefined);
  return defined.length > 0 ? defined.join(", ") : "none";
};

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");

/** What differs between the expectation and the decision, one line each. */
export function compare(e: TestExpectation, d: Decision): string[] {
  const out: string[] = [];
  if (d.effect !== e.effect) out.push(`effect: expected ${e.effect}, got ${d.effect}`);
  const rules = d.reasons.map((r) => r.rule);
  for (const id of e.rules ?? []) {
    if (!rules.includes(id)) out.push(`rule: expected ${id} among the reasons' rules, got ${shown(rules)}`);
  }
  if (e.reason !== undefined && !d.reasons.some((r) => r.code === e.reason)) {
    out.push(`reason: expected a reason with code ${e.reason}, got ${shown(d.reasons.map((r) => r.code))}`);
  }
  if (e.message !== undefined && !d.reasons.some((r) => r.message.includes(e.message as string))) {
    out.push(`message: expected a reason whose message contains ${JSON.stringify(e.message)}`);
  }
  if (e.visibility !== undefined && d.visibility !== e.visibility) {
    out.push(`visibility: expected ${e.visibility}, got ${d.visibility ?? "none (only a list method with an item has one)"}`);
  }
  if (e.roles !== undefined && !sameSet(e.roles, d.roles)) out.push(`roles: expected [${e.roles.join(", ")}], got [${d.roles.join(", ")}]`);
  if (e.budgets !== undefined && !sameSet(e.budgets, d.budgets)) out.push(`budgets: expected [${e.budgets.join(", ")}], got [${d.budgets.join(", ")}]`);
  if (e.approvers !== undefined) {
    const a = d.approvers;
    const got = a === undefined ? "none (only require_approval has approvers)" : a.kind === "roles" ? `[${a.roles.join(", ")}]` : a.kind;
    const ok = a !== undefined && (Array.isArray(e.approvers) ? a.kind === "roles" && sameSet(e.approvers, a.roles) : a.kind === e.approvers);
    if (!ok) out.push(`approvers: expected ${Array.isArray(e.approvers) ? `[${e.approvers.join(", ")}]` : e.approvers}, got ${got}`);
  }
  return out;
}

function finish(r: Omit<PolicyTestReport, "summary" | "ok">): PolicyTestReport {
  const cases = r.files.flatMap((f) => f.cases);
  const count = (s: CaseStatus) => cases.filter((c) => c.status === s).length;
  const exercised = r.coverage.reduce((n, p) => n + p.exercised, 0);
  const total = r.coverage.reduce((n, p) => n + p.total, 0);
  const summary: TestSummary = {
    files: r.files.length,
    passed: count("passed"),
    failed: count("failed"),
    skipped: count("skipped"),
    broken: r.files.filter((f) => f.compileError).length,
    exercised,
    total,
    percent: total === 0 ? 100 : Math.floor((exercised * 100) / total),
  };
  const ok = r.errors.length === 0 && summary.failed === 0 && summary.broken === 0 && r.belowMinimum.length === 0;
  return { ...r, summary, ok };
}
