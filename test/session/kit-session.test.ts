/**
 * The testing kit (src/testing) on session rules (issue 14): for a policy that reads `session.labels` or
 * `derives from`, generated requests carry `session.labels` (drawn from the labels its result blocks give
 * and the strings its conditions test; absent and malformed too) and `session.provenance` (`{}` or with the
 * labels `derives from` names); a policy that reads neither gets neither. Then a differential property on
 * such policies (every policy of test/conformance/session-rules.yaml and the lethal trifecta): the compiled
 * function and the interpreter decide every generated request alike; and the kit's own properties find a
 * broken trifecta rule and hold on the right one (absent labels never allow).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { compilePolicy, type Policy, type PolicyRequest } from "../../src/index.js";
import { arbitraries, forAllRequests, never, PolicyPropertyError } from "../../src/testing/index.js";
import { gatherFacts } from "../../src/testing/facts.js";

const TRIFECTA = `policy "trifecta" version "1"
default deny
role agent { allow tool fetch_page, read_file, send_email, search }
deny "lethal-trifecta" tool send_email when "untrusted" in session.labels and "private" in session.labels
deny "recipient-from-untrusted" tool send_email when args.to derives from untrusted
deny "no-secrets-out" tool send_email when args carries secret
result of tool fetch_page { label untrusted }
result of tool read_file { label private  redact secret }
`;

const conformance = (parse(readFileSync(path.join(import.meta.dirname, "..", "conformance", "session-rules.yaml"), "utf8")) as { policies: { policy: string }[] }).policies.map((g) => g.policy);
const POLICIES: readonly Policy[] = [TRIFECTA, ...conformance].map((t) => compilePolicy(t, { readFile: null }));
const trifecta = POLICIES[0]!;

const sessionOf = (r: PolicyRequest) => (r.session ?? {}) as { labels?: unknown; provenance?: unknown };

describe("the kit generates session facts for policies that read them", () => {
  it("labels come from the result blocks' labels and the conditions' strings; provenance from the labels derives names", () => {
    const facts = gatherFacts([trifecta]);
    expect(facts.hints.get("session.labels")?.values).toEqual(expect.arrayContaining(["untrusted", "private"]));
    expect(facts.provenanceLabels).toEqual(["untrusted"]);
    const reqs = fc.sample(arbitraries(trifecta).request, { numRuns: 3000, seed: 7 });
    const labels = reqs.map((r) => sessionOf(r).labels);
    const lists = labels.filter((l): l is string[] => Array.isArray(l) && l.every((x) => typeof x === "string"));
    expect(lists.some((l) => l.includes("untrusted") && l.includes("private"))).toBe(true);
    expect(lists.some((l) => l.length === 0)).toBe(true);
    expect(labels.some((l) => l === undefined)).toBe(true); // absent: must deny
    expect(labels.some((l) => l !== undefined && !Array.isArray(l))).toBe(true); // malformed: invalid_request
    const prov = reqs.map((r) => sessionOf(r).provenance);
    expect(prov.some((p) => p !== undefined && JSON.stringify(p) === "{}")).toBe(true);
    expect(prov.some((p) => p !== null && typeof p === "object" && !Array.isArray(p) && "untrusted" in p)).toBe(true);
    expect(prov.some((p) => p === undefined)).toBe(true);
    // Arguments a `derives from` reads are sometimes a copy of a result's text.
    expect(reqs.some((r) => r.tool === "send_email" && r.arguments?.to === "mallory.attacker@evil-domain.example")).toBe(true);
  });

  it("a policy that reads no session fact gets none (requests stay as they were)", () => {
    const plain = compilePolicy(`policy "p"\nrole agent { allow tool a when args.x == 1 }\n`, { readFile: null });
    const reqs = fc.sample(arbitraries(plain).request, { numRuns: 500, seed: 7 });
    expect(reqs.every((r) => sessionOf(r).labels === undefined && sessionOf(r).provenance === undefined)).toBe(true);
  });

  it("the generated requests reach both sides of the label rules", () => {
    const effects = new Set<string>();
    for (const r of fc.sample(arbitraries(trifecta).requests({ tool: "send_email", holding: "agent" }), { numRuns: 2000, seed: 3 })) {
      const d = trifecta.decide(r);
      effects.add(`${d.effect}:${d.reasons.map((x) => `${x.code}/${x.rule ?? ""}`).join(",")}`);
    }
    expect(effects).toContain("deny:deny_rule/lethal-trifecta");
    expect(effects).toContain("allow:allow_rule/agent/1");
    // With real fingerprints, generated recipients copied from an untrusted result are found.
    expect([...effects].some((e) => e.startsWith("deny:") && e.includes("deny_rule/recipient-from-untrusted"))).toBe(true);
    expect([...effects].some((e) => e.startsWith("deny:") && e.includes("evaluation_error"))).toBe(true);
  });
});

describe("differential on session-rule policies: compiled == interpreter on the kit's requests", () => {
  for (const [i, policy] of POLICIES.entries()) {
    it(`policy #${i} \`${policy.name}\``, () => {
      fc.assert(
        fc.property(arbitraries(policy).request, (r) => {
          expect(policy.decide(r)).toEqual(policy.interpret(r));
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe("the kit's properties on session rules", () => {
  it("absent labels never allow a call a label rule governs (fail closed), and the trifecta holds", () => {
    forAllRequests(trifecta, { tool: "send_email" }, (r, d) => Array.isArray(sessionOf(r).labels) || d.effect !== "allow");
    forAllRequests(trifecta, { tool: "send_email" }, (r, d) => {
      const l = sessionOf(r).labels;
      return !(Array.isArray(l) && l.includes("untrusted") && l.includes("private")) || d.effect === "deny";
    });
    never(trifecta, { tool: "send_email", where: (r) => { const l = sessionOf(r).labels; return Array.isArray(l) && l.includes("untrusted") && l.includes("private"); } }, "allow");
  });

  it("finds a trifecta rule written with `or` by mistake (a session with one label is denied)", () => {
    const broken = compilePolicy(TRIFECTA.replace(`"untrusted" in session.labels and "private"`, `"untrusted" in session.labels or "private"`), { readFile: null });
    let err: unknown;
    try {
      forAllRequests(broken, { tool: "send_email", holding: "agent", args: "valid" }, (r, d) => {
        const l = sessionOf(r).labels;
        return !(Array.isArray(l) && l.length === 1 && l[0] === "untrusted" && d.reasons.some((x) => x.rule === "lethal-trifecta"));
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyPropertyError);
    expect((err as Error).message).toContain("untrusted");
  });
});
