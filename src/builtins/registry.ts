/**
 * THE registry of built-in constraints: one entry per constraint kind (`path`, `url`, `ip`, `sql`) with
 * its parameters, their validation, the check built from them and the samples they suggest; and the
 * data-to-matcher builders for the other built-ins the IR holds as data (linear regex patterns, JSON
 * Schemas, name and URI globs, CIDR and domain sets). The checker, the evaluators (interpreter and
 * compiled function), the analysis and the testing kit read built-ins only through here.
 * Guarantees: every builder takes plain data and returns a matcher that never throws and fails closed
 * (a pattern, schema or set it cannot use matches nothing / faults); host capabilities (a realpath)
 * are bound beside the IR (`bindHost`), never stored in it.
 */
import { CidrSet, parseIpStrict, BUILTIN_CIDR_SETS } from "./cidr/cidr.js";
import { DomainSet } from "./domain/domain.js";
import { compileNameGlob, compileUriGlob } from "./glob/glob.js";
import { IP, type IpParams } from "./ip/kind.js";
import { type Check, type ConstraintKind, type Host } from "./kind.js";
import { PATH, pathResolver, type PathParams } from "./path/kind.js";
import type { PathResolver } from "./path/path.js";
import { compileLinearPattern, flagsProblem, withoutInlineCaseFlag } from "./regex/regex.js";
import { SQL, type SqlParams } from "./sql/kind.js";
import { codePointLength } from "./text/text.js";
import { addressSets, URL_KIND, type UrlParams } from "./url/kind.js";

export type { Check, ConstraintKind, Host, Locator, ParamReader, Problem } from "./kind.js";
export type { IpParams, PathParams, SqlParams, UrlParams };
export { BUILTIN_CIDR_SETS, parseIpStrict };
// The other built-ins' plain entry points, so that every layer reads built-ins through this module.
export { codePointLength } from "./text/text.js";
export { compileJsonSchemaCheck } from "./json-schema/json-schema.js";
export { globFill, globLiteral, isAmbiguousUri } from "./glob/glob.js";
export { globProblem, type GlobPlace, type GlobProblem } from "./glob/glob-syntax.js";

export interface ParamsOf {
  path: PathParams;
  url: UrlParams;
  ip: IpParams;
  sql: SqlParams;
}
export type CheckKind = keyof ParamsOf;

/** A constraint as data: its kind, its parameters, and the length bound (code points) checked first. */
export type CheckSpec = { [K in CheckKind]: { readonly kind: K; readonly params: ParamsOf[K]; readonly maxLength?: number } }[CheckKind];

export const CHECK_KINDS: { readonly [K in CheckKind]: ConstraintKind<ParamsOf[K]> } = { path: PATH, url: URL_KIND, ip: IP, sql: SQL };

export const isCheckKind = (name: string): name is CheckKind => Object.prototype.hasOwnProperty.call(CHECK_KINDS, name);

// ---- host capabilities, beside the IR ----

const hosts = new WeakMap<object, Host>();

/** Remember the host a constraint's parameters were lowered for (its realpath), keyed by the parameters object. */
export function bindHost(params: object, host: Host): void {
  if (host.realpath) hosts.set(params, host);
}

// ---- constraint checks ----

/** The check of a constraint, its length bound first. Builds anew: callers cache (per IR node). */
export function compileCheck(spec: CheckSpec): Check {
  const host = hosts.get(spec.params) ?? {};
  const kind = CHECK_KINDS[spec.kind] as ConstraintKind<unknown> | undefined;
  const check: Check = kind ? kind.compile(spec.params, host) : () => "is checked by an unknown constraint";
  const max = spec.maxLength;
  // A string no longer than `max` code units has at most `max` code points: only longer ones are counted.
  return max === undefined ? check : (v) => (typeof v === "string" && v.length > max && codePointLength(v) > max ? `longer than ${max} characters` : check(v));
}

export type { PathResolver };
export type PathSpec = CheckSpec & { readonly kind: "path" };

/**
 * The resolver of a `path(...)` type, its length bound first: the one absolute path a value names
 * (relative values against the first root), or a fault. Builds anew: callers cache (per IR node).
 */
export function compilePathResolver(spec: PathSpec): PathResolver {
  const resolve = pathResolver(spec.params, hosts.get(spec.params) ?? {});
  const max = spec.maxLength;
  return max === undefined ? resolve : (v) => (typeof v === "string" && v.length > max && codePointLength(v) > max ? { fault: `longer than ${max} characters` } : resolve(v));
}

