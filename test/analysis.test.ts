/**
 * The analysis (`analyzePolicy`, `canRoleCall`, `rolesReaching`, `whatMay`, `mcppolicy analyze`):
 * each kind of finding on a small crafted policy, and none on clean ones (the bundled policies
 * included); questions on the bundled policies; and properties checked against the decision function
 * on generated and bundled policies — every witness decides as claimed, `never` is never contradicted
 * by a request in scope, `always` / `with-approval` never by one with valid arguments, and findings
 * never by what `decide` and `explain` report.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzePolicy, canRoleCall, canRoleReach, compilePolicy, rolesReaching, whatMay, type Decision, type Policy, type PolicyRequest, type Verdict } from "mcppolicy";
import { checkValue } from "../src/eval/args.js";
import { policyText, request, TOOLS } from "./helpers/generators.js";

const ROOT = join(import.meta.dirname, "..");
const POLICIES = join(ROOT, "policies");
const load = (name: string) => compilePolicy(readFileSync(join(POLICIES, name), "utf8"), { filename: join(POLICIES, name) });
const inline = (text: string) => compilePolicy(`policy "t"\n${text}`, { readFile: null });
const kinds = (p: Policy) => analyzePolicy(p).findings.map((f) => `${f.code} ${f.kind} ${f.rule ?? f.role ?? f.tool}`);

const EFFECT_OF = { allowed: "allow", approval: "require_approval", denied: "deny" } as const;
const closure = (p: Policy, role: string) => [...(p.ir.roles.get(role)?.closure ?? [])].sort();

/** Every witness decides as its field says; for a role question, with exactly the role's closure held. */
function expectWitnesses(p: Policy, v: Verdict, role?: string): void {
  for (const [field, effect] of Object.entries(EFFECT_OF)) {
    const w = v.witness[field as keyof typeof EFFECT_OF];
    if (!w) continue;
    const d = p.decide(w);
    expect(d.effect, `${v.name} ${field}: ${JSON.stringify(d.reasons)}`).toBe(effect);
    if (role !== undefined) expect(d.roles).toEqual(closure(p, role));
  }
  if (v.answer === "depends") expect(Object.values(v.witness).length).toBeGreaterThanOrEqual(2);
}

/** Whether `d`, for a request in the verdict's scope, contradicts it. */
/** The `args` types of every tool block that applies to `name` on `server` (exact, tool families, the server block's). */
function argsTypes(p: Policy, name: string, server: unknown): unknown[] {
  const glob = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|\\[\]]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]")}$`, "u");
  const blocks = [p.ir.tools.get(name), ...p.ir.families.filter((f) => glob(f.pattern!).test(name))];
  const s = typeof server === "string" ? p.ir.servers.get(server) : undefined;
  if (s) blocks.push(s.tools.get(name), ...s.families.filter((f) => glob(f.pattern!).test(name)));
  return blocks.map((b) => b?.args).filter((a) => a !== undefined);
}

function contradicts(p: Policy, v: Verdict, req: PolicyRequest, d: Decision): boolean {
  // The evaluators' own argument check (from the sources; the IR type is the same shape), for every block
  // that applies (tool families and server blocks, issue 11: "valid" means every args block passes).
  const types = v.target === "tool" ? argsTypes(p, v.name, req.server?.name) : [];
  const valid = types.every((args) => checkValue(args as Parameters<typeof checkValue>[0], req.arguments ?? {}, "args") === null);
  if (v.answer === "never") return d.effect !== "deny";
  if (v.answer === "always") return valid && d.effect !== "allow";
  if (v.answer === "with-approval") return valid && d.effect !== "require_approval";
  return false;
}

