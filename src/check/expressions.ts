/**
 * Stage: conditions. Resolves and type-checks `when` / `unless` / `member when` / `approval when`
 * expressions and lowers them to IR. Static types catch what they can (a boolean compared with a
 * string, an ip tested against a domain set); what only the request can tell (claims, args) is
 * checked at run time, where a mismatch is an evaluation error that denies.
 */
import type * as A from "../ast/nodes.js";
import { assertNever } from "../ast/nodes.js";
import { isDetectorName, DETECTOR_NAMES } from "../builtins/detect/index.js";
import { labelNeverGiven, resultOutsideResultBlock, unknownDetector } from "../diagnostics/catalog.js";
import { argumentTypeMismatch, defaultWrongType, globComparedExactly, impossibleName, invalidDefault, notBoolean, regexOutsideMatches, typeMismatch, unknownAttribute, unknownName, unsupportedGlob, wrongSetKind } from "../diagnostics/catalog.js";
import { lowerRegex } from "./regex.js";
import { BUILTIN_CIDR_SETS as BUILTIN_NAMES, globProblem } from "../builtins/registry.js";
import { nameFault } from "../contract/names.js";
import type { IrExpr, Scalar } from "../ir/ir.js";
import { ATTRIBUTE_PATHS, ATTRIBUTES, type AttributeRow, type AttrRoot, type AttrType } from "../contract/attributes.js";
import type { Symbols } from "./scope.js";
import { resolveSet } from "./sets.js";
import { argTypeOf, type ArgScope, type ArgType } from "./arg-typing.js";
import { lowerZonedTime } from "./time-zones.js";
import { lowerAnyPathArg } from "./any-path-arg.js";
import { lowerEventPath, lowerHistory } from "./history.js";

type StaticType = AttrType | "list" | "set" | "object";

// Names and static types of the attributes come from the registry (contract/attributes.ts).
const ROOTS = new Set(ATTRIBUTE_PATHS.map((k) => k.split(".")[0] as string));
export const ATTRIBUTE_NAMES: readonly string[] = ATTRIBUTE_PATHS;
const rowOf = (key: string): AttributeRow<AttrRoot> | undefined => (Object.prototype.hasOwnProperty.call(ATTRIBUTES, key) ? ATTRIBUTES[key as AttrRoot] : undefined);

export interface Lowered {
  ir: IrExpr;
  type: StaticType;
  /** When the type comes from the tools' `args` blocks: the path read and where it is declared. */
  arg?: ArgType & { path: string };
}

const BAD: Lowered = { ir: { k: "lit", value: false }, type: "any" };

/**
 * Lower a condition. `scope`: the `args` blocks of the calls it sees (arg-typing.ts); reads of
 * `args.F` then take the type the blocks declare for `F`, and a mismatch is E0221.
 */
export function lowerCondition(sym: Symbols, e: A.Expr, scope?: ArgScope): Lowered {
  const prev = currentScope;
  currentScope = scope;
  try {
    return lowerConditionIn(sym, e);
  } finally {
    currentScope = prev;
  }
}

/** The scope of the condition being lowered (set by lowerCondition for the duration of one call). */
let currentScope: ArgScope | undefined;
/** Whether `result` may be read: true while a result block's condition is lowered (lowerResultCondition). */
let resultReadable = false;

/** Lower a condition of a `result of ... { }` block (issue 14): `result` is readable there. */
export function lowerResultCondition(sym: Symbols, e: A.Expr, scope?: ArgScope): Lowered {
  const prev = resultReadable;
  resultReadable = true;
  try {
    return lowerCondition(sym, e, scope);
  } finally {
    resultReadable = prev;
  }
}

function lowerConditionIn(sym: Symbols, e: A.Expr): Lowered {
  const r = lowerExpr(sym, e);
  if (r.type !== "boolean" && r.type !== "any") sym.diagnostics.push(notBoolean(e.span, r.type));
  return r;
}

