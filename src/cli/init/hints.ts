/**
 * Suggestions for the constraint kinds a string argument may deserve (`path(...)`, `url(...)`,
 * `sql(...)`), read from the argument's name, its description and its JSON Schema `format`.
 * GUARANTEE: only ever a suggestion (skeleton.ts writes it as a comment, never as a type): a root, a
 * host list or a dialect is the author's to choose, and a wrong guess must not refuse good calls.
 */
import type { Shape } from "./schema.js";

export type HintKind = "path" | "url" | "sql";

const PATH_NAME = /^(path|paths|file|files|filename|filepath|dir|dirs|directory|directories|folder|source|destination|src|dest|cwd|root)$|(Path|Paths|File|Files|Dir|Directory|Folder)$|_(path|paths|file|dir|directory|folder)$/i;
const PATH_TEXT = /\b(file ?path|directory|folder|file system|filesystem)\b/i;
const URL_NAME = /^(url|urls|uri|uris|href|link|endpoint|webhook)$|(Url|Uri|URL|URI|Href|Endpoint)$|_(url|uri|href|endpoint)$/i;
const URL_TEXT = /\b(url|uri|https?:\/\/)/i;
const SQL_NAME = /^(sql|query|statement)$|(Sql|SQL)$|_sql$/i;
const SQL_TEXT = /\b(sql|select statement|query to (run|execute))\b/i;

/** The string-typed shapes of `s` (itself, or the items of a list of strings). */
function isStringy(s: Shape): boolean {
  return s.k === "string" || (s.k === "array" && s.item.k === "string");
}

/** The constraint kind the name, description or format of a string argument suggests, if any. */
export function hintFor(fieldName: string, shape: Shape, description?: string, format?: string): HintKind | undefined {
  if (!isStringy(shape)) return undefined;
  const desc = description ?? "";
  if (format !== undefined && /^(uri|url|iri)$/.test(format)) return "url";
  if (SQL_NAME.test(fieldName) && (fieldName.toLowerCase().includes("sql") || SQL_TEXT.test(desc))) return "sql";
  if (URL_NAME.test(fieldName)) return "url";
  if (PATH_NAME.test(fieldName)) return "path";
  if (SQL_TEXT.test(desc) && /query|sql|statement/i.test(fieldName)) return "sql";
  if (URL_TEXT.test(desc)) return "url";
  if (PATH_TEXT.test(desc)) return "path";
  return undefined;
}

/** The comment that suggests the kind. */
export function hintText(kind: HintKind, list: boolean): string {
  const each = list ? "each item: " : "";
  switch (kind) {
    case "path":
      return `${each}a file path? consider path(root: "/your/root") (resolved, every reading checked)`;
    case "url":
      return `${each}a URL? consider url(schemes: ["https"], hosts: ["example.com"], deny: internal)`;
    case "sql":
      return `${each}SQL? consider sql(readonly: true) (one read-only statement)`;
  }
}
