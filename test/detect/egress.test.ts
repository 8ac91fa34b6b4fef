/**
 * The egress corpus (test/detect/egress/cases.json) through the real policy path: each case is one call to
 * `http_request` or `send_message` under test/detect/egress/egress.mcppolicy (SSRF via `url(deny: ...)`,
 * `args carries secret` denies, `args carries exfil` asks for approval, `args carries instruction` denies a
 * message), decided by both evaluators (compiled `decide`, reference `interpret`). A case states the effect
 * and, for a denial, the rule; `accepted` marks a case whose expectation is a known miss or an accepted false
 * positive (docs/detectors.md lists them), so the count of each is visible and a fix shows up as a failure.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "../../src/index.js";

interface Case {
  id: string;
  tool: "http_request" | "send_message";
  args: Record<string, unknown>;
  expect: "allow" | "deny" | "require_approval";
  /** For a denial: the rule that denies (`secret-out`, `instruction-out`, `args` for the argument check). */
  rule?: string;
  note?: string;
  /** `miss: ...` or `false-positive: ...`: `expect` records what happens, which is not the truth. */
  accepted?: string;
}

const dir = path.join(import.meta.dirname, "egress");
const policyFile = path.join(dir, "egress.mcppolicy");
const policy = compilePolicy(readFileSync(policyFile, "utf8"), { filename: policyFile });
const cases = JSON.parse(readFileSync(path.join(dir, "cases.json"), "utf8")) as Case[];

const request = (c: Case): PolicyRequest => ({ principal: { roles: ["agent"] }, tool: c.tool, arguments: c.args }) as PolicyRequest;

describe("egress corpus through decide and interpret", () => {
  it("has unique ids and accepted deviations that say which kind they are", () => {
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    for (const c of cases) if (c.accepted !== undefined) expect(c.accepted, c.id).toMatch(/^(miss|false-positive): /);
  });

  for (const c of cases) {
    it(c.id, () => {
      for (const [name, d] of [["decide", policy.decide(request(c))], ["interpret", policy.interpret(request(c))]] as const) {
        expect(d.effect, `${name}: ${JSON.stringify(d.reasons)}`).toBe(c.expect);
        if (c.expect === "deny" && c.rule !== undefined) {
          const rule = String(d.reasons[0]?.rule ?? "");
          expect(rule, `${name}: ${JSON.stringify(d.reasons)}`).toBe(c.rule === "args" ? `tool:${c.tool}/args` : c.rule);
        }
      }
    });
  }

  it("summary", () => {
    const miss = cases.filter((c) => c.accepted?.startsWith("miss"));
    const fp = cases.filter((c) => c.accepted?.startsWith("false-positive"));
    console.log(`egress corpus: ${cases.length} cases, ${miss.length} accepted misses, ${fp.length} accepted false positives`);
  });
});
