/**
 * Matchers for the IR's data: rule-target and `matches` globs, set membership, string patterns, `matches re` and
 * constraint checks, each built from the node's data through the built-ins registry ONCE per IR node
 * and remembered in a WeakMap keyed by the node (never rebuilt per call, never stored in the IR).
 * Both evaluators, the optimizer's lookup, the lints and the analysis read them here, so they all
 * match the same way.
 * Guarantees: a matcher never throws; data it cannot use (an IR not made by the checker) matches
 * nothing, and a set or check built from it faults (fails closed).
 */
import { type Check, compileCheck, compilePathResolver, type PathResolver, type PathSpec, compileCidrSet, compileDomainSet, compileGlob, compilePattern, type GlobSyntax, parseIpStrict } from "../builtins/registry.js";
import type { IrPathTest, IrPattern, IrSet, IrToolPaths, IrType } from "./ir.js";

export type Matcher = (s: string) => boolean;

const globs = new WeakMap<object, Matcher>();

/** The test of a glob node (a rule pattern, or a `matches` expression: name syntax). */
export function globTest(p: { readonly text: string; readonly syntax: GlobSyntax } | { readonly k: "matches"; readonly pattern: string }): Matcher {
  let t = globs.get(p);
  if (!t) globs.set(p, (t = "k" in p ? compileGlob(p.pattern, "name") : compileGlob(p.text, p.syntax)));
  return t;
}

/** The test of a tool family's name glob (a block with no `pattern` matches its exact name). */
export function familyTest(t: { readonly name: string; readonly pattern?: string }): Matcher {
  let m = globs.get(t);
  if (!m) {
    const p = t.pattern;
    globs.set(t, (m = p === undefined ? (s: string) => s === t.name : compileGlob(p, "name")));
  }
  return m;
}

/** Whether a rule pattern matches a target name or URI. */
export function patternMatches(p: IrPattern, name: string): boolean {
  return p.kind === "exact" ? p.text === name : globTest(p)(name);
}

/** Membership in a set: a boolean, or a fault (a value a cidr set cannot judge, a set that cannot be used). */
export interface SetMatcher {
  readonly name: string;
  has(value: string): boolean | string;
}

const sets = new WeakMap<IrSet, SetMatcher>();

function buildSet(set: IrSet): SetMatcher {
  const name = set.name;
  const unusable = `set \`${name}\` cannot be used`;
  switch (set.kind) {
    case "cidr": {
      const c = compileCidrSet(set.items);
      return {
        name,
        has: (l) => {
          const ip = parseIpStrict(l);
          if (!ip) return `\`${l.length > 60 ? l.slice(0, 60) + "…" : l}\` is not a valid IP address`;
          return c ? c.has(ip) : unusable;
        },
      };
    }
    case "domain": {
      const d = compileDomainSet(set.items);
      return { name, has: (l) => (d ? d.has(l) : unusable) };
    }
    case "string": {
      const s = set.set;
      return { name, has: (l) => s.has(l) };
    }
    case "tool": {
      const tests = set.patterns.map((p) => compileGlob(p, "name"));
      return { name, has: (l) => tests.some((t) => t(l)) };
    }
  }
}

export function setMatcher(set: IrSet): SetMatcher {
  let m = sets.get(set);
  if (!m) sets.set(set, (m = buildSet(set)));
  return m;
}

const patterns = new WeakMap<object, Matcher>();

/** The test of a `string(pattern:)` type; undefined when the type has no pattern. */
export function stringPattern(t: IrType & { t: "string" }): Matcher | undefined {
  if (t.patternText === undefined) return undefined;
  let m = patterns.get(t);
  if (!m) patterns.set(t, (m = compilePattern(t.patternText, t.patternFlags ?? "")));
  return m;
}

/** The test of a `matches re"..."` node (linear-time, unanchored), built once per node. */
export function regexTest(e: { readonly k: "regex"; readonly pattern: string; readonly flags: string }): Matcher {
  let m = patterns.get(e);
  if (!m) patterns.set(e, (m = compilePattern(e.pattern, e.flags)));
  return m;
}

const checks = new WeakMap<object, Check>();

/** The check of a constraint type (`path`, `url`, `ip`, `sql`), its length bound first. */
export function constraintCheck(t: IrType & { t: "check" }): Check {
  let c = checks.get(t);
  if (!c) checks.set(t, (c = compileCheck(t)));
  return c;
}

const resolvers = new WeakMap<object, PathResolver>();

/** The resolver of a `path(...)` spec held by a typed read or an every-path-argument node. */
export function pathResolverOf(spec: PathSpec): PathResolver {
  let r = resolvers.get(spec);
  if (!r) resolvers.set(spec, (r = compilePathResolver(spec)));
  return r;
}

/** A path test's answer: whether it holds, or "ambiguous" when it holds only on case-(in)sensitive file systems. */
export type PathAnswer = boolean | "ambiguous";

const pathTests = new WeakMap<object, (path: string) => PathAnswer>();

/**
 * The test `OP RIGHT` of `any path arg` or of a typed path read, applied to a resolved path (built once
 * per node). A path names the same file in any letter case on NTFS and APFS (by default) and another
 * file on ext4, and a policy cannot tell which one the tool uses: when the test's answer with the case
 * as written differs from its answer with both sides case-folded (lowercased, or uppercased), it is
 * "ambiguous" (the evaluators make that an evaluation error, which denies).
 */
export function pathTest(e: IrPathTest): (path: string) => PathAnswer {
  let t = pathTests.get(e);
  if (!t) pathTests.set(e, (t = buildPathTest(e)));
  return t;
}

function buildPathTest(e: IrPathTest): (path: string) => PathAnswer {
  const lit = e.r.k === "lit" && typeof e.r.value === "string" ? e.r.value : undefined;
  const lower = (x: string) => x.toLowerCase();
  const upper = (x: string) => x.toUpperCase();
  // `exact(p)` and `folded(p)` for the positive form of the test (matches, eq, in).
  let exact: (p: string) => boolean;
  let folded: (p: string) => boolean;
  if (e.op === "matches") {
    if (lit === undefined) return () => false;
    const g = compileGlob(lit, "name");
    const gl = compileGlob(lower(lit), "name");
    const gu = compileGlob(upper(lit), "name");
    exact = g;
    folded = (p) => gl(lower(p)) || gu(upper(p));
  } else if (e.op === "eq" || e.op === "ne") {
    if (lit === undefined) return () => false;
    const ll = lower(lit);
    const lu = upper(lit);
    exact = (p) => p === lit;
    folded = (p) => lower(p) === ll || upper(p) === lu;
  } else {
    const items: string[] = e.set ? [...e.set.set] : e.r.k === "list" ? e.r.values.filter((v): v is string => typeof v === "string") : [];
    const set = new Set(items);
    const ls = new Set(items.map(lower));
    const us = new Set(items.map(upper));
    exact = (p) => set.has(p);
    folded = (p) => ls.has(lower(p)) || us.has(upper(p));
  }
  const negate = e.op === "ne" || e.op === "notIn";
  return (p) => {
    const x = exact(p);
    if (x !== folded(p)) return "ambiguous";
    return x !== negate;
  };
}

/** Whether a tool-paths entry applies to the called tool's name (and, for a server block's, its upstream). */
export function toolPathsApply(t: IrToolPaths, name: string, server: string | undefined): boolean {
  return (t.server === undefined || t.server === server) && patternMatches(t.tool, name);
}
