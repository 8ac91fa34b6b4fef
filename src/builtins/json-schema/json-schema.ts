// JSON Schema checks: an argument, or a whole tool input (a tool's `inputSchema` from `tools/list`),
// validated by a schema compiled once with ajv 8.
// Guarantees:
// - Compilation is done once per schema: cached by identity (WeakMap; a schema object is treated as
//   immutable once compiled) and by its JSON text (a bounded LRU Map). Failures are cached too.
// - Every `pattern` / `patternProperties` regex runs on compileLinearPattern (RE2, linear time), never on
//   the backtracking RegExp; `uniqueItems` is re-implemented in linear time (ajv's own is quadratic for
//   arrays of objects). So a check costs time linear in the value, for a given schema.
// - A schema is refused (an `{ error }`, never a throw) when it is not an object or boolean, is nested
//   deeper than MAX_SCHEMA_DEPTH, is larger than MAX_SCHEMA_BYTES of JSON, contains a cycle, uses an
//   unknown keyword (ajv strict mode), has a pattern RE2 cannot run in linear time, names an unsupported
//   `$schema`, or has a `$ref` that does not resolve inside the schema (remote schemas are never loaded).
// - The check is pure and never throws: it does not mutate or coerce the value (no removeAdditional,
//   useDefaults or coerceTypes; properties are own properties only), and any internal failure (e.g. a
//   value nested too deeply for the stack) is a fault, which denies.
// - A fault names the place in the value in the project's style: `${basePath}.a.b[2]: must match
//   pattern "..."`; a missing property is `${basePath}.x: is required`.
// Dialect: `$schema` draft-07 selects ajv's draft-07 instance; no `$schema`, or 2020-12, selects the
// 2020-12 instance (the MCP specification's default for tool schemas). `format` is an annotation and is
// not asserted (the 2020-12 default; ajv ships no formats). Compiled schemas never see each other: ajv is
// told not to register them, and each is dropped from ajv's cache once compiled.
// ajv loads on the first schema compiled (createRequire of its CommonJS build: the API is synchronous),
// not at import, so a policy without JSON Schema never loads it.
import { createRequire } from "node:module";
import type AjvModule from "ajv";
import type { ErrorObject, Options, SchemaValidateFunction, ValidateFunction } from "ajv";
import type { RegExpEngine } from "ajv/dist/types/index.js";
import { compileLinearPattern } from "../regex/regex.js";

export type JsonSchemaCheck = (value: unknown) => string | null;

/** Deepest accepted nesting of objects and arrays in a schema (the top-level value is depth 1). */
export const MAX_SCHEMA_DEPTH = 64;
/** Largest accepted schema, in characters of its JSON text. */
export const MAX_SCHEMA_BYTES = 1024 * 1024;

const DRAFT_07 = "http://json-schema.org/draft-07/schema#";
const DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema";

// ajv is CommonJS: under NodeNext the default import is `module.exports`, whose `.default` is the class.
type AjvInstance = InstanceType<typeof AjvModule.default>;
type AjvClass = new (opts: Options) => AjvInstance;
const requireCjs = createRequire(import.meta.url);
const ajvClasses = new Map<string, AjvClass>();

/** ajv's class for a dialect (draft-07 or 2020-12), required on first use. */
function ajvClass(dialect: string): AjvClass {
  const id = dialect === DRAFT_07 ? "ajv" : "ajv/dist/2020.js";
  let cls = ajvClasses.get(id);
  if (cls === undefined) {
    const mod = requireCjs(id) as { default?: AjvClass };
    cls = (mod.default ?? mod) as AjvClass;
    ajvClasses.set(id, cls);
  }
  return cls;
}

/**
 * ajv's `code.regExp` contract (ajv/dist/types: RegExpEngine): a function `(pattern, flags) => { test }`,
 * called once per distinct pattern at compile time (flags is "u" with the default unicodeRegExp), that
 * throws on a pattern it rejects (ajv's compile then throws), with a `code` string used only by
 * standalone code generation. ajv keeps the result in its instance-wide scope keyed by `String(result)`,
 * so toString must identify the pattern: a constant would make every schema reuse the first pattern.
 */
