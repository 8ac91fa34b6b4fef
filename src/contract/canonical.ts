/**
 * Canonical JSON and hashes of it: the form an approval and an idempotency key are bound to.
 * Guarantees: two values have the same canonical text exactly when they are the same JSON value
 * (object keys sorted by code unit, no whitespace, numbers in JavaScript's shortest round-trip form,
 * `-0` as `0`). Anything JSON cannot carry without loss (NaN, Infinity, bigint, functions, symbols,
 * `undefined` in an array, cycles, nesting past 64 levels, non-plain objects) is refused with an error
 * rather than silently changed, so two different calls can never share a hash. Object keys whose value is
 * `undefined` are left out, as JSON.stringify does.
 */
import { createHash } from "node:crypto";

const MAX_DEPTH = 64;

export class CanonicalError extends Error {
  override name = "CanonicalError";
}

export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, 0, parts, new Set());
  return parts.join("");
}

/**
 * The canonical JSON of a value that sits `depth` levels down in a larger value (the depth limit counts
 * from the top): `canonicalJson(o)` is `{` + the sorted keys' `JSON.stringify(k)` + `:` +
 * `canonicalJsonAt(o[k], 1)`, joined by `,` + `}`, so a caller can assemble an object's text from its
 * members' (audit records: the hash-free text and the line from one pass).
 */
export function canonicalJsonAt(value: unknown, depth: number): string {
  const parts: string[] = [];
  write(value, depth, parts, new Set());
  return parts.join("");
}

function write(v: unknown, depth: number, out: string[], seen: Set<object>): void {
  if (depth > MAX_DEPTH) throw new CanonicalError(`nested deeper than ${MAX_DEPTH} levels`);
  switch (typeof v) {
    case "string":
      out.push(JSON.stringify(v));
      return;
    case "number":
      if (!Number.isFinite(v)) throw new CanonicalError(`${v} is not a JSON number`);
      out.push(Object.is(v, -0) ? "0" : String(v));
      return;
    case "boolean":
      out.push(v ? "true" : "false");
      return;
    case "object": {
      if (v === null) {
        out.push("null");
        return;
      }
      if (seen.has(v)) throw new CanonicalError("the value contains a cycle");
      seen.add(v);
      if (Array.isArray(v)) {
        out.push("[");
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(",");
          if (v[i] === undefined) throw new CanonicalError("an array holds `undefined`");
          write(v[i], depth + 1, out, seen);
        }
        out.push("]");
      } else {
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) throw new CanonicalError(`a ${proto?.constructor?.name ?? "non-plain"} object is not JSON`);
        const keys = Object.keys(v).sort();
        out.push("{");
        let first = true;
        for (const k of keys) {
          const x = (v as Record<string, unknown>)[k];
          if (x === undefined) continue;
          if (!first) out.push(",");
          first = false;
          out.push(JSON.stringify(k), ":");
          write(x, depth + 1, out, seen);
        }
        out.push("}");
      }
      seen.delete(v);
      return;
    }
    default:
      throw new CanonicalError(`a ${typeof v} is not JSON`);
  }
}

/** SHA-256 of the canonical JSON of a value, base64url. */
export function canonicalHash(value: unknown): string {
  return sha256(canonicalJson(value));
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("base64url");
}
