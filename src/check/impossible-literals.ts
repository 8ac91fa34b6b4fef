/**
 * Comparisons the argument types make impossible (called by rules.ts and the `tools` stage for an
 * approval condition), reported so a deny is never silently switched off:
 * - E0224: `args.F == "Size"` (or `!=`, `in [...]`) where every block the condition is typed against
 *   declares `F` as an `enum(...)` without that value: valid calls never carry it.
 * - E0244: a typed path read (or `any path arg`) compared with a relative literal (`matches
 *   ".github/workflows/*"`, `== "a/b"`, `in ["x"]`): the condition sees resolved ABSOLUTE paths, so a
 *   relative text never matches (a glob must start with `/` or `*`).
 * Guarantees: reads the AST and the symbol tables only; reports, changes nothing. Only what every
 * target's blocks say is used: an open target, a union or an untyped field is never reported.
 */
import type * as A from "../ast/nodes.js";
import { relativePathLiteral, valueOutsideEnum } from "../diagnostics/catalog.js";
import type { IrPattern } from "../ir/ir.js";
import { globProblem } from "../builtins/registry.js";
import type { ArgScope } from "./arg-typing.js";
import { pathFieldsOf, targetBlocks } from "./path-fields.js";
import type { Symbols } from "./scope.js";

type Compare = A.Expr & { kind: "compare" };

/** Every comparison in `e` (not under `??`, whose default may be anything). */
function compares(e: A.Expr | undefined, out: Compare[] = []): Compare[] {
  if (!e) return out;
  switch (e.kind) {
    case "compare":
      out.push(e);
      return out;
    case "not":
      return compares(e.operand, out);
    case "and":
    case "or":
      for (const o of e.operands) compares(o, out);
      return out;
    default:
      return out;
  }
}

const argRead = (e: A.Expr): readonly string[] | undefined => (e.kind === "path" && e.root === "args" && e.segments.length > 0 ? e.segments : undefined);

/** The string, number and boolean literals a comparison's value side holds (undefined: not all literals). */
function literalsOf(e: A.Expr): { value: string | number | boolean; span: A.Expr["span"] }[] | undefined {
  if (e.kind === "string" || e.kind === "number" || e.kind === "boolean") return [{ value: e.value, span: e.span }];
  if (e.kind === "list") {
    const out: { value: string | number | boolean; span: A.Expr["span"] }[] = [];
    for (const i of e.items) if (i.kind === "string" || i.kind === "number" || i.kind === "boolean") out.push({ value: i.value, span: i.span });
    return out.length === e.items.length ? out : undefined;
  }
  return undefined;
}

/** The `enum(...)` values of `args.<segs>` in one block's type, or undefined when it is not an enum there. */
function enumValues(args: A.TypeExpr | undefined, segs: readonly string[]): (string | number | boolean)[] | undefined {
  let t = args;
  for (const seg of segs) {
    if (!t || t.kind !== "object") return undefined;
    t = t.fields.find((f) => f.name.text === seg)?.type;
  }
  if (!t || t.kind !== "named" || t.name.text !== "enum") return undefined;
  const out: (string | number | boolean)[] = [];
  for (const v of t.positional) if (v.kind === "string" || v.kind === "number" || v.kind === "boolean") out.push(v.value);
  return out.length === t.positional.length ? out : undefined;
}

const shown = (v: string | number | boolean) => JSON.stringify(v);

/** E0224 on the comparisons of `exprs` typed by `scope`. */
export function checkEnumLiterals(sym: Symbols, scope: ArgScope | undefined, ...exprs: (A.Expr | undefined)[]): void {
  if (!scope || scope.open || scope.blocks.length === 0) return;
  for (const c of exprs.flatMap((e) => compares(e))) {
    if (c.op !== "==" && c.op !== "!=" && c.op !== "in" && c.op !== "not in") continue;
    const [read, other] = argRead(c.left) ? [argRead(c.left)!, c.right] : c.op === "==" || c.op === "!=" ? [argRead(c.right), c.left] : [undefined, c.left];
    if (!read) continue;
    const lits = literalsOf(other);
    if (!lits) continue;
    const perBlock = scope.blocks.map((b) => enumValues(b.args, read));
    if (perBlock.some((v) => v === undefined)) continue;
    const allowed = perBlock.flat() as (string | number | boolean)[];
    const bad = lits.find((l) => !allowed.includes(l.value));
    if (bad) sym.diagnostics.push(valueOutsideEnum(bad.span, ["args", ...read].join("."), shown(bad.value), [...new Set(allowed)].map(shown), scope.blocks[0]!.tool, c.op));
  }
}

/** Whether `segs` is typed `path(...)` by some block of every target (the condition then sees it resolved). */
function resolvedRead(sym: Symbols, patterns: readonly IrPattern[], server: string | undefined, segs: readonly string[]): boolean {
  const blocks = targetBlocks(sym, patterns, server);
  if (!blocks) return false;
  const same = (x: { at: readonly unknown[] }) => x.at.length === segs.length && x.at.every((s, i) => s === segs[i]);
  return blocks.every((b) => b.decls.some((d) => pathFieldsOf(sym, d)?.some(same)));
}

/** A literal a resolved absolute path can never equal or match. */
const relative = (op: A.CompareOp, v: string) => !v.startsWith("/") && !(op === "matches" && v.startsWith("*"));

/** E0244 on the comparisons of `exprs` that read resolved paths (typed reads for tool targets, and `any path arg`). */
export function checkRelativePathLiterals(sym: Symbols, target: string, patterns: readonly IrPattern[], server: string | undefined, ...exprs: (A.Expr | undefined)[]): void {
  const report = (what: string, op: A.CompareOp, right: A.Expr) => {
    if (op !== "matches" && op !== "==" && op !== "!=" && op !== "in" && op !== "not in") return;
    const lits = literalsOf(right) ?? [];
    // Values other checks refuse (a number: E0243; a regex-looking glob: E0210) are theirs to report.
    if (lits.some((l) => typeof l.value !== "string" || (op === "matches" && globProblem(l.value, "matches")))) return;
    for (const l of lits) {
      if (typeof l.value === "string" && relative(op, l.value)) {
        sym.diagnostics.push(relativePathLiteral(l.span, what, l.value));
        return;
      }
    }
  };
  const walk = (e: A.Expr | undefined): void => {
    if (!e) return;
    if (e.kind === "anyPathArg") {
      if (e.op && e.right) report("every argument `any path arg` tests", e.op, e.right);
      return;
    }
    if (e.kind === "not") return walk(e.operand);
    if (e.kind === "and" || e.kind === "or") return e.operands.forEach(walk);
    if (e.kind !== "compare") return;
    if (e.left.kind === "anyPathArg") return walk(e.left);
    const read = argRead(e.left);
    if (read && target === "tool" && resolvedRead(sym, patterns, server, read)) report(`\`${["args", ...read].join(".")}\``, e.op, e.right);
  };
  exprs.forEach(walk);
}
