/**
 * Stage `tools`: checks and lowers each `tool` block, in declaration order: its name (an exact tool
 * name, or a name glob: a tool family; E0115 for what globs cannot say), repeated entries (E0113), risk
 * (E0209), the shape of `args` (an object type or `json(...)`, E0201), `approval required [when ...] [by ...]`
 * (approvers: E0101 for an undeclared role, E0136 for another word, E0113 for a second `by`) and
 * its limits (ids `tool:NAME/limit/N`); and each `server` block (E0135 for a name no request carries):
 * its tool blocks (ids `server:S/tool:NAME/...`, duplicates E0103) and its limits (`server:S/limit/N`).
 * Guarantees: every top-level exact block is in `tools` keyed by its name, every top-level family in
 * `families` in source order; every server block in `servers`.
 */
import type * as A from "../../ast/nodes.js";
import { duplicateDeclaration, invalidRisk, invalidServerBlockName, invalidToolBlockName, misplaced, typeMismatch, unknownApprover, unknownRole } from "../../diagnostics/catalog.js";
import { globProblem } from "../../builtins/glob/glob-syntax.js";
import { nameFault } from "../../contract/names.js";
import type { IrApprovers, IrPattern, IrServer, IrTool, Risk } from "../../ir/ir.js";
import { lowerType } from "../arg-types.js";
import { lowerCondition } from "../expressions.js";
import { argScopeOfApproval } from "../arg-typing.js";
import { checkArgReads } from "../deny-args.js";
import { internData, internExpr } from "../intern.js";
import { lowerLimits } from "../limits.js";
import type { Symbols } from "../scope.js";
import { defineStage } from "../state.js";
import { withPathReads } from "../path-reads.js";
import { checkEnumLiterals, checkRelativePathLiterals } from "../impossible-literals.js";

export const toolsStage = defineStage({
  name: "tools",
  needs: ["declarations", "sets"],
  produces: ["tools", "families", "servers"],
  input: "any",
  run({ sym }) {
    const { tools, families } = lowerBlocks(sym, [...sym.tools.values()], undefined);
    const servers = new Map<string, IrServer>();
    for (const s of sym.servers.values()) servers.set(s.name.text, lowerServer(sym, s));
    return { tools, families, servers };
  },
});

/** Whether a tool block's name is a family glob (`*` or `?` in it). */
export const isFamilyName = (text: string): boolean => /[*?]/.test(text);

function lowerBlocks(sym: Symbols, decls: readonly A.ToolDecl[], server: string | undefined): { tools: Map<string, IrTool>; families: IrTool[] } {
  const tools = new Map<string, IrTool>();
  const families: IrTool[] = [];
  for (const t of decls) {
    const ir = lowerTool(sym, t, server);
    if (ir.pattern !== undefined) families.push(ir);
    else tools.set(ir.name, ir);
  }
  return { tools, families };
}

function lowerServer(sym: Symbols, s: A.ServerDecl): IrServer {
  const fault = nameFault(s.name.text);
  if (fault) sym.diagnostics.push(invalidServerBlockName(s.name.span, s.name.text, fault));
  const first = new Map<string, A.Name["span"]>();
  const unique: A.ToolDecl[] = [];
  for (const t of s.tools) {
    const seen = first.get(t.name.text);
    if (seen) sym.diagnostics.push(duplicateDeclaration(t.name.span, `tool in server ${"`"}${s.name.text}${"`"}`, t.name.text, seen));
    else {
      first.set(t.name.text, t.name.span);
      unique.push(t);
    }
  }
  const { tools, families } = lowerBlocks(sym, unique, s.name.text);
  const budgets = lowerLimits(sym, s.limits, `server:${s.name.text}`, { level: "server", server: s.name.text });
  return { name: s.name.text, tools, families, budgets, span: s.name.span };
}

const RISKS: Risk[] = ["low", "medium", "high", "critical"];

