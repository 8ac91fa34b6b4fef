import { expect, it } from "vitest";
import { compilePolicy, checkPolicy } from "../src/policy.js";

it("smoke", () => {
  const text = `policy "h"
session retain 500 events for 2 hours
role dev {
  allow tool send_email unless after completed tool read_web within 1 hour
  allow tool transfer when (sum event.args.amount of completed tool transfer where event.args.to == args.to within 1 hour) < 100
  allow tool x when no completed tool a since completed tool b and count attempted tool "*" < 3 and previous allowed tool x
}`;
  const r = checkPolicy(text);
  console.log(r.render());
  const p = compilePolicy(text);
  const ev = (at: number, target: string, extra = {}) => ({ at, method: "tools/call", target, effect: "allow", outcome: "ok", ...extra });
  const reqs = [
    { principal: { roles: ["dev"] }, tool: "send_email", time: 10_000_000, session: { history: [ev(9_000_000, "read_web")] } },
    { principal: { roles: ["dev"] }, tool: "send_email", time: 10_000_000, session: { history: [ev(1_000, "read_web")] } },
    { principal: { roles: ["dev"] }, tool: "send_email", time: 10_000_000 },
    { principal: { roles: ["dev"] }, tool: "transfer", arguments: { to: "a" }, time: 10_000_000, session: { history: [ev(9_000_000, "transfer", { args: { to: "a", amount: 60 } }), ev(9_100_000, "transfer", { args: { to: "b", amount: 60 } })] } },
    { principal: { roles: ["dev"] }, tool: "transfer", arguments: { to: "a" }, time: 10_000_000, session: { history: [ev(9_000_000, "transfer", { args: { to: "a", amount: 60 } }), ev(9_100_000, "transfer", { args: { to: "a", amount: 60 } })] } },
    { principal: { roles: ["dev"] }, tool: "x", time: 10_000_000, session: { history: [ev(1, "a"), ev(2, "b"), ev(3, "x")] } },
    { principal: { roles: ["dev"] }, tool: "x", time: 10_000_000, session: { history: [ev(1, "b"), ev(2, "a"), ev(3, "x")] } },
    { principal: { roles: ["dev"] }, tool: "x", time: 10_000_000, session: { history: [ev(1, "b"), ev(2, "a"), ev(3, "x")], historyDroppedUntil: 0 } },
    { principal: { roles: ["dev"] }, tool: "x", time: 10_000_000, session: { history: [{ at: 1 }] } },
  ];
  for (const q of reqs) {
    const a = p.decide(q as never);
    const b = p.interpret(q as never);
    expect(a).toEqual(b);
    console.log(a.effect, a.reasons.map((x) => x.code + ":" + (x.message ?? "")).join(" | "));
  }
});
