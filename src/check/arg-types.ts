/**
 * Stage: argument types. Checks `args { ... }` blocks (type names, parameters and their values,
 * constraints that no value can satisfy, invalid regexes) and lowers them to IR types as data. The
 * built-in constraints (`path`, `url`, `ip`, `sql`) are read and validated by their registry entry
 * (builtins/registry.ts) through a parameter reader over the AST; the problems it reports become the
 * catalog's diagnostics here.
 */
import type * as A from "../ast/nodes.js";
import { assertNever } from "../ast/nodes.js";
import {
  duplicateField,
  invalidParameterValue,
  invalidRegex,
  invalidSqlFunction,
  patternNotLinear,
  sqlFunctionNotReadOnly,
  unknownParameter,
  unknownType,
  unsatisfiable,
  unsupportedPatternFlags,
  wrongSetKind,
} from "../diagnostics/catalog.js";
import {
  CHECK_KINDS,
  bindHost,
  cidrItemsProblem,
  compileJsonSchemaCheck,
  domainItemsProblem,
  isCheckKind,
  patternProblem,
  PATTERN_FLAGS,
  type CheckSpec,
  type Locator,
  type ParamReader,
  type Problem,
} from "../builtins/registry.js";
import * as nodePath from "node:path";
import type { IrField, IrType, Scalar } from "../ir/ir.js";
import type { Symbols } from "./scope.js";
import { resolveSet } from "./sets.js";

const PARAMS: Record<string, readonly string[]> = {
  string: ["minLength", "maxLength", "pattern", "flags"],
  number: ["min", "max"],
  integer: ["min", "max"],
  boolean: [],
  any: [],
  enum: [],
  array: ["minItems", "maxItems"],
  path: CHECK_KINDS.path.params,
  url: CHECK_KINDS.url.params,
  ip: CHECK_KINDS.ip.params,
  sql: CHECK_KINDS.sql.params,
  json: ["schema", "inline"],
};
export const TYPE_NAMES = Object.keys(PARAMS);
/** The parameters each argument type accepts (hover, completion), in documentation order. */
export const TYPE_PARAMS: Readonly<Record<string, readonly string[]>> = PARAMS;

const ANY: IrType = { t: "any" };

export function lowerObjectType(sym: Symbols, o: A.ObjectTypeExpr): IrType & { t: "object" } {
  const fields: IrField[] = [];
  const seen = new Set<string>();
  for (const f of o.fields) {
    if (seen.has(f.name.text)) {
      sym.diagnostics.push(duplicateField(f.name.span, f.name.text));
      continue;
    }
    seen.add(f.name.text);
    fields.push({ name: f.name.text, optional: f.optional, type: lowerType(sym, f.type) });
  }
  return { t: "object", fields, open: o.open };
}

export function lowerType(sym: Symbols, t: A.TypeExpr): IrType {
  switch (t.kind) {
    case "object":
      return lowerObjectType(sym, t);
    case "union":
      return { t: "union", members: t.members.map((m) => lowerType(sym, m)) };
    case "named":
      return lowerNamed(sym, t);
    default:
      return assertNever(t);
  }
}