function resolveAttribute(sym: Symbols, p: A.PathExpr): { root: AttrRoot; path: string[]; type: StaticType } | undefined {
  const segs = p.segments;
  // Longest match of root.segment against the table; open roots take the rest as a free path.
  for (let n = Math.min(1, segs.length); n >= 0; n--) {
    const key = [p.root, ...segs.slice(0, n)].join(".");
    const a = rowOf(key);
    if (!a) continue;
    const rest = segs.slice(n);
    if (rest.length > 0 && !a.open) break;
    return { root: a.path, path: rest, type: rest.length > 0 ? "any" : a.type };
  }
  sym.diagnostics.push(unknownAttribute(p.span, [p.root, ...segs].join("."), [...ATTRIBUTE_NAMES]));
  return undefined;
}

function lowerPath(sym: Symbols, p: A.PathExpr): Lowered {
  if (p.calls) {
    // `time.in("Europe/Berlin").hour` (check/time-zones.ts).
    const z = lowerZonedTime(sym, p);
    return z ? { ir: { k: "attr", root: z.root, path: [], text: z.text, zone: z.zone }, type: "number" } : BAD;
  }
  if (p.root === "event" && !ROOTS.has(p.root)) {
    const ev = lowerEventPath(sym, p); // a past event's field (check/history.ts), unless `event` is a constant
    if (ev) return ev;
  }
  if (!ROOTS.has(p.root)) {
    const c = sym.consts.get(p.root);
    if (c && p.segments.length === 0) return { ir: { k: "lit", value: c.value.value }, type: c.value.kind };
    if ((sym.setDecls.has(p.root) || p.root in BUILTIN_NAMES) && p.segments.length === 0) return { ir: { k: "lit", value: false }, type: "set" };
    sym.diagnostics.push(unknownName(p.span, "name", p.root, [...sym.consts.keys(), ...sym.setDecls.keys(), ...ROOTS]));
    return BAD;
  }
  const a = resolveAttribute(sym, p);
  if (!a) return BAD;
  if (a.root === "result" && !resultReadable) {
    sym.diagnostics.push(resultOutsideResultBlock(p.span));
    return BAD;
  }
  const text = [p.root, ...p.segments].join(".");
  const ir: IrExpr = { k: "attr", root: a.root, path: a.path, text };
  const typed = a.root === "args" ? argTypeOf(currentScope, a.path) : undefined;
  if (typed) return { ir, type: typed.type, arg: { ...typed, path: text } };
  return { ir, type: a.type };
}

/** A type error, as E0221 (naming the declaration) when a side's type comes from an `args` block. */
function mismatch(sym: Symbols, span: A.Expr["span"], message: string, hint: string | undefined, ...sides: Lowered[]): void {
  const a = sides.find((x) => x.arg)?.arg;
  if (a) sym.diagnostics.push(argumentTypeMismatch(span, message, a.path, a.declared, a.tool, hint ?? "compare it with a value of that type"));
  else sym.diagnostics.push(typeMismatch(span, message, hint));
}

const TYPE_WORDS: Partial<Record<StaticType, string>> = { string: "a string", number: "a number", boolean: "a boolean", ip: "an address", strings: "a list of strings", list: "a list", object: "an object" };
const describeType = (t: StaticType): string => TYPE_WORDS[t] ?? t;

/** `PATH ?? VALUE`: the attribute, or the value (a literal, a constant or a list) when it is absent. */
function lowerDefault(sym: Symbols, e: A.Expr & { kind: "default" }): Lowered {
  if (e.left.kind !== "path" || !ROOTS.has(e.left.root)) {
    sym.diagnostics.push(invalidDefault(e.left.span, "needs an attribute of the request on the left (`args.x`, `principal.claims.team`)"));
    return BAD;
  }
  const l = lowerPath(sym, e.left);
  if (l.ir.k !== "attr") return BAD;
  const v = e.value;
  let d: Lowered;
  if (v.kind === "ref") {
    const c = sym.consts.get(v.name);
    if (!c) {
      sym.diagnostics.push(unknownName(v.span, "constant", v.name, [...sym.consts.keys()]));
      return BAD;
    }
    d = { ir: { k: "lit", value: c.value.value }, type: c.value.kind };
  } else d = lowerExpr(sym, v);
  const listy = (t: StaticType) => t === "list" || t === "strings";
  const ok = l.type === "any" || d.type === "any" || (listy(l.type) && listy(d.type)) || compatible(l.type, d.type);
  if (!ok) {
    sym.diagnostics.push(defaultWrongType(v.span, l.ir.text, l.type, describeType(l.type), describeType(d.type)));
    return BAD;
  }
  return { ir: { k: "default", e: l.ir, d: d.ir }, type: l.type, ...(l.arg && { arg: l.arg }) };
}