const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, _flags: string) => {
    const r = compileLinearPattern(pattern);
    if (!("test" in r)) {
      throw new Error(`pattern ${JSON.stringify(pattern)}: ${r.error}${r.hint ? ` (${r.hint})` : ""}`);
    }
    const key = `linear-pattern:${pattern}`;
    return { test: r.test, toString: () => key };
  },
  { code: "mcppolicyLinearRegExp" }, // only read by ajv's standalone code generation, which is not used
);

const OPTIONS: Options = {
  allErrors: false,
  // Strict schema: unknown keywords, ignored keywords and other schema mistakes are compile errors.
  strict: true,
  // ...but not the authoring lints that reject valid schemas real tools publish (a `properties`
  // without `type: "object"`, a `required` name not in `properties`, an open-ended tuple).
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allowUnionTypes: true,
  $data: false,
  removeAdditional: false,
  useDefaults: false,
  coerceTypes: false,
  ownProperties: true,
  validateFormats: false,
  addUsedSchema: false,
  verbose: false,
  messages: true,
  code: { regExp: linearRegExp },
};

/** ajv compiles into an instance-wide scope that only grows: start a fresh instance now and then. */
const COMPILES_PER_INSTANCE = 1000;
const instances = new Map<string, { ajv: AjvInstance; compiles: number }>();

function instanceFor(dialect: string): { ajv: AjvInstance; compiles: number } {
  let inst = instances.get(dialect);
  if (!inst || inst.compiles >= COMPILES_PER_INSTANCE) {
    const ajv = new (ajvClass(dialect))(OPTIONS);
    ajv.removeKeyword("uniqueItems");
    ajv.addKeyword({ keyword: "uniqueItems", type: "array", schemaType: "boolean", errors: true, validate: uniqueItems });
    inst = { ajv, compiles: 0 };
    instances.set(dialect, inst);
  }
  return inst;
}

// ---------------------------------------------------------------------------------------------------

type Compiled = { validate: ValidateFunction } | { error: string };

const byIdentity = new WeakMap<object, Compiled>();
const TEXT_CACHE_ENTRIES = 256;
const TEXT_CACHE_CHARS = 16 * 1024 * 1024;
const byText = new Map<string, Compiled>();
let byTextChars = 0;

function rememberText(text: string, c: Compiled): void {
  if (text.length > TEXT_CACHE_CHARS / 4) return;
  byText.set(text, c);
  byTextChars += text.length;
  while (byText.size > TEXT_CACHE_ENTRIES || byTextChars > TEXT_CACHE_CHARS) {
    const oldest = byText.keys().next();
    if (oldest.done) break;
    byText.delete(oldest.value);
    byTextChars -= oldest.value.length;
  }
}

/**
 * Compile `schema` once into a check. `basePath` prefixes every fault's path (e.g. `args.options`); with
 * an empty basePath a fault at the root is the bare message.
 */
export function compileJsonSchemaCheck(schema: unknown, basePath = ""): { check: JsonSchemaCheck } | { error: string } {
  const compiled = compileCached(schema);
  if ("error" in compiled) return { error: compiled.error };
  const validate = compiled.validate;
  const base = typeof basePath === "string" ? basePath : "";
  const check = (value: unknown): string | null => {
    try {
      if (validate(value) === true) return null;
      const e = validate.errors?.[0];
      return e ? describeFault(base, e, value) : at(base, "does not match the schema");
    } catch {
      return at(base, "could not be checked against the schema");
    }
  };
  return { check };
}

/** A tool's `inputSchema` as MCP requires it: a JSON Schema object whose `type` is "object". */
export function isMcpInputSchema(x: unknown): boolean {
  return typeof x === "object" && x !== null && !Array.isArray(x) && (x as { type?: unknown }).type === "object";
}

function compileCached(schema: unknown): Compiled {
  const isObj = typeof schema === "object" && schema !== null && !Array.isArray(schema);
  if (!isObj && typeof schema !== "boolean") return { error: "a JSON Schema must be an object or a boolean" };
  if (isObj) {
    const hit = byIdentity.get(schema);
    if (hit) return hit;
  }
  const c = compileFresh(schema);
  if (isObj) byIdentity.set(schema, c);
  return c;
}