/** Candidate values of a constraint (analysis witnesses, testing kit); not all of them pass. */
export function checkSamples(spec: CheckSpec): string[] {
  const kind = CHECK_KINDS[spec.kind] as ConstraintKind<unknown> | undefined;
  return kind ? kind.samples(spec.params) : [];
}

/** For `url`: the address sets resolved addresses must pass (null: the parameters cannot be used). */
export function urlAddressSets(params: UrlParams): { deny?: CidrSet; allow?: CidrSet } | null {
  return addressSets(params);
}

// ---- regex patterns (`string(pattern:)`) ----

export type PatternProblem =
  | { kind: "invalid-regex"; reason: string }
  | { kind: "not-linear"; error: string; hint?: string }
  | { kind: "invalid-flags"; error: string; hint?: string };
export { PATTERN_FLAGS } from "./regex/regex.js";

/** A pattern's JavaScript spelling without its inline `(?i)` groups (for sample generators; their samples also match case-insensitively). */
export function patternWithoutCaseFlag(text: string): string {
  return withoutInlineCaseFlag(text).source;
}

/**
 * Why a pattern cannot be used with `flags` (`""` or `"i"`): flags other than `i`, not a JavaScript
 * regex (inline `(?i)` groups aside, which JavaScript lacks), or not linear-time; else undefined.
 */
export function patternProblem(text: string, flags = ""): PatternProblem | undefined {
  const bad = flagsProblem(flags);
  if (bad) return { kind: "invalid-flags", ...bad };
  const js = withoutInlineCaseFlag(text);
  try {
    new RegExp(js.source, js.i || flags === "i" ? "ui" : "u");
  } catch (err) {
    // An inline flag JavaScript lacks (`(?m)`, `(?s)`): the engine's own refusal names it, with the fix.
    const linear = compileLinearPattern(text, flags);
    if ("error" in linear && linear.error.startsWith("inline flag")) return { kind: "not-linear", error: linear.error, ...(linear.hint !== undefined && { hint: linear.hint }) };
    const reason = (err as Error).message.replace(/^Invalid regular expression: /, "");
    // The JavaScript spelling differs from the text when it had inline flags: then only the reason is shown.
    return { kind: "invalid-regex", reason: js.source === text ? reason : reason.replace(/^\/.*\/[a-z]*: /s, "") };
  }
  // Author patterns run against attacker input: only linear-time patterns are accepted.
  const linear = compileLinearPattern(text, flags);
  return "error" in linear ? { kind: "not-linear", error: linear.error, ...(linear.hint !== undefined && { hint: linear.hint }) } : undefined;
}

/** The linear-time test of a pattern (with `flags`, `""` or `"i"`); a pattern that cannot be used matches nothing. */
export function compilePattern(text: string, flags = ""): (s: string) => boolean {
  const linear = compileLinearPattern(text, flags);
  return "error" in linear ? () => false : linear.test;
}

// ---- globs ----

/** `name`: tool and prompt names, `matches`; `uri`: resource URIs (`**` crosses `/`). */
export type GlobSyntax = "name" | "uri";

export function compileGlob(text: string, syntax: GlobSyntax): (s: string) => boolean {
  return syntax === "uri" ? compileUriGlob(text) : compileNameGlob(text);
}

// ---- sets ----

/** Membership in a CIDR set given by its items: a string that is not a strict address is `null`. */
export function compileCidrSet(items: readonly string[]): CidrSet | null {
  const r = CidrSet.from([...items]);
  return "set" in r ? r.set : null;
}

export function compileDomainSet(items: readonly string[]): DomainSet | null {
  const r = DomainSet.from([...items]);
  return "set" in r ? r.set : null;
}

/** The first item that is not a valid CIDR / domain item, with why; undefined when all are. */
export function cidrItemsProblem(items: readonly string[]): { error: string; item: string } | undefined {
  const r = CidrSet.from([...items]);
  return "error" in r ? r : undefined;
}
export function domainItemsProblem(items: readonly string[]): { error: string; item: string } | undefined {
  const r = DomainSet.from([...items]);
  return "error" in r ? r : undefined;
}

/** Representative addresses of a CIDR set (edges and their neighbours), at most `max`. */
export function cidrSamples(items: readonly string[], max?: number): string[] {
  return compileCidrSet(items)?.samples(max) ?? [];
}

/** Representative host names of a domain set. */
export function domainSamples(items: readonly string[]): string[] {
  return compileDomainSet(items)?.samples() ?? [];
}
