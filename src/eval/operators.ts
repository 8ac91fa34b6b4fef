/**
 * The meaning of each operator on run-time values, shared by both evaluators. No coercion: values
 * of different types never compare equal, they raise an EvalError (which denies); so does NaN (a host
 * object's claim or argument), which no comparison could read.
 */
import type { Scalar } from "../ir/ir.js";
import type { SetMatcher } from "../ir/match.js";
import { EvalError } from "../contract/errors.js";
import { describeValue } from "./request.js";

/** NaN is no value: it is unequal to itself and unordered, so a deny comparing it would silently be false. */
const isScalar = (v: unknown): v is Scalar => typeof v === "string" || (typeof v === "number" && v === v) || typeof v === "boolean";

export function opEquals(l: unknown, r: unknown): boolean {
  if (!isScalar(l) || !isScalar(r) || typeof l !== typeof r) {
    throw new EvalError(`cannot compare ${describeValue(l)} with ${describeValue(r)}`);
  }
  return l === r;
}

export function opOrder(op: "lt" | "le" | "gt" | "ge", l: unknown, r: unknown): boolean {
  if (typeof l !== "number" || typeof r !== "number" || l !== l || r !== r) throw new EvalError(`cannot order ${describeValue(l)} and ${describeValue(r)}`);
  switch (op) {
    case "lt":
      return l < r;
    case "le":
      return l <= r;
    case "gt":
      return l > r;
    case "ge":
      return l >= r;
  }
}

export function opInList(l: unknown, list: unknown): boolean {
  if (!isScalar(l)) throw new EvalError(`cannot look up ${describeValue(l)} in a list`);
  if (!Array.isArray(list)) throw new EvalError(`\`in\` needs a list, but found ${describeValue(list)}`);
  for (const x of list) if (x === l) return true;
  return false;
}

/** Membership in a set (its matcher built once per IR node, ir/match.ts); a fault raises an EvalError. */
export function opInSet(l: unknown, set: SetMatcher): boolean {
  if (typeof l !== "string") throw new EvalError(`cannot look up ${describeValue(l)} in set \`${set.name}\``);
  const r = set.has(l);
  if (typeof r === "string") throw new EvalError(r);
  return r;
}

/**
 * `l contains r`: substring on a string (code units, `String.prototype.includes`), membership on a list.
 * Any other left side, or a non-string right side on a string, is an EvalError naming `contains`.
 */
export function opContains(l: unknown, r: unknown): boolean {
  if (typeof l === "string") {
    if (typeof r !== "string") throw new EvalError(`\`contains\` on a string needs a string on the right, but found ${describeValue(r)}`);
    return l.includes(r);
  }
  if (!Array.isArray(l)) throw new EvalError(`\`contains\` needs a string or a list on the left, but found ${describeValue(l)}`);
  if (!isScalar(r)) throw new EvalError(`\`contains\` cannot look up ${describeValue(r)} in a list`);
  for (const x of l) if (x === r) return true;
  return false;
}

export function opMatches(l: unknown, test: (s: string) => boolean): boolean {
  if (typeof l !== "string") throw new EvalError(`\`matches\` needs a string, but found ${describeValue(l)}`);
  return test(l);
}

export function asBool(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new EvalError(`${what} is ${describeValue(v)}, not a boolean`);
  return v;
}
