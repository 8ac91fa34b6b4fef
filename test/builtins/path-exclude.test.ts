/**
 * `path(root: [...], exclude: [...])`: several roots (relative values resolve against the first), path-glob
 * excludes matched against every reading's resolved path (case-insensitively, with Windows' trailing
 * dots/spaces and `:stream` suffixes stripped, short `NAME~1` parts refused), on the physical path too
 * with a realpath; and the resolver rules read (one absolute path, or a fault when readings disagree).
 */
import fc from "fast-check";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compilePathCheck, compilePathResolver } from "../../src/builtins/path/path.js";
import { excludeProblem } from "../../src/builtins/path/exclude.js";

const opts = { roots: ["/srv/a", "/srv/b"], exclude: ["**/.git/**", "**/.env"] };
const c = compilePathCheck(opts);
if (typeof c !== "function") throw new Error(c.error);
const check = c;

describe("several roots", () => {
  it("allows a value inside some root; relative values resolve against the first", () => {
    for (const v of ["x", "/srv/a", "/srv/b", "/srv/b/q/r", "../b/y", "sub/../z"]) expect(check(v), v).toBeNull();
    for (const v of ["../c", "/srv", "/srv/ab", "/srv/b-evil/x", "../../etc/passwd", "/etc/passwd"]) expect(check(v), v).toMatch(/outside the sandbox roots `\/srv\/a`, `\/srv\/b`/);
  });
  it("refuses bad or repeated roots and an empty list", () => {
    expect(compilePathCheck({ roots: ["/srv/a", "rel"] })).toMatchObject({ error: expect.stringMatching(/`rel`: the root must be an absolute/) });
    expect(compilePathCheck({ roots: ["/srv/a", "/srv/a"] })).toEqual({ error: "a root is given twice" });
    expect(compilePathCheck({ roots: [] })).toEqual({ error: "give at least one root" });
    expect(compilePathCheck({ roots: ["/srv/*"] })).toMatchObject({ error: expect.stringMatching(/not a glob/) });
  });
});