function literalValues(sym: Symbols, l: A.ListValue): Scalar[] | undefined {
  const out: Scalar[] = [];
  for (const item of l.items) {
    if (item.kind === "string" || item.kind === "number" || item.kind === "boolean") out.push(item.value);
    else if (item.kind === "ref" && sym.consts.has(item.name)) out.push(sym.consts.get(item.name)!.value.value);
    else {
      sym.diagnostics.push(typeMismatch(item.span, "list items in a condition must be literals or constants", "name a set instead of nesting lists"));
      return undefined;
    }
  }
  return out;
}

/**
 * `tool.name == "github__*"` (or `!=`, or `in` a list or a `string` set holding such a string) compares
 * exactly, so a glob there would silently never match a tool name: an error (E0211) pointing to
 * `matches` or a tool set.
 */
const isToolName = (x: IrExpr) => x.k === "attr" && x.root === "tool.name" && x.path.length === 0;
const firstGlob = (values: Iterable<Scalar>): string | undefined => {
  for (const v of values) if (typeof v === "string" && /[*?]/.test(v)) return v;
  return undefined;
};

const literals = (x: IrExpr): Iterable<Scalar> => (x.k === "lit" ? [x.value] : x.k === "list" ? x.values : []);

/**
 * When `subject` is `tool.name` and one of the values it is compared with exactly holds a wildcard (E0211);
 * and when `subject` is a name attribute (`tool.name`, `resource.uri`, `server.name`: the registry's
 * `name` rows) and a value is a name no valid request can carry
 * (empty, invisible or control characters, edge white space: `invalid_request` before any rule), so the
 * comparison could never hold for a request that reaches the rules (E0213).
 */
function checkToolNameGlob(sym: Symbols, span: A.Expr["span"], subject: IrExpr, values: Iterable<Scalar>, op: string): void {
  if (subject.k !== "attr" || subject.path.length !== 0) return;
  if (!ATTRIBUTES[subject.root].name) return;
  for (const v of values) {
    if (typeof v !== "string") continue;
    const fault = nameFault(v);
    if (fault !== undefined) {
      sym.diagnostics.push(impossibleName(span, v, subject.root, op, fault));
      return;
    }
  }
  if (!isToolName(subject)) return;
  const glob = firstGlob(values);
  if (glob !== undefined) sym.diagnostics.push(globComparedExactly(span, glob, op));
}

const CMP: Record<string, "eq" | "ne" | "lt" | "le" | "gt" | "ge"> = { "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge" };

function compatible(a: StaticType, b: StaticType): boolean {
  if (a === "any" || b === "any" || a === b) return true;
  // An ip attribute may be compared with a string literal.
  return (a === "ip" && b === "string") || (a === "string" && b === "ip");
}

