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
    case "pathRead":
    case "anyPathArg":
      return true;
    case "lit":
    case "list":
      return false;
  }
}

/** A canonical text of an expression: equal texts mean the same condition (for duplicate detection). */
export function exprText(e: IrExpr): string {
  switch (e.k) {
    case "lit":
      return JSON.stringify(e.value);
    case "list":
      return `[${e.values.map((v) => JSON.stringify(v)).join(",")}]`;
    case "attr":
      return e.text;
    case "has":
      return `has ${e.text}`;
    case "not":
      return `not(${exprText(e.e)})`;
    case "and":
    case "or":
      return `${e.k}(${e.es.map(exprText).join(",")})`;
    case "eq":
    case "ne":
    case "lt":
    case "le":
    case "gt":
    case "ge":
    case "in":
    case "contains":
      return `${e.k}${e.k === "in" && e.negate ? "!" : ""}(${exprText(e.l)},${exprText(e.r)})`;
    case "inSet":
      return `inSet${e.negate ? "!" : ""}(${exprText(e.l)},${e.set.name})`;
    case "matches":
      return `matches(${exprText(e.l)},${JSON.stringify(e.pattern)})`;
    case "pathRead":
      return `path(${exprText(e.l)},${e.op ?? "-"},${e.op ? exprText(e.r) : "-"},${e.op && e.set ? e.set.name : "-"},${JSON.stringify(e.byTool)})`;
    case "anyPathArg":
      return `anyPathArg(${e.op},${exprText(e.r)},${e.set ? e.set.name : "-"},${JSON.stringify(e.byTool)})`;
  }
}
