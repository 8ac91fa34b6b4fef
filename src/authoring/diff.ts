/**
 * `mcppolicy diff OLD NEW`: what a policy change opens and closes, for review. For every (role, tool) either
 * policy can speak of (the roles both declare, the tools both name, an instance of every glob, and one tool
 * neither names), the analysis answers "can the role call it?" in each policy; where the answers differ, or
 * either depends on the request, the equivalence search looks for a request the two decide differently, and
 * that request is the witness (run through both `decide`s, both decisions shown).
 * GUARANTEES: every witness reported was decided by both policies as reported; a change is "widening" when
 * some request gets a more permissive effect from NEW than from OLD (deny < require_approval < allow), or, with
 * no witness found, when NEW's analysis proves an effect OLD's cannot give; the search is bounded (a search,
 * not a proof: a pair with no difference found is not reported, and the report says how many requests each
 * searched pair tried).
 */
import { canRoleCall } from "../analysis/index.js";
import { globInstance } from "../analysis/harvest.js";
import type { Answer, RoleVerdict } from "../analysis/types.js";
import type { Decision, Effect, PolicyRequest } from "../contract/index.js";
import type { IrPolicy } from "../ir/ir.js";
import type { Policy } from "../policy.js";
import { equivalence } from "../testing/equivalence.js";

export type Direction = "opens" | "closes" | "changes";

export interface PolicyChange {
  readonly role: string;
  readonly tool: string;
  /** The analysis' answers; `never` for a role a policy does not declare. */
  readonly old: Answer;
  readonly new: Answer;
  readonly direction: Direction;
  /** A request the two policies decide differently, with both decisions, when the search found one. */
  readonly witness?: { readonly request: PolicyRequest; readonly old: Decision; readonly new: Decision };
}

export interface PolicyDiff {
  readonly changes: readonly PolicyChange[];
  /** Some change lets NEW allow (or send to approval) what OLD did not. */
  readonly widening: boolean;
  readonly pairs: number;
  readonly searched: number;
  readonly runsPerPair: number;
}

const RANK: Readonly<Record<Effect, number>> = { deny: 0, require_approval: 1, allow: 2 };

