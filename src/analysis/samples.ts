/**
 * Argument values built from a tool's `args` types: values meant to pass (string(maxLength) -> "a",
 * number(min, max) -> min, enum -> its values, path(root) -> root + "/x", url(hosts) -> "https://host/",
 * patterns -> a generated match, JSON Schemas -> a minimal instance) and argument objects meant to
 * fail (an undeclared key in a closed block, a required field left out, a value of the wrong type).
 * GUARANTEE: every value `validValues` / `validArgs` returns passes the type by the evaluators' own
 * check (eval/args.ts `checkValue`), and every object `invalidArgs` returns fails it. Never throws.
 */
import type { IrField, IrType } from "../ir/ir.js";
import { checkValue } from "../eval/args.js";
import { checkSamples, patternWithoutCaseFlag } from "../builtins/registry.js";
import { regexSamples } from "./regex-sample.js";

const MAX_DEPTH = 8;

function numberCandidates(t: IrType & { t: "number" | "integer" }): number[] {
  const out: number[] = [];
  const { min, max } = t;
  const whole = (x: number, up: boolean) => (t.t === "integer" ? (up ? Math.ceil(x) : Math.floor(x)) : x);
  if (min !== undefined) out.push(whole(min, true));
  if (max !== undefined) out.push(whole(max, false));
  if (min !== undefined && max !== undefined) out.push(whole((min + max) / 2, true));
  out.push(1, 0, min !== undefined ? whole(min, true) + 1 : -1);
  return out;
}

function stringCandidates(t: IrType & { t: "string" }): string[] {
  const min = t.minLength ?? 0;
  const out: string[] = [];
  if (t.patternText !== undefined) out.push(...regexSamples(patternWithoutCaseFlag(t.patternText), [0, 1, 2, min, 8]));
  out.push("a".repeat(Math.max(1, min)), "a".repeat(min), "x");
  return out;
}

/** A minimal instance of a JSON Schema (the common keywords only). */
function schemaCandidates(s: unknown, depth: number): unknown[] {
  if (depth > MAX_DEPTH || typeof s !== "object" || s === null) return ["x", 1, true, {}];
  const o = s as Record<string, unknown>;
  if ("const" in o) return [o.const];
  if (Array.isArray(o.enum)) return o.enum;
  for (const k of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(o[k]) && o[k].length > 0) return schemaCandidates(o[k][0], depth + 1);
  const type = Array.isArray(o.type) ? o.type[0] : o.type;
  const num = (k: string) => (typeof o[k] === "number" ? (o[k] as number) : undefined);
  switch (type) {
    case "string": {
      const min = num("minLength") ?? 0;
      const fromPattern = typeof o.pattern === "string" ? regexSamples(o.pattern, [0, 1, min]) : [];
      return [...fromPattern, "a".repeat(Math.max(1, min)), "a".repeat(min)];
    }
    case "number":
    case "integer":
      return [num("minimum") ?? (num("exclusiveMinimum") !== undefined ? num("exclusiveMinimum")! + 1 : 0), num("maximum") ?? 1, 1];
    case "boolean":
      return [true, false];
    case "null":
      return [null];
    case "array": {
      const item = schemaCandidates(o.items, depth + 1)[0];
      return [new Array(num("minItems") ?? 0).fill(item), [item]];
    }
    default: {
      if (type !== "object" && !("properties" in o)) return ["x", 1, true, {}];
      const props = (typeof o.properties === "object" && o.properties !== null ? o.properties : {}) as Record<string, unknown>;
      const required = Array.isArray(o.required) ? (o.required as unknown[]).filter((k): k is string => typeof k === "string") : [];
      const obj: Record<string, unknown> = {};
      for (const k of required) obj[k] = schemaCandidates(props[k], depth + 1)[0];
      return [obj];
    }
  }
}