const requestParts = fc.record({
  principal: fc.record({
    id: fc.constantFrom("agent-1", "agent-2", undefined),
    scopes: fc.option(fc.subarray(["files:read", "files:write", "ops", "admin", "repo:read", "repo:write", "support:refund", "dev"]), { nil: undefined }),
    claims: fc.option(
      fc.record({ org: fc.constantFrom("acme", "evil", 7), level: fc.integer({ min: 0, max: 5 }), team: fc.constantFrom("platform", "web"), title: fc.constantFrom("supervisor", "agent"), department: fc.constantFrom("analytics", "sales") }, { requiredKeys: [] }),
      { nil: undefined },
    ),
  }),
  annotations: fc.record({ readOnlyHint: fc.boolean(), destructiveHint: fc.boolean(), idempotentHint: fc.boolean(), openWorldHint: fc.boolean() }, { requiredKeys: [] }),
  client: fc.record(
    {
      ip: fc.constantFrom("10.0.0.4", "10.20.5.9", "10.20.1.1", "10.30.0.2", "192.168.1.1", "8.8.8.8", "127.0.0.1", "::1", "fd00::5", "not-an-ip"),
      tls: fc.boolean(),
      mtls: fc.boolean(),
      certSubject: fc.constantFrom("CN=agent-01", "CN=etl-loader", "CN=acme-ops-1", "CN=other"),
    },
    { requiredKeys: [] },
  ),
  time: fc.constantFrom(Date.UTC(2026, 0, 5, 9, 30), Date.UTC(2026, 0, 4, 12, 0), Date.UTC(2026, 0, 5, 20, 0), "2026-01-10T08:00:00Z", "2026-01-05T23:30:00-05:00"),
  session: fc.constantFrom(undefined, { id: "s-1" }),
});

type Parts = { principal: Record<string, unknown>; annotations: object; client: object; time: unknown; session: unknown };

/** A request like `base` (same roles, target and arguments) with the other facts drawn at random. */
function vary(base: PolicyRequest, parts: Parts): PolicyRequest {
  const principal: Record<string, unknown> = { roles: base.principal?.roles ?? [] };
  for (const [k, x] of Object.entries(parts.principal)) if (x !== undefined) principal[k] = x;
  const out: PolicyRequest = { ...base, principal, annotations: parts.annotations, client: parts.client, time: parts.time as string };
  if (parts.session !== undefined) out.session = parts.session as { id: string };
  else delete out.session;
  return out;
}

