// Sandbox path checks: `path(root: "/workspace")`, `path(root: ["/a", "/b"], exclude: ["**/.env"])`.
// Guarantees: the roots and excludes are validated once by compilePathCheck; the check is pure, never
// throws, and fails closed: a value is accepted only when every plausible reading of it (as given; with
// `\` as a separator; after every number of rounds of percent-decoding, IIS-style `%uXXXX` decoding and
// Unicode NFKC, in any order, to a fixed point) resolves, POSIX-style against the FIRST root, to some
// root or below it, and no reading's resolved path is excluded (./exclude.ts: case-insensitive, with
// Windows' trailing dots and spaces and `:stream` suffixes stripped, short `NAME~1` parts refused). With a
// realpath, the physical path must also lie in some root's physical path and match no exclude.
// compilePathResolver gives the one absolute path a value names (for rules that read it), or a fault.
// A compiled check keeps its logical answers per text (bounded); the physical one (realpath) is never kept.
// Drive letters, UNC/device paths, `~`, control characters, overlong UTF-8, `%u` escapes of lone surrogates, and characters that a Windows
// best-fit code page turns into a separator, a dot or another path-meaningful character (./bestfit.ts:
// `¥`, `∕`, `／`, `．`, ...), in any reading, are denied outright. Faults are short lowercase messages.
import { firstBestFit } from "./bestfit.js";
import { compileExcludes, excludeFault, type Excludes } from "./exclude.js";
import { rememberAnswers } from "../answer-memo.js";

export interface PathOptions {
  /** The sandbox root; `roots` gives several (relative values resolve against the first). */
  root?: string;
  roots?: readonly string[];
  /** Path globs (`*` within a part, `**` across) matched against the resolved absolute path. */
  exclude?: readonly string[];
  /**
   * A synchronous realpath (the engine runs where the files are). When given, an accepted value is
   * also resolved physically: the nearest existing ancestor of its logical path must lie, after
   * following symlinks, inside the root's own physical path.
   */
  realpath?: (path: string) => string;
}

export type PathCheck = (value: unknown) => string | null;

const MAX_LENGTH = 4096;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const DRIVE = /^[A-Za-z]:/;
const UNC = /^[\\/]{2}/;
const NON_ASCII = /[^\u0000-\u007f]/;
/** Printable ASCII without `%` or `\\`: a value whose every reading is itself. */
const PLAIN = /^[\u0020-\u0024\u0026-\u005b\u005d-\u007e]*$/;

const UNCHECKED = "could not be checked";
const MEMO_MAX_PATH = 1024;

/** Validate the roots and excludes once and return the check, or `{ error }` for a bad one. */
export function compilePathCheck(opts: PathOptions): PathCheck | { error: string } {
  const c = compileCore(opts);
  return "error" in c ? c : c.check;
}

/** The resolved absolute path a value names, or its fault. */
export type PathResolver = (value: unknown) => { path: string } | { fault: string };

/**
 * The resolver for rules that read a path-typed argument: the value must pass the check, and every
 * reading of it must resolve to the same absolute path (`%2eenv` is `.env` to a decoding tool and
 * `%2eenv` to another; `a\b` is one part or two): a rule cannot tell which file such a value names,
 * so it is a fault (the rule's condition errs, which denies). Excludes are not applied here: an excluded
 * path still names one file, so a rule can test it (a deny whose glob matches `.git` paths
 * sees it); the argument check refuses it after the rules.
 */
export function compilePathResolver(opts: PathOptions): PathResolver | { error: string } {
  const c = compileCore({ ...opts, exclude: [] });
  if ("error" in c) return c;
  const { check, firstSegs } = c;
  return (value) => {
    const fault = check(value);
    if (fault !== null) return { fault };
    const v = value as string;
    const paths = new Set<string>();
    for (const { text } of PLAIN.test(v) ? [{ text: v }] : readings(v)) {
      if (typeof text !== "string") return { fault: "could not be resolved" };
      paths.add(resolveText(firstSegs, text));
      if (text.includes("\\")) paths.add(resolveText(firstSegs, text.replace(/\\/g, "/")));
    }
    const all = [...paths];
    if (all.length !== 1) return { fault: `names more than one path (\`${all[0]}\` and \`${all[1]}\`, depending on decoding and separators): a rule cannot tell which one the tool opens` };
    return { path: all[0]! };
  };
}

