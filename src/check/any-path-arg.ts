/**
 * `any path arg OP RIGHT` lowered (called from expressions.ts), and its target lint (called from
 * rules.ts). OP is `matches` (a glob, as `matches` elsewhere), `in` / `not in` (a list of strings or a
 * `string` set), `==` or `!=` (a string); anything else is E0243. The node carries, per declared tool
 * with path-typed arguments, where they sit and their path types (path-fields.ts), so at run time it
 * reads only the CALLED tool's path arguments, at any depth, resolved to absolute paths.
 * Guarantees: the IR is pure data; a tool without path-typed arguments makes the test false, and a rule
 * whose targets include declared tools without an object `args` block (whose arguments it cannot see)
 * gets W0019.
 */
import type * as A from "../ast/nodes.js";
import { anyPathArgBlind, anyPathArgMisuse, unsupportedGlob, wrongSetKind } from "../diagnostics/catalog.js";
import { globProblem } from "../builtins/registry.js";
import type { IrExpr, IrPattern, IrSet, Scalar } from "../ir/ir.js";
import { patternMatches } from "../ir/match.js";
import { toolPaths } from "./path-fields.js";
import type { Symbols } from "./scope.js";
import { blocksOfName, isFamilyName } from "./arg-typing.js";
import { resolveSet } from "./sets.js";

const OPS = { matches: "matches", in: "in", "not in": "notIn", "==": "eq", "!=": "ne" } as const;
const HINT = 'write e.g. `any path arg matches "**/.env"`, `any path arg in ["/srv/a/x"]` or `any path arg == "/srv/a/x"`';
const BAD = { ir: { k: "lit", value: false } as IrExpr, type: "boolean" as const };

/** The string a literal or a string constant stands for, or undefined. */
function stringOf(sym: Symbols, e: A.Expr): string | undefined {
  if (e.kind === "string") return e.value;
  if (e.kind === "path" && e.segments.length === 0) {
    const c = sym.consts.get(e.root);
    if (c && c.value.kind === "string") return c.value.value;
  }
  return undefined;
}

export function lowerAnyPathArg(sym: Symbols, e: A.Expr & { kind: "anyPathArg" }): { ir: IrExpr; type: "boolean" } {
  const d = sym.diagnostics;
  if (e.op === undefined || e.right === undefined) {
    d.push(anyPathArgMisuse(e.span, "needs a comparison: it stands for each path argument of the called tool in turn", HINT));
    return BAD;
  }
  const op = Object.prototype.hasOwnProperty.call(OPS, e.op) ? OPS[e.op as keyof typeof OPS] : undefined;
  if (op === undefined) {
    d.push(anyPathArgMisuse(e.span, `takes \`matches\`, \`in\`, \`not in\`, \`==\` or \`!=\`, not \`${e.op}\``, HINT));
    return BAD;
  }
  const right = e.right;
  const l = { k: "attr", root: "args", path: [], text: "args" } as const;
  const node = (r: IrExpr, set?: IrSet & { kind: "string" }): { ir: IrExpr; type: "boolean" } => ({
    ir: { k: "anyPathArg", op, l, r, ...(set && { set }), byTool: toolPaths(sym) },
    type: "boolean",
  });
  if (op === "matches" || op === "eq" || op === "ne") {
    const text = stringOf(sym, right);
    if (text === undefined) {
      d.push(anyPathArgMisuse(right.span, op === "matches" ? "`matches` takes a quoted glob" : `\`${e.op}\` compares with a string`, HINT));
      return BAD;
    }
    if (op === "matches") {
      const problem = globProblem(text, "matches");
      if (problem) {
        d.push(unsupportedGlob(right.span, text, problem.what, problem.hint));
        return BAD;
      }
    }
    return node({ k: "lit", value: text });
  }
  // `in` / `not in`: a list of strings, or a string set by name.
  if (right.kind === "list") {
    const values: Scalar[] = [];
    for (const item of right.items) {
      const s = item.kind === "string" ? item.value : item.kind === "ref" ? (sym.consts.get(item.name)?.value.kind === "string" ? (sym.consts.get(item.name)!.value as { value: string }).value : undefined) : undefined;
      if (s === undefined) {
        d.push(anyPathArgMisuse(item.span, "compares paths: list items must be strings", HINT));
        return BAD;
      }
      values.push(s);
    }
    return node({ k: "list", values, lookup: new Set(values) });
  }
  if (right.kind === "path" && right.segments.length === 0 && !sym.consts.has(right.root)) {
    const set = resolveSet(sym, right.root, right.span);
    if (!set) return BAD;
    if (set.kind !== "string") {
      d.push(wrongSetKind(right.span, set.name, set.kind, "string"));
      return BAD;
    }
    return node({ k: "lit", value: set.name }, set);
  }
  d.push(anyPathArgMisuse(right.span, `\`${e.op}\` needs a list of strings or a \`string\` set`, HINT));
  return BAD;
}

/** Whether an expression (AST) uses `any path arg`; the first such node. */
function firstUse(e: A.Expr | undefined): (A.Expr & { kind: "anyPathArg" }) | undefined {
  if (!e) return undefined;
  switch (e.kind) {
    case "anyPathArg":
      return e;
    case "not":
      return firstUse(e.operand);
    case "and":
    case "or":
      for (const o of e.operands) {
        const u = firstUse(o);
        if (u) return u;
      }
      return undefined;
    case "compare":
      return firstUse(e.left) ?? firstUse(e.right);
    default:
      return undefined;
  }
}

/**
 * W0019: a rule using `any path arg` whose targets include tools whose arguments it cannot see: an
 * exact target with no tool block or no object `args` block, or such a declared tool a glob target matches.
 */
export function checkAnyPathArgTargets(sym: Symbols, rule: A.RuleDecl, id: string, patterns: readonly IrPattern[], server?: string): void {
  if (rule.target !== "tool") return;
  const use = firstUse(rule.when) ?? firstUse(rule.unless);
  if (!use) return;
  const blind: string[] = [];
  // A tool is seen when one of its blocks (exact, families, the rule's server block) has an object `args`.
  const sees = (name: string) => blocksOfName(sym, name, server).some((d) => d.args?.kind === "object");
  for (const p of patterns) {
    if (p.kind === "exact") {
      if (!sees(p.text)) blind.push(p.text);
      continue;
    }
    // Declared tools the glob matches (a family names a range of tools, not a tool: not listed).
    for (const t of sym.tools.values()) if (!isFamilyName(t.name.text) && patternMatches(p, t.name.text) && !sees(t.name.text)) blind.push(t.name.text);
  }
  const names = [...new Set(blind)];
  if (names.length > 0) sym.diagnostics.push(anyPathArgBlind(use.span, id, names));
}