/**
 * A tool block names one tool exactly as requests carry it, or a family of tools by a name glob (`*`
 * any run, `?` one character). Refused (E0115): brackets (`[c]` literals or classes: a block name says
 * no more than `*` and `?`), and whatever E0210 refuses in a rule target (regex syntax, alternatives,
 * invisible characters, edge whitespace, an empty name).
 */
function checkToolBlockName(sym: Symbols, name: A.Name): void {
  const family = isFamilyName(name.text);
  const problem = /[[\]]/.test(name.text) ? { what: "brackets are glob syntax" } : globProblem(name.text, "tool");
  if (!problem) return;
  const hint = family
    ? "a tool family names its tools with `*` (any run) and `?` (one character) only, anchored at both ends (`tool \"github__*\" { ... }`); brackets, classes and regular-expression syntax are refused"
    : "a tool block names one tool exactly as requests carry it (MCP tool names use letters, digits, `_`, `-` and `.`), or a family of tools with `*` and `?`";
  sym.diagnostics.push(invalidToolBlockName(name.span, name.text, problem.what, hint));
}

const OTHERS: IrApprovers = { kind: "others" };

/**
 * `by caller` / `by others` / `by role R1, R2` (absent: `by others`). Every role must be declared in the
 * policy (E0101, with a suggestion); any other word after `by` is E0136. Roles are kept once, in order.
 */
function lowerApprovers(sym: Symbols, by: A.ApproversDecl | undefined): IrApprovers {
  if (!by) return OTHERS;
  switch (by.who.text) {
    case "caller":
      return { kind: "caller" };
    case "others":
      return OTHERS;
    case "role": {
      const roles: string[] = [];
      for (const r of by.roles) {
        if (!sym.roles.has(r.text)) sym.diagnostics.push(unknownRole(r.span, r.text, sym.roles.keys()));
        else if (!roles.includes(r.text)) roles.push(r.text);
      }
      return { kind: "roles", roles };
    }
    default:
      sym.diagnostics.push(unknownApprover(by.who.span, by.who.text));
      return OTHERS;
  }
}

function lowerTool(sym: Symbols, t: A.ToolDecl, server: string | undefined): IrTool {
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
    // Typed against the tool's own `args` block; its reads checked like a rule's (deny-args.ts).
    const scope = argScopeOfApproval(t);
    const when = t.approval.when && lowerCondition(sym, t.approval.when, scope);
    if (t.approval.when) checkArgReads(sym, scope, t.approval.when, undefined);
    // Its path-typed arguments are read resolved, as in a rule targeting this block's tools.
    const self: IrPattern = isFamilyName(t.name.text) ? { kind: "glob", text: t.name.text, syntax: "name" } : { kind: "exact", text: t.name.text };
    checkEnumLiterals(sym, scope, t.approval.when);
    checkRelativePathLiterals(sym, "tool", [self], server, t.approval.when);
    const approvers = lowerApprovers(sym, t.approval.by);
    // Hash-consed as a rule's conditions are (intern.ts): blocks that write the same condition share it.
    approval = when ? { when: internExpr(sym, withPathReads(sym, "tool", [self], when.ir, server)), approvers } : { approvers };
  }
  const id = `${server === undefined ? "" : `server:${server}/`}tool:${t.name.text}`;
  // Blocks that declare the same `args` share one frozen type (intern.ts).
  const args = t.args && internData(sym, lowerType(sym, t.args));
  return {
    name: t.name.text,
    ...(isFamilyName(t.name.text) && { pattern: t.name.text }),
    ...(server !== undefined && { server }),
    id,
    ...(risk && { risk }),
    ...(approval && { approval }),
    ...(args && { args }),
    budgets: lowerLimits(sym, t.limits, id, server === undefined ? { level: "tool", tool: t.name.text } : { level: "tool", tool: t.name.text, server }, { tool: { name: t.name.text, ...(args && { args }) } }),
    span: t.name.span,
  };
}
