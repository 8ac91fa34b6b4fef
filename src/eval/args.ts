/**
 * Argument checking against a tool's lowered `args` type: a plain recursive walk. Returns the first
 * fault as `args.a.b: what is wrong`, or null. Never throws; no coercion; lengths in code points.
 */
import type { IrType } from "../ir/ir.js";
import { codePointLength, compileJsonSchemaCheck } from "../builtins/registry.js";
import { constraintCheck, stringPattern } from "../ir/match.js";
import { describeValue } from "./request.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function checkValue(t: IrType, v: unknown, path: string): string | null {
  switch (t.t) {
    case "any":
      return v === undefined ? `${path}: is missing` : null;
    case "string": {
      if (typeof v !== "string") return `${path}: expected a string, found ${describeValue(v)}`;
      if (t.minLength !== undefined || t.maxLength !== undefined) {
        const n = codePointLength(v);
        if (t.minLength !== undefined && n < t.minLength) return `${path}: shorter than ${t.minLength} characters`;
        if (t.maxLength !== undefined && n > t.maxLength) return `${path}: longer than ${t.maxLength} characters`;
      }
      if (t.patternText !== undefined && !stringPattern(t)!(v)) return `${path}: does not match the pattern \`${t.patternText}\``;
      return null;
    }
    case "number":
    case "integer": {
      if (typeof v !== "number" || !Number.isFinite(v)) return `${path}: expected a ${t.t}, found ${describeValue(v)}`;
      if (t.t === "integer" && !Number.isInteger(v)) return `${path}: expected a whole number, found ${v}`;
      if (t.min !== undefined && v < t.min) return `${path}: below the minimum ${t.min}`;
      if (t.max !== undefined && v > t.max) return `${path}: above the maximum ${t.max}`;
      return null;
    }
    case "boolean":
      return typeof v === "boolean" ? null : `${path}: expected a boolean, found ${describeValue(v)}`;
    case "enum":
      return t.values.includes(v as never) ? null : `${path}: must be one of ${t.values.map((x) => JSON.stringify(x)).join(", ")}`;
    case "array": {
      if (!Array.isArray(v)) return `${path}: expected a list, found ${describeValue(v)}`;
      if (t.minItems !== undefined && v.length < t.minItems) return `${path}: fewer than ${t.minItems} items`;
      if (t.maxItems !== undefined && v.length > t.maxItems) return `${path}: more than ${t.maxItems} items`;
      for (let i = 0; i < v.length; i++) {
        const f = checkValue(t.item, v[i], `${path}[${i}]`);
        if (f) return f;
      }
      return null;
    }
    case "object": {
      if (!isObject(v)) return `${path}: expected an object, found ${describeValue(v)}`;
      for (const f of t.fields) {
        const has = Object.prototype.hasOwnProperty.call(v, f.name) && v[f.name] !== undefined;
        if (!has) {
          if (f.optional) continue;
          return `${path}.${f.name}: is required`;
        }
        const fault = checkValue(f.type, v[f.name], `${path}.${f.name}`);
        if (fault) return fault;
      }
      if (!t.open) {
        for (const key of Object.keys(v)) {
          if (!t.fields.some((f) => f.name === key)) return `${path}.${key}: is not an allowed argument`;
        }
      }
      return null;
    }
    case "union": {
      let first: string | null = null;
      for (const m of t.members) {
        const f = checkValue(m, v, path);
        if (f === null) return null;
        first ??= f;
      }
      return first ?? `${path}: matches no allowed type`;
    }
    case "json": {
      const c = compileJsonSchemaCheck(t.schema, path);
      return "error" in c ? `${path}: ${c.error}` : c.check(v);
    }
    case "check": {
      const f = constraintCheck(t)(v);
      return f === null ? null : `${path}: ${f}`;
    }
  }
}