describe("findings", () => {
  it("each kind is detected on a crafted policy", () => {
    const p = inline(`
set empty_tools: tool = []
deny tool "fs.*" unless client.tls because "file system over TLS only"
role base { deny tool wipe }
role dev includes base {
  member when principal.claims.team == "a" and principal.claims.team == "b"
  allow tool wipe
  allow tool read_file
  allow tool read_file when client.tls
  allow tool "read_*"
  allow tool query when args.n < 3
  allow tool empty_tools
  allow tool x when time.hour > 23
  allow tool y when client.tls and not client.tls
  allow tool z when principal.claims.n > 5 and principal.claims.n < 3
}
role ghost includes base { }
role topshadowed { allow tool "fs.write" when not client.tls }
role blocked {
  allow tool t1 when annotations.readOnlyHint
  deny tool t1 unless annotations.readOnlyHint == false
}
tool query { args { n: integer(min: 5) } }
tool orphan { risk low }
`);
    const found = analyzePolicy(p).findings;
    const has = (kind: string, about: string) => found.some((f) => f.kind === kind && (f.rule ?? f.role ?? f.tool) === about);
    for (const [kind, about] of [
      ["member-never", "dev"],
      ["shadowed", "dev/1"],
      ["redundant", "dev/2"],
      ["redundant", "dev/3"],
      ["never-fires", "dev/5"],
      ["never-fires", "dev/6"],
      ["never-fires", "dev/7"],
      ["never-fires", "dev/8"],
      ["never-fires", "dev/9"],
      ["grants-nothing", "ghost"],
      ["grants-nothing", "topshadowed"],
      ["shadowed", "topshadowed/1"],
      ["grants-nothing", "blocked"],
      ["shadowed", "blocked/1"],
      ["unreachable-tool", "query"],
      ["unreachable-tool", "orphan"],
    ]) {
      expect(has(kind!, about!), `${kind} ${about}`).toBe(true);
    }
    // Nothing else: the redundant-by-a-broader-glob rule (dev/4 "read_*") itself is fine.
    expect(found.length).toBe(16);
    const redundant = found.find((f) => f.rule === "dev/2")!;
    expect(redundant.message).toContain("`dev/4`");
    expect(redundant.related?.[0]?.span.start).toBeGreaterThan(0);
  });

  it("what the compiler's lints already say is not repeated", () => {
    const p = inline('deny tool "*" because "closed"\nrole r {\n  allow tool a\n  allow tool a when client.tls\n  allow tool b when false\n}');
    const lints = p.warnings.map((w) => w.code).sort();
    expect(lints).toEqual(["W0001", "W0001", "W0001", "W0002"]);
    expect(kinds(p)).toEqual(["A0004 grants-nothing r"]);
  });

  it("nothing is reported on clean policies", () => {
    const clean = [
      "role dev {\n  allow tool read_file, search\n  allow tool write_file when client.mtls\n  deny tool write_file when has args.path and args.path matches \"/etc/*\"\n}\ntool read_file { args { path: string } }",
      'role a { allow tool "*" when annotations.readOnlyHint }\nrole b includes a { allow tool x when principal.claims.n > 3 and principal.claims.n < 9 }',
      'role r {\n  member when "x" in principal.scopes\n  allow tool t when args.mode == "read"\n}\ntool t { args { mode: enum("read", "write") } }',
      'deny tool "fs.*" unless client.tls\nrole r { allow tool "fs.read", other }',
      'role r {\n  allow tool "read_*" when client.tls\n  allow tool read_file when client.mtls\n}',
    ];
    for (const text of clean) expect(kinds(inline(text)), text).toEqual([]);
  });

  it("the bundled policies have no findings", () => {
    for (const f of readdirSync(POLICIES).filter((n) => n.endsWith(".mcppolicy"))) expect(kinds(load(f)), f).toEqual([]);
  });
});

