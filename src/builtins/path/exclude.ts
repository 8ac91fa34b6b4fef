// Excludes of `path(..., exclude: ["**/.git/**", "**/.env"])`: path globs matched against a resolved,
// absolute, normalised path. Guarantees: an exclude is validated once (excludeProblem: absolute or
// starting with `**`, only `*`, `**`, `?` and `[c]` as glob syntax, no `.`/`..` parts, no backslash or
// control character); matching never throws, runs in O(len(path) x len(glob)) (the URI glob engine:
// `*` within one part, `**` across parts) and FAILS CLOSED towards exclusion: a path is excluded when
// an exclude matches it or one of its ancestors (an excluded directory excludes what it holds, as in
// `.gitignore`: `**/.env` covers `.env/x`), or the path with `/` appended (so `**/.git/**` also covers
// the `.git` directory itself), in any of these spellings:
//  - lowercased and uppercased, both sides (case-insensitive file systems, NTFS and APFS by default,
//    open `.ENV` as `.env`; `ı`, `ſ` and the Kelvin sign fold to ASCII letters one way or the other);
//  - with each part's trailing dots and spaces stripped and anything from its first `:` cut (Windows
//    opens `.env.`, `.env ` and the NTFS stream `.env::$DATA` as `.env`), and with Unicode's default
//    ignorable code points removed (HFS+ ignores them when comparing names: `.g\u200cit` is `.git`,
//    CVE-2014-9390);
//  - with the exclude itself also in NFKC form (values are matched in every reading, NFKC included).
// And a path with a part that looks like a Windows short (8.3) name (`GIT~1`, `ENV~1.TXT`) is refused
// whenever excludes are given: a short name may stand for any excluded long name.
import { globProblem } from "../glob/glob-syntax.js";
import { compileUriGlob } from "../glob/glob.js";

export interface Excludes {
  /** The exclude a spelling of the path matches, or undefined; absent when there are no excludes. */
  readonly test?: (path: string) => string | undefined;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** A Windows short-name part: up to 8 characters with `~` and a digit, an optional extension. */
const SHORT_NAME = /^[^/~]{0,7}~[0-9][^/.]*(\.[^/.]{0,3})?$/;

/** Why an exclude cannot be used (a short lowercase text), or undefined. */
export function excludeProblem(glob: unknown): string | undefined {
  if (typeof glob !== "string" || glob.length === 0) return "an exclude must be a non-empty path glob";
  if (!glob.startsWith("/") && !glob.startsWith("**")) return "an exclude is matched against the absolute resolved path: start it with `/` or `**/`";
  if (CONTROL.test(glob) || glob.includes("\\")) return "an exclude may not contain control characters or `\\`";
  for (const part of glob.split("/")) if (part === "." || part === "..") return "an exclude must be normalised (no `.` or `..` parts)";
  const p = globProblem(glob, "matches");
  if (p) return `${p.what} (exclude globs have \`*\` within a part, \`**\` across parts, \`?\` and \`[c]\`)`;
  return undefined;
}

/** The matcher of a list of excludes, or the first problem. */
export function compileExcludes(globs: readonly unknown[]): Excludes | { error: string } {
  if (!Array.isArray(globs)) return { error: "`exclude` must be a list of path globs" };
  const tests: { glob: string; lower: (s: string) => boolean; upper: (s: string) => boolean }[] = [];
  // `G` or `G/**`: the path itself or something below a path `G` matches (both O(n x m)).
  const either = (g: string) => {
    const self = compileUriGlob(g);
    const below = compileUriGlob(g.endsWith("/") ? `${g}**` : `${g}/**`);
    return (s: string) => self(s) || below(s);
  };
  for (const g of globs) {
    const problem = excludeProblem(g);
    if (problem !== undefined) return { error: `\`${String(g)}\`: ${problem}` };
    const glob = g as string;
    for (const form of new Set([glob, glob.normalize("NFKC")])) tests.push({ glob, lower: either(form.toLowerCase()), upper: either(form.toUpperCase()) });
  }
  if (tests.length === 0) return {};
  const one = (p: string): string | undefined => {
    const lo = p.toLowerCase();
    const up = p.toUpperCase();
    for (const t of tests) if (t.lower(lo) || t.lower(lo + "/") || t.upper(up) || t.upper(up + "/")) return t.glob;
    return undefined;
  };
  return {
    test(path) {
      return one(path) ?? one(windowsSpelling(path));
    },
  };
}

/** The fault of an excluded resolved path, or null. Never throws. */
export function excludeFault(ex: Excludes, path: string): string | null {
  if (!ex.test) return null;
  try {
    const parts = path.split("/");
    const short = parts.find((p) => SHORT_NAME.test(p));
    if (short !== undefined) return `has the part \`${short}\`, which may be a windows short name of an excluded file`;
    const glob = ex.test(path);
    return glob === undefined ? null : `is excluded by \`${glob}\` (\`${path}\`)`;
  } catch {
    return "could not be checked against the excludes";
  }
}

/** Unicode default ignorable code points (DerivedCoreProperties.txt), which HFS+ skips in names. */
const IGNORABLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8]|\uDB40[\uDC00-\uDFFF]/g;

/**
 * Each part as a case-insensitive file system may open it: default ignorables removed (HFS+), trailing
 * dots and spaces stripped and any `:stream` suffix cut (Windows).
 */
function windowsSpelling(path: string): string {
  return path
    .split("/")
    .map((part) => {
      const visible = part.replace(IGNORABLE, "");
      const colon = visible.indexOf(":");
      const cut = colon >= 0 ? visible.slice(0, colon) : visible;
      return cut.replace(/[. ]+$/, "") || cut;
    })
    .join("/");
}
