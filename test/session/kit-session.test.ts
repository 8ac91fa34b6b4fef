/**
 * The testing kit (src/testing) on session rules (issue 14): for a policy that reads `session.labels` or
 * `derives from`, generated requests carry `session.labels` (drawn from the labels its result blocks give
 * and the strings its conditions test; absent and malformed too) and `session.provenance` (`{}` or with the
 * labels `derives from` names); a policy that reads neither gets neither. Then a differential property on
 * such policies (every policy of test/conformance/session-rules.yaml and the lethal trifecta): the compiled
 * function and the interpreter decide every generated request alike; and the kit's own properties find a
 * broken trifecta rule and hold on the right one (absent labels never allow).
 * History predicates: for a policy that asks them, requests carry a `time` and a `session.history` whose
 * events match and almost match each predicate (kind, tools, `where`, window edges; absent, dropped and
 * malformed histories too); compiled == interpreter on the history conformance policies; and the kit
 * finds a deny whose window was written too short.
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

const sessionOf = (r: PolicyRequest) => (r.session ?? {}) as { labels?: unknown; provenance?: unknown; history?: unknown; historyDroppedUntil?: unknown };

const conformanceText = (file: string): string => (parse(readFileSync(path.join(import.meta.dirname, "..", "conformance", file), "utf8")) as { policy: string }).policy;
const HISTORY_POLICIES: readonly Policy[] = ["history.yaml", "history-sets.yaml"].map((f) => compilePolicy(conformanceText(f), { readFile: null }));
const history = HISTORY_POLICIES[0]!;
type Ev = { at: number; method: string; target?: string; effect: string; outcome?: string; args?: Record<string, unknown>; argsDropped?: boolean; labels?: string[] };
const eventsOf = (r: PolicyRequest): Ev[] | undefined => {
  const h = sessionOf(r).history;
  return Array.isArray(h) ? (h as Ev[]) : undefined;
};

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

describe("the kit generates session histories for policies that ask history predicates", () => {
  it("the facts name each predicate's kind and tools, the windows, what `where` compares and what is added up", () => {
    const h = gatherFacts([history]).history!;
    expect(h.matches).toEqual(expect.arrayContaining([
      { kind: "completed", tools: expect.arrayContaining(["read_web", "fetch_x"]) },
      { kind: "failed", tools: ["test"] },
      { kind: "denied", tools: ["pay"] },
    ]));
    expect(h.windows).toEqual([600_000, 3_600_000, 86_400_000]);
    expect(h.links.get("event.args.id")).toEqual(["args.id"]);
    expect(h.numericPaths).toEqual(expect.arrayContaining(["event.args.amount", "event.args.price"]));
    // A set in a predicate stands for its members.
    expect(gatherFacts([HISTORY_POLICIES[1]!]).history!.tools).toEqual(expect.arrayContaining(["read_web", "pay", "transfer"]));
    // No history predicate: no history facts.
    expect(gatherFacts([trifecta]).history).toBeUndefined();
  });

  it("requests carry a time and a history of events that match, almost match, sit on window edges, copy the call's arguments", () => {
    const reqs = fc.sample(arbitraries(history).requests({ tool: ["reply", "send_email"], holding: "dev" }), { numRuns: 3000, seed: 11 });
    expect(reqs.every((r) => r.time !== undefined)).toBe(true);
    const lists = reqs.filter((r) => eventsOf(r) !== undefined);
    expect(lists.length).toBeGreaterThan(reqs.length * 0.7);
    expect(reqs.some((r) => sessionOf(r).history === undefined)).toBe(true); // absent: must deny
    expect(reqs.some((r) => sessionOf(r).history !== undefined && !Array.isArray(sessionOf(r).history))).toBe(true); // malformed
    expect(reqs.some((r) => typeof sessionOf(r).historyDroppedUntil === "number")).toBe(true);
    const events = lists.flatMap((r) => eventsOf(r)!.map((e) => ({ e, r, now: typeof r.time === "number" ? r.time : Date.parse(String(r.time)) })));
    // Every kind of event: completed, failed, allowed without an outcome, denied, sent to approval; other methods.
    for (const [effect, outcome] of [["allow", "ok"], ["allow", "error"], ["allow", undefined], ["deny", undefined], ["require_approval", undefined]]) {
      expect(events.some(({ e }) => e.effect === effect && e.outcome === outcome)).toBe(true);
    }
    expect(events.some(({ e }) => e.method !== "tools/call")).toBe(true);
    // Tools a predicate names (read_web, a fetch_* instance) and others.
    expect(events.some(({ e }) => e.target === "read_web")).toBe(true);
    expect(events.some(({ e }) => e.target?.startsWith("fetch_"))).toBe(true);
    expect(events.some(({ e }) => e.target === "delete")).toBe(true);
    // On both sides of the one-hour window's first millisecond.
    for (const back of [3_600_000 - 1, 3_600_000, 3_600_000 + 1]) expect(events.some(({ e, now }) => now - e.at === back)).toBe(true);
    // `event.args.id == args.id`: some events copy the call's id, others do not.
    const reads = events.filter(({ e, r }) => e.target === "read_email" && r.tool === "reply" && r.arguments?.id !== undefined && e.args?.id !== undefined);
    expect(reads.some(({ e, r }) => e.args!.id === r.arguments!.id)).toBe(true);
    expect(reads.some(({ e, r }) => e.args!.id !== r.arguments!.id)).toBe(true);
    expect(events.some(({ e }) => e.argsDropped === true)).toBe(true);
    expect(events.some(({ e }) => e.labels?.includes("untrusted"))).toBe(true);
    // Runs of like events around the numbers counts are compared with (`count ... < 3`): three pays a second apart.
    expect(lists.some((r) => eventsOf(r)!.some((e, i, h) => i >= 2 && e.target === "pay" && h[i - 1]!.target === "pay" && h[i - 2]!.target === "pay" && e.at - h[i - 2]!.at === 2000))).toBe(true);
    // Oldest first, in every well-formed history.
    const ordered = (h: Ev[]) => h.every((e, i) => i === 0 || h[i - 1]!.at <= e.at);
    expect(lists.filter((r) => ordered(eventsOf(r)!)).length).toBeGreaterThan(lists.length * 0.9);
  });

  it("a `where` comparing the past event's tool or server with the call's: events sometimes carry the call's own", () => {
    const p = compilePolicy(`policy "again"
role agent { allow tool a, b, c }
deny "twice" tool a, b when after completed tool a, b, c where event.tool == tool.name and event.server == "upstream-a"
`, { readFile: null });
    const reqs = fc.sample(arbitraries(p).requests({ tool: ["a", "b"], holding: "agent" }), { numRuns: 1500, seed: 3 });
    const pairs = reqs.flatMap((r) => (eventsOf(r) ?? []).map((e) => ({ e: e as Ev & { server?: string }, r })));
    expect(pairs.some(({ e, r }) => e.target === r.tool)).toBe(true);
    expect(pairs.some(({ e, r }) => e.target !== r.tool)).toBe(true);
    expect(pairs.some(({ e }) => e.server === "upstream-a")).toBe(true);
    expect(pairs.some(({ e }) => e.server !== undefined && e.server !== "upstream-a")).toBe(true);
    const rules = new Set(reqs.map((r) => p.decide(r)).map((d) => `${d.effect}:${d.reasons[0]?.rule ?? d.reasons[0]?.code}`));
    expect(rules).toContain("deny:twice");
    expect(rules).toContain("allow:agent/1");
  });

  it("a policy that asks no history predicate gets no history", () => {
    const reqs = fc.sample(arbitraries(trifecta).request, { numRuns: 500, seed: 7 });
    expect(reqs.every((r) => sessionOf(r).history === undefined && sessionOf(r).historyDroppedUntil === undefined)).toBe(true);
  });

  it("the generated requests reach both sides of every history rule", () => {
    const rules: [string, string][] = [["send_email", "dev/1"], ["reply", "dev/2"], ["pay", "dev/3"], ["transfer", "dev/4"], ["deploy", "dev/5"], ["confirm", "dev/6"], ["bid", "dev/7"], ["ask", "dev/8"], ["calls", "dev/9"]];
    for (const [tool, rule] of rules) {
      const seen = new Set<string>();
      for (const r of fc.sample(arbitraries(history).requests({ tool, holding: "dev" }), { numRuns: 500, seed: 5 })) {
        const d = history.decide(r);
        seen.add(`${d.effect}:${d.reasons[0]?.code}:${d.reasons[0]?.rule ?? ""}`);
      }
      expect(seen, tool).toContain(`allow:allow_rule:${rule}`);
      expect(seen, tool).toContain(`deny:evaluation_error:${rule}`);
      expect([...seen].some((x) => x.startsWith("deny:no_rule")), tool).toBe(true);
    }
    const seen = new Set(fc.sample(arbitraries(history).requests({ tool: "delete", holding: "dev" }), { numRuns: 800, seed: 5 }).map((r) => `${history.decide(r).effect}:${history.decide(r).reasons[0]?.rule}`));
    expect(seen).toContain("deny:policy/1");
    expect(seen).toContain("allow:dev/10");
  });
});

describe("differential on history policies: compiled == interpreter on the kit's requests", () => {
  for (const [i, policy] of HISTORY_POLICIES.entries()) {
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

describe("the kit's properties on history rules", () => {
  const MAIL = `policy "mail"
role agent { allow tool send_email, read_web, search }
deny "no-mail-after-web" tool send_email when after completed tool read_web within 1 hour
`;
  /** Whether the request's history holds a web page read in the last hour (as the property's author reads it). */
  const readWebLastHour = (r: PolicyRequest): boolean => {
    const now = typeof r.time === "number" ? r.time : Date.parse(String(r.time));
    return (eventsOf(r) ?? []).some((e) => e.method === "tools/call" && e.target === "read_web" && e.outcome === "ok" && e.at >= now - 3_600_000);
  };

  it("holds on the right rule: no mail in the hour after a web page was read, and no mail without a history", () => {
    const mail = compilePolicy(MAIL, { readFile: null });
    forAllRequests(mail, { tool: "send_email" }, (r, d) => !readWebLastHour(r) || d.effect === "deny");
    forAllRequests(mail, { tool: "send_email" }, (r, d) => eventsOf(r) !== undefined || d.effect !== "allow");
  });

  it("finds the rule written with a one-minute window by mistake", () => {
    const broken = compilePolicy(MAIL.replace("within 1 hour", "within 1 minute"), { readFile: null });
    let err: unknown;
    try {
      forAllRequests(broken, { tool: "send_email", holding: "agent" }, (r, d) => !readWebLastHour(r) || d.effect === "deny");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyPropertyError);
    expect((err as Error).message).toContain("read_web");
  });

  it("finds the rule written over allowed calls where completed ones were meant, the other way round (a failed read denies)", () => {
    const broad = compilePolicy(MAIL.replace("after completed tool", "after allowed tool"), { readFile: null });
    let err: unknown;
    try {
      // Only a completed read should stop the mail: a read that failed (allowed, outcome error) should not.
      forAllRequests(broad, { tool: "send_email", holding: "agent" }, (r, d) => readWebLastHour(r) || !d.reasons.some((x) => x.rule === "no-mail-after-web"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyPropertyError);
  });
});
