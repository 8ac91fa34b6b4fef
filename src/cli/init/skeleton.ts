/**
 * `mcppolicy init`'s output: from a server's tool list, a policy skeleton (a tool block per tool with
 * its args block, roles for reading and for changing, approval on destructive tools, a rate limit)
 * and a test file with one case per tool (and one with arguments its args block refuses, where the
 * sampler finds some).
 * GUARANTEES: deterministic (tools in code-unit order of their names, a duplicate name kept once);
 * the policy compiles without errors (`writeSkeleton` compiles it and throws SkeletonBug otherwise, a
 * bug here, never the user's); every case of the test file passes: its arguments are made by the
 * analysis' sampler from the compiled args type and the case is decided before it is written, and a
 * case whose arguments could not be made is written with `skip:` and says why. Annotations absent
 * from a tool read as the MCP spec's defaults (readOnlyHint false, destructiveHint true,
 * idempotentHint false, openWorldHint true). A tool whose name the language cannot write (glob
 * characters in a block name, a control character) gets a comment instead of a block.
 */
import { checkPolicy, compilePolicy, type Policy } from "../../policy.js";
import { invalidArgs, validArgs } from "../../analysis/samples.js";
import type { PolicyRequest } from "../../contract/index.js";
import { nameFault } from "../../contract/names.js";
import { hintFor, hintText } from "./hints.js";
import { nameText as name, stringText as str } from "../../syntax/name-text.js";
import { commentText, typeText } from "./render.js";
import { toShape, type Note, type Shape } from "./schema.js";
import type { ListedTool } from "./tool-list.js";

export const READER = "reader";
export const WRITER = "writer";
export const RATE = "limit rate 60 per minute burst 20 by principal";

/** The generated policy does not compile, or a decided case disagrees: a bug in init, not in the input. */
export class SkeletonBug extends Error {}

interface Planned {
  readonly tool: ListedTool;
  readonly readOnly: boolean;
  readonly destructive: boolean;
  readonly openWorld: boolean;
  readonly shape: Shape;
  readonly notes: readonly Note[];
}

const PROBE = 'policy "probe"\n';
const compiles = (text: string) => checkPolicy(PROBE + text).ok;

/** Whether the language's regex engine takes the pattern (linear time, `u` flag). */
export function patternCompiles(pattern: string): boolean {
  return compiles(`tool t { args { a: string(pattern: ${str(pattern)}) } }`);
}