/** The exact tool names a policy mentions (rules, tool blocks, server blocks) and an instance of each glob. */
function toolNames(ir: IrPolicy, into: Set<string>): void {
  const add = (p: { kind: string; text: string }) => into.add(p.kind === "exact" ? p.text : globInstance(p.text));
  const rules = [...ir.topDenies, ...[...ir.roles.values()].flatMap((r) => r.rules)];
  for (const r of rules) if (r.target === "tool") for (const p of r.patterns) add(p);
  for (const name of ir.tools.keys()) add({ kind: /[*?[]/.test(name) ? "glob" : "exact", text: name });
}

function verdictOf(p: Policy, role: string, tool: string): RoleVerdict | undefined {
  if (!p.ir.roles.has(role)) return undefined;
  try {
    return canRoleCall(p, role, tool);
  } catch {
    return undefined; // a name decide refuses (invalid_request): never anything to compare
  }
}

const effectsOf = (v: RoleVerdict | undefined): readonly Effect[] => v?.effects ?? ["deny"];
const most = (effects: readonly Effect[]) => Math.max(...effects.map((e) => RANK[e]));

export interface DiffOptions {
  /** Requests the equivalence search tries per (role, tool) pair (default 200). */
  runs?: number;
  seed?: number;
}

export function diffPolicies(oldP: Policy, newP: Policy, options: DiffOptions = {}): PolicyDiff {
  const runs = options.runs ?? 200;
  const roles = [...new Set([...oldP.ir.roles.keys(), ...newP.ir.roles.keys()])].sort();
  const named = new Set<string>();
  toolNames(oldP.ir, named);
  toolNames(newP.ir, named);
  let other = "some_unlisted_tool";
  for (let i = 2; named.has(other); i++) other = `some_unlisted_tool_${i}`;
  const tools = [...named].sort().concat(other);
  const changes: PolicyChange[] = [];
  let searched = 0;
  for (const role of roles) {
    for (const tool of tools) {
      const a = verdictOf(oldP, role, tool);
      const b = verdictOf(newP, role, tool);
      const oldAnswer: Answer = a?.answer ?? "never";
      const newAnswer: Answer = b?.answer ?? "never";
      // Nothing to search where both answers are fixed and no args block narrows them (an `always` over
      // args blocks that differ still differs on some arguments).
      const argsChecked = (a?.argsChecked ?? false) || (b?.argsChecked ?? false);
      const fixed = (x: Answer) => x === "never" || ((x === "always" || x === "with-approval") && !argsChecked);
      if (oldAnswer === newAnswer && fixed(oldAnswer)) continue;
      searched++;
      const report = equivalence(oldP, newP, {
        scenario: { method: "tools/call", tool, holding: role, lacking: roles.filter((r) => r !== role) },
        numRuns: runs,
        ...(options.seed !== undefined && { seed: options.seed }),
      });
      const d = report.difference;
      if (!d && oldAnswer === newAnswer) continue; // both depend on the request, and no request tells them apart
      let direction: Direction;
      if (d) {
        const ra = RANK[d.a.effect];
        const rb = RANK[d.b.effect];
        direction = rb > ra ? "opens" : rb < ra ? "closes" : "changes";
      } else {
        const ma = most(effectsOf(a));
        const mb = most(effectsOf(b));
        direction = mb > ma ? "opens" : mb < ma ? "closes" : "changes";
      }
      changes.push({ role, tool, old: oldAnswer, new: newAnswer, direction, ...(d && { witness: { request: d.request, old: d.a, new: d.b } }) });
    }
  }
  return { changes, widening: changes.some((c) => c.direction === "opens"), pairs: roles.length * tools.length, searched, runsPerPair: runs };
}

// ---- rendering ----

const why = (d: Decision) => `${d.effect}${d.reasons.length ? ` (${d.reasons.map((r) => r.rule ?? r.code).join(", ")})` : ""}`;
const SIGN: Readonly<Record<Direction, string>> = { opens: "+", closes: "-", changes: "~" };

export function diffText(diff: PolicyDiff, oldName: string, newName: string): string {
  const opens = diff.changes.filter((c) => c.direction === "opens").length;
  const closes = diff.changes.filter((c) => c.direction === "closes").length;
  const lines = [`diff ${oldName} -> ${newName}: ${diff.changes.length} change${diff.changes.length === 1 ? "" : "s"} (${opens} opening, ${closes} closing)`];
  for (const c of diff.changes) {
    // The same answer on both sides: the difference lies in the arguments or the request (a loosened `path(root: ...)`).
    const answers = c.old === c.new ? `${c.old} in both, but some requests differ` : `${c.old} -> ${c.new}`;
    lines.push(`${SIGN[c.direction]} ${c.direction} role ${c.role}, tool ${c.tool}: ${answers}`);
    if (c.witness) {
      lines.push(`    request: ${JSON.stringify(c.witness.request)}`);
      lines.push(`    old: ${why(c.witness.old)}`, `    new: ${why(c.witness.new)}`);
    }
  }
  lines.push(`(${diff.pairs} role x tool pairs; ${diff.searched} searched with up to ${diff.runsPerPair} requests each: a search, not a proof)`);
  return lines.join("\n");
}

export function diffMarkdown(diff: PolicyDiff, oldName: string, newName: string): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [`### Policy diff: \`${oldName}\` → \`${newName}\``, ""];
  if (diff.changes.length === 0) lines.push("No (role, tool) pair decides differently.");
  else {
    lines.push(diff.widening ? "**This change widens access.**" : "This change only narrows or reshapes access.", "");
    lines.push("| | role | tool | old | new | witness request | old decision | new decision |", "|---|---|---|---|---|---|---|---|");
    for (const c of diff.changes) {
      const w = c.witness;
      lines.push(`| ${c.direction} | \`${cell(c.role)}\` | \`${cell(c.tool)}\` | ${c.old} | ${c.old === c.new ? `${c.new} (some requests differ)` : c.new} | ${w ? `\`${cell(JSON.stringify(w.request))}\`` : ""} | ${w ? cell(why(w.old)) : ""} | ${w ? cell(why(w.new)) : ""} |`);
    }
  }
  lines.push("", `<sub>${diff.pairs} role × tool pairs; ${diff.searched} searched with up to ${diff.runsPerPair} requests each (a search, not a proof).</sub>`);
  return lines.join("\n");
}
