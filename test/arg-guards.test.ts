/**
 * The guard analysis of argument reads (src/check/arg-guards.ts): which reads of `args.x` can only be
 * reached with `args.x` present. Its truth table over the forms the spec names (`has x and`, `not has x
 * or`, `x ?? d`, `unless` after `when has x`, an earlier successful read), the forms that do NOT guard
 * (`has x or`, `not has x and`, a guard of another key, a guard inside a `not (...)` that flips it),
 * nested paths and their prefixes; and `??` parsing: binds tighter than comparisons, on both sides.
 */
import { describe, expect, it } from "vitest";
import type * as A from "../src/ast/nodes.js";
import { argReads, guardedTo, presentWhen, ruleArgReads } from "../src/check/arg-guards.js";
import { parsePolicy } from "../src/syntax/parse.js";

function rule(text: string): A.RuleDecl {
  const r = parsePolicy(`policy "t"\ndeny tool t ${text}\n`, "t.mcppolicy");
  expect(r.diagnostics).toEqual([]);
  const d = r.ast!.declarations.find((x): x is A.RuleDecl => x.kind === "rule");
  return d!;
}

/** `path:guarded` for every read, in evaluation order (guarded: the whole path is known present). */
function reads(cond: string): string[] {
  const r = rule(cond);
  return ruleArgReads(r.when, r.unless).map((x) => `${x.path.segments.join(".")}:${guardedTo(x, x.path.segments.length) ? "guarded" : "unguarded"}`);
}

const keys = (s: Set<string>) => [...s].map((k) => k.split("\u0000").join(".")).sort();

describe("guard analysis: truth table", () => {
  const table: [string, string[]][] = [
    ["when args.x == 1", ["x:unguarded"]],
    ["when has args.x and args.x == 1", ["x:guarded"]],
    ["when has args.x or args.x == 1", ["x:unguarded"]],
    ["when not has args.x or args.x == 1", ["x:guarded"]],
    ["when not has args.x and args.x == 1", ["x:unguarded"]],
    ["when not (not has args.x) and args.x == 1", ["x:guarded"]],
    ["when not (has args.x and args.y == 1) or args.x == 1", ["y:unguarded", "x:guarded"]],
    ["when not (has args.x or has args.y) or args.x == 1", ["x:unguarded"]],
    ["when (has args.x or has args.y) and args.x == 1", ["x:unguarded"]],
    ["when (has args.x and has args.y) and args.y == 1", ["y:guarded"]],
    ["when has args.y and args.x == 1", ["x:unguarded"]],
    ["when args.x ?? 0 == 1", []],
    ['when args.x ?? "" == args.y', ["y:unguarded"]],
    ["when args.x == 1 and args.x > 0", ["x:unguarded", "x:guarded"]],
    ["when args.x == 1 or args.x > 0", ["x:unguarded", "x:guarded"]],
    ["when args.x == args.x", ["x:unguarded", "x:guarded"]],
    ["when has args.x unless args.x == 1", ["x:guarded"]],
    ["when has args.y unless args.x == 1", ["x:unguarded"]],
    ["unless has args.x and args.x == 1", ["x:guarded"]],
    ["unless not has args.x or args.x == 1", ["x:guarded"]],
    ["when has args.a.b and args.a.b == 1", ["a.b:guarded"]],
    ["when has args.a and args.a.b == 1", ["a.b:unguarded"]],
    ["when has args.a.b and args.a == 1", ["a:guarded"]],
    ["when (has args.x and args.x == 1) or args.x == 2", ["x:guarded", "x:unguarded"]],
    ['when has args.x and (args.x == 1 or args.x == "a")', ["x:guarded", "x:guarded"]],
  ];
  for (const [cond, want] of table) {
    it(cond, () => expect(reads(cond)).toEqual(want));
  }
});

describe("guard analysis: presentWhen and prefixes", () => {
  const when = (cond: string) => rule(`when ${cond}`).when!;
  it("has gives the key and its prefixes when true, nothing when false", () => {
    expect(keys(presentWhen(when("has args.a.b"), true))).toEqual(["a", "a.b"]);
    expect(keys(presentWhen(when("has args.a.b"), false))).toEqual([]);
  });
  it("and true: every operand; and false: only what the first operand surely read", () => {
    expect(keys(presentWhen(when("has args.a and has args.b"), true))).toEqual(["a", "b"]);
    expect(keys(presentWhen(when("has args.a and has args.b"), false))).toEqual([]);
    expect(keys(presentWhen(when("args.a == 1 and has args.b"), false))).toEqual(["a"]);
  });
  it("or false: every operand (negated); or true: only the first operand's reads", () => {
    expect(keys(presentWhen(when("not has args.a or not has args.b"), false))).toEqual(["a", "b"]);
    expect(keys(presentWhen(when("not has args.a or not has args.b"), true))).toEqual([]);
  });
  it("a default is not a read", () => {
    expect(keys(presentWhen(when("args.a ?? 1 == 1"), true))).toEqual([]);
    expect(argReads(when("args.a ?? 1 == 1"))).toEqual([]);
  });
  it("guardedTo covers prefixes", () => {
    const [r] = argReads(when("has args.a and args.a.b == 1"));
    expect(guardedTo(r!, 1)).toBe(true);
    expect(guardedTo(r!, 2)).toBe(false);
  });
});

describe("`??` parses tighter than comparisons, on either side", () => {
  const shape = (cond: string): string => {
    const show = (e: A.Expr): string =>
      e.kind === "compare" ? `(${show(e.left)} ${e.op} ${show(e.right)})` : e.kind === "default" ? `[${show(e.left)} ?? ${e.value.kind === "list" ? "list" : "value" in e.value ? JSON.stringify(e.value.value) : e.value.name}]` : e.kind === "path" ? [e.root, ...e.segments].join(".") : e.kind === "not" ? `not ${show(e.operand)}` : "value" in e ? JSON.stringify(e.value) : e.kind;
    return show(rule(`when ${cond}`).when!);
  };
  it("left side", () => expect(shape('args.m ?? "merge" == "squash"')).toBe('([args.m ?? "merge"] == "squash")'));
  it("right side", () => expect(shape('"squash" == args.m ?? "merge"')).toBe('("squash" == [args.m ?? "merge"])'));
  it("both sides", () => expect(shape("args.a ?? 1 < args.b ?? 2")).toBe("([args.a ?? 1] < [args.b ?? 2])"));
  it("a constant or a list as the default", () => {
    expect(shape("args.a ?? LIMIT > 1")).toBe("([args.a ?? LIMIT] > 1)");
    expect(shape('args.tags ?? [] contains "x"')).toBe('([args.tags ?? list] contains "x")');
  });
  it("alone as a condition, and under not", () => {
    expect(shape("args.flag ?? false")).toBe("[args.flag ?? false]");
    expect(shape("not args.flag ?? false")).toBe("not [args.flag ?? false]");
  });
  it("`?` alone is still the optional-field marker and `??` is one token", () => {
    const r = parsePolicy('policy "t"\ntool t { args { a?: string } }\ndeny tool t when args.a ?? "" == "x"\n', "t.mcppolicy");
    expect(r.diagnostics).toEqual([]);
  });
});