function compileFresh(schema: unknown): Compiled {
  const shape = shapeFault(schema);
  if (shape) return { error: shape };
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch (e) {
    return { error: `schema is not JSON: ${lower(e instanceof Error ? e.message : String(e))}` };
  }
  if (typeof text !== "string") return { error: "schema is not JSON" };
  if (text.length > MAX_SCHEMA_BYTES) return { error: `schema is larger than ${MAX_SCHEMA_BYTES / (1024 * 1024)} MB of JSON` };
  const hit = byText.get(text);
  if (hit) {
    byText.delete(text); // refresh its place in the LRU order
    byText.set(text, hit);
    return hit;
  }
  const c = compileText(text);
  rememberText(text, c);
  return c;
}

function compileText(text: string): Compiled {
  // ajv works on a private copy: the caller's object is never touched, and what is compiled is exactly
  // what the text cache is keyed by.
  const copy = JSON.parse(text) as unknown;
  let dialect = DRAFT_2020;
  if (typeof copy === "object" && copy !== null && "$schema" in copy) {
    const rec = copy as Record<string, unknown>;
    const d = canonicalDialect(rec.$schema);
    if (d === null) return { error: `unsupported $schema ${JSON.stringify(rec.$schema)}: use draft-07 or 2020-12` };
    rec.$schema = d;
    dialect = d;
  }
  // ajv (8.x, with addUsedSchema off) cannot resolve `$ref: "#"` below the root of a schema without an
  // `$id`: give such a root a unique base URI that is never fetched (nothing is ever fetched).
  let syntheticId: string | null = null;
  if (typeof copy === "object" && copy !== null && typeof (copy as Record<string, unknown>).$id !== "string") {
    syntheticId = `${SYNTHETIC_BASE}${++syntheticCount}`;
    (copy as Record<string, unknown>).$id = syntheticId;
  }
  const inst = instanceFor(dialect);
  inst.compiles++;
  try {
    const validate = inst.ajv.compile(copy as object | boolean);
    forget(inst.ajv, copy);
    return { validate };
  } catch (e) {
    forget(inst.ajv, copy);
    return { error: describeCompileError(e, syntheticId) };
  }
}

const SYNTHETIC_BASE = "https://mcppolicy.invalid/schema/";
let syntheticCount = 0;

/** Drop the schema from ajv's cache (it would otherwise hold every schema ever compiled). */
function forget(ajv: AjvInstance, copy: unknown): void {
  if (typeof copy !== "object" || copy === null) return;
  try {
    // removeSchema(object) also deletes the registry entry named by the schema's `$id`: without the
    // `$id`, a schema claiming a meta-schema's id cannot unregister that meta-schema.
    delete (copy as Record<string, unknown>).$id;
    ajv.removeSchema(copy as object);
  } catch {
    // nothing to drop
  }
}