function candidates(t: IrType, depth: number): unknown[] {
  if (depth > MAX_DEPTH) return [];
  switch (t.t) {
    case "any":
      return ["x", 1, true];
    case "string":
      return stringCandidates(t);
    case "number":
    case "integer":
      return numberCandidates(t);
    case "boolean":
      return [true, false];
    case "enum":
      return [...t.values];
    case "array": {
      const item = validValues(t.item, depth + 1)[0];
      if (item === undefined) return (t.minItems ?? 0) === 0 ? [[]] : [];
      return [new Array(t.minItems ?? 0).fill(item), [item]];
    }
    case "object": {
      const obj = objectValue(t.fields, depth);
      return obj ? [obj] : [];
    }
    case "union":
      return t.members.flatMap((m) => candidates(m, depth + 1));
    case "json":
      return schemaCandidates(t.schema, depth);
    case "check":
      return checkSamples(t);
  }
}

function objectValue(fields: readonly IrField[], depth: number): Record<string, unknown> | undefined {
  const obj: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.optional) continue;
    const v = validValues(f.type, depth + 1)[0];
    if (v === undefined) return undefined;
    obj[f.name] = v;
  }
  return obj;
}

/** Values that pass `t`, preferred first (deduplicated; possibly none). */
export function validValues(t: IrType, depth = 0): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const v of candidates(t, depth)) {
    const key = JSON.stringify(v) ?? String(v);
    if (seen.has(key) || checkValue(t, v, "v") !== null) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

/** Argument objects that pass the tool's `args` type (`{}` when it has none); [] when none was found. */
export function validArgs(args: IrType | undefined): Record<string, unknown>[] {
  if (!args) return [{}];
  const objects = validValues(args).filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v));
  if (objects.length === 0 && checkValue(args, {}, "args") === null) return [{}];
  return objects;
}

/** Values a type refuses that say what it is for (an escaping path, an internal URL, a write query, ...). */
function telling(t: IrType): unknown[] {
  switch (t.t) {
    case "check":
      return { path: ["../../etc/passwd"], url: ["http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"], ip: ["127.0.0.1", "10.0.0.1"], sql: ["DELETE FROM users"] }[t.kind];
    case "string":
      return [t.maxLength !== undefined ? "a".repeat(t.maxLength + 1) : undefined, t.patternText !== undefined ? "<not matching>" : undefined, t.minLength ? "" : undefined];
    case "number":
    case "integer":
      return [t.max !== undefined ? t.max + 1 : undefined, t.min !== undefined ? t.min - 1 : undefined, "1"];
    case "enum":
      return ["zz-not-listed"];
    case "boolean":
      return ["true"];
    default:
      return [];
  }
}

/** Argument objects that fail the tool's `args` type, each a small change to a valid one, the most telling first. */
export function invalidArgs(args: IrType | undefined): Record<string, unknown>[] {
  if (!args) return [];
  const base = validArgs(args)[0] ?? {};
  const out: Record<string, unknown>[] = [];
  if (args.t === "object") {
    for (const f of args.fields) for (const v of telling(f.type)) if (v !== undefined) out.push({ ...base, [f.name]: v });
  }
  out.push({ ...base, unexpected_argument: "x" });
  if (args.t === "object") {
    for (const f of args.fields) {
      if (!f.optional) {
        const { [f.name]: _dropped, ...rest } = base;
        out.push(rest);
      }
      out.push({ ...base, [f.name]: { not: "valid" } });
    }
  }
  out.push({ value: { not: "valid" } });
  return out.filter((a) => checkValue(args, a, "args") !== null);
}

/** Values of the field at `path` in the args type (for witnesses that set one argument), or [] when undeclared. */
export function fieldValues(args: IrType | undefined, path: readonly string[]): { values: unknown[]; optional: boolean } {
  let t: IrType | undefined = args;
  let optional = false;
  for (const seg of path) {
    if (!t || t.t !== "object") return { values: [], optional: true };
    const f: IrField | undefined = t.fields.find((x) => x.name === seg);
    if (!f) return { values: [], optional: true };
    optional ||= f.optional;
    t = f.type;
  }
  return { values: t ? validValues(t).slice(0, 6) : [], optional };
}
