/**
 * The peers benchmark's scenario (bench/peers/, issue 16), without the peers' install: the generator
 * gives the agreed sizes and a deterministic mix of allowed and denied requests, and the two adapters
 * that need no peer package (mcppolicy's generated policy, plain JS) decide every request of both
 * mixes, and arbitrary requests, exactly as the scenario's rule says. (verify.mjs holds the peers to
 * plain JS; this holds plain JS and mcppolicy to the rule.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expected, mix, PATH_TOOL, scenario, type PeerRequest } from "../bench/peers/scenario.mjs";
import { load as loadMcppolicy } from "../bench/peers/adapters/mcppolicy.mjs";
import { load as loadPlain } from "../bench/peers/adapters/plain.mjs";

describe("peers scenario", () => {
  it("base is 3 roles x 20 tools (6, 12 and 20 tools, each with read_file); scale is 1,000 x 200, 12 tools a role", () => {
    const base = scenario("base");
    expect(base.tools).toHaveLength(20);
    expect(base.roles.map((r) => r.tools.length)).toEqual([6, 12, 20]);
    expect(base.roles.every((r) => r.tools.includes(PATH_TOOL))).toBe(true);
    const scale = scenario("scale");
    expect(scale.roles).toHaveLength(1000);
    expect(scale.tools).toHaveLength(200);
    for (const r of scale.roles) {
      expect(new Set(r.tools).size).toBe(12);
      expect(r.tools.every((t) => scale.tools.includes(t))).toBe(true);
    }
    expect(scale.roles.filter((r) => r.tools.includes(PATH_TOOL))).toHaveLength(250);
    expect(() => scenario("huge")).toThrow(/unknown scenario `huge`/);
  });

  it("the mix is the same on every call and holds allowed, denied and path-escape requests", () => {
    const sc = scenario("base");
    const a = mix(sc);
    expect(a).toHaveLength(10_000);
    expect(mix(sc)).toEqual(a);
    const allowed = a.filter((r) => expected(sc, r)).length;
    expect(allowed).toBeGreaterThan(1000);
    expect(allowed).toBeLessThan(9000);
    const reads = a.filter((r) => r.tool === PATH_TOOL);
    expect(reads.some((r) => r.path?.includes("/../"))).toBe(true);
    expect(reads.some((r) => r.path === "/srv/database/x")).toBe(true);
    expect(reads.some((r) => expected(sc, r))).toBe(true);
    expect(a.some((r) => !sc.roles.some((role) => role.name === r.role))).toBe(true);
  });

  for (const name of ["base", "scale"]) {
    it(`mcppolicy and plain JS decide the whole ${name} mix as the rule says`, () => {
      const sc = scenario(name);
      const adapters = [loadMcppolicy(sc), loadPlain(sc)];
      for (const req of mix(sc)) {
        const want = expected(sc, req);
        for (const ad of adapters) expect({ req, got: ad.decide(ad.input(req)) }).toEqual({ req, got: want });
      }
    });
  }

  it("mcppolicy decides arbitrary roles, tools and paths as the rule says (base)", () => {
    const sc = scenario("base");
    const policy = loadMcppolicy(sc);
    const segment = fc.constantFrom("srv", "data", "..", ".", "", "a..b", "x", "DATA", "%2e%2e", "~");
    const path = fc.oneof(
      fc.string(),
      fc.array(segment, { maxLength: 6 }).map((parts) => "/" + parts.join("/")),
      fc.array(segment, { maxLength: 4 }).map((parts) => "/srv/data/" + parts.join("/")),
    );
    const request = fc.record({
      role: fc.oneof(fc.constantFrom(...sc.roles.map((r) => r.name)), fc.string()),
      tool: fc.oneof(fc.constantFrom(...sc.tools), fc.string({ minLength: 1 })),
      path,
    });
    fc.assert(
      fc.property(request, (r) => {
        const req: PeerRequest = r.tool === PATH_TOOL ? r : { role: r.role, tool: r.tool };
        expect(policy.decide(policy.input(req))).toBe(expected(sc, req));
      }),
      { numRuns: 500 },
    );
  });
});