interface Core {
  check: PathCheck;
  firstSegs: readonly string[];
}

function compileCore(opts: PathOptions): Core | { error: string } {
  const o = opts && typeof opts === "object" ? opts : ({} as PathOptions);
  const roots: unknown[] = Array.isArray(o.roots) ? o.roots : [o.root];
  if (roots.length === 0) return { error: "give at least one root" };
  for (const root of roots) {
    const bad = rootFault(root);
    if (bad !== null) return { error: roots.length > 1 ? `\`${String(root)}\`: ${bad}` : bad };
  }
  const rs = roots as string[];
  if (new Set(rs).size !== rs.length) return { error: "a root is given twice" };
  const excludes = compileExcludes(o.exclude ?? []);
  if ("error" in excludes) return excludes;
  const rootsSegs = rs.map((r) => (r === "/" ? [] : r.slice(1).split("/")));
  const firstSegs = rootsSegs[0]!;
  const outside = rs.length === 1 ? `resolves outside the sandbox root \`${rs[0]}\`` : `resolves outside the sandbox roots ${rs.map((r) => `\`${r}\``).join(", ")}`;
  const ex = excludes.test ? excludes : undefined;
  const logical = (value: unknown): string | null => {
    try {
      if (typeof value !== "string" || value.length === 0) return "must be a non-empty string";
      if (value.length > MAX_LENGTH) return `is longer than ${MAX_LENGTH} characters`;
      // Fast path: plain ASCII with no escapes and no backslash has exactly one reading.
      if (PLAIN.test(value)) {
        const fault = plainShapeFault(value);
        if (fault !== null) return fault;
        if (!inside(rootsSegs, value)) return outside;
        return ex ? excludedFault(ex, firstSegs, value, "") : null;
      }
      for (const { text, how } of readings(value)) {
        if (text === null) return "contains an overlong utf-8 encoding";
        if (text === LONE_SURROGATE) return "contains a `%u` escape of a lone surrogate";
        if (text === TOO_MANY) return `has more than ${MAX_READINGS} readings under percent- and %u-decoding`;
        const fault = shapeFault(text);
        if (fault !== null) return how ? `${fault} ${how}` : fault;
        if (!inside(rootsSegs, text)) return how ? `${outside} ${how}` : outside;
        if (text.includes("\\") && !inside(rootsSegs, text.replace(/\\/g, "/"))) {
          return `${outside} when \`\\\` is read as a separator${how ? ` ${how}` : ""}`;
        }
        const fit = NON_ASCII.test(text) ? firstBestFit(text) : null;
        if (fit !== null) {
          const cp = fit.cp.toString(16).toUpperCase().padStart(4, "0");
          const bad = `contains \`${fit.ch}\` (U+${cp}), which windows best-fit code pages turn into \`${fit.ascii}\``;
          return how ? `${bad} ${how}` : bad;
        }
        if (ex) {
          const f = excludedFault(ex, firstSegs, text, how) ?? (text.includes("\\") ? excludedFault(ex, firstSegs, text.replace(/\\/g, "/"), how ? `${how} with \`\\\` read as a separator` : "with `\\` read as a separator") : null);
          if (f !== null) return f;
        }
      }
      return null;
    } catch {
      return UNCHECKED;
    }
  };
  // The logical check is pure (roots and excludes are fixed), so its answer for a text is kept
  // (builtins/answer-memo.ts): hosts send the same paths again and again, and a value with escapes has
  // many readings to judge. An unexpected throw is not kept.
  const memoLogical = rememberAnswers(logical, MEMO_MAX_PATH, (fault) => fault !== UNCHECKED);
  const remembered = (value: unknown): string | null => (typeof value === "string" ? memoLogical(value) : logical(value));
  const realpath = o.realpath;
  if (!realpath) return { check: remembered, firstSegs };
  const check = (value: unknown): string | null => {
    const fault = remembered(value);
    if (fault !== null) return fault;
    return physicalFault(firstSegs, rs, value as string, realpath, ex);
  };
  return { check, firstSegs };
}

