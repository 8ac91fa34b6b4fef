/**
 * The call's side of an equality `where` (`args.to` in `where event.args.to == args.to`) is read once per
 * decision for every predicate reading that attribute (codegen/history-call.ts `slotOfAttr`), and the
 * compiled predicates remember the log they read last (codegen/history.ts `Memo`). These tests hold that
 * nothing read in one decision leaks into the next: the same request object, its arguments changed
 * between decisions, and two sessions decided in turn, each decide equals the reference interpreter.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";

const policy = compilePolicy(`policy "k"
session retain 1000 events for 2 hours
role dev {
  allow tool "*"
}
deny tool "*" when count completed tool send where event.args.to == args.to within 1 hour > 1
deny tool "*" when after failed tool pay where event.args.to == args.to
deny tool "*" when (sum event.args.n of completed tool pay where args.to == event.args.to) > 10
deny tool "*" unless no denied tool send where event.args.to == args.to since completed tool reset
`);
const ev = (at: number, target: string, to: unknown, extra: Record<string, unknown> = {}) => Object.freeze({ at, method: "tools/call", target, args: Object.freeze({ to, n: 4 }), effect: "allow", outcome: "ok", ...extra });
const history = Object.freeze([ev(9_000_000, "send", "a"), ev(9_100_000, "send", "a"), ev(9_200_000, "pay", "b", { outcome: "error" }), ev(9_300_000, "pay", "c"), ev(9_400_000, "pay", "c"), ev(9_500_000, "pay", "c")]);
const other = Object.freeze([ev(9_000_000, "send", "c", { effect: "deny", outcome: undefined })]);

describe("an equality where's call side, read once per decision", () => {
  it("the same request object, its arguments changed between decisions, decides as the interpreter", () => {
    const req = { principal: { roles: ["dev"] }, tool: "x", time: 9_600_000, arguments: { to: "a" as unknown }, session: { history } } as unknown as PolicyRequest & { arguments: { to: unknown } };
    const seen: string[] = [];
    for (const to of ["a", "b", "c", "d", 7, undefined, "a"]) {
      req.arguments.to = to;
      const d = policy.decide(req);
      expect(d).toEqual(policy.interpret(req));
      seen.push(d.effect);
    }
    expect(seen).toContain("allow");
    expect(seen).toContain("deny");
  });

  it("two sessions in turn, and a getter counting reads, decide as the interpreter", () => {
    let reads = 0;
    const args = Object.defineProperty({}, "to", { get: () => (reads++, "c"), enumerable: true });
    for (const h of [history, other, history, other]) {
      const req = { principal: { roles: ["dev"] }, tool: "x", time: 9_600_000, arguments: args, session: { history: h } } as unknown as PolicyRequest;
      reads = 0;
      const d = policy.decide(req);
      const compiledReads = reads;
      expect(d).toEqual(policy.interpret(req));
      expect(compiledReads).toBeGreaterThan(0);
    }
  });
});
