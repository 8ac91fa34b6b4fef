/**
 * Writes Shapes (schema.ts) as policy text, and the names and comments around them.
 * GUARANTEES: output is a pure function of the input (deterministic); every user text is written as
 * a string literal (JSON escapes, which the language reads the same) or inside a one-line comment
 * with line breaks and control characters removed, so no name or description can end a comment or
 * inject a declaration. Identifiers are written bare only when they match the language's identifier
 * form and are not one of its words (syntax/name-text.ts).
 */
import { nameText as name, stringText as str } from "../../syntax/name-text.js";
import { decimal, type Shape } from "./schema.js";


/** One line of comment text: no line breaks, no control or invisible format characters, at most `max` characters. */
export function commentText(text: string, max = 120): string {
  const flat = text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, " ").replace(/\s+/g, " ").trim();
  const chars = [...flat];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : flat;
}

function scalar(v: string | number | boolean): string {
  return typeof v === "string" ? str(v) : typeof v === "number" ? (decimal(v) as string) : String(v);
}

function params(parts: readonly (string | undefined)[]): string {
  const given = parts.filter((p): p is string => p !== undefined);
  return given.length === 0 ? "" : `(${given.join(", ")})`;
}

const num = (label: string, n: number | undefined) => (n === undefined ? undefined : `${label}: ${decimal(n) as string}`);

/** A type expression on one line. */
export function typeText(s: Shape): string {
  switch (s.k) {
    case "any":
      return "any";
    case "boolean":
      return "boolean";
    case "string":
      return "string" + params([num("minLength", s.minLength), num("maxLength", s.maxLength), s.pattern === undefined ? undefined : `pattern: ${str(s.pattern)}`]);
    case "number":
    case "integer":
      return s.k + params([num("min", s.min), num("max", s.max)]);
    case "enum":
      return `enum(${s.values.map(scalar).join(", ")})`;
    case "array":
      return `array(${[typeText(s.item), num("minItems", s.minItems), num("maxItems", s.maxItems)].filter((p) => p !== undefined).join(", ")})`;
    case "union":
      return s.members.map(typeText).join(" | "); // schema.ts flattens unions: no member is one
    case "object": {
      const fields = s.fields.map((f) => `${name(f.name)}${f.optional ? "?" : ""}: ${typeText(f.shape)}`);
      if (s.open) fields.push("...");
      return fields.length === 0 ? "{ }" : `{ ${fields.join(", ")} }`;
    }
  }
}