/** The fault of a resolved reading an exclude matches (`how`: which reading), or null. */
function excludedFault(ex: Excludes, firstSegs: readonly string[], text: string, how: string): string | null {
  const f = excludeFault(ex, resolveText(firstSegs, text));
  return f === null ? null : how ? `${f} ${how}` : f;
}

/** A text resolved POSIX-style against the first root: an absolute, normalised path. */
function resolveText(firstSegs: readonly string[], text: string): string {
  return "/" + resolveSegs(firstSegs, text).join("/");
}

function resolveSegs(firstSegs: readonly string[], p: string): string[] {
  const segs = p.startsWith("/") ? [] : firstSegs.slice();
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") segs.pop();
    else segs.push(seg);
  }
  return segs;
}

/**
 * The physical check: resolve the value logically, walk up to the nearest ancestor that exists, and
 * require its realpath to be inside some root's realpath; with excludes, that realpath joined with the
 * parts that do not exist yet must match none. Any error other than "does not exist" fails closed,
 * and so does a root that cannot be resolved.
 */
function physicalFault(firstSegs: readonly string[], roots: readonly string[], value: string, realpath: (p: string) => string, ex: Excludes | undefined): string | null {
  const realRoots: string[] = [];
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = realpath(root);
    } catch {
      return `the sandbox root \`${root}\` cannot be resolved on this host`;
    }
    // A host's realpath that answers anything but an absolute path (undefined from a wrapper that swallows
    // errors, a promise) resolved nothing: two such answers must never compare equal and allow.
    if (!isAbsolute(realRoot)) return `the sandbox root \`${root}\` cannot be resolved on this host`;
    realRoots.push(realRoot);
  }
  const segs = resolveSegs(firstSegs, value);
  for (let n = segs.length; n >= 0; n--) {
    const candidate = "/" + segs.slice(0, n).join("/");
    let real: string;
    try {
      real = realpath(candidate);
    } catch (err) {
      const code = (err as { code?: string })?.code;
      if (code === "ENOENT" || code === "ENOTDIR") continue; // not there (yet): judge its parent
      return "could not be resolved on this host";
    }
    if (!isAbsolute(real)) return "could not be resolved on this host";
    if (!realRoots.some((rr) => real === rr || real.startsWith(rr === "/" ? "/" : rr + "/"))) return "leads outside the sandbox root through a symbolic link";
    if (!ex) return null;
    const rest = segs.slice(n);
    const physical = rest.length === 0 ? real : `${real === "/" ? "" : real}/${rest.join("/")}`;
    const f = excludeFault(ex, physical);
    return f === null ? null : `${f} after following symbolic links`;
  }
  return "could not be resolved on this host";
}

/** What a realpath must answer: an absolute POSIX path (a string starting with `/`). */
function isAbsolute(p: unknown): p is string {
  return typeof p === "string" && p.startsWith("/");
}

const cache = new Map<string, PathCheck | { error: string }>();

/** One-shot form of compilePathCheck (compiled checks are cached by root). */
export function checkSandboxPath(value: unknown, opts: PathOptions): string | null {
  // Only a bare `{ root }` is cached (several roots, excludes or a realpath are compiled anew).
  const plain = opts && typeof opts === "object" && typeof opts.root === "string" && !opts.roots && !opts.exclude && !opts.realpath;
  const root = plain ? opts.root! : undefined;
  let check = root !== undefined ? cache.get(root) : undefined;
  if (!check) {
    check = compilePathCheck(opts);
    if (root !== undefined) {
      if (cache.size >= 64) cache.clear();
      cache.set(root, check);
    }
  }
  return typeof check === "function" ? check(value) : `invalid sandbox root: ${check.error}`;
}

function rootFault(root: unknown): string | null {
  if (typeof root !== "string" || !root.startsWith("/")) return "the root must be an absolute posix path";
  if (CONTROL.test(root) || root.includes("\\")) return "the root may not contain control characters or `\\`";
  // A root is one directory: `/ws/*` would be read literally (a directory named `*`), never as a glob.
  if (/[*?[\]{}]/.test(root)) return "the root is one directory, not a glob: it may not contain `*`, `?`, `[`, `]`, `{` or `}`";
  if (root !== root.normalize("NFKC")) return "the root must be in unicode nfkc form";
  if (firstBestFit(root) !== null) return "the root may not contain characters that windows best-fit code pages turn into `/`, `\\`, `.` or the like";
  if (root === "/") return null;
  if (root.endsWith("/")) return "the root may not end with `/`";
  for (const seg of root.slice(1).split("/")) {
    if (seg === "" || seg === "." || seg === "..") return "the root must be normalised (no `//`, `.` or `..`)";
  }
  return null;
}