describe("questions on the bundled policies", () => {
  const seed = load("seed.mcppolicy");

  it("seed: developer can never call execute_command", () => {
    const v = canRoleCall(seed, "developer", "execute_command");
    expect(v.answer).toBe("never");
    expect(v.because.join("\n")).toContain("developer-no-changes");
    expect(seed.decide(v.witness.denied!).effect).toBe("deny");
    expectWitnesses(seed, v, "developer");
  });

  it("seed: admin can call execute_command only with approval", () => {
    const v = canRoleCall(seed, "admin", "execute_command");
    expect(v.answer).toBe("with-approval");
    expect(seed.decide(v.witness.approval!).effect).toBe("require_approval");
    expect(v.witness.allowed).toBeUndefined();
  });

  it("seed: readonly-agent can call query_database depending on its arguments, with an allowed and a denied example", () => {
    const v = canRoleCall(seed, "readonly-agent", "query_database");
    // Every call whose arguments pass the args block is allowed; the others are denied.
    expect(v.answer).toBe("always");
    expect(v.argsChecked).toBe(true);
    expect(seed.decide(v.witness.allowed!).effect).toBe("allow");
    const denied = seed.decide(v.witness.denied!);
    expect(denied.effect).toBe("deny");
    expect(denied.reasons[0]?.code).toBe("invalid_argument");
    expectWitnesses(seed, v, "readonly-agent");
  });

  it("seed: rolesReaching(read_file) lists developer, admin, readonly-agent", () => {
    expect(rolesReaching(seed, "read_file").map((v) => v.role)).toEqual(["developer", "admin", "readonly-agent"]);
    expect(rolesReaching(seed, "execute_command").map((v) => `${v.role}:${v.answer}`)).toEqual(["admin:with-approval"]);
    expect(rolesReaching(seed, "nothing_declared").map((v) => v.role)).toEqual(["admin"]);
  });

  it("github-agent: reader reaches push_files only for read-only tools over TLS", () => {
    const gh = load("github-agent.mcppolicy");
    const v = canRoleCall(gh, "reader", "push_files");
    expect(v.answer).toBe("depends");
    // args.branch: writer's deny on protected branches errs (denies) for a reader whose `org` claim is mistyped.
    expect(v.dependsOn).toEqual(["annotations.readOnlyHint", "args.branch", "client.tls"]);
    expect(v.witness.allowed?.annotations?.readOnlyHint).toBe(true);
    expectWitnesses(gh, v, "reader");
    const merge = canRoleCall(gh, "maintainer", "merge_pull_request");
    expect(merge.answer).toBe("depends");
    expect(merge.effects).toEqual(["allow", "require_approval", "deny"]);
    expect(merge.witness.approval?.arguments?.base).toBe("main");
    expectWitnesses(gh, merge, "maintainer");
    expect(canRoleCall(gh, "maintainer", "delete_repository").answer).toBe("never");
  });

  it("support-desk and data-platform: time, arguments and addresses make answers depend", () => {
    const sd = load("support-desk.mcppolicy");
    const reply = canRoleCall(sd, "agent", "reply_ticket");
    expect(reply.answer).toBe("depends");
    expect(reply.dependsOn).toEqual(["time.hour", "time.weekday"]);
    const lookup = canRoleCall(sd, "agent", "lookup_customer");
    expect(lookup.answer).toBe("depends");
    expect(sd.decide(lookup.witness.denied!).reasons[0]?.rule).toBe("no-pii-fields");
    const refund = canRoleCall(sd, "senior-agent", "issue_refund");
    expect(refund.answer).toBe("depends");
    expect(refund.effects).toEqual(["allow", "require_approval"]);
    const dp = load("data-platform.mcppolicy");
    const ingress = canRoleCall(dp, "dba", "allow_ingress");
    expect(ingress.answer).toBe("depends");
    expect(ingress.witness.approval?.client?.mtls).toBe(true);
    for (const v of [reply, lookup, refund]) expectWitnesses(sd, v, v.role);
    expectWitnesses(dp, ingress, "dba");
  });

  it("whatMay: a principal's derived roles and its tools, resources and prompts", () => {
    const gh = load("github-agent.mcppolicy");
    const r = whatMay(gh, { id: "bot", scopes: ["repo:read"] }, { client: { tls: true } });
    expect(r.roles).toEqual({ always: ["reader"], sometimes: [] });
    const secrets = r.resources.find((x) => x.pattern === "repo://acme/*/secrets/**");
    expect(secrets?.answer).toBe("never");
    expect(r.resources.find((x) => x.pattern === "repo://acme/**")?.answer).toBe("always");
    expect(r.tools.find((x) => x.name === "push_files")?.dependsOn).toEqual(["annotations.readOnlyHint"]);
    for (const v of [...r.tools, ...r.resources, ...r.prompts]) expectWitnesses(gh, v);
    const dp = load("data-platform.mcppolicy");
    const a = whatMay(dp, { id: "x", claims: { department: "analytics" } });
    expect(a.roles.always).toEqual(["analyst"]);
    expect(a.tools.find((x) => x.name === "drop_table")?.answer).toBe("never");
    expect(a.tools.find((x) => x.name === "run_query")?.answer).toBe("depends");
  });

  it("crafted: absent annotations count; a role question excludes derived roles; contradictions across rules", () => {
    const p = inline(`
role r {
  allow tool x
  deny tool x unless has annotations.readOnlyHint
  allow tool y
  allow tool y when client.tls
}
role a {
  member when "x" in principal.scopes
  deny tool t
}
role b { allow tool t when "x" in principal.scopes }
role c {
  allow tool u when principal.claims.team == "web"
  deny tool u unless principal.claims.team != "web"
}`);
    const x = canRoleCall(p, "r", "x");
    expect(x.answer).toBe("depends");
    expect(x.witness.denied?.annotations).toBeUndefined();
    expect(canRoleCall(p, "r", "y").answer).toBe("always");
    // Holding `b` and nothing else rules out the scope `x` (it would derive `a`, whose deny wins).
    expect(canRoleCall(p, "b", "t").answer).toBe("never");
    expect(whatMay(p, { roles: ["b"], scopes: ["x"] }).tools.find((v) => v.name === "t")?.answer).toBe("never");
    expect(canRoleCall(p, "c", "u").answer).toBe("never");
    for (const [role, tool] of [["r", "x"], ["r", "y"], ["b", "t"], ["c", "u"]] as const) expectWitnesses(p, canRoleCall(p, role, tool), role);
  });

  it("erring memberships: a deny an erring `member when` may bring makes a call never `always` (grammar/README.md, Errors deny)", () => {
    const p = inline(`
role user { allow tool read_file, write_file, help }
role suspended {
  member when principal.claims.suspended == true
  deny tool read_file
}
role temp includes contractor { member when principal.claims.temp == true }
role contractor { deny tool write_file when principal.claims.frozen == true }
role helper {
  member when principal.claims.helper == true
  allow tool help
}`);
    const read = canRoleCall(p, "user", "read_file");
    expect(read.answer).toBe("depends");
    expect(read.because.join("\n")).toContain("`suspended/1` (role `suspended`) denies it (evaluation_error)");
    expect(p.decide(read.witness.denied!).reasons[0]?.code).toBe("evaluation_error");
    expectWitnesses(p, read, "user");
    // Inherited through `includes`: temp's erring membership brings contractor's deny.
    const write = canRoleCall(p, "user", "write_file");
    expect(write.answer).toBe("depends");
    expectWitnesses(p, write, "user");
    // A role with allows only: its erring membership changes nothing.
    expect(canRoleCall(p, "user", "help").answer).toBe("always");
    expect(whatMay(p, { roles: ["user"], claims: { suspended: "true", temp: false, helper: false } }).tools.find((v) => v.name === "read_file")?.answer).toBe("never");
  });

  it("an undeclared role is refused", () => {
    expect(() => canRoleCall(seed, "develper", "read_file")).toThrow(RangeError);
    // What decide refuses as invalid_request (a role name with NUL, an invalid time), whatMay refuses too.
    expect(() => whatMay(seed, { roles: ["developer\u0000admin"] })).toThrow(RangeError);
    expect(() => whatMay(seed, { roles: ["developer"] }, { time: "2026-01-05 10:00" })).toThrow(RangeError);
    expect(canRoleReach(load("github-agent.mcppolicy"), "reader", "prompt", "triage_issue").answer).toBe("always");
  });

  it("a target name that decide refuses as invalid_request is refused, never answered `always`", () => {
    // Before: `always` for "read_file\u0000", though every such request is invalid_request.
    for (const name of ["read_file\u0000", "read_file\ufe0f", "read_file ", " read_file", "read\u200bfile", "read_file\u3164", ""]) {
      expect(() => canRoleCall(seed, "developer", name), JSON.stringify(name)).toThrow(RangeError);
      expect(() => rolesReaching(seed, name), JSON.stringify(name)).toThrow(RangeError);
    }
    expect(() => canRoleReach(seed, "developer", "prompt", "p\u200b")).toThrow(RangeError);
    expect(() => canRoleReach(seed, "developer", "resource", "file:///a\ufe0f")).toThrow(RangeError);
    expect(canRoleCall(seed, "developer", "read_file").answer).not.toBe("never");
  });
});

