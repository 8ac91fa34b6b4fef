/**
 * The compiled form of `result of ...` blocks (issue 14): every condition closure-compiled once; the
 * meaning is the core's (eval/core/results.ts), the same the interpreter uses.
 */
import type { IrExpr, IrPolicy } from "../ir/ir.js";
import { resultVerdict, type ResultVerdict } from "../eval/core/results.js";
import type { PolicyRequest } from "../contract/index.js";
import { compilePred, type Pred } from "./closures.js";

export function compileResultInspector(ir: IrPolicy): (req: PolicyRequest) => ResultVerdict {
  const preds = new Map<IrExpr, Pred>();
  const add = (e: IrExpr | undefined) => {
    if (e !== undefined && !preds.has(e)) preds.set(e, compilePred(e));
  };
  for (const b of ir.results) {
    add(b.when);
    for (const l of b.labels) {
      add(l.when);
      add(l.field?.where);
    }
    for (const d of b.denies) add(d.when);
  }
  const cond = (e: IrExpr, req: PolicyRequest): boolean => (preds.get(e) ?? compilePred(e))(req);
  return (req) => resultVerdict(ir, req, cond);
}