/** The parameters of one named type, read over the AST (constants resolved, set names expanded to items). */
class Params implements ParamReader {
  constructor(private readonly sym: Symbols, private readonly t: A.TypeExpr & { kind: "named" }) {}
  private find(name: string) {
    return this.t.params.find((p) => p.name.text === name);
  }
  private bad(p: A.TypeParam, what: string) {
    this.sym.diagnostics.push(invalidParameterValue(p.value.span, `parameter \`${p.name.text}\` of \`${this.t.name.text}\` must be ${what}`));
  }
  private constValue(v: A.Value): A.Value {
    if (v.kind === "ref") {
      const c = this.sym.consts.get(v.name);
      if (c) return c.value;
    }
    return v;
  }
  has(name: string): boolean {
    return this.find(name) !== undefined;
  }
  nonNegInt(name: string): number | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "number" && Number.isInteger(v.value) && v.value >= 0) return v.value;
    this.bad(p, "a whole number, 0 or more");
    return undefined;
  }
  num(name: string): number | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "number") return v.value;
    this.bad(p, "a number");
    return undefined;
  }
  /** A string, with the span of its value (the constant's, when it names one). */
  strAt(name: string): { value: string; span: A.Value["span"] } | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "string") return { value: v.value, span: v.span };
    this.bad(p, "a string");
    return undefined;
  }
  str(name: string): string | undefined {
    return this.strAt(name)?.value;
  }
  bool(name: string): boolean | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "boolean") return v.value;
    this.bad(p, "`true` or `false`");
    return undefined;
  }
  strings(name: string): string[] | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    if (p.value.kind === "list" && p.value.items.every((i) => i.kind === "string")) return p.value.items.map((i) => (i as { value: string }).value);
    this.bad(p, "a list of strings");
    return undefined;
  }
  stringItems(name: string): string[] | undefined {
    return this.strings(name);
  }
  stringOrItems(name: string): string[] | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "string") return [v.value];
    if (v.kind === "list" && v.items.every((i) => i.kind === "string")) return v.items.map((i) => (i as { value: string }).value);
    this.bad(p, "a string or a list of strings");
    return undefined;
  }
  ints(name: string): number[] | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    if (p.value.kind === "list" && p.value.items.every((i) => i.kind === "number" && Number.isInteger(i.value))) {
      return p.value.items.map((i) => (i as { value: number }).value);
    }
    this.bad(p, "a list of whole numbers");
    return undefined;
  }
  /** A set reference of the given kind, or an inline list of strings: its items. */
  cidr(name: string): string[] | undefined {
    return this.setParam(name, "cidr", cidrItemsProblem);
  }
  domain(name: string): string[] | undefined {
    return this.setParam(name, "domain", domainItemsProblem);
  }
  private setParam(name: string, kind: "cidr" | "domain", problem: (items: readonly string[]) => { error: string; item: string } | undefined): string[] | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    if (p.value.kind === "ref") {
      const s = resolveSet(this.sym, p.value.name, p.value.span);
      if (!s) return undefined;
      if (s.kind !== kind) {
        this.sym.diagnostics.push(wrongSetKind(p.value.span, s.name, s.kind, kind));
        return undefined;
      }
      return [...(s as { items: readonly string[] }).items];
    }
    const items = this.strings(name);
    if (!items) return undefined;
    const r = problem(items);
    if (r) {
      this.sym.diagnostics.push(invalidParameterValue(p.value.span, `\`${r.item}\` is not a valid ${kind} item: ${r.error}`));
      return undefined;
    }
    return items;
  }
  private spanOf(at: Locator): A.Value["span"] {
    if ("type" in at) return this.t.span;
    const p = this.find(at.param);
    if (!p) return this.t.span;
    if (at.item !== undefined && p.value.kind === "list") return p.value.items[at.item]?.span ?? p.value.span;
    return this.constValue(p.value).span;
  }
  problem(p: Problem): void {
    const span = this.spanOf(p.at);
    switch (p.code) {
      case "invalid-parameter":
        this.sym.diagnostics.push(p.hint === undefined ? invalidParameterValue(span, p.message) : invalidParameterValue(span, p.message, p.hint));
        return;
      case "invalid-sql-function":
        this.sym.diagnostics.push(invalidSqlFunction(span, p.entry));
        return;
      case "sql-function-not-readonly":
        this.sym.diagnostics.push(sqlFunctionNotReadOnly(span, p.entry, p.reason));
        return;
    }
  }
}

function range(sym: Symbols, t: A.TypeExpr, lo: number | undefined, hi: number | undefined, what: string) {
  if (lo !== undefined && hi !== undefined && lo > hi) {
    sym.diagnostics.push(unsatisfiable(t.span, `no value can satisfy ${what}: the minimum ${lo} is above the maximum ${hi}`, "swap or fix the bounds"));
  }
}

