/**
 * The History section of grammar/README.md: its example compiles without a diagnostic and decides as the
 * comments beside its rules say (so the spec's example cannot drift from the language).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";

const readme = readFileSync(new URL("../grammar/README.md", import.meta.url), "utf8");
const section = readme.slice(readme.indexOf("#### History"), readme.indexOf("**Forms.**", readme.indexOf("#### History")));
const source = /```mcppolicy\n([\s\S]*?)```/.exec(section)![1]!;

const T = 100_000_000;
const ev = (agoMs: number, target: string, effect: "allow" | "deny" = "allow", outcome?: "ok" | "error", args?: Record<string, unknown>) => ({
  at: T - agoMs,
  method: "tools/call",
  target,
  effect,
  ...(outcome && { outcome }),
  ...(args && { args }),
});
const req = (tool: string, history: unknown[], args: Record<string, unknown> = {}): PolicyRequest =>
  ({ principal: { id: "a", roles: ["assistant"] }, method: "tools/call", tool, arguments: args, time: T, session: { history } }) as PolicyRequest;

describe("grammar/README.md, History: the example", () => {
  const policy = compilePolicy(source);
  const rule = (r: PolicyRequest) => policy.decide(r).reasons.map((x) => x.rule ?? x.code);

  it("compiles without a warning", () => {
    expect(policy.warnings).toEqual([]);
  });
  it("mail-after-web: a set member (a glob) read in the last hour denies; two hours ago does not", () => {
    expect(rule(req("send_email", [ev(60_000, "fetch_page", "allow", "ok")]))).toEqual(["mail-after-web"]);
    expect(policy.decide(req("send_email", [ev(7_200_000, "fetch_page", "allow", "ok")])).effect).toBe("allow");
  });
  it("pay-rate: the fourth payment in ten minutes is denied", () => {
    const three = [ev(300_000, "send_money", "allow", "ok", { to: "a", amount: 1 }), ev(200_000, "send_money", "allow", "ok", { to: "b", amount: 1 }), ev(100_000, "send_money", "allow", "ok", { to: "c", amount: 1 })];
    expect(rule(req("send_money", three, { to: "d", amount: 1 }))).toEqual(["pay-rate"]);
    expect(policy.decide(req("send_money", three.slice(1), { to: "d", amount: 1 })).effect).toBe("allow");
  });
  it("pay-sum: over 1000 to one recipient in a day denies; other recipients do not count", () => {
    const h = [ev(5_000_000, "send_money", "allow", "ok", { to: "x", amount: 900 }), ev(4_000_000, "send_money", "allow", "ok", { to: "x", amount: 200 })];
    expect(rule(req("send_money", h, { to: "x", amount: 1 }))).toEqual(["pay-sum"]);
    expect(policy.decide(req("send_money", h, { to: "y", amount: 1 })).effect).toBe("allow");
  });
  it("reply: only to a message that was read", () => {
    const h = [ev(1000, "read_inbox", "allow", "ok", { id: "m1" })];
    expect(policy.decide(req("reply", h, { id: "m1" })).effect).toBe("allow");
    expect(policy.decide(req("reply", h, { id: "m2" })).effect).toBe("deny");
  });
  it("retry: right after a denied payment, a transfer is denied", () => {
    expect(rule(req("transfer", [ev(1000, "send_money", "deny")]))).toContain("retry");
  });
  it("fail closed: no history denies with an evaluation error", () => {
    const r = policy.decide({ principal: { id: "a", roles: ["assistant"] }, method: "tools/call", tool: "send_email", time: T } as PolicyRequest);
    expect(r.effect).toBe("deny");
    expect(r.reasons[0]!.code).toBe("evaluation_error");
  });
});