describe("properties: the analysis agrees with decide", () => {
  it("on generated policies: witnesses decide as claimed; never/always are never contradicted", () => {
    fc.assert(
      fc.property(
        policyText,
        fc.nat(),
        fc.constantFrom(...TOOLS, "unknown_tool"),
        fc.array(fc.tuple(requestParts, request), { minLength: 20, maxLength: 40 }),
        (text, pick, tool, samples) => {
          const p = compilePolicy(text, { readFile: null });
          const roles = [...p.ir.roles.keys()];
          const role = roles[pick % roles.length]!;
          const v = canRoleCall(p, role, tool);
          expectWitnesses(p, v, role);
          const scope = closure(p, role).join(",");
          const bases = [...Object.values(v.witness), { principal: { roles: [role] }, method: "tools/call" as const, tool }];
          for (const [parts, random] of samples) {
            for (const base of [...bases, { ...random, principal: { ...random.principal, roles: [role] }, method: "tools/call" as const, tool } as PolicyRequest]) {
              const req = vary(base, parts);
              const d = p.decide(req);
              if (d.roles.join(",") !== scope) continue;
              expect(contradicts(p, v, req, d), `${v.answer} ${role} ${tool}: ${JSON.stringify(req)} -> ${JSON.stringify(d.reasons)}`).toBe(false);
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it("on generated policies: whatMay's witnesses decide as claimed, and its never/always hold for that principal", () => {
    fc.assert(
      fc.property(policyText, request, fc.array(fc.tuple(requestParts, request), { minLength: 10, maxLength: 20 }), (text, who, samples) => {
        const p = compilePolicy(text, { readFile: null });
        const principal = who.principal as NonNullable<PolicyRequest["principal"]>;
        const report = whatMay(p, principal);
        const verdicts = [...report.tools, ...report.resources, ...report.prompts];
        for (const v of verdicts) expectWitnesses(p, v);
        const method = { tool: "tools/call", resource: "resources/read", prompt: "prompts/get" } as const;
        for (const v of verdicts) {
          for (const [parts, random] of samples) {
            const base = { ...random, method: method[v.target], [v.target]: v.name } as PolicyRequest;
            const req = { ...vary(base, parts), principal };
            expect(contradicts(p, v, req, p.decide(req)), `${v.answer} ${v.name}: ${JSON.stringify(req)}`).toBe(false);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("on generated policies: findings are never contradicted by decide and explain", () => {
    fc.assert(
      fc.property(policyText, fc.array(request, { minLength: 30, maxLength: 60 }), (text, reqs) => {
        const p = compilePolicy(text, { readFile: null });
        const found = analyzePolicy(p).findings;
        if (found.length === 0) return;
        const rule = (kind: string) => new Set(found.filter((f) => f.kind === kind).map((f) => f.rule));
        const never = new Set(found.filter((f) => f.kind === "never-fires" && f.message.includes("can never fire")).map((f) => f.rule));
        const neverAllow = rule("never-fires");
        const shadowed = rule("shadowed");
        const unreachable = new Set(found.filter((f) => f.kind === "unreachable-tool").map((f) => f.tool));
        const empty = new Set(found.filter((f) => f.kind === "grants-nothing").map((f) => f.role));
        for (const r of reqs as PolicyRequest[]) {
          const d = p.decide(r);
          const allowedBy = d.effect === "deny" ? [] : d.reasons.filter((x) => x.code === "allow_rule").map((x) => x.rule);
          for (const id of allowedBy) expect(neverAllow.has(id) || shadowed.has(id), `${id} allowed ${JSON.stringify(r)}`).toBe(false);
          if ((r.method ?? "tools/call") === "tools/call" && d.effect !== "deny") expect(unreachable.has(r.tool)).toBe(false);
          if (r.method !== "tools/list" && d.effect !== "deny" && d.reasons.some((x) => x.code === "allow_rule")) {
            const holders = d.roles.filter((x) => empty.has(x));
            if (holders.length === d.roles.length) expect(holders, JSON.stringify(r)).toEqual([]);
          }
          // (tools/list explains with the arguments unknown: "matched" there means "may match".)
          if (never.size > 0 && r.method !== "tools/list") for (const e of p.explain(r).rules) if (e.outcome === "matched") expect(never.has(e.rule), `${e.rule} matched`).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("on the bundled policies: every role x tool answer holds against varied requests", () => {
    for (const file of ["seed.mcppolicy", "github-agent.mcppolicy", "support-desk.mcppolicy", "data-platform.mcppolicy", "hardening.mcppolicy"]) {
      const p = load(file);
      const tools = [...new Set([...p.ir.tools.keys(), "some_other_tool"])];
      const verdicts = [...p.ir.roles.keys()].flatMap((role) => tools.map((tool) => canRoleCall(p, role, tool)));
      for (const v of verdicts) {
        expectWitnesses(p, v, v.role);
        expect(v.answer, `${file} ${v.role} ${v.name}`).not.toBe("unknown");
      }
      fc.assert(
        fc.property(fc.constantFrom(...verdicts), requestParts, (v, parts) => {
          for (const base of Object.values(v.witness)) {
            const req = vary(base, parts);
            const d = p.decide(req);
            if (d.roles.join(",") !== closure(p, v.role).join(",")) continue;
            expect(contradicts(p, v, req, d), `${file} ${v.answer} ${v.role} ${v.name}: ${JSON.stringify(req)}`).toBe(false);
          }
        }),
        { numRuns: 300 },
      );
    }
  });
});

describe("mcppolicy analyze (the CLI, as a process)", () => {
  const CLI = join(ROOT, "dist", "cli", "main.js");
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });

  it("reports no findings on the seed policy, exit 0", () => {
    const r = run(["analyze", "policies/seed.mcppolicy"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("analysed policies/seed.mcppolicy: 0 findings");
  });

  it("answers --can with the rules and an example request that decide confirms", () => {
    const r = run(["analyze", "policies/seed.mcppolicy", "--can", "developer:execute_command"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^can role `developer` call tool `execute_command`\? never$/m);
    expect(r.stdout).toContain("developer-no-changes");
    const j = run(["analyze", "policies/seed.mcppolicy", "--can", "admin:execute_command", "--format", "json"]);
    const doc = JSON.parse(j.stdout) as { can: Verdict };
    expect(doc.can.answer).toBe("with-approval");
    expect(load("seed.mcppolicy").decide(doc.can.witness.approval!).effect).toBe("require_approval");
  });

  it("usage errors exit 2 with a hint; --deny-findings exits 1 on findings", () => {
    const bad = run(["analyze", "policies/seed.mcppolicy", "--can", "develper:read_file"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("mcppolicy: unknown role 'develper' in --can (did you mean 'developer'?)");
    expect(run(["analyze", "policies/seed.mcppolicy", "--can", "developer"]).status).toBe(2);
    expect(run(["analyze"]).status).toBe(2);
    // A tool name no request can carry is a usage error, not a crash or an answer.
    const spaced = run(["analyze", "policies/seed.mcppolicy", "--can", "developer:read_file "]);
    expect([spaced.status, spaced.stderr]).toEqual([2, expect.stringContaining("starts or ends with white space")]);
    expect(run(["analyze", "policies/seed.mcppolicy", "--who", "read\u200bfile"]).status).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), "mcppolicy-analyze-"));
    try {
      const file = join(dir, "dead.mcppolicy");
      writeFileSync(file, 'policy "p"\nrole r {\n  allow tool t\n  allow tool u when client.tls and not client.tls\n}\n');
      const r = run(["analyze", file, "--deny-findings"]);
      expect(r.stdout).toContain("warning[A0001]: rule `r/2` can never fire: its condition can never be true");
      expect(r.stdout).toContain("dead.mcppolicy:4:3");
      expect(r.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("regression: server names compared in conditions", () => {
  it("a call allowed only on a server without a block is not claimed `never` (found by the property above)", () => {
    const p = compilePolicy(
      `policy "generated"\ndefault allow\ndeny tool read_file unless server.name == "upstream-a"\nrole dev {\n  allow tool read_file\n}\nserver "upstream-b" {\nlimit calls 7 per hour by principal\n}`,
      { readFile: null },
    );
    const v = canRoleCall(p, "dev", "read_file");
    expect(v.answer).not.toBe("never");
    expect(p.decide({ principal: { roles: ["dev"] }, method: "tools/call", tool: "read_file", server: { name: "upstream-a" } }).effect).toBe("allow");
    expectWitnesses(p, v, "dev");
  });
});
