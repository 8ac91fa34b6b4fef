/**
 * Argument names in deny rules (checked for every rule by rules.ts). A deny on specific tools whose
 * condition reads `args.F` where none of the tools' closed `args` blocks declares `F` can never see
 * that argument (a call carrying it is refused by the argument check), so a misspelt field would
 * switch the deny off in silence: `has args.pth and args.pth matches "/etc/*"` never fires while
 * `path` goes unchecked. That is an error (E0117), with the fields the tool takes. Open objects
 * (`...`), unions and constraint kinds are not followed: only what the policy itself closes is known.
 */
import type * as A from "../ast/nodes.js";
import { assertNever } from "../ast/nodes.js";
import { undeclaredArgument } from "../diagnostics/catalog.js";
import type { IrPattern } from "../ir/ir.js";
import type { Symbols } from "./scope.js";

/** Every `args...` path the expression reads (or tests with `has`). */
function argPaths(e: A.Expr, out: A.PathExpr[] = []): A.PathExpr[] {
  switch (e.kind) {
    case "string":
    case "number":
    case "boolean":
    case "list":
      return out;
    case "path":
      if (e.root === "args") out.push(e);
      return out;
    case "has":
      return argPaths(e.path, out);
    case "not":
      return argPaths(e.operand, out);
    case "and":
    case "or":
      e.operands.forEach((o) => argPaths(o, out));
      return out;
    case "compare":
      argPaths(e.left, out);
      return argPaths(e.right, out);
    case "anyPathArg":
      return out; // reads the path-typed arguments the tool declares, never a name the author wrote
    default:
      return assertNever(e);
  }
}

/** The first segment of `segs` that the closed object type does not declare, with the names it does. */
function undeclared(type: A.TypeExpr, segs: readonly string[]): { field: string; known: string[] } | undefined {
  let t: A.TypeExpr = type;
  for (const seg of segs) {
    if (t.kind !== "object" || t.open) return undefined;
    const f = t.fields.find((x) => x.name.text === seg);
    if (!f) return { field: seg, known: t.fields.map((x) => x.name.text) };
    t = f.type;
  }
  return undefined;
}

/** Report a path only when no tool the deny names could carry it: then the deny decides nothing for it. */
export function checkDenyArgs(sym: Symbols, rule: A.RuleDecl, patterns: readonly IrPattern[]): void {
  if (rule.effect !== "deny" || rule.target !== "tool" || patterns.length === 0) return;
  const paths = [...(rule.when ? argPaths(rule.when) : []), ...(rule.unless ? argPaths(rule.unless) : [])];
  if (paths.length === 0) return;
  const closed: { tool: string; args: A.ObjectTypeExpr }[] = [];
  for (const p of patterns) {
    const args = p.kind === "exact" ? sym.tools.get(p.text)?.args : undefined;
    if (!args || args.kind !== "object") return; // a glob, an undeclared tool, or a tool without a closed object
    closed.push({ tool: p.text, args });
  }
  const reported = new Set<string>();
  for (const path of paths) {
    const text = path.segments.join(".");
    if (reported.has(text)) continue;
    const misses = closed.map((c) => undeclared(c.args, path.segments));
    const first = misses[0];
    if (!first || misses.some((m) => m === undefined)) continue;
    reported.add(text);
    sym.diagnostics.push(undeclaredArgument(path.span, ["args", ...path.segments].join("."), closed[0]!.tool, first.field, first.known));
  }
}
