/**
 * One rule lowered (called by the `policy-rules` and `roles` stages): its patterns, then its
 * conditions, typed against the `args` blocks of the tools it targets (arg-typing.ts), then its
 * argument reads (E0117/E0220 undeclared, W0010/W0011 unguarded: deny-args.ts), then `any path arg`'s
 * targets (W0019); reads of path-typed arguments then see resolved paths (path-reads.ts). Guarantees: the IR rule keeps the
 * declaration's effect, target, message and span under the id it is given; anything broken in it is
 * reported, so the check makes no IR from it.
 */
import type * as A from "../ast/nodes.js";
import type { IrExpr, IrRule } from "../ir/ir.js";
import { argScopeOfRule } from "./arg-typing.js";
import { checkAnyPathArgTargets } from "./any-path-arg.js";
import { withPathReads } from "./path-reads.js";
import { checkArgReads } from "./deny-args.js";
import { checkEnumLiterals, checkRelativePathLiterals } from "./impossible-literals.js";
import { lowerCondition } from "./expressions.js";
import { lowerPatterns } from "./patterns.js";
import { exactRecord, internExpr, internPatterns } from "./intern.js";
import type { Symbols } from "./scope.js";

const TARGETS = { tool: "tool", resource: "resource", prompt: "prompt" } as const;

/** `server`: the server block the rule is written in (its tool blocks type the rule's argument reads too). */
export function lowerRule(sym: Symbols, r: A.RuleDecl, id: string, role: string | undefined, server?: string): IrRule {
  const patterns = lowerPatterns(sym, r);
  const scope = argScopeOfRule(sym, r, patterns, server);
  const when = r.when && lowerCondition(sym, r.when, scope);
  const unless = r.unless && lowerCondition(sym, r.unless, scope);
  checkArgReads(sym, scope, r.when, r.unless);
  checkAnyPathArgTargets(sym, r, id, patterns, server);
  checkEnumLiterals(sym, scope, r.when, r.unless);
  checkRelativePathLiterals(sym, r.target, patterns, server, r.when, r.unless);
  // Typed path reads: `args.F` typed `path(...)` by every targeted tool reads the resolved path.
  // Then hash-consed: equal conditions of different rules are one frozen node (intern.ts).
  const typed = (e: IrExpr) => internExpr(sym, withPathReads(sym, r.target, patterns, e, server));
  // Fields in the order the spread literal gave them; an object of exactly these fields (intern.ts).
  return exactRecord<IrRule>([
    ["id", id],
    ...(r.name !== undefined && id === r.name.text ? [["name", r.name.text] as const] : []),
    // The literals, not the parser's copies of them: one string each instead of one per rule.
    ["effect", r.effect === "allow" ? "allow" : "deny"],
    ["target", TARGETS[r.target]],
    ["patterns", internPatterns(sym, patterns)],
    ...(when ? [["when", typed(when.ir)] as const] : []),
    ...(unless ? [["unless", typed(unless.ir)] as const] : []),
    ...(r.because !== undefined ? [["because", r.because] as const] : []),
    ...(role !== undefined ? [["role", role] as const] : []),
    ["span", r.span],
  ]);
}