interface Reading {
  text: string | null; // null: the decoding met an overlong UTF-8 sequence; LONE_SURROGATE: a bad %u escape
  how: string;
}

/** Marks a %u-decoding that produced a lone surrogate (never a real path: it holds a NUL). */
const LONE_SURROGATE = "\u0000lone surrogate";
/** An IIS `%uXXXX` escape. */
const PERCENT_U = /%[uU][0-9A-Fa-f]{4}/;

/** The most readings one value may have; a value with more layers of escapes is refused. */
const MAX_READINGS = 64;
/** Marks a value with more than MAX_READINGS readings. */
const TOO_MANY = "\u0000too many";

/** "after double percent-decoding and %u-decoding" for the steps `p p u` (`n`: NFKC). */
function stepsLabel(steps: string): string {
  const runs = steps.match(/p+|u+|n+/g) ?? [];
  const words = runs.map((r) => {
    const n = r.length;
    if (r[0] === "n") return "unicode normalisation";
    if (r[0] === "p") return n === 1 ? "percent-decoding" : n === 2 ? "double percent-decoding" : `${n} rounds of percent-decoding`;
    return n === 1 ? "%u-decoding" : n === 2 ? "%u-decoding twice" : `%u-decoding ${n} times`;
  });
  return `after ${words.join(" and ")}`;
}

/**
 * The value as given, and every text reached from it by rounds of percent-decoding (`%XX`), IIS
 * decoding (`%uXXXX` and `%XX` in one pass) and Unicode NFKC, in any order, to a fixed point: a server
 * or a tool may decode any number of times (`%25252e` is `.` after three rounds), and a best-fit or
 * NFKC conversion may come before a decoding (`%２ｅ` is `%2e`, then `.`). More than MAX_READINGS
 * distinct readings: TOO_MANY.
 */
function readings(value: string): Reading[] {
  const out: Reading[] = [{ text: value, how: "" }];
  if (!value.includes("%") && !NON_ASCII.test(value)) return out;
  const seen = new Set<string>([value]);
  const steps: string[] = [""];
  const add = (next: string | null, st: string): boolean => {
    if (next !== null && seen.has(next)) return true;
    if (next !== null) seen.add(next);
    steps.push(st);
    out.push({ text: next, how: stepsLabel(st) });
    return out.length <= MAX_READINGS;
  };
  for (let i = 0; i < out.length; i++) {
    const t = out[i]!.text;
    if (t === null || t === LONE_SURROGATE) continue;
    const done = steps[i]!;
    if (t.includes("%")) {
      // After a %u round, another %u round first (it also decodes %XX): the shorter label for the same text.
      for (const iis of done.endsWith("u") ? [true, false] : [false, true]) {
        if (iis && !PERCENT_U.test(t) && !done.endsWith("u")) continue;
        if (!add(percentDecode(t, iis), done + (iis ? "u" : "p"))) return [{ text: TOO_MANY, how: "" }];
      }
    }
    if (NON_ASCII.test(t) && !add(t.normalize("NFKC"), done + "n")) return [{ text: TOO_MANY, how: "" }];
  }
  return out;
}

