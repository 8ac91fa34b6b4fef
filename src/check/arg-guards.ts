/**
 * Guard analysis of `args` reads, flow-sensitive and small. A read of `args.x` is GUARDED when the
 * evaluation can only reach it with `args.x` present: after `has args.x and`, after `not has args.x or`,
 * after an earlier read of `args.x` that succeeded (a failed read would have stopped the evaluation),
 * in an `unless` whose `when` guarantees it, and never for `args.x ?? d` (a default is not a read).
 * Evaluation order is the evaluators': left to right, `and` stops at false, `or` at true.
 * Keys are argument paths (segments joined by NUL); a present path makes each of its prefixes present.
 * GUARANTEE (soundness of "guarded"): if a read is reported guarded, every evaluation that reaches it
 * has the key present. Unguarded reads may still be safe (the analysis does not model values).
 */
import type * as A from "../ast/nodes.js";

export type Present = ReadonlySet<string>;

const keyOf = (segs: readonly string[]): string => segs.join("\u0000");

/** The key of an `args` path and of each of its prefixes (`args.a.b` → `a`, `a␀b`). */
function prefixes(p: A.PathExpr): string[] {
  if (p.root !== "args") return [];
  return p.segments.map((_, i) => keyOf(p.segments.slice(0, i + 1)));
}

const union = (a: Present, b: Iterable<string>): Set<string> => {
  const out = new Set(a);
  for (const k of b) out.add(k);
  return out;
};

/** Keys surely read, and so present, once `e` evaluated without error. */
export function definiteReads(e: A.Expr): Set<string> {
  switch (e.kind) {
    case "path":
      return new Set(prefixes(e));
    case "compare":
      return union(definiteReads(e.left), definiteReads(e.right));
    case "not":
      return definiteReads(e.operand);
    case "and":
    case "or":
      return e.operands.length ? definiteReads(e.operands[0]!) : new Set();
    default:
      // literals, lists, `has` (never reads), `a ?? d` (reads only when present)
      return new Set();
  }
}

/** Keys present whenever `e` evaluated to `want` without error. */
export function presentWhen(e: A.Expr, want: boolean): Set<string> {
  switch (e.kind) {
    case "has":
      return want ? new Set(prefixes(e.path)) : new Set();
    case "not":
      return presentWhen(e.operand, !want);
    case "and":
    case "or": {
      // `and` true / `or` false: every operand was evaluated to that value.
      if ((e.kind === "and") === want) {
        let out = new Set<string>();
        for (const o of e.operands) out = union(out, presentWhen(o, want));
        return out;
      }
      return definiteReads(e);
    }
    default:
      return definiteReads(e);
  }
}

/** One read of an argument, and the keys present wherever it is evaluated. */
export interface ArgRead {
  readonly path: A.PathExpr;
  readonly present: Present;
}

/** Every `args` read of `e` (not `has`, not the left of `??`), each with what guards it. */
export function argReads(e: A.Expr, present: Present = new Set(), out: ArgRead[] = []): ArgRead[] {
  switch (e.kind) {
    case "path":
      if (e.root === "args") out.push({ path: e, present });
      return out;
    case "default":
      if (e.left.kind !== "path") argReads(e.left, present, out);
      return out;
    case "not":
      return argReads(e.operand, present, out);
    case "and":
    case "or": {
      let p: Present = present;
      for (const o of e.operands) {
        argReads(o, p, out);
        p = union(p, presentWhen(o, e.kind === "and"));
      }
      return out;
    }
    case "compare":
      argReads(e.left, present, out);
      return argReads(e.right, union(present, definiteReads(e.left)), out);
    default:
      return out;
  }
}

/** The reads of a rule: `when`, then `unless` (evaluated only when `when` held). */
export function ruleArgReads(when: A.Expr | undefined, unless: A.Expr | undefined): ArgRead[] {
  const out = when ? argReads(when) : [];
  if (unless) argReads(unless, when ? presentWhen(when, true) : new Set(), out);
  return out;
}

/** Whether the first `depth` segments of the read are known present. */
export function guardedTo(read: ArgRead, depth: number): boolean {
  return depth === 0 || read.present.has(keyOf(read.path.segments.slice(0, depth)));
}
