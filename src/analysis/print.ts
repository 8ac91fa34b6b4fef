/**
 * IR conditions and rules printed back in the policy language, for the analysis' explanations
 * (`when client.ip in corp_nets`). Sets print by name, constants by value. Pure; never throws.
 */
import type { IrExpr, IrRule } from "../ir/ir.js";

const OPS = { eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=" } as const;

function atom(e: IrExpr): string {
  return e.k === "and" || e.k === "or" || e.k === "not" ? `(${printExpr(e)})` : printExpr(e);
}

export function printExpr(e: IrExpr): string {
  switch (e.k) {
    case "lit":
      return typeof e.value === "string" ? JSON.stringify(e.value) : String(e.value);
    case "list":
      return `[${e.values.map((v) => (typeof v === "string" ? JSON.stringify(v) : String(v))).join(", ")}]`;
    case "attr":
      return e.text;
    case "has":
      return `has ${e.text}`;
    case "not":
      return `not ${atom(e.e)}`;
    case "and":
    case "or":
      return e.es.map((x) => (x.k === "and" || x.k === "or" ? (x.k === e.k ? printExpr(x) : `(${printExpr(x)})`) : printExpr(x))).join(` ${e.k} `);
    case "eq":
    case "ne":
    case "lt":
    case "le":
    case "gt":
    case "ge":
      return `${atom(e.l)} ${OPS[e.k]} ${atom(e.r)}`;
    case "in":
      return `${atom(e.l)} ${e.negate ? "not in" : "in"} ${atom(e.r)}`;
    case "inSet":
      return `${atom(e.l)} ${e.negate ? "not in" : "in"} ${e.set.name}`;
    case "contains":
      return `${atom(e.l)} contains ${atom(e.r)}`;
    case "matches":
      return `${atom(e.l)} matches ${JSON.stringify(e.pattern)}`;
    case "default":
      return `${e.e.text} ?? ${printExpr(e.d)}`;
    case "regex":
      return `${atom(e.l)} matches re"${e.pattern.replace(/"/g, '\\"')}"`;
    case "pathRead":
      return e.op === undefined ? printExpr(e.l) : `${atom(e.l)} ${PATH_OPS[e.op]} ${e.set ? e.set.name : e.op === "matches" || e.op === "eq" || e.op === "ne" ? JSON.stringify((e.r as { value?: unknown }).value) : atom(e.r)}`;
    case "anyPathArg":
      return `any path arg ${PATH_OPS[e.op]} ${e.set ? e.set.name : atom(e.r)}`;
    case "carries":
      return `${atom(e.l)} carries ${e.detector}`;
    case "derives":
      return `${atom(e.l)} derives from ${e.label}`;
    case "history":
      return `(${e.text})`;
    case "event":
      return `${e.has ? "has " : ""}${e.text}`;
  }
}

const PATH_OPS = { matches: "matches", in: "in", notIn: "not in", eq: "==", ne: "!=" } as const;

/** ` when X unless Y`, or "" for an unconditional rule. */
export function printGuard(r: Pick<IrRule, "when" | "unless">): string {
  return `${r.when ? ` when ${printExpr(r.when)}` : ""}${r.unless ? ` unless ${printExpr(r.unless)}` : ""}`;
}
