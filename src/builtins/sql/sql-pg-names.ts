// Qualified names as PostgreSQL reads them, for the table and function lists of `sql(dialect:
// "postgresql")`: an entry (`users`, `public.users`, `"Mixed"`, `db.s.t`) becomes a lookup key whose parts
// are folded to lower case (ASCII, as PostgreSQL folds unquoted identifiers) unless double-quoted, joined
// by NUL (which no query can contain: the text pre-checks refuse it). The same reading applies to a
// string literal that PostgreSQL itself reads as a qualified name (`'public.users'::regclass`).

export const SEP = "\u0000";

/** A parse-tree node as libpg-query's JSON gives it. */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;

/** The `sval` of a `{ String: { sval } }` node, else null. */
export function sval(n: unknown): string | null {
  if (!isObj(n) || !isObj(n.String)) return null;
  const s = n.String.sval;
  return typeof s === "string" ? s : null;
}

/** PostgreSQL's scanner_isspace: ASCII blanks only (a no-break space is part of a name). */
const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";

/** A dotted name (at most three parts) as a lookup key, or null if it is not a well-formed name. */
export function tableKey(entry: string): string | null {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    let part = "";
    while (isSpace(entry[i])) i++;
    if (entry[i] === '"') {
      i++;
      for (;;) {
        if (i >= entry.length) return null;
        if (entry[i] === '"') {
          if (entry[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += entry[i++];
      }
      while (isSpace(entry[i])) i++;
    } else {
      while (i < entry.length && entry[i] !== ".") {
        if (entry[i] === '"') return null;
        part += entry[i++];
      }
      part = part.replace(/^[ \t\n\r\f]+|[ \t\n\r\f]+$/g, "").replace(/[A-Z]/g, (c) => c.toLowerCase());
    }
    if (part === "" || part.includes(SEP)) return null;
    parts.push(part);
    if (i >= entry.length) break;
    if (entry[i] !== ".") return null;
    i++;
  }
  return parts.length <= 3 ? parts.join(SEP) : null;
}

/** `a<NUL>b` -> `a.b`, for messages. */
export function displayName(key: string): string {
  return key.split(SEP).join(".");
}