function canonicalDialect(s: unknown): string | null {
  if (typeof s !== "string") return null;
  const t = s.trim().replace(/^https?:\/\//, "").replace(/#$/, "");
  if (t === "json-schema.org/draft-07/schema") return DRAFT_07;
  if (t === "json-schema.org/draft/2020-12/schema") return DRAFT_2020;
  return null;
}

/** Depth, size (in nodes) and cycles, without recursion deeper than MAX_SCHEMA_DEPTH + 1. */
function shapeFault(schema: unknown): string | null {
  const onPath = new Set<object>();
  let nodes = 0;
  let fault: string | null = null;
  const walk = (v: unknown, depth: number): void => {
    if (fault !== null) return;
    // Every value past the first adds at least two characters of JSON (itself and a separator).
    if (++nodes > MAX_SCHEMA_BYTES / 2 + 1) {
      fault = `schema is larger than ${MAX_SCHEMA_BYTES / (1024 * 1024)} MB of JSON`;
      return;
    }
    if (typeof v !== "object" || v === null) return;
    if (depth > MAX_SCHEMA_DEPTH) {
      fault = `schema is nested deeper than ${MAX_SCHEMA_DEPTH} levels`;
      return;
    }
    if (onPath.has(v)) {
      fault = "schema contains a cycle";
      return;
    }
    onPath.add(v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child, depth + 1);
    onPath.delete(v);
  };
  try {
    walk(schema, 1);
  } catch {
    return "schema could not be read";
  }
  return fault;
}

function describeCompileError(e: unknown, syntheticId: string | null): string {
  const o = e as { missingRef?: unknown; message?: unknown } | null;
  const msg = o && typeof o.message === "string" ? o.message : String(e);
  if (o && typeof o.missingRef === "string") {
    // The `$ref` as written is in the message; the resolved form may carry the synthetic base URI.
    const written = /can't resolve reference (.*) from id /.exec(msg)?.[1];
    const ref = written ?? (syntheticId ? o.missingRef.split(syntheticId).join("") : o.missingRef);
    return `invalid schema: $ref ${JSON.stringify(ref)} does not resolve inside the schema (remote schemas are never loaded)`;
  }
  return `invalid schema: ${lower(msg.replace(/^strict mode: /, "").replace(/\s*\(strict\w+\)$/, ""))}`;
}

// ---------------------------------------------------------------------------------------------------
// Faults

function at(path: string, message: string): string {
  return path === "" ? message : `${path}: ${message}`;
}

const lower = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const keySeg = (k: string): string => (IDENT.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

/** JSON Pointer -> `.a.b[2]`, reading array indices off the value itself (a pointer cannot tell them apart). */
function pathOf(pointer: string, value: unknown): string {
  if (pointer === "") return "";
  let out = "";
  let cur: unknown = value;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur) && /^(0|[1-9][0-9]*)$/.test(seg)) {
      out += `[${seg}]`;
      cur = cur[Number(seg)];
    } else {
      out += keySeg(seg);
      cur = typeof cur === "object" && cur !== null ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function join(base: string, rel: string): string {
  if (base !== "") return base + rel;
  return rel.startsWith(".") ? rel.slice(1) : rel;
}

function describeFault(base: string, e: ErrorObject, value: unknown): string {
  const path = join(base, pathOf(e.instancePath, value));
  const params = e.params as Record<string, unknown>;
  if (e.keyword === "required" && typeof params.missingProperty === "string") {
    return at(join(path, keySeg(params.missingProperty)), "is required");
  }
  if (e.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    return at(join(path, keySeg(params.additionalProperty)), "is not an allowed property");
  }
  if (e.keyword === "unevaluatedProperties" && typeof params.unevaluatedProperty === "string") {
    return at(join(path, keySeg(params.unevaluatedProperty)), "is not an allowed property");
  }
  return at(path, lower(e.message ?? `fails the "${e.keyword}" keyword`));
}

// ---------------------------------------------------------------------------------------------------
// uniqueItems in linear time: items are compared by a canonical encoding (object keys sorted), which is
// equal exactly when the JSON values are deeply equal.

function canonical(v: unknown): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return String(v); // String(-0) is "0": 0 and -0 are equal, as in JSON Schema
    case "boolean":
      return v ? "true" : "false";
    case "object": {
      if (v === null) return "null";
      if (Array.isArray(v)) {
        let s = "[";
        for (let i = 0; i < v.length; i++) s += (i === 0 ? "" : ",") + canonical(v[i]);
        return `${s}]`;
      }
      const rec = v as Record<string, unknown>;
      const keys = Object.keys(rec);
      if (keys.length > 1) keys.sort();
      let s = "{";
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        s += `${i === 0 ? "" : ","}${JSON.stringify(k)}:${canonical(rec[k])}`;
      }
      return `${s}}`;
    }
    default:
      return `${typeof v}:${String(v)}`; // not JSON: undefined, bigint, symbol, function
  }
}

const uniqueItems: SchemaValidateFunction = (schema: unknown, data: unknown): boolean => {
  uniqueItems.errors = undefined;
  if (schema !== true || !Array.isArray(data)) return true;
  const seen = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const k = canonical(data[i]);
    const j = seen.get(k);
    if (j !== undefined) {
      uniqueItems.errors = [
        { keyword: "uniqueItems", message: `must not have duplicate items (items ${j} and ${i} are identical)`, params: { i, j } },
      ];
      return false;
    }
    seen.set(k, i);
  }
  return true;
};
