/**
 * One rule lowered (called by the `policy-rules` and `roles` stages): its conditions, then its
 * patterns, then the argument names its deny reads (E0117), then `any path arg`'s targets (W0019);
 * reads of path-typed arguments then see resolved paths (path-reads.ts). Guarantees: the IR rule keeps the
 * declaration's effect, target, message and span under the id it is given; anything broken in it is
 * reported, so the check makes no IR from it.
 */
import type * as A from "../ast/nodes.js";
import type { IrExpr, IrRule } from "../ir/ir.js";
import { checkAnyPathArgTargets } from "./any-path-arg.js";
import { withPathReads } from "./path-reads.js";
import { checkDenyArgs } from "./deny-args.js";
import { lowerCondition } from "./expressions.js";
import { lowerPatterns } from "./patterns.js";
import type { Symbols } from "./scope.js";

export function lowerRule(sym: Symbols, r: A.RuleDecl, id: string, role: string | undefined): IrRule {
  const when = r.when && lowerCondition(sym, r.when);
  const unless = r.unless && lowerCondition(sym, r.unless);
  const patterns = lowerPatterns(sym, r);
  checkDenyArgs(sym, r, patterns);
  checkAnyPathArgTargets(sym, r, id, patterns);
  // Typed path reads: `args.F` typed `path(...)` by every targeted tool reads the resolved path.
  const typed = (e: IrExpr) => withPathReads(sym, r.target, patterns, e);
  return {
    id,
    effect: r.effect,
    target: r.target,
    patterns,
    ...(when && { when: typed(when.ir) }),
    ...(unless && { unless: typed(unless.ir) }),
    ...(r.because !== undefined && { because: r.because }),
    ...(role !== undefined && { role }),
    span: r.span,
  };
}