/** A tool name as a glob item of a `tool` set: its wildcard characters written literally (`[*]`). */
function setItem(toolName: string): string {
  return str(toolName.replace(/[*?[]/g, (c) => `[${c}]`));
}

/** Whether the language can name the tool both as a block and as a set item. */
function nameable(toolName: string): boolean {
  return !/[*?[\]]/.test(toolName) && compiles(`set s: tool = [${setItem(toolName)}]\ntool ${name(toolName)} { }`);
}

function plan(tool: ListedTool): Planned {
  const a = tool.annotations ?? {};
  const readOnly = a.readOnlyHint === true;
  const { shape, notes } = toShape(tool.inputSchema, patternCompiles);
  return { tool, readOnly, destructive: !readOnly && a.destructiveHint !== false, openWorld: a.openWorldHint !== false, shape, notes };
}

function notesAt(notes: readonly Note[], field: string): Note[] {
  return notes.filter((n) => n.at === field || n.at.startsWith(`${field}.`) || n.at.startsWith(`${field}[]`));
}

function argsLines(p: Planned): string[] {
  const out: string[] = [];
  for (const n of p.notes.filter((x) => x.at === "")) out.push(`  // NOTE: ${commentText(n.text)}`);
  const shape = p.shape;
  if (shape.k !== "object") {
    out.push("  args { ... }");
    return out;
  }
  out.push("  args {");
  for (const f of shape.fields) {
    if (f.description !== undefined) out.push(`    // ${commentText(f.description)}`);
    for (const n of notesAt(p.notes, f.name)) out.push(`    // NOTE: ${n.at === f.name ? "" : `${commentText(n.at, 60)}: `}${commentText(n.text)}`);
    const hint = hintFor(f.name, f.shape, f.description, f.format);
    if (hint !== undefined) out.push(`    // TODO ${hintText(hint, f.shape.k === "array")}`);
    out.push(`    ${name(f.name)}${f.optional ? "?" : ""}: ${typeText(f.shape)}`);
  }
  if (shape.open) out.push("    ...  // the schema allows other keys; remove `...` to refuse them");
  out.push("  }");
  return out;
}

function toolBlock(p: Planned): string[] {
  const t = p.tool;
  const out: string[] = [];
  const about = [t.title, t.description].filter((x): x is string => typeof x === "string" && x.trim() !== "");
  if (about.length > 0) out.push(`// ${commentText(about.join(": "), 160)}`);
  const marks = [p.readOnly ? "read-only" : "changes things", ...(p.destructive ? ["destructive"] : []), ...(p.openWorld ? ["open world"] : [])];
  out.push(`// annotations: ${marks.join(", ")}`);
  out.push(`tool ${name(t.name)} {`);
  out.push(`  risk ${p.readOnly ? "low" : p.destructive ? "high" : "medium"}`);
  if (p.destructive) out.push("  approval required");
  out.push(...argsLines(p));
  out.push("}");
  return out;
}

export interface SkeletonInput {
  readonly tools: readonly ListedTool[];
  /** The policy's name (`policy "NAME"`). */
  readonly policyName: string;
  /** Where the tools came from, for the header comment. */
  readonly source: string;
  /** The policy file's name as the test file names it (`policy:`). */
  readonly policyFile: string;
}

export interface Skeleton {
  readonly policy: string;
  readonly tests: string;
  /** Tools left out, with why. */
  readonly skipped: readonly { name: string; why: string }[];
}

function compareNames(a: ListedTool, b: ListedTool): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function policyText(input: SkeletonInput, planned: readonly Planned[], skipped: readonly { name: string; why: string }[]): string {
  const reads = planned.filter((p) => p.readOnly);
  const changes = planned.filter((p) => !p.readOnly);
  const lines: string[] = [
    `// A policy skeleton for ${commentText(input.source, 100)}, written by \`mcppolicy init\` (${planned.length} tool${planned.length === 1 ? "" : "s"}).`,
    "// Review before use: the roles, every TODO and NOTE, the rate limit. Tool annotations are the server's hints;",
    "// absent ones read as the MCP spec's defaults (readOnlyHint false, destructiveHint true, openWorldHint true).",
    `policy ${str(input.policyName)} version "0.1.0"`,
    "default deny",
    "",
  ];
  for (const s of skipped) lines.push(`// SKIPPED tool ${str(s.name)}: ${commentText(s.why)}`);
  if (skipped.length > 0) lines.push("");
  if (reads.length > 0) {
    lines.push("// Tools the server marks read-only (readOnlyHint: true).");
    lines.push(`set read_tools: tool = [${reads.map((p) => setItem(p.tool.name)).join(", ")}]`);
  }
  if (changes.length > 0) {
    lines.push("// Tools that may change something (readOnlyHint false or absent).");
    lines.push(`set change_tools: tool = [${changes.map((p) => setItem(p.tool.name)).join(", ")}]`);
  }
  lines.push("");
  lines.push("// The host hands roles in principal.roles; or derive them: `member when \"tools:read\" in principal.scopes`.");
  if (reads.length > 0) lines.push(`role ${READER} {`, "  allow tool read_tools", "}", "");
  if (changes.length > 0) lines.push(`role ${WRITER}${reads.length > 0 ? ` includes ${READER}` : ""} {`, "  allow tool change_tools", "}", "");
  for (const p of planned) lines.push(...toolBlock(p), "");
  lines.push("// Every call, per principal: adjust to the server's capacity.");
  lines.push(RATE);
  return lines.join("\n") + "\n";
}

interface Case {
  name: string;
  request: PolicyRequest;
  expect: Readonly<Record<string, unknown>>;
  skip?: string;
}

const PRINCIPAL = { id: "user-1" };

function caseFor(policy: Policy, p: Planned): Case {
  const t = p.tool.name;
  const role = p.readOnly ? READER : WRITER;
  const rule = `${role}/1`;
  const expect = p.destructive ? { effect: "require_approval", rule: [rule, `tool:${t}/approval`] } : { effect: "allow", rule };
  const title = `${p.readOnly ? "a reader" : "a writer"} may call ${t}${p.destructive ? ", with approval" : ""}`;
  const args = validArgs(policy.ir.tools.get(t)?.args)[0];
  if (args === undefined) {
    return { name: title, request: { principal: { roles: [role] }, tool: t, arguments: {} }, expect, skip: "no arguments its args block accepts were found: write some" };
  }
  const request: PolicyRequest = { principal: { roles: [role] }, tool: t, arguments: args };
  const d = policy.decide({ ...request, principal: { ...PRINCIPAL, roles: [role] } });
  if (d.effect !== expect["effect"]) throw new SkeletonBug(`the case for tool '${t}' is decided ${d.effect}, not ${String(expect["effect"])}: ${d.reasons.map((r) => r.message).join("; ")}`);
  return { name: title, request, expect };
}

/** A call whose arguments the tool's args block refuses (its rule `tool:NAME/args` is then covered), if one was found. */
function refusalFor(policy: Policy, p: Planned): Case | undefined {
  const t = p.tool.name;
  const role = p.readOnly ? READER : WRITER;
  const args = invalidArgs(policy.ir.tools.get(t)?.args)[0];
  if (args === undefined) return undefined;
  const request: PolicyRequest = { principal: { roles: [role] }, tool: t, arguments: args };
  const d = policy.decide({ ...request, principal: { ...PRINCIPAL, roles: [role] } });
  if (d.effect !== "deny" || !d.reasons.some((r) => r.code === "invalid_argument")) return undefined;
  return { name: `${t} refuses arguments its schema does not accept`, request, expect: { effect: "deny", reason: "invalid_argument", rule: `tool:${t}/args` } };
}

function testsText(input: SkeletonInput, cases: readonly Case[]): string {
  const lines = [
    "# Tests of the skeleton written by `mcppolicy init`: one case per tool (run: mcppolicy test FILE).",
    `policy: ${JSON.stringify(input.policyFile)}`,
    `defaults: { principal: ${JSON.stringify(PRINCIPAL)} }`,
    "cases:",
  ];
  for (const c of cases) {
    lines.push(`  - name: ${JSON.stringify(c.name)}`);
    lines.push(`    request: ${JSON.stringify(c.request)}`);
    lines.push(`    expect: ${JSON.stringify(c.expect)}`);
    if (c.skip !== undefined) lines.push(`    skip: ${JSON.stringify(c.skip)}`);
  }
  if (cases.length === 0) lines.push("  []");
  return lines.join("\n") + "\n";
}

/** The skeleton and its test file. Throws SkeletonBug only on a bug of this module. */
export function writeSkeleton(input: SkeletonInput): Skeleton {
  const seen = new Set<string>();
  const skipped: { name: string; why: string }[] = [];
  const planned: Planned[] = [];
  for (const t of [...input.tools].sort(compareNames)) {
    if (seen.has(t.name)) {
      skipped.push({ name: t.name, why: "listed twice; the first is kept" });
      continue;
    }
    seen.add(t.name);
    const fault = nameFault(t.name);
    if (fault !== undefined) {
      skipped.push({ name: t.name, why: `its name ${fault}: every request naming it is refused as invalid` });
      continue;
    }
    if (!nameable(t.name)) {
      skipped.push({ name: t.name, why: "the policy language cannot name it exactly (glob or control characters)" });
      continue;
    }
    planned.push(plan(t));
  }
  const policy = policyText(input, planned, skipped);
  let compiled: Policy;
  try {
    compiled = compilePolicy(policy, { filename: input.policyFile });
  } catch (e) {
    throw new SkeletonBug(`the skeleton does not compile: ${e instanceof Error ? e.message : String(e)}`);
  }
  const cases = planned.flatMap((p) => {
    const bad = refusalFor(compiled, p);
    return bad === undefined ? [caseFor(compiled, p)] : [caseFor(compiled, p), bad];
  });
  if (cases.length > 0) {
    cases.push({ name: "a principal without a role is denied", request: { principal: { roles: [] }, tool: (planned[0] as Planned).tool.name, arguments: {} }, expect: { effect: "deny", reason: "no_role" } });
  }
  return { policy, tests: testsText(input, cases), skipped };
}
