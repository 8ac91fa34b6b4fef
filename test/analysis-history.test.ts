/**
 * Finding A0008 `history-never` (issue 14): a history predicate over allowed/completed/failed events of
 * a tool no principal the rule applies to can call can never hold, so the rule can never fire. Each case
 * pairs a policy with the problem and one without; the claims are checked through the engine (a real
 * MemoryStore session): the rule the finding names never decides, the one it spares does; and on
 * generated policies, no engine session of a principal in a finding's scope ever sees the rule decide.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzePolicy, compilePolicy, createEngine, MemoryStore, type Policy, type PolicyRequest } from "mcppolicy";

const inline = (text: string) => compilePolicy(`policy "t"\n${text}`, { readFile: null });
const history = (p: Policy) => analyzePolicy(p).findings.filter((f) => f.kind === "history-never");
const about = (p: Policy) => history(p).map((f) => `${f.code} ${f.rule}`);
const ok = { content: [{ type: "text", text: "done" }] };

/** Calls `tools` in order in one engine session of a principal holding `roles`; each allowed call completes. */
async function session(p: Policy, roles: string[], tools: string[]): Promise<{ tool: string; effect: string; rules: (string | undefined)[] }[]> {
  const engine = createEngine(p, { store: new MemoryStore() });
  const out = [];
  for (const tool of tools) {
    const req: PolicyRequest = { principal: { id: "p-1", roles }, method: "tools/call", tool, arguments: {}, session: { id: "s-1" } };
    const a = await engine.authorize(req);
    if (a.effect === "allow") await a.commit({}, ok);
    out.push({ tool, effect: a.effect, rules: a.decision.reasons.map((r) => r.rule) });
  }
  return out;
}

