/**
 * Pure questions about IR, shared by the evaluators so that they answer them the same way.
 */
import type { IrExpr } from "./ir.js";

/** Whether evaluating `e` reads the request's arguments (unknown when answering tools/list). */
export function readsArgs(e: IrExpr): boolean {
  switch (e.k) {
    case "attr":
    case "has":
      return e.root === "args";
    case "not":
      return readsArgs(e.e);
    case "and":
    case "or":
      return e.es.some(readsArgs);
    case "eq":
    case "ne":
    case "lt":
    case "le":
    case "gt":
    case "ge":
    case "in":
    case "contains":
      return readsArgs(e.l) || readsArgs(e.r);
    case "inSet":
    case "matches":
      return readsArgs(e.l);
    case "lit":
    case "list":
      return false;
  }
}
