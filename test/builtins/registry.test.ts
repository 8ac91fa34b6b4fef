/**
 * The built-ins registry: each constraint kind reads and validates its parameters through a reader
 * and reports plain problem records; compiles a check from plain data; suggests samples. Checks built
 * from parameters the checker would refuse fail closed.
 */
import { describe, expect, it } from "vitest";
import {
  CHECK_KINDS,
  checkSamples,
  cidrSamples,
  compileCheck,
  compileGlob,
  compilePattern,
  domainSamples,
  patternProblem,
  type ParamReader,
  type Problem,
} from "../../src/builtins/registry.js";

/** A reader over plain values (no AST): what the checker's reader does, minus spans and constants. */
function reader(values: Record<string, unknown>): ParamReader & { problems: Problem[] } {
  const problems: Problem[] = [];
  const get = <T>(name: string, ok: (v: unknown) => boolean): T | undefined => (ok(values[name]) ? (values[name] as T) : undefined);
  const strs = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  return {
    problems,
    has: (n) => n in values,
    str: (n) => get(n, (v) => typeof v === "string"),
    bool: (n) => get(n, (v) => typeof v === "boolean"),
    nonNegInt: (n) => get(n, (v) => Number.isInteger(v) && (v as number) >= 0),
    strings: (n) => get(n, strs),
    stringItems: (n) => get(n, strs),
    stringOrItems: (n) => (typeof values[n] === "string" ? [values[n] as string] : get(n, strs)),
    ints: (n) => get(n, (v) => Array.isArray(v) && v.every(Number.isInteger)),
    cidr: (n) => get(n, strs),
    domain: (n) => get(n, strs),
    problem: (p) => problems.push(p),
  };
}

describe("registry: parameters and their validation", () => {
  it("lists every constraint kind with the parameters the language accepts", () => {
    expect(Object.keys(CHECK_KINDS)).toEqual(["path", "url", "ip", "sql"]);
    expect(CHECK_KINDS.sql.params).toContain("functions");
    expect(CHECK_KINDS.path.params).toEqual(["root", "exclude", "maxLength"]);
  });

  it("path: a missing or bad root is a problem pointing at the type or the parameter", () => {
    const none = reader({});
    expect(CHECK_KINDS.path.lower(none, {})).toBeUndefined();
    expect(none.problems).toEqual([{ code: "invalid-parameter", at: { type: true }, message: "`path` needs a sandbox root", hint: 'write `path(root: "/workspace")`' }]);
    const rel = reader({ root: "work" });
    expect(CHECK_KINDS.path.lower(rel, {})).toBeUndefined();
    expect(rel.problems[0]).toMatchObject({ code: "invalid-parameter", at: { param: "root" } });
    expect(CHECK_KINDS.path.lower(reader({ root: "/w", maxLength: 9 }), {})).toEqual({ params: { root: "/w" }, maxLength: 9 });
    expect(CHECK_KINDS.path.lower(reader({ root: "/w" }), { realpath: (p) => p })).toEqual({ params: { root: "/w", physical: true } });
  });

  it("sql: problems come as plain records, in order, pointing at list items", () => {
    const r = reader({ dialect: "nosuch", tables: ["public.*"], functions: ["pg_sleep", "no such("] });
    const lowered = CHECK_KINDS.sql.lower(r, {});
    expect(lowered?.params).toMatchObject({ readonly: true, dialect: "nosuch", unions: true, tables: ["public.*"] });
    expect(r.problems.map((p) => [p.code, p.at])).toEqual([
      ["invalid-parameter", { param: "dialect" }],
      ["invalid-parameter", { param: "tables", item: 0 }],
      ["sql-function-not-readonly", { param: "functions", item: 0 }],
      ["invalid-sql-function", { param: "functions", item: 1 }],
      ["invalid-parameter", { type: true }],
    ]);
    expect(JSON.parse(JSON.stringify(r.problems))).toEqual(r.problems);
  });

  it("string patterns: an invalid regex and a backtracking-only construct are told apart", () => {
    expect(patternProblem("(")).toMatchObject({ kind: "invalid-regex" });
    expect(patternProblem("(a)\\1")).toMatchObject({ kind: "not-linear" });
    expect(patternProblem("^[a-z]+$")).toBeUndefined();
    expect(compilePattern("^[a-z]+$")("abc")).toBe(true);
    expect(compilePattern("(a)\\1")("aa")).toBe(false);
  });
});

describe("registry: checks from data", () => {
  it("compiles each kind from plain parameters, the length bound first", () => {
    expect(compileCheck({ kind: "path", params: { root: "/w" }, maxLength: 4 })("/w/abc")).toBe("longer than 4 characters");
    expect(compileCheck({ kind: "path", params: { root: "/w" } })("/etc/passwd")).toMatch(/outside the sandbox/);
    expect(compileCheck({ kind: "ip", params: { deny: ["10.0.0.0/8"] } })("10.1.1.1")).toBe("is in a denied address range");
    expect(compileCheck({ kind: "url", params: { schemes: ["HTTPS:"], hosts: ["*.example.com"] } })("https://a.example.com/")).toBeNull();
    expect(compileCheck({ kind: "sql", params: { readonly: true, dialect: "postgresql", unions: true } })("DELETE FROM t")).not.toBeNull();
  });

  it("parameters the checker would refuse give a check that refuses everything", () => {
    expect(compileCheck({ kind: "ip", params: { allow: ["10.0.0.0/99"] } })("10.0.0.1")).toMatch(/cannot be used/);
    expect(compileCheck({ kind: "url", params: { hosts: ["bad host"] } })("https://example.com/")).toMatch(/cannot be used/);
    expect(compileCheck({ kind: "path", params: { root: "relative" } })("relative/a")).toMatch(/invalid sandbox root/);
    expect(compileCheck({ kind: "path", params: { root: "/w", physical: true } })("/w/a")).toBe("could not be resolved on this host");
    expect(compileCheck({ kind: "nope", params: {} } as never)("x")).not.toBeNull();
  });

  it("samples come from the parameters", () => {
    expect(checkSamples({ kind: "path", params: { root: "/w/" } })).toEqual(["/w/x", "x"]);
    expect(checkSamples({ kind: "url", params: { schemes: ["https"], hosts: ["a.example", "*.b.example"], ports: [8443] } })).toEqual(["https://a.example:8443/", "https://a.b.example:8443/"]);
    expect(checkSamples({ kind: "sql", params: { readonly: true, dialect: "postgresql", unions: true, tables: ["users"] } })).toEqual(["SELECT 1", "SELECT 1 FROM users"]);
    expect(checkSamples({ kind: "ip", params: { allow: ["10.0.0.0/31"] } }).slice(0, 4)).toEqual(["10.0.0.0", "10.0.0.1", "9.255.255.255", "10.0.0.2"]);
    expect(cidrSamples(["192.168.0.0/30"])).toContain("192.168.0.4");
    expect(domainSamples(["*.example.com"])).toEqual(["a.example.com"]);
    expect(cidrSamples(["nope"])).toEqual([]);
  });

  it("globs by syntax: `**` crosses `/` only in URIs", () => {
    expect(compileGlob("file:///a/**", "uri")("file:///a/b/c")).toBe(true);
    expect(compileGlob("read_*", "name")("read_file")).toBe(true);
    expect(compileGlob("read_*", "name")("write")).toBe(false);
  });
});