export function lowerExpr(sym: Symbols, e: A.Expr): Lowered {
  switch (e.kind) {
    case "string":
    case "number":
    case "boolean":
      return { ir: { k: "lit", value: e.value }, type: e.kind };
    case "list": {
      const values = literalValues(sym, e);
      if (!values) return BAD;
      return { ir: { k: "list", values, lookup: new Set(values) }, type: "list" };
    }
    case "path":
      return lowerPath(sym, e);
    case "has": {
      if (e.path.calls) {
        const z = lowerZonedTime(sym, e.path);
        return z ? { ir: { k: "has", root: z.root, path: [], text: z.text }, type: "boolean" } : { ...BAD, type: "boolean" };
      }
      if (e.path.root === "event" && !ROOTS.has(e.path.root)) {
        const ev = lowerEventPath(sym, e.path, true);
        if (ev) return ev;
      }
      if (!ROOTS.has(e.path.root)) {
        sym.diagnostics.push(typeMismatch(e.path.span, "`has` tests an attribute of the request", "write e.g. `has principal.claims.org`"));
        return { ...BAD, type: "boolean" };
      }
      const a = resolveAttribute(sym, e.path);
      if (!a) return { ...BAD, type: "boolean" };
      return { ir: { k: "has", root: a.root, path: a.path, text: [e.path.root, ...e.path.segments].join(".") }, type: "boolean" };
    }
    case "not": {
      const o = lowerConditionIn(sym, e.operand);
      return { ir: { k: "not", e: o.ir }, type: "boolean" };
    }
    case "and":
    case "or": {
      const parts = e.operands.map((o) => lowerConditionIn(sym, o));
      return { ir: { k: e.kind, es: parts.map((p) => p.ir) }, type: "boolean" };
    }
    case "compare":
      return lowerCompare(sym, e);
    case "default":
      return lowerDefault(sym, e);
    case "regex":
      // A regex literal anywhere but right of `matches` (the parser allows it after every operator).
      sym.diagnostics.push(regexOutsideMatches(e.span));
      return BAD;
    case "anyPathArg":
      return lowerAnyPathArg(sym, e);
    case "carries": {
      const l = lowerExpr(sym, e.value);
      if (!isDetectorName(e.detector.text)) {
        sym.diagnostics.push(unknownDetector(e.detector.span, e.detector.text, DETECTOR_NAMES));
        return { ...BAD, type: "boolean" };
      }
      return { ir: { k: "carries", l: l.ir, detector: e.detector.text }, type: "boolean" };
    }
    case "derives": {
      const l = lowerExpr(sym, e.value);
      if (!sym.resultLabels.has(e.label.text)) sym.diagnostics.push(labelNeverGiven(e.label.span, e.label.text, [...sym.resultLabels]));
      return { ir: { k: "derives", l: l.ir, label: e.label.text }, type: "boolean" };
    }
    case "history":
      return lowerHistory(sym, e, lowerExpr);
    default:
      return assertNever(e);
  }
}

