// String length in code points (the language's unit for minLength/maxLength), and the characters a
// name never holds. Guarantees: pure, never throws, O(n); a lone surrogate counts as one code point;
// a non-string is 0 (callers check the type first).

const SURROGATE = /[\uD800-\uDFFF]/;

export function codePointLength(s: string): number {
  if (typeof s !== "string") return 0;
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** Characters a name never holds (contract/names.ts): shared with the checker's glob rules (glob/glob-syntax.ts). */
export { INVISIBLE } from "../../contract/names.js";
