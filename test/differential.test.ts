/**
 * Differential property: on generated policies and requests, the compiled decision function and the
 * reference interpreter return the same decision, field for field. Also: neither ever throws, and
 * every generated policy compiles (the generator only writes valid policies).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";
import { anyRequest, policyText, request } from "./helpers/generators.js";

describe("compiled decision function == reference interpreter", () => {
  it("agrees on generated policies and requests", () => {
    fc.assert(
      fc.property(policyText, fc.array(request, { minLength: 5, maxLength: 25 }), (text, reqs) => {
        const policy = compilePolicy(text, { readFile: null });
        for (const r of reqs) {
          const compiled = policy.decide(r as PolicyRequest);
          const reference = policy.interpret(r as PolicyRequest);
          expect(compiled).toEqual(reference);
          expect(compiled.reasons.every((x) => x.code !== "internal_error")).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("agrees on requests of every MCP method of the table (lists, templates, completion, to-client)", () => {
    fc.assert(
      fc.property(policyText, fc.array(anyRequest, { minLength: 5, maxLength: 25 }), (text, reqs) => {
        const policy = compilePolicy(text, { readFile: null });
        for (const r of reqs) {
          const compiled = policy.decide(r as PolicyRequest);
          expect(compiled).toEqual(policy.interpret(r as PolicyRequest));
          expect(compiled.reasons.every((x) => x.code !== "internal_error")).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("agrees when the same request is decided twice (index caches change nothing)", () => {
    fc.assert(
      fc.property(policyText, request, (text, r) => {
        const policy = compilePolicy(text, { readFile: null });
        const first = policy.decide(r as PolicyRequest);
        expect(policy.decide(r as PolicyRequest)).toEqual(first);
        expect(policy.interpret(r as PolicyRequest)).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });

  it("never throws and never allows on arbitrary junk requests", () => {
    const policy = compilePolicy('policy "p"\nrole dev { allow tool "*" when args.x == 1 }', { readFile: null });
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        const d = policy.decide(junk as PolicyRequest);
        expect(policy.interpret(junk as PolicyRequest)).toEqual(d);
        expect(d.effect === "allow" && (junk as { principal?: { roles?: unknown } })?.principal?.roles === undefined).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
