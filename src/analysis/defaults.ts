/**
 * `PATH ?? VALUE` for the analysis: an atom holding a default is rewritten as the two cases it means,
 * `(has PATH and ATOM[PATH]) or (not has PATH and ATOM[VALUE])`, so the solver reasons about presence
 * (absent attribute → the default) with the atoms it already models.
 * GUARANTEE: the rewrite has the same outcome (true, false or error) as the atom on every request:
 * `has` never errs, and when it holds the read is the attribute's, else the default's value.
 */
import type { IrAttr, IrExpr } from "../ir/ir.js";

type Default = IrExpr & { k: "default" };

/** The first `??` that is the atom itself or one of its direct operands. */
function firstDefault(e: IrExpr): Default | undefined {
  if (e.k === "default") return e;
  if ("l" in e && e.l.k === "default") return e.l;
  if ("r" in e && e.r.k === "default") return e.r;
  return undefined;
}

function replace(e: IrExpr, from: IrExpr, to: IrExpr): IrExpr {
  if (e === from) return to;
  if ("l" in e && e.l === from) e = { ...e, l: to } as IrExpr;
  if ("r" in e && e.r === from) e = { ...e, r: to } as IrExpr;
  return e;
}

const hasOf = (a: IrAttr): IrExpr => ({ k: "has", root: a.root, path: a.path, text: a.text });

/** The atom with its first default spelt out as two cases, or undefined when it holds none. */
export function expandDefault(e: IrExpr): IrExpr | undefined {
  const d = firstDefault(e);
  if (!d) return undefined;
  const has = hasOf(d.e);
  return {
    k: "or",
    es: [
      { k: "and", es: [has, replace(e, d, d.e)] },
      { k: "and", es: [{ k: "not", e: has }, replace(e, d, d.d)] },
    ],
  };
}