function lowerCompare(sym: Symbols, e: A.Expr & { kind: "compare" }): Lowered {
  const boolOf = (ir: IrExpr): Lowered => ({ ir, type: "boolean" });
  if (e.op === "matches" && e.right.kind === "regex") {
    const l = lowerExpr(sym, e.left);
    if (!compatible(l.type, "string")) sym.diagnostics.push(typeMismatch(e.left.span, `\`matches\` needs a string, but this is ${l.type}`));
    const ir = lowerRegex(sym, l.ir, e.right);
    return ir ? boolOf(ir) : BAD;
  }
  if (e.op === "matches") {
    const l = lowerExpr(sym, e.left);
    if (e.right.kind !== "string") {
      sym.diagnostics.push(typeMismatch(e.right.span, "`matches` takes a quoted glob pattern", 'write e.g. `client.certSubject matches "CN=agent-*"`'));
      return BAD;
    }
    if (!compatible(l.type, "string")) mismatch(sym, e.left.span, `\`matches\` needs a string, but this is ${l.type}`, undefined, l);
    // On `tool.name` or `resource.uri` the pattern must also be one a valid request's name or URI can
    // match (no control or invisible characters, not empty, no edge whitespace), as in a rule target.
    const subject = l.ir.k === "attr" && l.ir.path.length === 0 ? l.ir.root : undefined;
    const problem = globProblem(e.right.value, subject === "tool.name" ? "tool" : subject === "resource.uri" ? "resource" : "matches");
    if (problem) {
      sym.diagnostics.push(unsupportedGlob(e.right.span, e.right.value, problem.what, problem.hint));
      return BAD;
    }
    return boolOf({ k: "matches", l: l.ir, pattern: e.right.value });
  }
  const l = lowerExpr(sym, e.left);
  if (e.op === "in" || e.op === "not in") {
    const negate = e.op === "not in";
    // A named set on the right.
    if (e.right.kind === "path" && e.right.segments.length === 0 && !ROOTS.has(e.right.root) && !sym.consts.has(e.right.root)) {
      const set = resolveSet(sym, e.right.root, e.right.span);
      if (!set) return BAD;
      const need: Record<string, StaticType[]> = { cidr: ["ip", "string", "any"], domain: ["string", "any"], string: ["string", "any"], tool: ["string", "any"] };
      if (!(need[set.kind] as StaticType[]).includes(l.type)) {
        sym.diagnostics.push(wrongSetKind(e.right.span, set.name, set.kind, l.type === "strings" ? "a single value" : l.type));
      }
      if (set.kind === "cidr" && l.type === "string") {
        sym.diagnostics.push(typeMismatch(e.left.span, "a cidr set holds addresses; test `client.ip` or an argument against it"));
      }
      if (set.kind === "string") checkToolNameGlob(sym, e.span, l.ir, set.set, e.op);
      return boolOf({ k: "inSet", negate, l: l.ir, set });
    }
    const r = lowerExpr(sym, e.right);
    if (r.type !== "list" && r.type !== "strings" && r.type !== "any") {
      mismatch(sym, e.right.span, `\`in\` needs a list, a set or \`principal.scopes\` on the right, but this is ${r.type}`, undefined, r);
      return BAD;
    }
    if (l.type === "list" || l.type === "strings" || l.type === "set" || l.type === "object") {
      mismatch(sym, e.left.span, `the left side of \`in\` must be a single value, but this is ${l.type}`, undefined, l);
    }
    // A typed argument looked up in a list literal: every item must have its type.
    if (l.arg && r.ir.k === "list" && l.type !== "any") {
      const odd = r.ir.values.find((v) => typeof v !== l.type);
      if (odd !== undefined) mismatch(sym, e.right.span, `\`${e.op}\` looks up ${describeType(l.type)} in a list holding ${JSON.stringify(odd)}`, `write the items as ${l.type === "number" ? "numbers" : l.type === "boolean" ? "booleans" : "strings"}`, l);
    }
    checkToolNameGlob(sym, e.span, l.ir, literals(r.ir), e.op);
    return boolOf({ k: "in", negate, l: l.ir, r: r.ir });
  }
  const r = lowerExpr(sym, e.right);
  if (e.op === "contains") {
    // On a string: substring, the right side a string too. On a list: membership of a single value.
    if (l.type === "string" || l.type === "ip") {
      if (!compatible(r.type, "string")) mismatch(sym, e.right.span, `\`contains\` on a string needs a string on the right, but this is ${r.type}`, 'write e.g. `args.query contains "DROP"`', l, r);
    } else if (l.type !== "strings" && l.type !== "list" && l.type !== "any") {
      mismatch(sym, e.left.span, `\`contains\` needs a string or a list on the left, but this is ${l.type}`, undefined, l);
    } else if (r.type === "list" || r.type === "strings" || r.type === "set" || r.type === "object") {
      mismatch(sym, e.right.span, `\`contains\` looks up a single value in a list, but this is ${r.type}`, undefined, r);
    }
    return boolOf({ k: "contains", l: l.ir, r: r.ir });
  }
  const op = CMP[e.op] as "eq" | "ne" | "lt" | "le" | "gt" | "ge";
  if (op === "eq" || op === "ne") {
    checkToolNameGlob(sym, e.span, l.ir, literals(r.ir), e.op);
    checkToolNameGlob(sym, e.span, r.ir, literals(l.ir), e.op);
  }
  if (l.type === "set" || r.type === "set") {
    sym.diagnostics.push(typeMismatch(e.span, "a set can only be used with `in`", "write `VALUE in SET`"));
    return BAD;
  }
  if (!compatible(l.type, r.type) || l.type === "object" || r.type === "object") {
    mismatch(sym, e.span, `cannot compare ${l.type} with ${r.type}`, "both sides of a comparison must have the same type", l, r);
  } else if (op !== "eq" && op !== "ne" && l.type !== "number" && l.type !== "any" && r.type !== "any" && r.type !== "number") {
    mismatch(sym, e.span, `\`${e.op}\` compares numbers, not ${l.type}`, undefined, l, r);
  }
  return boolOf({ k: op, l: l.ir, r: r.ir });
}