/** shapeFault for a value PLAIN has already cleared of control characters and backslashes. */
function plainShapeFault(text: string): string | null {
  const c0 = text.charCodeAt(0);
  if (c0 === 0x7e) return "starts with `~`";
  if (text.charCodeAt(1) === 0x3a && ((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) return "is a windows drive path";
  if (c0 === 0x2f && text.charCodeAt(1) === 0x2f) return "is a unc or device path";
  return dotSpaceSegment(text);
}

function shapeFault(text: string): string | null {
  if (CONTROL.test(text)) return "contains a control character";
  if (text.startsWith("~")) return "starts with `~`";
  if (DRIVE.test(text)) return "is a windows drive path";
  if (UNC.test(text)) return "is a unc or device path";
  return dotSpaceSegment(text);
}

/**
 * Windows strips trailing dots and spaces from each part of a path, so a part made only of dots and
 * spaces, with at least one of each (`.. `, `. .`, ` ..`), can become `..` or `.` there: refused. Parts of
 * dots alone (`...`) stay names, as on POSIX (the corpus keeps them allowed). Any refused part holds
 * `. ` or ` .`, which plain names rarely do, so most values skip the split.
 */
function dotSpaceSegment(text: string): string | null {
  // Both pairs hold a space: one search settles the common value without any (11 vs 30 ns on the seed's paths).
  if (text.indexOf(" ") === -1 || (!text.includes(". ") && !text.includes(" ."))) return null;
  for (const seg of text.split(/[/\\]/)) {
    if (seg !== "." && seg !== ".." && DOTS_AND_SPACES.test(seg)) {
      return `has the part \`${seg}\`, which windows reads as \`..\` or \`.\` (it strips trailing dots and spaces)`;
    }
  }
  return null;
}
const DOTS_AND_SPACES = /^(?=[. ]*\.)(?=[. ]* )[. ]+$/;

/** Whether a path has a `.` or `..` segment: one scan over the dots. */
function hasDotSegment(p: string): boolean {
  for (let i = p.indexOf("."); i !== -1; i = p.indexOf(".", i + 1)) {
    if (i > 0 && p.charCodeAt(i - 1) !== 0x2f) continue; // not at a segment start
    const j = p.charCodeAt(i + 1) === 0x2e ? i + 2 : i + 1; // `.` or `..`
    if (j >= p.length || p.charCodeAt(j) === 0x2f) return true;
  }
  return false;
}

/**
 * Resolve POSIX-style against the first root and compare whole segments with each root (so
 * `/workspace-evil` is outside `/workspace`).
 */
function inside(rootsSegs: readonly (readonly string[])[], p: string): boolean {
  // Fast path: a relative path without dot segments cannot leave the first root.
  if (p.charCodeAt(0) !== 0x2f && !hasDotSegment(p)) return true;
  const segs = resolveSegs(rootsSegs[0]!, p);
  return rootsSegs.some((rootSegs) => segs.length >= rootSegs.length && rootSegs.every((s, i) => segs[i] === s));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/**
 * Decode %XX escapes as UTF-8 bytes, and with `iis` also `%uXXXX` escapes as UTF-16 code units (a run of
 * them may form a surrogate pair); null when the bytes hold an overlong encoding, LONE_SURROGATE when a
 * `%u` run leaves a surrogate unpaired. Never throws.
 */
function percentDecode(s: string, iis: boolean): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (iis && s.charCodeAt(i) === 0x25 && (s.charCodeAt(i + 1) | 0x20) === 0x75 && isHex4(s, i + 2)) {
      let units = "";
      while (s.charCodeAt(i) === 0x25 && (s.charCodeAt(i + 1) | 0x20) === 0x75 && isHex4(s, i + 2)) {
        units += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
        i += 6;
      }
      if (hasLoneSurrogate(units)) return LONE_SURROGATE;
      for (const b of encoder.encode(units)) bytes.push(b);
      continue;
    }
    if (s.charCodeAt(i) === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      bytes.push(c);
      i++;
      continue;
    }
    const w = s.codePointAt(i)! > 0xffff ? 2 : 1;
    for (const b of encoder.encode(s.slice(i, i + w))) bytes.push(b);
    i += w;
  }
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const n = bytes[i + 1] ?? 0;
    if (b === 0xc0 || b === 0xc1) return null;
    if (b === 0xe0 && n >= 0x80 && n <= 0x9f) return null;
    if (b === 0xf0 && n >= 0x80 && n <= 0x8f) return null;
  }
  return decoder.decode(new Uint8Array(bytes));
}

function hasLoneSurrogate(u: string): boolean {
  for (let i = 0; i < u.length; i++) {
    const c = u.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = u.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function isHex4(s: string, i: number): boolean {
  return isHex(s.charCodeAt(i)) && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3));
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
