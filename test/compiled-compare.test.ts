/**
 * The compiled function's comparison against a number literal (codegen/closures.ts: one closure per
 * operator, opOrder for anything that is not a number) and its conditions of boolean kinds (no `asBool`
 * wrapper): for any value on the left, `decide` gives the interpreter's decision, reasons and error
 * messages included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";

const policy = compilePolicy(`policy "cmp"
role dev {
  allow tool a when args.x < 5
  allow tool b when args.x <= 5
  allow tool c when args.x > 5
  allow tool d when args.x >= 5.5
  allow tool e when args.x > -0
  allow tool f when not (args.x > 5)
  allow tool g when args.x > 5 or args.x < -5
}
`);
const request = (tool: string, x: unknown): PolicyRequest =>
  ({ principal: { roles: ["dev"] }, tool, arguments: x === undefined ? {} : { x } }) as unknown as PolicyRequest;

describe("comparisons against a number literal, compiled", () => {
  it("decide gives the interpreter's decision for numbers, non-numbers and missing values", () => {
    const odd: unknown[] = [5, 5.5, 4.999, -0, 0, NaN, Infinity, -Infinity, "7", null, undefined, true, [6], { n: 6 }, 2 ** 60];
    for (const tool of "abcdefg") {
      for (const x of odd) {
        const r = request(tool, x);
        expect(policy.decide(r)).toEqual(policy.interpret(r));
      }
    }
    // The error names both sides, as opOrder words it.
    const d = policy.decide(request("c", "7"));
    expect(d.effect).toBe("deny");
    expect(JSON.stringify(d.reasons)).toContain("cannot order");
  });

  it("on any JSON value, decide equals interpret", () => {
    fc.assert(
      fc.property(fc.constantFrom(..."abcdefg"), fc.oneof(fc.double(), fc.integer(), fc.jsonValue()), (tool, x) => {
        const r = request(tool, x);
        expect(policy.decide(r)).toEqual(policy.interpret(r));
      }),
      { numRuns: 400 },
    );
  });
});
