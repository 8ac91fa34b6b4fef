/**
 * `VALUE matches re"..."`: the regex literal checked and lowered. Guarantees: the pattern in the IR is
 * one the linear-time engine (builtins/regex) compiles, so no regex the checker accepts can take more
 * than linear time on a request; a pattern JavaScript cannot read is E0206, one that needs
 * backtracking (or a flag other than `i`) is E0207. `(?i)` inside the pattern makes it case-insensitive.
 */
import type * as A from "../ast/nodes.js";
import { invalidRegex, patternNotLinear } from "../diagnostics/catalog.js";
import { patternProblem } from "../builtins/registry.js";
import type { IrExpr } from "../ir/ir.js";
import type { Symbols } from "./scope.js";

export function lowerRegex(sym: Symbols, left: IrExpr, re: A.RegexExpr): IrExpr | undefined {
  const problem = patternProblem(re.pattern);
  if (problem?.kind === "invalid-regex") sym.diagnostics.push(invalidRegex(re.span, re.pattern, problem.reason));
  else if (problem) sym.diagnostics.push(patternNotLinear(re.span, re.pattern, problem.error, problem.hint));
  if (problem) return undefined;
  return { k: "regex", l: left, pattern: re.pattern, flags: "" };
}
