/**
 * The syntax and lowering of budget keys and windows (issue 11): `by KEY, KEY` where the commas belong
 * to the key list wherever a limit stands (top level, role, tool block) and never swallow what follows,
 * attribute paths (dotted and bracketed), `per N UNITs` in both spellings, and what the IR holds.
 */
import { describe, expect, it } from "vitest";
import { checkPolicy, compilePolicy } from "mcppolicy";

const keysOf = (src: string) => {
  const p = compilePolicy(src);
  const all = [...p.ir.budgets, ...[...p.ir.roles.values()].flatMap((r) => r.budgets), ...[...p.ir.tools.values()].flatMap((t) => t.budgets)];
  return Object.fromEntries(all.map((b) => [b.id, { keys: b.keys.map((k) => (k.k === "named" ? k.name : `${k.root}${k.path.map((s) => `/${s}`).join("")}`)), window: b.window, ...(b.windowCount && { n: b.windowCount }) }]));
};

describe("by KEY, KEY", () => {
  it("at top level, in a role and in a tool block, followed by every kind of declaration", () => {
    const src = `policy "p"
limit calls 10 per hour by principal, tool
role dev {
  limit calls 5 by principal.claims.tenant, server
  allow tool read_file, write_file
  limit rate 3 per 5 minutes burst 4 by client, role
  deny tool rm, rmdir
  member when "dev" in principal.scopes
}
tool create_issue {
  limit calls 2 per week by args.repo, principal
  args { repo: string, title: string }
  risk high
  limit calls 9 per 3 days by principal.claims["org-id"], args.title fail open
}
limit calls 1 per 2 hours by session, principal.id
tool other { risk low }
`;
    expect(checkPolicy(src).diagnostics).toEqual([]);
    expect(keysOf(src)).toEqual({
      "policy/limit/1": { keys: ["principal", "tool"], window: "hour" },
      "policy/limit/2": { keys: ["session", "principal.id"], window: "hour", n: 2 },
      "dev/limit/1": { keys: ["principal.claims/tenant", "server"], window: "session" },
      "dev/limit/2": { keys: ["client", "role"], window: "minute", n: 5 },
      "tool:create_issue/limit/1": { keys: ["args/repo", "principal"], window: "week" },
      "tool:create_issue/limit/2": { keys: ["principal.claims/org-id", "args/title"], window: "day", n: 3 },
    });
    const p = compilePolicy(src);
    expect(p.ir.roles.get("dev")!.rules.map((r) => r.patterns.map((x) => x.text))).toEqual([["read_file", "write_file"], ["rm", "rmdir"]]);
    expect(p.ir.tools.get("create_issue")!.risk).toBe("high");
    expect(p.ir.tools.get("create_issue")!.budgets[1]!.failOpen).toBe(true);
  });

  it("defaults stay: no `by` is `principal` for a rate and `session` otherwise", () => {
    expect(keysOf(`policy "p"\nlimit rate 5 per minute\nlimit calls 5`)).toEqual({
      "policy/limit/1": { keys: ["principal"], window: "minute" },
      "policy/limit/2": { keys: ["session"], window: "session" },
    });
  });

  it("a trailing comma or a comma-separated second limit is a syntax error, not a key", () => {
    expect(checkPolicy(`policy "p"\nlimit calls 5 by principal,\nrole r { allow tool a }`).diagnostics.map((d) => d.code)).toContain("E0003");
    expect(checkPolicy(`policy "p"\nlimit calls 5 by principal, limit calls 6`).diagnostics.length).toBeGreaterThan(0);
  });
});

describe("per N UNITs", () => {
  it("singular and plural, with and without a number; one unit is the plain unit", () => {
    const k = keysOf(`policy "p"
limit calls 1 per 5 minutes
limit calls 1 per 1 minute
limit calls 1 per minutes
limit calls 1 per 2 week
limit calls 1 per 30 seconds
limit calls 1 per day`);
    expect(Object.values(k).map((b) => [b.window, b.n])).toEqual([["minute", 5], ["minute", undefined], ["minute", undefined], ["week", 2], ["second", 30], ["day", undefined]]);
  });

  it("a fraction, zero, a negative, a number of sessions and more than a year are errors", () => {
    for (const w of ["1.5 hours", "0 minutes", "-2 days", "2 sessions", "53 weeks", "367 days", "9000 hours"]) {
      const codes = checkPolicy(`policy "p"\nlimit calls 1 per ${w}`).diagnostics.map((d) => d.code);
      expect(codes.length, w).toBeGreaterThan(0);
      expect(codes.every((c) => c === "E0306" || c === "E0003"), `${w}: ${codes}`).toBe(true);
    }
    expect(checkPolicy(`policy "p"\nlimit calls 1 per 52 weeks\nlimit calls 1 per 366 days`).diagnostics).toEqual([]);
  });
});

describe("key checks", () => {
  const codes = (src: string) => checkPolicy(`policy "p"\n${src}`).diagnostics.map((d) => `${d.code} ${d.message}`);
  it("unknown words and paths, booleans and lists, undeclared and non-scalar arguments", () => {
    expect(codes("limit calls 1 by tenant")).toEqual(["E0111 unknown limit key `tenant`"]);
    expect(codes("limit calls 1 by principal.claims")).toEqual(["E0303 unknown budget key `principal.claims`"]);
    expect(codes("limit calls 1 by args")).toEqual(["E0111 unknown limit key `args`"]);
    expect(codes("limit calls 1 by principal.scopes")).toEqual(["E0304 budget key `principal.scopes` is a list of strings, not a string or a number"]);
    expect(codes("limit calls 1 by annotations.readOnlyHint")).toEqual(["E0304 budget key `annotations.readOnlyHint` is a boolean, not a string or a number"]);
    expect(codes("limit calls 1 by client.ip.x")).toEqual(["E0303 unknown budget key `client.ip.x`"]);
    expect(codes("tool t { args { a: { b: string }, l: array(string), f: boolean, e: enum(\"x\", 1), o?: integer }\n limit calls 1 by args.a\n limit calls 1 by args.l\n limit calls 1 by args.f\n limit calls 1 by args.e\n limit calls 1 by args.o\n limit calls 1 by args.a.b\n limit calls 1 by args.a.c }")).toEqual([
      "E0304 budget key `args.a` is typed as an object in tool `t`, not a string or a number",
      "E0304 budget key `args.l` is typed as a list in tool `t`, not a string or a number",
      "E0304 budget key `args.f` is typed as a boolean in tool `t`, not a string or a number",
      "E0305 budget key `args.a.c`: tool `t` has no such argument",
    ]);
    // An open block, or a top-level limit, takes any argument: checked when the call comes.
    expect(codes("tool t { args { a: string, ... }\n limit calls 1 by args.zzz }\nlimit calls 1 by args.anything")).toEqual([]);
  });
});
