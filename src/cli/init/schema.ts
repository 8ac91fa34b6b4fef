/**
 * JSON Schema (a tool's `inputSchema` from `tools/list`) -> the argument types of the policy language
 * (grammar/README.md, "Tool blocks"), as a small `Shape` tree that skeleton.ts renders and drift.ts
 * compares with a compiled policy's args types.
 * GUARANTEES: `toShape` never throws, on any value. Every shape it returns accepts at least what the
 * schema accepts (never a stricter, wrong constraint): a feature the language cannot say (`null`,
 * `allOf`, `not`, tuples, `multipleOf`, `uniqueItems`, a remote `$ref`, a pattern the linear-time regex
 * engine refuses, bounds no value fits) becomes a looser type and a note saying so. Every finite number
 * is written as a plain decimal that reads back exactly (`decimal`). An object is closed only when the
 * schema says `additionalProperties: false`. Local `$ref`s are followed, at most
 * MAX_DEPTH levels of nesting and MAX_NODES nodes per tool (beyond, `any`, noted): a recursive or
 * widely shared `$ref` never makes the conversion or its output blow up.
 */

export type Scalar = string | number | boolean;

export type Shape =
  | { readonly k: "any" }
  | { readonly k: "string"; readonly minLength?: number; readonly maxLength?: number; readonly pattern?: string }
  | { readonly k: "number" | "integer"; readonly min?: number; readonly max?: number }
  | { readonly k: "boolean" }
  | { readonly k: "enum"; readonly values: readonly Scalar[] }
  | { readonly k: "array"; readonly item: Shape; readonly minItems?: number; readonly maxItems?: number }
  | { readonly k: "object"; readonly fields: readonly ShapeField[]; readonly open: boolean }
  | { readonly k: "union"; readonly members: readonly Shape[] };

export interface ShapeField {
  readonly name: string;
  readonly optional: boolean;
  readonly shape: Shape;
  /** The schema's description, if any (hints come from it). */
  readonly description?: string;
  /** The schema's `format`, if any (`uri` suggests url(...)). */
  readonly format?: string;
}

/** A remark on one place of the schema (`edits[].oldText`, "" for the whole input). */
export interface Note {
  readonly at: string;
  readonly text: string;
}

/** Decides whether a pattern compiles in the policy language (skeleton.ts asks the compiler). */
export type PatternCheck = (pattern: string) => boolean;

export const MAX_DEPTH = 24;
/** At most this many schema nodes are converted per tool (`$ref`s can make a small schema a huge tree). */
export const MAX_NODES = 2000;
const ANY: Shape = { k: "any" };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isNat = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isScalar = (v: unknown): v is Scalar => typeof v === "string" || typeof v === "boolean" || isNum(v);

/** A number as the language writes it (decimal, no exponent), or undefined when no decimal reads back as it. */
export function decimal(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  let text = String(n); // the shortest digits that read back as n
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (m) {
    // Move the point of the same digits: `1.5e-7` -> `0.00000015`, `1e21` -> `1000000000000000000000`.
    const [, sign, int = "", frac = "", exp = "0"] = m;
    const digits = int + frac;
    const point = int.length + Number(exp);
    const whole = point <= 0 ? "0" : digits.slice(0, point).padEnd(point, "0");
    const rest = point <= 0 ? "0".repeat(-point) + digits : digits.slice(point);
    text = sign + whole + (rest.replace(/0+$/, "") === "" ? "" : "." + rest.replace(/0+$/, ""));
  }
  if (text === "-0") text = "0";
  return /^-?\d+(\.\d+)?$/.test(text) && Number(text) === n ? text : undefined;
}

class Converter {
  readonly notes: Note[] = [];
  private nodes = 0;
  constructor(
    private readonly root: unknown,
    private readonly patternOk: PatternCheck,
  ) {}

  note(at: string, text: string): void {
    this.notes.push({ at, text });
  }

  /** Bounds that no value fits (min above max) are dropped, with a note: the language refuses them. */
  private consistent<K extends string>(b: Partial<Record<K, number>>, lo: K, hi: K, at: string): void {
    const l = b[lo];
    const h = b[hi];
    if (l !== undefined && h !== undefined && l > h) {
      this.note(at, `\`${lo}\` ${String(l)} is above \`${hi}\` ${String(h)}: no value fits; neither is checked`);
      delete b[lo];
      delete b[hi];
    }
  }

