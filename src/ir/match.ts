/**
 * Matchers for the IR's data: rule-target and `matches` globs, set membership, string patterns and
 * constraint checks, each built from the node's data through the built-ins registry ONCE per IR node
 * and remembered in a WeakMap keyed by the node (never rebuilt per call, never stored in the IR).
 * Both evaluators, the optimizer's lookup, the lints and the analysis read them here, so they all
 * match the same way.
 * Guarantees: a matcher never throws; data it cannot use (an IR not made by the checker) matches
 * nothing, and a set or check built from it faults (fails closed).
 */
import { type Check, compileCheck, compilePathResolver, type PathResolver, type PathSpec, compileCidrSet, compileDomainSet, compileGlob, compilePattern, type GlobSyntax, parseIpStrict } from "../builtins/registry.js";
import type { IrExpr, IrPattern, IrSet, IrToolPaths, IrType } from "./ir.js";

export type Matcher = (s: string) => boolean;

const globs = new WeakMap<object, Matcher>();

/** The test of a glob node (a rule pattern, or a `matches` expression: name syntax). */
export function globTest(p: { readonly text: string; readonly syntax: GlobSyntax } | { readonly k: "matches"; readonly pattern: string }): Matcher {
  let t = globs.get(p);
  if (!t) globs.set(p, (t = "k" in p ? compileGlob(p.pattern, "name") : compileGlob(p.text, p.syntax)));
  return t;
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
  if (!m) patterns.set(t, (m = compilePattern(t.patternText)));
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

const pathTests = new WeakMap<object, (path: string) => boolean>();

/** The test `any path arg OP RIGHT` applies to each resolved path (built once per node). */
export function anyPathArgTest(e: IrExpr & { k: "anyPathArg" }): (path: string) => boolean {
  let t = pathTests.get(e);
  if (!t) pathTests.set(e, (t = buildPathTest(e)));
  return t;
}

function buildPathTest(e: IrExpr & { k: "anyPathArg" }): (path: string) => boolean {
  const lit = e.r.k === "lit" ? e.r.value : undefined;
  switch (e.op) {
    case "matches": {
      const g = compileGlob(typeof lit === "string" ? lit : "", "name");
      return typeof lit === "string" ? g : () => false;
    }
    case "eq":
      return (p) => p === lit;
    case "ne":
      return (p) => p !== lit;
    case "in":
    case "notIn": {
      const neg = e.op === "notIn";
      if (e.set) {
        const m = setMatcher(e.set);
        return (p) => (m.has(p) === true) !== neg;
      }
      const lookup = e.r.k === "list" ? e.r.lookup : new Set<unknown>();
      return (p) => lookup.has(p) !== neg;
    }
  }
}

/** Whether a tool-paths entry applies to the called tool's name. */
export function toolPathsApply(t: IrToolPaths, name: string): boolean {
  return patternMatches(t.tool, name);
}
