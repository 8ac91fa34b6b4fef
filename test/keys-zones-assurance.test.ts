/**
 * The assurance tools understand budget keys and time zones (issue 11): the testing kit generates
 * requests that carry the claims, arguments and server a budget is keyed by (so an engine run over
 * them exercises both the counted and the `budget_key_missing` paths), both evaluators agree on zoned
 * times over generated requests, and the analysis neither crashes on the new keys and zones nor
 * claims a zoned condition is impossible because of a UTC one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzePolicy, compilePolicy, createEngine, MemoryStore, Policy, whatMay } from "mcppolicy";
import { arbitraries, forAllRequests } from "mcppolicy/testing";

const sample = <T>(arb: fc.Arbitrary<T>, numRuns = 1500, seed = 7) => fc.sample(arb, { numRuns, seed });

const KEYED = compilePolicy(`policy "keyed"
role agent { allow tool "*" }
tool create_issue {
  args { repo: string, title: string }
  limit calls 3 per week by args.repo
}
limit calls 100 per 5 minutes by principal.claims.tenant, server
`);

const ZONED = compilePolicy(`policy "zoned"
role agent {
  allow tool deploy when time.in("Europe/Berlin").hour >= 9 and time.in("Europe/Berlin").hour < 17
  allow tool night when time.hour >= 22 and time.in("Asia/Tokyo").hour < 8
  deny tool deploy when time.in("America/New_York").weekday == 0
}
`);

describe("testing kit: requests carry what budgets are keyed by", () => {
  it("generated requests carry principal.claims.tenant, server.name and args.repo, and sometimes lack them", () => {
    const requests = sample(arbitraries(KEYED).request);
    const tenants = requests.filter((r) => r.principal?.claims !== undefined && "tenant" in (r.principal.claims as object));
    const servers = requests.filter((r) => typeof r.server?.name === "string");
    const repos = requests.filter((r) => r.tool === "create_issue" && typeof (r.arguments as Record<string, unknown> | undefined)?.repo === "string");
    expect(tenants.length).toBeGreaterThan(50);
    expect(servers.length).toBeGreaterThan(50);
    expect(repos.length).toBeGreaterThan(5);
    expect(requests.length - tenants.length).toBeGreaterThan(50);
  });

  it("an engine run over generated requests counts some and denies some for a missing key, never crashes", async () => {
    const engine = createEngine(KEYED, { store: new MemoryStore({ now: () => Date.UTC(2026, 0, 1) }) });
    const codes = new Set<string>();
    for (const r of sample(arbitraries(KEYED).request, 600)) {
      const d = await engine.authorize(r);
      if (d.effect === "allow") codes.add("allow");
      else codes.add(d.reasons[0]!.code);
    }
    expect(codes.has("allow")).toBe(true);
    expect(codes.has("budget_key_missing")).toBe(true);
    expect(codes.has("internal_error")).toBe(false);
  });
});

describe("zoned times over generated requests", () => {
  it("both evaluators agree (the kit compares decide with interpret on every request)", () => {
    const seen = new Set<string>();
    forAllRequests(
      ZONED,
      {},
      (r, d) => {
        seen.add(d.effect);
        return JSON.stringify(ZONED.interpret(r)) === JSON.stringify(d);
      },
      { numRuns: 800, seed: 3 },
    );
    expect(seen).toEqual(new Set(["allow", "deny"]));
  });
});

describe("a zone the platform does not know, in an IR the checker did not make", () => {
  it("denies with an evaluation error on both evaluators, and never throws", () => {
    const ir = structuredClone(ZONED.ir) as unknown as { roles: Map<string, { rules: { when?: { es: { l: { zone?: string } }[] } }[] }> };
    ir.roles.get("agent")!.rules[0]!.when!.es[0]!.l.zone = "Mars/Olympus_Mons";
    const p = new Policy(ir as unknown as Policy["ir"], [], []);
    const r = { principal: { roles: ["agent"] }, tool: "deploy", time: "2026-01-05T10:00:00Z" };
    for (const d of [p.decide(r), p.interpret(r)]) {
      expect(d.effect).toBe("deny");
      expect(d.reasons.map((x) => x.code)).toContain("evaluation_error");
    }
  });
});

describe("analysis with keys and zones", () => {
  it("runs on a policy keyed by attributes and composite keys", () => {
    expect(() => analyzePolicy(KEYED)).not.toThrow();
  });

  it("does not call a zoned condition impossible because of a UTC one (22:00 UTC is before 08:00 in Tokyo)", () => {
    const report = analyzePolicy(ZONED);
    expect(report.findings.filter((f) => f.rule === "agent/2" || f.tool === "night")).toEqual([]);
    const night = whatMay(ZONED, { roles: ["agent"] }).tools.find((t) => t.name === "night");
    expect(night?.answer).toBe("depends");
    expect(ZONED.decide(night!.witness.allowed!).effect).toBe("allow");
  });
});
