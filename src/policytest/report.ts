/**
 * Renderings of a PolicyTestReport: text like a test runner's (`✓ name` / `✗ name` with what differed
 * and the decision, the coverage of each policy with the items no case exercised, a summary), the
 * report as JSON, and JUnit XML for CI systems. Pure functions of the report; stable output (no colour,
 * no timing) so that it can be compared with a golden file.
 */
import { formatDecision } from "../contract/format.js";
import type { PolicyCoverage } from "./coverage.js";
import type { TestFileError } from "./load.js";
import type { CaseResult, FileResult, PolicyTestReport } from "./run.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const indent = (lines: readonly string[], by: string) => lines.map((l) => by + l);

export function formatError(e: TestFileError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

function caseLines(c: CaseResult): string[] {
  if (c.status === "passed") return [`  ✓ ${c.name}`];
  if (c.status === "skipped") return [`  - ${c.name} (skipped${typeof c.skip === "string" ? `: ${c.skip}` : ""})`];
  const lines = [`  ✗ ${c.name}`, `      at ${c.at.file}:${c.at.line}:${c.at.column}`, ...indent(c.failures, "      ")];
  if (c.disagreement) {
    lines.push(`      decide:    ${JSON.stringify(c.disagreement.decide)}`, `      interpret: ${JSON.stringify(c.disagreement.interpret)}`);
  } else if (c.decision) {
    lines.push("      decision:", ...indent(formatDecision(c.decision), "        "));
  }
  return lines;
}

function fileLines(f: FileResult): string[] {
  const head = `${f.file} (${f.policy})`;
  if (f.compileError) return [head, `  ✗ the policy does not compile (diagnostics on stderr); no case ran`];
  return [head, ...f.cases.flatMap(caseLines)];
}

function coverageLines(p: PolicyCoverage): string[] {
  const line = `  ${p.policy}: ${p.exercised}/${p.total} exercised (${p.percent}%)`;
  const missed = p.items.filter((i) => i.exercisedBy.length === 0);
  if (missed.length === 0) return [line];
  const idWidth = Math.max(...missed.map((i) => i.id.length));
  const kind = (i: (typeof missed)[number]) => (i.kind === "rule" ? `${i.effect} rule` : i.kind === "args" ? "arguments" : "approval");
  return [`${line}, not exercised:`, ...missed.map((i) => `    ${i.id.padEnd(idWidth)}  ${kind(i).padEnd(10)}  ${i.file}:${i.line}`)];
}

/** The report as text for a terminal or a CI log. */
export function formatText(r: PolicyTestReport): string {
  if (r.errors.length > 0) return r.errors.map(formatError).join("\n");
  const s = r.summary;
  const blocks: string[] = r.files.map((f) => fileLines(f).join("\n"));
  if (r.coverage.length > 0) blocks.push(["coverage", ...r.coverage.flatMap(coverageLines)].join("\n"));
  const counts = [`${s.passed} passed`, `${s.failed} failed`, ...(s.skipped > 0 ? [`${s.skipped} skipped`] : [])];
  const broken = s.broken > 0 ? `; ${plural(s.broken, "file")} not run: the policy does not compile` : "";
  const summary = [`tests: ${counts.join(", ")} (${plural(s.files, "file")})${broken}`];
  if (r.coverage.length > 0) summary.push(`rules: ${s.exercised}/${s.total} exercised (${s.percent}%)`);
  if (r.belowMinimum.length > 0) {
    const below = r.coverage.filter((p) => r.belowMinimum.includes(p.policy)).map((p) => `${p.policy} (${p.percent}%)`);
    summary.push(`coverage below --min-coverage ${r.minCoverage}%: ${below.join(", ")}`);
  }
  blocks.push(summary.join("\n"));
  return blocks.join("\n\n");
}

/** The report as one JSON document. */
export function formatJson(r: PolicyTestReport): string {
  return JSON.stringify(r, null, 2);
}

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

function junitCase(f: FileResult, c: CaseResult): string {
  const open = `    <testcase name="${xml(c.name)}" classname="${xml(f.file)}" file="${xml(c.at.file)}" line="${c.at.line}"`;
  if (c.status === "passed") return `${open}/>`;
  if (c.status === "skipped") return `${open}>\n      <skipped${typeof c.skip === "string" ? ` message="${xml(c.skip)}"` : ""}/>\n    </testcase>`;
  const detail = c.decision ? [...c.failures, "", ...formatDecision(c.decision)] : c.failures;
  return `${open}>\n      <failure message="${xml(c.failures[0] ?? "failed")}">${xml(detail.join("\n"))}</failure>\n    </testcase>`;
}

/** A testcase that stands for a whole file that could not run. */
function junitError(file: string, name: string, message: string, detail: string): string {
  return `    <testcase name="${xml(name)}" classname="${xml(file)}" file="${xml(file)}">\n      <error message="${xml(message)}">${xml(detail)}</error>\n    </testcase>`;
}

/** The report as JUnit XML: one testsuite per test file, one testcase per case. */
export function formatJunit(r: PolicyTestReport): string {
  const s = r.summary;
  const errors = r.errors.length + s.broken;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="mcppolicy test" tests="${s.passed + s.failed + s.skipped + errors}" failures="${s.failed}" errors="${errors}" skipped="${s.skipped}">`);
  for (const e of r.errors) {
    lines.push(`  <testsuite name="${xml(e.file)}" tests="1" failures="0" errors="1" skipped="0">`, junitError(e.file, "test file", e.message, formatError(e)), "  </testsuite>");
  }
  for (const f of r.files) {
    const count = (st: CaseResult["status"]) => f.cases.filter((c) => c.status === st).length;
    const broken = f.compileError ? 1 : 0;
    lines.push(`  <testsuite name="${xml(f.file)}" tests="${f.cases.length + broken}" failures="${count("failed")}" errors="${broken}" skipped="${count("skipped")}">`);
    if (f.compileError) lines.push(junitError(f.file, "policy compiles", `the policy ${f.policy} does not compile`, f.compileError.rendered));
    for (const c of f.cases) lines.push(junitCase(f, c));
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return lines.join("\n");
}