describe("excludes", () => {
  it("validates excludes at compile time", () => {
    expect(excludeProblem("**/.env")).toBeUndefined();
    expect(excludeProblem("/srv/a/secret/**")).toBeUndefined();
    expect(excludeProblem(".env")).toMatch(/start it with `\/` or `\*\*\/`/);
    expect(excludeProblem("")).toMatch(/non-empty/);
    expect(excludeProblem("**/a/../b")).toMatch(/normalised/);
    expect(excludeProblem("**\\.env")).toMatch(/`\\`/);
    expect(excludeProblem("**/.{env,git}")).toMatch(/alternatives/);
    expect(excludeProblem("**/[a-z]")).toMatch(/character classes/);
    expect(compilePathCheck({ root: "/w", exclude: ["x"] })).toMatchObject({ error: expect.stringMatching(/^`x`: /) });
  });

  it("denies an excluded path in every spelling that reaches the same file", () => {
    const denied = [
      ".env", "/srv/b/.env", "sub/.env", ".env/", "./.env", "x/../.env",
      "%2eenv", "%252eenv", ".e%6ev", "%2e%65%6e%76", "%u002eenv", "sub\\.env", "sub%5c.env",
      ".ENV", ".Env", "SUB/.ENV", ".GIT/config", ".gıt/config", ".ſenv".replace("ſ", "") + "", // plain case variants
      ".env.", ".env ", ".env. .", ".env::$DATA", ".env:stream", ".git./config", ".git /config",
      "GIT~1/config", "ENV~1", "env~1", "a/GIT~12/HEAD",
      ".git", "sub/.git", ".git/config", "/srv/b/x/.git/objects/ab",
      ".\u0045NV", "\u212aey/.env",
    ];
    for (const v of denied) expect(check(v), v).not.toBeNull();
    // Characters that fold to `.env` or `.git` one way or the other.
    expect(check(".gıt/x"), "dotless i").toMatch(/excluded/);
    expect(compilePathCheck({ root: "/w", exclude: ["**/kkk"] }) as (v: string) => string | null).toBeTypeOf("function");
    const k = compilePathCheck({ root: "/w", exclude: ["**/kkk"] }) as (v: string) => string | null;
    expect(k("\u212akk"), "kelvin sign").toMatch(/excluded/);
    const s = compilePathCheck({ root: "/w", exclude: ["**/secret"] }) as (v: string) => string | null;
    expect(s("\u017fecret"), "long s").toMatch(/excluded/);
  });

  it("keeps neighbours that are other files", () => {
    for (const v of [".envrc", "x.env", ".env.example", "env", ".environment/x", ".gitignore", ".github/workflows/x", "git/config", "a.git/config", "sub/env", "file~.txt", "~backup".slice(1), "notes.txt"]) {
      expect(check(v), v).toBeNull();
    }
  });

  it("property: an accepted value has no reading whose resolved path (folded, windows-stripped) is excluded", () => {
    const piece = fc.constantFrom(".env", ".ENV", ".git", "/", "..", ".", "%2e", "%2f", "%5c", "\\", "e", "n", "v", "g", "i", "t", " ", ":", "~1", "%25", "sub", "ı");
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const excluded = (p: string) => {
      const parts = p.toLowerCase().split("/").map((x) => (x.includes(":") ? x.slice(0, x.indexOf(":")) : x).replace(/[. ]+$/, "") || x);
      const q = parts.join("/").replace(/ı/g, "i");
      return /(^|\/)\.env(\/|$)/.test(q) || /(^|\/)\.git(\/|$)/.test(q);
    };
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 7 }), (parts) => {
        const v = parts.join("");
        if (check(v) !== null) return;
        for (const r of [v, decode(v), decode(decode(v))]) {
          for (const q of [r, r.replace(/\\/g, "/")]) expect(excluded(posix.resolve("/srv/a", q)), `${v} -> ${q}`).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("the physical path (realpath hosts)", () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "mcpp-excl-")));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, "ws", ".git"), { recursive: true });
  writeFileSync(join(base, "ws", ".git", "config"), "x");
  writeFileSync(join(base, "ws", ".env"), "x");
  symlinkSync(join(base, "ws", ".git"), join(base, "ws", "innocent"));
  symlinkSync(join(base, "ws", ".env"), join(base, "ws", "settings"));
  const phys = compilePathCheck({ root: `${base}/ws`, exclude: ["**/.git/**", "**/.env"], realpath: realpathSync.native }) as (v: string) => string | null;

  it("checks excludes on the path after following symbolic links", () => {
    expect(phys("innocent/config")).toMatch(/excluded by `\*\*\/\.git\/\*\*` .* after following symbolic links/);
    expect(phys("settings")).toMatch(/excluded by `\*\*\/\.env`/);
    expect(phys("innocent/not-yet-there")).toMatch(/excluded/);
    expect(phys("other.txt")).toBeNull();
  });
});

describe("the resolver (rules that read a path argument)", () => {
  const r = compilePathResolver(opts);
  if (typeof r !== "function") throw new Error(r.error);
  it("gives the one absolute path a value names", () => {
    expect(r("docs/x.md")).toEqual({ path: "/srv/a/docs/x.md" });
    expect(r("/srv/a/./x/../y")).toEqual({ path: "/srv/a/y" });
    expect(r("../b/z")).toEqual({ path: "/srv/b/z" });
    expect(r("/srv/b")).toEqual({ path: "/srv/b" });
  });
  it("faults on a value the check refuses, and on one whose readings name different paths; an excluded path resolves", () => {
    expect(r("../c")).toMatchObject({ fault: expect.stringMatching(/outside/) });
    // Excluded still names one file: a rule can test it; the argument check refuses it after the rules.
    expect(r(".env")).toEqual({ path: "/srv/a/.env" });
    expect(r(42)).toMatchObject({ fault: "must be a non-empty string" });
    expect(r("%2e")).toMatchObject({ fault: expect.stringMatching(/names more than one path/) });
    expect(r("a\\b")).toMatchObject({ fault: expect.stringMatching(/names more than one path/) });
    expect(r("100%.txt")).toEqual({ path: "/srv/a/100%.txt" });
  });
});