describe("A0008: a history predicate that can never hold", () => {
  it("an allow waiting for a call its roles can never make never allows; once a role can make it, no finding", async () => {
    const bad = inline("role reader {\n  allow tool read_file\n  allow tool summarize when after completed tool fetch_page\n}\nrole admin { allow tool fetch_page }");
    expect(about(bad)).toEqual(["A0008 reader/2"]);
    const f = history(bad)[0]!;
    expect(f.severity).toBe("warning");
    expect(f.tool).toBe("fetch_page");
    expect(f.message).toContain("can never allow");
    expect(f.message).toContain("`after completed tool fetch_page`");
    expect(f.message).toContain("(`reader`) can, by itself,");
    const run = await session(bad, ["reader"], ["fetch_page", "read_file", "summarize"]);
    expect(run.map((s) => s.effect)).toEqual(["deny", "allow", "deny"]);

    const good = inline("role reader {\n  allow tool read_file, fetch_page\n  allow tool summarize when after completed tool fetch_page\n}");
    expect(about(good)).toEqual([]);
    expect((await session(good, ["reader"], ["fetch_page", "summarize"])).map((s) => s.effect)).toEqual(["allow", "allow"]);
  });

  it("the scope is every role that holds the rule: a rule of an included role is spared when an including role can make the call", async () => {
    const p = inline("role base {\n  allow tool summarize when after completed tool fetch_page\n}\nrole reader includes base { allow tool fetch_page }");
    expect(about(p)).toEqual([]);
    expect((await session(p, ["reader"], ["fetch_page", "summarize"]))[1]!.effect).toBe("allow");
    const none = inline("role base {\n  allow tool summarize when after completed tool fetch_page\n}\nrole reader includes base { allow tool read_file }\nrole admin { allow tool fetch_page }");
    expect(about(none)).toEqual(["A0008 base/1"]);
    expect(history(none)[0]!.message).toContain("(`base`, `reader`)");
  });

  it("a role derived through `member when` counts: its allows may let the call through", () => {
    const p = inline('role reader { allow tool summarize when after completed tool fetch_page }\nrole power {\n  member when principal.claims.level > 3\n  allow tool fetch_page\n}');
    expect(about(p)).toEqual([]);
  });

  it("a rule of a role that `member when` may derive applies to a principal given any role: spared when any role can make the call", async () => {
    const p = inline("role r2 { allow tool c }\nrole r3 {\n  member when principal.claims.level > 3\n  allow tool a when after allowed tool c\n}");
    expect(about(p)).toEqual([]);
    const engine = createEngine(p, { store: new MemoryStore() });
    const req = (tool: string): PolicyRequest => ({ principal: { id: "p-1", roles: ["r2"], claims: { level: 4 } }, method: "tools/call", tool, arguments: {}, session: { id: "s-1" } });
    const c = await engine.authorize(req("c"));
    expect(c.effect).toBe("allow");
    await c.commit({}, ok);
    expect((await engine.authorize(req("a"))).decision.reasons.map((r) => r.rule)).toContain("r3/1");
    const none = inline("role r2 { allow tool b }\nrole r3 {\n  member when principal.claims.level > 3\n  allow tool a when after allowed tool c\n}");
    expect(history(none).map((f) => f.message.includes("no principal, whatever its roles"))).toEqual([true]);
  });

  it("attempted and denied events happen for any call: no finding", () => {
    for (const kind of ["attempted", "denied"]) {
      expect(about(inline(`role r { allow tool summarize when after ${kind} tool fetch_page }`)), kind).toEqual([]);
    }
  });

  it("previous, count >= 1 and failed count; count < 3 and sum < 100 hold with no events and are spared", () => {
    const p = inline(`role r {
  allow tool a when previous completed tool x
  allow tool b when count allowed tool x within 1 hour >= 1
  allow tool c when after failed tool x
  allow tool d when count allowed tool x within 1 hour < 3
  allow tool e when (sum event.args.amount of completed tool x within 1 day) < 100
}`);
    expect(about(p)).toEqual(["A0008 r/1", "A0008 r/2", "A0008 r/3"]);
  });

  it("`no` over impossible events is always true: an `unless` on it never lets the rule fire, a `when` on it is spared", async () => {
    const p = inline("role r {\n  allow tool read_file\n  allow tool a unless no completed tool fetch_page\n  allow tool b when no completed tool fetch_page since completed tool read_file\n}");
    expect(about(p)).toEqual(["A0008 r/2"]);
    expect((await session(p, ["r"], ["fetch_page", "read_file", "a", "b"])).map((s) => s.effect)).toEqual(["deny", "allow", "deny", "allow"]);
  });

  it("only when certain: a glob, an `or` with another way to hold, an `unless` are not reported", () => {
    const p = inline(`role r {
  allow tool read_file
  allow tool a when after completed tool "fetch_*"
  allow tool b when after completed tool fetch_page or after completed tool read_file
  allow tool c unless after completed tool fetch_page
  allow tool d when after completed tool fetch_page and after completed tool read_file
}`);
    expect(about(p)).toEqual(["A0008 r/5"]);
  });

  it("a deny whose history condition can never hold never fires; a deny on a call some role can make is spared", async () => {
    const p = inline(`role r { allow tool send_email, read_file }
role admin { allow tool export }
deny "after-nothing" tool send_email when after completed tool scrape_web
deny "after-export" tool send_email when after completed tool export`);
    expect(about(p)).toEqual(["A0008 after-nothing"]);
    const f = history(p)[0]!;
    expect(f.message).toContain("can never fire");
    expect(f.message).toContain("no principal, whatever its roles, can be allowed");
    // The deny is written to stop mail after a scrape; no session can ever give it that scrape.
    const run = await session(p, ["r"], ["scrape_web", "read_file", "send_email"]);
    expect(run.map((s) => s.effect)).toEqual(["deny", "allow", "allow"]);
    expect(run[2]!.rules).not.toContain("after-nothing");
    // The spared deny does fire, for a principal that can export.
    const admin = await session(p, ["r", "admin"], ["export", "send_email"]);
    expect(admin.map((s) => s.effect)).toEqual(["allow", "deny"]);
    expect(admin[1]!.rules).toContain("after-export");
  });

  it("a rule already dead for another reason gets A0001, not A0008", () => {
    const p = inline("role r {\n  allow tool b\n  allow tool a when after completed tool x and time.hour > 23\n}");
    expect(analyzePolicy(p).findings.map((f) => `${f.code} ${f.rule}`)).toEqual(["A0001 r/2"]);
  });
});