function lowerNamed(sym: Symbols, t: A.TypeExpr & { kind: "named" }): IrType {
  const name = t.name.text;
  const allowed = PARAMS[name];
  if (!allowed) {
    sym.diagnostics.push(unknownType(t.name.span, name, TYPE_NAMES));
    return ANY;
  }
  for (const p of t.params) {
    if (!allowed.includes(p.name.text)) sym.diagnostics.push(unknownParameter(p.name.span, name, p.name.text, allowed));
  }
  if (name !== "enum" && name !== "array" && t.positional.length > 0) {
    sym.diagnostics.push(invalidParameterValue(t.positional[0]!.span, `type \`${name}\` takes only named parameters`, "write `name: value`"));
  }
  const P = new Params(sym, t);
  switch (name) {
    case "any":
      return ANY;
    case "boolean":
      return { t: "boolean" };
    case "string": {
      const minLength = P.nonNegInt("minLength");
      const maxLength = P.nonNegInt("maxLength");
      range(sym, t, minLength, maxLength, "the length");
      const pat = P.strAt("pattern");
      // `flags: "i"` (the only flag): a case-insensitive pattern. Without a pattern it means nothing.
      const fl = P.strAt("flags");
      let flagsOk = true;
      if (fl && !(PATTERN_FLAGS as readonly string[]).includes(fl.value)) {
        sym.diagnostics.push(unsupportedPatternFlags(fl.span, fl.value));
        flagsOk = false;
      } else if (fl && !pat) {
        sym.diagnostics.push(invalidParameterValue(fl.span, "`flags` applies to a `pattern`, and this `string` has none", 'add `pattern: "..."`, or remove `flags`'));
      }
      let patternText: string | undefined;
      const patternFlags = fl?.value || undefined;
      if (pat && flagsOk) {
        const problem = patternProblem(pat.value, patternFlags ?? "");
        if (problem?.kind === "invalid-regex") sym.diagnostics.push(invalidRegex(pat.span, pat.value, problem.reason));
        else if (problem) sym.diagnostics.push(patternNotLinear(pat.span, pat.value, problem.error, problem.hint));
        else patternText = pat.value;
      }
      return {
        t: "string",
        ...(minLength !== undefined && { minLength }),
        ...(maxLength !== undefined && { maxLength }),
        ...(patternText !== undefined && { patternText }),
        ...(patternText !== undefined && patternFlags !== undefined && { patternFlags }),
      };
    }
    case "number":
    case "integer": {
      const min = P.num("min");
      const max = P.num("max");
      range(sym, t, min, max, "the range");
      if (name === "integer" && min !== undefined && max !== undefined && min <= max && Math.ceil(min) > Math.floor(max)) {
        sym.diagnostics.push(unsatisfiable(t.span, `no whole number lies between ${min} and ${max}`));
      }
      return { t: name, ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
    }
    case "enum": {
      const values: Scalar[] = [];
      for (const v of t.positional) {
        if (v.kind === "string" || v.kind === "number" || v.kind === "boolean") values.push(v.value);
        else sym.diagnostics.push(invalidParameterValue(v.span, "enum values must be strings, numbers or booleans"));
      }
      if (t.positional.length === 0) sym.diagnostics.push(unsatisfiable(t.span, "an empty enum allows no value", 'list the allowed values: `enum("a", "b")`'));
      return { t: "enum", values };
    }
    case "array": {
      const first = t.positional[0];
      let item: IrType = ANY;
      if (first && first.kind !== "string" && first.kind !== "number" && first.kind !== "boolean") item = lowerType(sym, first);
      else sym.diagnostics.push(invalidParameterValue(t.span, "`array` needs its item type first", "write e.g. `array(string, maxItems: 20)`"));
      const minItems = P.nonNegInt("minItems");
      const maxItems = P.nonNegInt("maxItems");
      range(sym, t, minItems, maxItems, "the number of items");
      return { t: "array", item, ...(minItems !== undefined && { minItems }), ...(maxItems !== undefined && { maxItems }) };
    }
    case "json":
      return lowerJson(sym, t, P);
    case "path":
    case "url":
    case "ip":
    case "sql":
      return lowerCheck(sym, name, P);
    default:
      return ANY;
  }
}

/** A built-in constraint: its registry entry reads and validates the parameters; the IR holds them as data. */
function lowerCheck(sym: Symbols, name: string, P: Params): IrType {
  if (!isCheckKind(name)) return ANY;
  const host = sym.options.realpath ? { realpath: sym.options.realpath } : {};
  const lowered = CHECK_KINDS[name].lower(P, host);
  if (!lowered) return ANY;
  bindHost(lowered.params, host);
  const spec = { kind: name, params: lowered.params, ...(lowered.maxLength !== undefined && { maxLength: lowered.maxLength }) } as CheckSpec;
  return { t: "check", ...spec };
}

/** `json(schema: "file.json")` (relative to the policy file) or `json(inline: "{...}")`: parsed and compiled now. */
function lowerJson(sym: Symbols, t: A.TypeExpr & { kind: "named" }, P: Params): IrType {
  const file = P.strAt("schema");
  const inline = P.strAt("inline");
  if ((file ? 1 : 0) + (inline ? 1 : 0) !== 1) {
    sym.diagnostics.push(invalidParameterValue(t.span, "`json` needs exactly one of `schema:` (a file) or `inline:` (JSON text)", 'write `json(schema: "tool.schema.json")`'));
    return ANY;
  }
  let text: string;
  const at = (file ?? inline)!;
  if (file) {
    const read = sym.options.readFile;
    if (!read) {
      sym.diagnostics.push(invalidParameterValue(file.span, `cannot read \`${file.value}\`: this host gives no way to read files`, "use `inline:` with the schema's JSON text"));
      return ANY;
    }
    const full = nodePath.resolve(nodePath.dirname(t.span.file), file.value);
    try {
      text = read(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      sym.diagnostics.push(invalidParameterValue(file.span, `cannot read \`${file.value}\`: ${code === "ENOENT" ? "no such file" : (err as Error)?.message ?? "unreadable"}`, "the path is relative to the policy file"));
      return ANY;
    }
  } else text = inline!.value;
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    // A file's own text is never shown (JSON.parse's message quotes the start of it): only inline JSON's error.
    sym.diagnostics.push(invalidParameterValue(at.span, file ? `the schema in \`${file.value}\` is not valid JSON` : `the schema is not valid JSON: ${(err as Error).message}`));
    return ANY;
  }
  const compiled = compileJsonSchemaCheck(schema);
  if ("error" in compiled || typeof schema !== "object" || schema === null) {
    sym.diagnostics.push(invalidParameterValue(at.span, `the schema cannot be used: ${"error" in compiled ? compiled.error : "it must be a JSON object"}`, "schemas are JSON Schema 2020-12/draft-07 as ajv reads them, in strict mode"));
    return ANY;
  }
  return { t: "json", schema };
}
