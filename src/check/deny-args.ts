/**
 * Argument reads checked against the `args` blocks of the calls a condition sees (arg-typing.ts):
 * - a read (or `has`, or `??`) of `args.F` where every block closes its object without `F`: calls
 *   carrying `F` are refused by the argument check, so the condition never sees it. In a deny that
 *   would switch the deny off in silence (`has args.pth and ...` never fires while `path` goes
 *   unchecked): E0117; in an allow rule or an approval condition: E0220. Open objects (`...`),
 *   unions and constraint kinds are not followed: only what the policy itself closes is known.
 * - an UNGUARDED read (arg-guards.ts) of an argument some call may lack: W0010 when the condition also
 *   sees tools that do not declare it (a glob, a tool set, an undeclared tool, a block without `args`
 *   or without that key), W0011 when a block declares it optional (`x?:`). Such calls are denied as
 *   evaluation errors; the hint gives the guard (`has`, `??`) or narrowing the target. These are lints:
 *   held in `sym.pendingLints` and reported by the `lints` stage, on a policy without errors.
 */
import type * as A from "../ast/nodes.js";
import { assertNever } from "../ast/nodes.js";
import { argumentMayBeMissing, optionalArgumentUnguarded, undeclaredArgument, undeclaredArgumentRead } from "../diagnostics/catalog.js";
import { guardedTo, ruleArgReads, type ArgRead } from "./arg-guards.js";
import { fieldFact, type ArgScope } from "./arg-typing.js";
import type { Symbols } from "./scope.js";

/** Every `args...` path the expression reads (or tests with `has`, or defaults with `??`). */
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
    case "default":
      return argPaths(e.left, out);
    case "regex":
      return out;
    case "anyPathArg":
      return out; // reads the path-typed arguments the tool declares, never a name the author wrote
    case "carries":
    case "derives":
      return argPaths(e.value, out);
    case "history":
      // A `where` reads the current call's arguments too (`event.args.*` is the past event's, not a read here).
      if (e.match.where) argPaths(e.match.where, out);
      if (e.since?.where) argPaths(e.since.where, out);
      return out;
    default:
      return assertNever(e);
  }
}

/** Check the argument reads of a condition (a rule's `when` and `unless`, or an approval's `when`). */
export function checkArgReads(sym: Symbols, scope: ArgScope | undefined, when: A.Expr | undefined, unless: A.Expr | undefined): void {
  if (!scope) return;
  const undeclared = checkUndeclared(sym, scope, [...(when ? argPaths(when) : []), ...(unless ? argPaths(unless) : [])]);
  const warned = new Set<string>();
  for (const read of ruleArgReads(when, unless)) {
    const text = ["args", ...read.path.segments].join(".");
    if (undeclared.has(read.path.segments.join(".")) || warned.has(text)) continue;
    const d = unguarded(scope, read, text);
    if (d) {
      warned.add(text);
      (sym.pendingLints ?? sym.diagnostics).push(d);
    }
  }
}

/** Report a path only when no tool the condition sees could carry it; returns the reported paths. */
function checkUndeclared(sym: Symbols, scope: ArgScope, paths: readonly A.PathExpr[]): Set<string> {
  const reported = new Set<string>();
  if (scope.open || scope.blocks.length === 0 || paths.length === 0) return reported;
  for (const path of paths) {
    const text = path.segments.join(".");
    if (reported.has(text) || path.segments.length === 0) continue;
    const facts = scope.blocks.map((b) => fieldFact(b, path.segments));
    const first = facts[0]!;
    if (first.kind !== "undeclared" || facts.some((f) => f.kind !== "undeclared")) continue;
    reported.add(text);
    const full = ["args", ...path.segments].join(".");
    const tool = scope.blocks[0]!.tool;
    sym.diagnostics.push(
      scope.reader === "deny" ? undeclaredArgument(path.span, full, tool, first.field, first.known) : undeclaredArgumentRead(path.span, scope.reader, full, tool, first.field, first.known),
    );
  }
  return reported;
}

/** The warning for one read some call may lack, or undefined when every call it can reach has it. */
function unguarded(scope: ArgScope, read: ArgRead, text: string) {
  const segs = read.path.segments;
  if (segs.length === 0) return undefined; // `args` itself: always an object
  const full = guardedTo(read, segs.length);
  if (full) return undefined;
  if (scope.open) return argumentMayBeMissing(read.path.span, text, scope.reader, `${JSON.stringify(scope.openBy)} matches tools no \`tool\` block describes`);
  for (const b of scope.blocks) {
    const f = fieldFact(b, segs);
    if (f.kind === "undeclared") return argumentMayBeMissing(read.path.span, text, scope.reader, `tool \`${b.tool}\` takes no argument \`${f.field}\``);
    if (f.kind === "unknown" && f.reason === "no-args") return argumentMayBeMissing(read.path.span, text, scope.reader, `tool \`${b.tool}\` declares no \`args\``);
    if (f.kind === "unknown" && f.reason === "open") return argumentMayBeMissing(read.path.span, text, scope.reader, `tool \`${b.tool}\` does not declare \`${f.field}\``);
  }
  for (const b of scope.blocks) {
    const f = fieldFact(b, segs);
    if (f.kind === "declared" && f.optionalDepth > 0 && !guardedTo(read, f.optionalDepth)) return optionalArgumentUnguarded(read.path.span, text, b.tool, scope.reader);
  }
  return undefined;
}