const TOOLS = ["a", "b", "c", "d"];
const kind = fc.constantFrom("attempted", "allowed", "denied", "completed", "failed");
const tool = fc.constantFrom(...TOOLS, '"*"');
const pred = fc.oneof(
  fc.tuple(kind, tool).map(([k, t]) => `after ${k} tool ${t}`),
  fc.tuple(kind, tool).map(([k, t]) => `previous ${k} tool ${t}`),
  fc.tuple(kind, tool, fc.constantFrom(">= 1", "< 2", "== 0", "> 1")).map(([k, t, c]) => `count ${k} tool ${t} ${c}`),
  fc.tuple(kind, tool, fc.constantFrom("a", "b")).map(([k, t, s]) => `no ${k} tool ${t} since completed tool ${s}`),
);
const cond = fc.oneof(pred, fc.tuple(pred, pred, fc.constantFrom("and", "or")).map(([x, y, op]) => `${x} ${op} ${y}`), pred.map((x) => `${x} and client.tls`));
const rule = fc.tuple(fc.constantFrom(...TOOLS), fc.option(cond, { nil: undefined }), fc.boolean()).map(([t, c, unless]) => `allow tool ${t}${c ? ` ${unless ? "unless" : "when"} ${c}` : ""}`);
const generated = fc.record({
  r1: fc.array(rule, { minLength: 1, maxLength: 3 }),
  r2: fc.array(rule, { maxLength: 2 }),
  includes: fc.boolean(),
  r3: fc.array(rule, { minLength: 1, maxLength: 2 }),
  denies: fc.array(fc.tuple(fc.constantFrom(...TOOLS), cond), { maxLength: 2 }),
});
const step = fc.record({ tool: fc.constantFrom(...TOOLS), error: fc.boolean(), tls: fc.boolean() });

describe("A0008 on generated policies", () => {
  it("no engine session of a principal in a finding's scope sees the rule allow or deny", async () => {
    await fc.assert(
      fc.asyncProperty(generated, fc.array(step, { minLength: 2, maxLength: 7 }), fc.integer({ min: 0, max: 5 }), async (g, steps, level) => {
        const text = [
          `role r1 {\n  ${g.r1.join("\n  ")}\n}`,
          `role r2${g.includes ? " includes r1" : ""} {\n  ${["allow tool none", ...g.r2].join("\n  ")}\n}`,
          `role r3 {\n  member when principal.claims.level > 3\n  ${g.r3.join("\n  ")}\n}`,
          ...g.denies.map(([t, c]) => `deny tool ${t} when ${c}`),
        ].join("\n");
        let p: Policy;
        try {
          p = inline(text);
        } catch {
          return; // a generated policy the compiler refuses proves nothing here
        }
        const found = history(p);
        if (found.length === 0) return;
        const scopes: string[][] = [["r1"], ["r2"], ["r3"]];
        if (found.some((f) => f.message.includes("no principal, whatever its roles"))) scopes.push(["r1", "r2", "r3"]);
        for (const roles of scopes) {
          // Findings that cover this principal: "no principal" ones, and for a single role those that name it.
          const covered = new Set(found.filter((f) => f.message.includes("no principal, whatever its roles") || (roles.length === 1 && f.message.includes(`\`${roles[0]}\``))).map((f) => f.rule));
          const engine = createEngine(p, { store: new MemoryStore() });
          for (const s of steps) {
            const req: PolicyRequest = { principal: { id: "p-1", roles, claims: { level } }, method: "tools/call", tool: s.tool, arguments: {}, client: { tls: s.tls }, session: { id: "s-1" } };
            const a = await engine.authorize(req);
            for (const r of a.decision.reasons) {
              if (r.code === "allow_rule" || r.code === "deny_rule") expect(covered.has(r.rule), `${r.rule} decided for ${roles.join(",")}\n${text}`).toBe(false);
            }
            if (a.effect === "allow") await a.commit({}, s.error ? { content: [{ type: "text", text: "boom" }], isError: true } : ok);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
