/**
 * Rule coverage: what a policy declares that a test can exercise, and which cases exercised it.
 * The items are every allow and deny rule (by its id: its name, or `developer/2`, `policy/1`), every tool argument check
 * (`tool:NAME/args`) and every tool approval (`tool:NAME/approval`) of every tool block (tool families:
 * `tool:GLOB/...`; server blocks: `server:S/tool:NAME/...`), each with the file and line that
 * declares it. A rule is exercised by a case whose explanation shows it `matched` (its target and
 * condition held, whatever else decided); an argument check by a case it denied (`invalid_argument`);
 * an approval by a case it sent to approval (`approval_required`).
 */
import type { ToolDecl } from "../ast/nodes.js";
import { loadPolicy, type ReadFile } from "../syntax/load.js";
import { lookupFrom } from "../diagnostics/render.js";
import type { Policy } from "../policy.js";
import type { Decision, ExplainedRule } from "../contract/index.js";
import type { Span } from "../source/source.js";
import { allToolBlocks } from "../ir/queries.js";

export type CoverageKind = "rule" | "args" | "approval";

export interface CoverageItem {
  id: string;
  kind: CoverageKind;
  /** For rules. */
  effect?: "allow" | "deny";
  file: string;
  line: number;
}

export interface CoveredItem extends CoverageItem {
  /** The cases that exercised it (`file:line name`), in run order. */
  exercisedBy: string[];
}

export interface PolicyCoverage {
  policy: string;
  items: CoveredItem[];
  exercised: number;
  total: number;
  /** Rounded down, so that 100 means every item; 100 when there is nothing to cover. */
  percent: number;
}

/**
 * The coverable items of a compiled policy, in source order (the main file first, then imports).
 * `text` and `filename` are what the policy was compiled from: they are parsed again for the
 * positions of tool blocks, which the IR does not keep.
 */
export function coverageItems(policy: Policy, text: string, filename: string, readFile: ReadFile, importRoots?: readonly string[]): CoverageItem[] {
  const { asts, sources } = loadPolicy(text, filename, readFile, importRoots);
  const lookup = lookupFrom(sources);
  const order = new Map(sources.map((s, i) => [s.name, i]));
  const where = (s: Span) => ({ file: s.file, line: lookup(s.file)?.position(s.start).line ?? 0 });
  const items: CoverageItem[] = [];
  const rules = [...policy.ir.topDenies, ...[...policy.ir.roles.values()].flatMap((r) => r.rules)];
  for (const r of rules) items.push({ id: r.id, kind: "rule", effect: r.effect, ...where(r.span) });
  const decls = new Map<string, ToolDecl>();
  // Keyed by block id: `tool:NAME` (exact or family glob), `server:S/tool:NAME` inside a server block.
  const declare = (id: string, d: ToolDecl) => void (decls.has(id) || decls.set(id, d));
  for (const ast of asts) {
    for (const d of ast.declarations) {
      if (d.kind === "tool") declare(`tool:${d.name.text}`, d);
      else if (d.kind === "server") for (const t of d.tools) declare(`server:${d.name.text}/tool:${t.name.text}`, t);
    }
  }
  const unknown = { file: filename, line: 0 };
  for (const tool of allToolBlocks(policy.ir)) {
    const decl = decls.get(tool.id);
    if (tool.args) items.push({ id: `${tool.id}/args`, kind: "args", ...(decl?.args ? where(decl.args.span) : unknown) });
    if (tool.approval) items.push({ id: `${tool.id}/approval`, kind: "approval", ...(decl?.approval ? where(decl.approval.span) : unknown) });
  }
  const rank = (i: CoverageItem) => order.get(i.file) ?? sources.length;
  return items.sort((a, b) => rank(a) - rank(b) || a.line - b.line);
}

/** The items one case exercised, from its explanation and its decision. */
export function exercisedItems(rules: readonly ExplainedRule[], decision: Decision): string[] {
  const ids = rules.filter((r) => r.outcome === "matched").map((r) => r.rule);
  for (const r of decision.reasons) {
    if (r.rule !== undefined && (r.code === "invalid_argument" || r.code === "approval_required")) ids.push(r.rule);
  }
  return ids;
}

/** Collects, for one policy, which cases exercised which items. */
export class CoverageTracker {
  private readonly by = new Map<string, string[]>();
  constructor(
    readonly policy: string,
    readonly items: readonly CoverageItem[],
  ) {
    for (const i of items) this.by.set(i.id, []);
  }

  record(ids: readonly string[], label: string): void {
    for (const id of new Set(ids)) this.by.get(id)?.push(label);
  }

  result(): PolicyCoverage {
    const items = this.items.map((i) => ({ ...i, exercisedBy: [...(this.by.get(i.id) ?? [])] }));
    const exercised = items.filter((i) => i.exercisedBy.length > 0).length;
    const total = items.length;
    return { policy: this.policy, items, exercised, total, percent: total === 0 ? 100 : Math.floor((exercised * 100) / total) };
  }
}