  /** A local `$ref` (`#/definitions/x`, `#/$defs/x`, `#/properties/a/items`), or undefined. */
  private deref(ref: string): unknown {
    if (ref === "#") return this.root;
    if (!ref.startsWith("#/")) return undefined;
    let cur: unknown = this.root;
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      if (!isObj(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
      cur = cur[key];
    }
    return cur;
  }

  shape(s: unknown, at: string, depth: number): Shape {
    if (++this.nodes > MAX_NODES) {
      if (this.nodes === MAX_NODES + 1) this.note(at, `the schema is larger than ${MAX_NODES} nodes (with its references expanded): the rest is not checked (any)`);
      return ANY;
    }
    if (depth > MAX_DEPTH) {
      this.note(at, `nested deeper than ${MAX_DEPTH} levels: not checked (any)`);
      return ANY;
    }
    if (s === true || s === undefined) return ANY;
    if (s === false) {
      this.note(at, "the schema accepts no value here (false): left as any");
      return ANY;
    }
    if (!isObj(s)) {
      this.note(at, "not a schema: not checked (any)");
      return ANY;
    }
    if (typeof s.$ref === "string") {
      const target = this.deref(s.$ref);
      if (target === undefined) {
        this.note(at, `\`$ref\` ${JSON.stringify(s.$ref)} is not a local reference: not checked (any)`);
        return ANY;
      }
      return this.shape(target, at, depth + 1);
    }
    for (const k of ["not", "if", "dependencies", "dependentRequired", "dependentSchemas", "propertyNames", "minProperties", "maxProperties", "contains", "uniqueItems", "multipleOf"]) {
      if (k in s && !(k === "uniqueItems" && s[k] === false)) this.note(at, `\`${k}\` is not checked by the policy`);
    }
    if ("const" in s) return this.enumOf([s.const], at);
    if (Array.isArray(s.enum)) return this.enumOf(s.enum, at);
    if (Array.isArray(s.allOf)) {
      if (s.allOf.length === 1 && Object.keys(s).every((k) => k === "allOf" || k === "description" || k === "title" || k === "default")) {
        return this.shape(s.allOf[0], at, depth + 1);
      }
      this.note(at, "`allOf` is not checked by the policy (any)");
      return ANY;
    }
    const alternatives = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
    if (alternatives) {
      if (Array.isArray(s.oneOf)) this.note(at, "`oneOf` is checked as `anyOf` (a value may match several)");
      return this.union(alternatives.map((m) => this.shape(m, at, depth + 1)));
    }
    const types = typeof s.type === "string" ? [s.type] : Array.isArray(s.type) ? s.type : undefined;
    if (types === undefined) {
      if (isObj(s.properties) || Array.isArray(s.required) || "additionalProperties" in s) return this.object(s, at, depth);
      if ("items" in s || "prefixItems" in s) return this.array(s, at, depth);
      return ANY;
    }
    if (types.includes("null")) {
      this.note(at, "the schema accepts `null`, which the policy cannot name: not checked (any)");
      return ANY;
    }
    return this.union(types.map((t) => this.ofType(t, s, at, depth)));
  }

  private union(members: Shape[]): Shape {
    if (members.length === 0 || members.some((m) => m.k === "any")) return ANY;
    const flat = members.flatMap((m) => (m.k === "union" ? m.members : [m]));
    return flat.length === 1 ? (flat[0] as Shape) : { k: "union", members: flat };
  }

  private enumOf(values: unknown[], at: string): Shape {
    if (values.length === 0) {
      this.note(at, "an empty `enum` accepts nothing: left as any");
      return ANY;
    }
    if (!values.every(isScalar)) {
      this.note(at, "`enum` holds a value that is not a string, number or boolean: not checked (any)");
      return ANY;
    }
    const unique: Scalar[] = [];
    for (const v of values) if (!unique.includes(v)) unique.push(v);
    if (unique.some((v) => typeof v === "number" && decimal(v) === undefined)) {
      this.note(at, "`enum` holds a number no decimal can write: not checked (any)");
      return ANY;
    }
    return { k: "enum", values: unique };
  }

  private ofType(type: unknown, s: Json, at: string, depth: number): Shape {
    switch (type) {
      case "string":
        return this.string(s, at);
      case "number":
      case "integer":
        return this.number(type, s, at);
      case "boolean":
        return { k: "boolean" };
      case "array":
        return this.array(s, at, depth);
      case "object":
        return this.object(s, at, depth);
      default:
        this.note(at, `unknown type ${JSON.stringify(type)}: not checked (any)`);
        return ANY;
    }
  }

  private string(s: Json, at: string): Shape {
    const out: { minLength?: number; maxLength?: number; pattern?: string } = {};
    if (isNat(s.minLength) && s.minLength > 0) out.minLength = s.minLength;
    if (isNat(s.maxLength)) out.maxLength = s.maxLength;
    this.consistent(out, "minLength", "maxLength", at);
    if (typeof s.pattern === "string") {
      if (this.patternOk(s.pattern)) out.pattern = s.pattern;
      else this.note(at, `pattern ${JSON.stringify(s.pattern)} cannot run in the policy's linear-time regex engine: not checked`);
    }
    if (typeof s.format === "string" && !/^(uri|url|iri|uri-reference)$/.test(s.format)) {
      this.note(at, `format \`${s.format}\` is not checked by the policy`);
    }
    return { k: "string", ...out };
  }

  private number(type: "number" | "integer", s: Json, at: string): Shape {
    let min: number | undefined = isNum(s.minimum) ? s.minimum : undefined;
    let max: number | undefined = isNum(s.maximum) ? s.maximum : undefined;
    // draft-06+: exclusiveMinimum is a number; draft-04: a boolean on minimum.
    const exMin = isNum(s.exclusiveMinimum) ? s.exclusiveMinimum : s.exclusiveMinimum === true ? min : undefined;
    const exMax = isNum(s.exclusiveMaximum) ? s.exclusiveMaximum : s.exclusiveMaximum === true ? max : undefined;
    if (exMin !== undefined) {
      const bound = type === "integer" ? Math.floor(exMin) + 1 : exMin;
      if (type === "number") this.note(at, `exclusive minimum ${String(exMin)} is checked as inclusive`);
      if (min === undefined || bound > min || (s.exclusiveMinimum === true && bound >= min)) min = bound;
    }
    if (exMax !== undefined) {
      const bound = type === "integer" ? Math.ceil(exMax) - 1 : exMax;
      if (type === "number") this.note(at, `exclusive maximum ${String(exMax)} is checked as inclusive`);
      if (max === undefined || bound < max || (s.exclusiveMaximum === true && bound <= max)) max = bound;
    }
    if (min !== undefined && decimal(min) === undefined) {
      this.note(at, `minimum ${String(min)} cannot be written as a decimal: not checked`);
      min = undefined;
    }
    if (max !== undefined && decimal(max) === undefined) {
      this.note(at, `maximum ${String(max)} cannot be written as a decimal: not checked`);
      max = undefined;
    }
    const bounds: { min?: number; max?: number } = { ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
    this.consistent(bounds, "min", "max", at);
    return { k: type, ...bounds };
  }

  private array(s: Json, at: string, depth: number): Shape {
    let item: Shape = ANY;
    if (Array.isArray(s.items) || Array.isArray(s.prefixItems)) {
      this.note(at, "a tuple (items by position) is checked as a list of any");
    } else {
      item = this.shape(s.items, `${at}[]`, depth + 1);
    }
    const bounds: { minItems?: number; maxItems?: number } = {
      ...(isNat(s.minItems) && s.minItems > 0 && { minItems: s.minItems }),
      ...(isNat(s.maxItems) && { maxItems: s.maxItems }),
    };
    this.consistent(bounds, "minItems", "maxItems", at);
    return { k: "array", item, ...bounds };
  }

  private object(s: Json, at: string, depth: number): Shape {
    const props = isObj(s.properties) ? s.properties : {};
    const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === "string") : []);
    const fields: ShapeField[] = [];
    for (const [name, sub] of Object.entries(props)) {
      const desc = isObj(sub) && typeof sub.description === "string" ? sub.description : undefined;
      const format = isObj(sub) && typeof sub.format === "string" ? sub.format : undefined;
      const shape = this.shape(sub, at === "" ? name : `${at}.${name}`, depth + 1);
      fields.push({ name, optional: !required.has(name), shape, ...(desc !== undefined && { description: desc }), ...(format !== undefined && { format }) });
    }
    for (const name of required) {
      if (!Object.prototype.hasOwnProperty.call(props, name)) fields.push({ name, optional: false, shape: ANY });
    }
    if (isObj(s.patternProperties)) this.note(at, "`patternProperties` are not checked (other keys are allowed)");
    const open = s.additionalProperties !== false || isObj(s.patternProperties);
    if (isObj(s.additionalProperties) && Object.keys(s.additionalProperties).length > 0) {
      this.note(at, "the values of keys not listed are not checked");
    }
    return { k: "object", fields, open };
  }
}

/** The args type of a tool's inputSchema, and notes on what it could not say exactly. */
export function toShape(inputSchema: unknown, patternOk: PatternCheck): { shape: Shape; notes: Note[] } {
  const c = new Converter(inputSchema, patternOk);
  const shape = c.shape(inputSchema, "", 0);
  if (shape.k !== "object" && shape.k !== "any") {
    c.note("", "the input schema is not an object: the arguments are not checked");
    return { shape: { k: "any" }, notes: c.notes };
  }
  return { shape, notes: c.notes };
}
