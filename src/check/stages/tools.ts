/**
 * Stage `tools`: checks and lowers each `tool` block, in declaration order: its name (one exact tool
 * name, E0115), repeated entries (E0113), risk (E0209), the shape of `args` (an object type or
 * `json(...)`, E0201), `approval required [when ...]` and its limits (ids `tool:NAME/limit/N`).
 * Guarantees: every declared tool is in `tools`, keyed by its name.
 */
import type * as A from "../../ast/nodes.js";
import { invalidRisk, invalidToolBlockName, misplaced, typeMismatch } from "../../diagnostics/catalog.js";
import { globProblem } from "../../builtins/glob/glob-syntax.js";
import type { IrTool, Risk } from "../../ir/ir.js";
import { lowerType } from "../arg-types.js";
import { lowerCondition } from "../expressions.js";
import { lowerLimits } from "../limits.js";
import type { Symbols } from "../scope.js";
import { defineStage } from "../state.js";

export const toolsStage = defineStage({
  name: "tools",
  needs: ["declarations", "sets"],
  produces: ["tools"],
  input: "any",
  run({ sym }) {
    const tools = new Map<string, IrTool>();
    for (const t of sym.tools.values()) tools.set(t.name.text, lowerTool(sym, t));
    return { tools };
  },
});

const RISKS: Risk[] = ["low", "medium", "high", "critical"];

/** A tool block describes one tool by the exact name requests carry: no glob, no reserved character. */
function checkToolBlockName(sym: Symbols, name: A.Name): void {
  if (/[*?]/.test(name.text)) {
    sym.diagnostics.push(
      invalidToolBlockName(name.span, name.text, "a glob would name a family of tools, and a tool block describes exactly one tool", "write one `tool` block per tool; rules may still use the glob (`allow tool \"github__*\"`)"),
    );
    return;
  }
  const problem = /[[\]]/.test(name.text) ? { what: "brackets are glob syntax" } : globProblem(name.text, "tool");
  if (problem) sym.diagnostics.push(invalidToolBlockName(name.span, name.text, problem.what, "a tool block names one tool exactly as requests carry it (MCP tool names use letters, digits, `_`, `-` and `.`)"));
}

function lowerTool(sym: Symbols, t: A.ToolDecl): IrTool {
  checkToolBlockName(sym, t.name);
  for (const rep of t.repeated) sym.diagnostics.push(misplaced(rep.span, `\`${rep.what}\` is given twice in tool \`${t.name.text}\``, "keep one"));
  let risk: Risk | undefined;
  if (t.risk) {
    if (RISKS.includes(t.risk.text as Risk)) risk = t.risk.text as Risk;
    else sym.diagnostics.push(invalidRisk(t.risk.span, t.risk.text));
  }
  if (t.args && t.args.kind !== "object" && !(t.args.kind === "named" && t.args.name.text === "json")) {
    sym.diagnostics.push(typeMismatch(t.args.span, "a tool's `args` must be an object type `{ ... }` or `json(schema: ...)`", "the arguments of an MCP tool call are always an object"));
  }
  let approval: IrTool["approval"];
  if (t.approval) {
    if (t.approval.required.text !== "required") {
      sym.diagnostics.push(misplaced(t.approval.required.span, `expected \`approval required\`, found \`approval ${t.approval.required.text}\``, "write `approval required` or `approval required when ...`"));
    }
    const when = t.approval.when && lowerCondition(sym, t.approval.when);
    approval = when ? { when: when.ir } : {};
  }
  const args = t.args && lowerType(sym, t.args);
  return {
    name: t.name.text,
    ...(risk && { risk }),
    ...(approval && { approval }),
    ...(args && { args }),
    budgets: lowerLimits(sym, t.limits, `tool:${t.name.text}`, { level: "tool", tool: t.name.text }, { tool: { name: t.name.text, ...(args && { args }) } }),
    span: t.name.span,
  };
}
