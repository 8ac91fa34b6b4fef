/**
 * The fast-check kit `mcppolicy/testing`, imported by package name as users do: its properties hold
 * on the bundled policies and fail, with a shrunk request printed as JSON, on deliberately broken ones;
 * equivalence finds a one-rule difference and none in a reordered copy; the arbitraries really reach
 * the boundaries (length limits, range ends, CIDR edges, sandbox roots), both sides of every argument
 * check, derived roles, every method and annotation combination.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, METHODS, type Decision, type Policy, type PolicyRequest } from "mcppolicy";
import * as kit from "mcppolicy/testing";
import { always, arbitraries, assertEquivalent, equivalence, findDifference, forAllRequests, isInside, never, PolicyPropertyError, toolsListMatchesCalls } from "mcppolicy/testing";

const ROOT = join(import.meta.dirname, "..");
const read = (name: string) => readFileSync(join(ROOT, "policies", name), "utf8");
const compile = (source: string, name = "test.mcppolicy") => compilePolicy(source, { filename: join(ROOT, "policies", name) });
const SEED_SOURCE = read("seed.mcppolicy");
const seed = compile(SEED_SOURCE, "seed.mcppolicy");
const BUNDLED = ["seed", "hardening", "data-platform", "github-agent", "support-desk"].map((n) => [n, compile(read(`${n}.mcppolicy`), `${n}.mcppolicy`)] as const);

/** Replace text that must occur exactly once (a silent no-op edit would make a test vacuous). */
function edit(source: string, from: string, to: string): string {
  expect(source.split(from).length - 1, `\`${from}\` occurs once`).toBe(1);
  return source.replace(from, to);
}

function thrown(f: () => void): PolicyPropertyError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyPropertyError);
    return err as PolicyPropertyError;
  }
  throw new Error("expected the property to fail");
}

const sample = <T>(arb: fc.Arbitrary<T>, numRuns = 2000, seedValue = 42) => fc.sample(arb, { numRuns, seed: seedValue });

// The seed policy, broken: developers may now run commands (with approval).
const DEVELOPER_RUNS_COMMANDS = edit(
  edit(SEED_SOURCE, "tool read_file, search_code, run_tests", "tool read_file, search_code, run_tests, execute_command"),
  "tool execute_command, write_file, delete_file",
  "tool write_file, delete_file",
);

describe("mcppolicy/testing: the package entry", () => {
  it("exports the documented API", () => {
    expect(Object.keys(kit).sort()).toEqual(
      [
        "ALL_HOSTILE_STRINGS",
        "DEFAULT_RUNS",
        "HOSTILE_STRINGS",
        "PolicyPropertyError",
        "always",
        "arbitraries",
        "assertEquivalent",
        "cidrEdges",
        "describeScenario",
        "equivalence",
        "findDifference",
        "forAllRequests",
        "hostileString",
        "isInside",
        "never",
        "respellings",
        "sameEffect",
        "toolsListMatchesCalls",
      ].sort(),
    );
  });
});

describe("property helpers", () => {
  it("hold on the seed policy: only admins reach execute_command; read_file stays in /workspace", () => {
    never(seed, { tool: "execute_command", lacking: "admin" }, ["allow", "require_approval"], { numRuns: 500 });
    forAllRequests(seed, { tool: "read_file" }, (r, d) => d.effect !== "allow" || isInside(r.arguments?.path, "/workspace"), { numRuns: 500 });
    always(seed, { tool: "execute_command", holding: "admin", lacking: "developer" }, "require_approval", { numRuns: 300 });
  });

  it.each(BUNDLED)("tools/list agrees with tools/call on %s", (_name, policy) => {
    toolsListMatchesCalls(policy, { numRuns: 400 });
  });

  it("tools/list agreement fails when tools/list and tools/call disagree, in either direction", () => {
    // A host wrapper that answers tools/list on its own, wrongly.
    const listing = (visibility: "never" | "always", tool: string): Policy => {
      const wrapped = Object.create(seed) as Policy;
      wrapped.decide = (r) => (r.method === "tools/list" && r.tool === tool ? { ...seed.decide(r), effect: visibility === "never" ? "deny" : "allow", visibility } : seed.decide(r));
      return wrapped;
    };
    const hides = thrown(() => toolsListMatchesCalls(listing("never", "read_file"), { seed: 4 }));
    expect(hides.message).toContain("tools/list hides `read_file` (visibility `never`), but this call is `allow`");
    expect(hides.decisions["tools/list"]?.visibility).toBe("never");
    const shows = thrown(() => toolsListMatchesCalls(listing("always", "execute_command"), { seed: 4 }));
    expect(shows.message).toContain("tools/list shows `execute_command` as always allowed, but this call, whose arguments are valid, is");
    expect(shows.request?.tool).toBe("execute_command");
  });

  it("fail on a broken policy with the shrunk request printed as JSON, and replay from the printed seed and path", () => {
    const broken = compile(DEVELOPER_RUNS_COMMANDS);
    const err = thrown(() => never(broken, { tool: "execute_command", lacking: "admin" }, ["allow", "require_approval"], { seed: 7 }));
    const minimal: PolicyRequest = { principal: { roles: ["developer"] }, method: "tools/call", tool: "execute_command" };
    expect(err.request).toEqual(minimal);
    expect(err.message).toContain(`request:\n${JSON.stringify(minimal, null, 2)}\n`);
    expect(err.message).toContain("never `allow` or `require_approval` for tools/call of `execute_command` by principals lacking `admin`");
    expect(err.message).toContain('"effect": "require_approval"');
    expect(err.decisions.decision?.effect).toBe("require_approval");
    expect(broken.decide(JSON.parse(JSON.stringify(err.request)) as PolicyRequest).effect).toBe("require_approval");
    const replay = thrown(() => never(broken, { tool: "execute_command", lacking: "admin" }, ["allow", "require_approval"], { seed: err.seed, path: err.path! }));
    expect(replay.request).toEqual(err.request);
  });

  it("find the traversal a pattern-only path check lets through", () => {
    // The guide's naive schema: dots and slashes allowed, so `../` passes.
    const naive = compile(edit(SEED_SOURCE, 'path: path(root: "/workspace", maxLength: 256)', 'path: string(pattern: "^[a-zA-Z0-9_/\\\\-.]+$", maxLength: 256)'));
    const err = thrown(() =>
      forAllRequests(naive, { tool: "read_file" }, (r, d) => d.effect !== "allow" || isInside(r.arguments?.path, "/workspace"), { seed: 3 }),
    );
    expect(err.decisions.decision?.effect).toBe("allow");
    expect(isInside(err.request?.arguments?.path, "/workspace")).toBe(false);
    expect(err.message).toContain(JSON.stringify(err.request, null, 2));
    expect(err.message).toContain("the predicate returned false");
  });

  it("report a predicate that throws, with its message", () => {
    const err = thrown(() =>
      forAllRequests(seed, { tool: "read_file", holding: "developer" }, (_r, d) => expect(d.effect).toBe("allow"), { seed: 1, numRuns: 200 }),
    );
    expect(err.message).toMatch(/the predicate threw: expected '(deny|require_approval)' to be 'allow'/);
  });

  it("judge `lacking` on the roles a decision holds, derived ones included", () => {
    const derived = compile(`policy "derived"
      role operator { allow tool deploy }
      role admin { member when has principal.claims.level and principal.claims.level >= 9
                   allow tool deploy, execute_command }
      tool execute_command { risk critical }`);
    never(derived, { tool: "execute_command", lacking: "admin" }, "allow", { numRuns: 300 });
    // Filtering on the host's role list only is not the same: a claim makes the principal an admin.
    const err = thrown(() => never(derived, { tool: "execute_command", principal: (p) => !p.roles?.includes("admin") }, "allow", { seed: 2 }));
    expect(err.request?.principal?.claims).toEqual({ level: 9 });
    expect(err.decisions.decision?.roles).toContain("admin");
  });

  it("follow Errors deny: a deny brought by an erring `member when` (a claim \"true\" where true was meant) is never skipped", () => {
    const suspended = compile(`policy "suspended"
      role user { allow tool read_file }
      role suspended { member when principal.claims.suspended == true
                       deny tool "*" because "suspended" }`);
    // Only a principal whose claim is the boolean false may read: every other value (absent, "true", 7) denies.
    forAllRequests(
      suspended,
      { tool: "read_file", holding: "user" },
      (r, d) => d.effect !== "allow" || (r.principal?.claims as { suspended?: unknown } | undefined)?.suspended === false,
      { numRuns: 400 },
    );
    toolsListMatchesCalls(suspended, { numRuns: 300 });
    // The kit reaches the type-confused claim: "read_file is denied to suspended principals" fails on `"true"`.
    const err = thrown(() => forAllRequests(suspended, { tool: "read_file", holding: "user" }, (_r, d) => d.reasons[0]?.code !== "evaluation_error", { seed: 3, numRuns: 400 }));
    expect(err.decisions.decision?.reasons[0]).toMatchObject({ code: "evaluation_error", rule: "suspended/1" });
  });

  it("tools/list agrees with calls when a `member when` reads the arguments (held for some calls only)", () => {
    const byAmount = compile(`policy "by-amount"
      role user { allow tool "*" }
      role big_spender { member when args.amount > 100
                         deny tool wire because "large transfers" }
      role payer { member when args.amount < 10
                   allow tool pay }
      tool wire { args { amount: number } }
      tool pay { args { amount: number } }`);
    // Before: tools/list erred on the missing arguments and hid `wire` (never) though small wires are
    // allowed, and showed `pay` as no_role to a principal whom small payments are allowed.
    toolsListMatchesCalls(byAmount, { numRuns: 400 });
    expect(byAmount.decide({ method: "tools/list", principal: { roles: ["user"] }, tool: "wire" }).visibility).toBe("depends");
    expect(byAmount.decide({ method: "tools/list", principal: {}, tool: "pay" }).visibility).toBe("depends");
  });

  it("tools/list is not `always` when an allow that reads the arguments may err on them (an erring allow denies)", () => {
    const twoAllows = compile(`policy "two-allows"
      role user { allow tool wire
                  allow tool wire when args.n > 1 }`);
    // Before: \`always\`, though a call without \`n\` (valid: wire has no args block) is evaluation_error.
    toolsListMatchesCalls(twoAllows, { numRuns: 300 });
    expect(twoAllows.decide({ method: "tools/list", principal: { roles: ["user"] }, tool: "wire" }).visibility).toBe("depends");
  });

  it("refuse a scenario with a role or tool the policy does not know (a typo would hold vacuously)", () => {
    expect(() => never(seed, { tool: "execute_comand" }, "allow")).toThrow(/tool `execute_comand`, which the policy neither declares nor names/);
    expect(() => never(seed, { tool: "execute_command", lacking: "admn" }, "allow")).toThrow(/role `admn`, which the policy does not declare/);
  });

  it("fail, rather than pass vacuously, when a scenario's filters leave no request to check", () => {
    const err = thrown(() => never(seed, { tool: "read_file", where: () => false }, "allow", { numRuns: 100 }));
    expect(err.request).toBeUndefined();
    expect(err.message).toContain("the run could not check enough requests");
  });

  it("isInside reads paths the plain POSIX way", () => {
    expect(isInside("src/a.ts", "/workspace")).toBe(true);
    expect(isInside("/workspace", "/workspace")).toBe(true);
    expect(isInside("a/../../workspace/b", "/workspace")).toBe(true);
    expect(isInside("../x", "/workspace")).toBe(false);
    expect(isInside("/workspace-evil/a", "/workspace")).toBe(false);
    expect(isInside(42, "/workspace")).toBe(false);
  });
});

describe("equivalence", () => {
  // The seed policy reordered (tools first, roles in another order, sets last), reformatted, uncommented.
  const REORDERED = `
    policy "seed" version "1.0.0"
    default deny
    audit { redact password, token, secret, api_key, authorization }
    limit tokens input 500000 output 100000 by session
    limit rate 60 per minute burst 10 by client
    tool fetch_url { risk medium args { url: url(schemes: ["https"], hosts: allowed_domains, deny: blocked_cidrs) } }
    tool query_database { risk medium args {
      database: enum("analytics", "public_catalog"), parameters?: array(string | number | boolean, maxItems: 20),
      query: sql(readonly: true, dialect: "postgresql", unions: false, maxLength: 2048) } }
    tool read_file { risk low args { path: path(root: "/workspace", maxLength: 256) } }
    tool write_file { risk high approval required }
    tool execute_command { risk critical approval required limit calls 5 by session }
    role readonly-agent { allow tool query_database, list_directory, read_file }
    role admin { allow tool "*" }
    role developer {
      deny tool delete_file, write_file, execute_command because "developers may not run commands or change files"
      allow tool run_tests, search_code, read_file
    }
    set allowed_domains: domain = ["registry.npmjs.org", "api.github.com"]
    set blocked_cidrs: cidr = ["fd00::/8", "169.254.169.254/32", "127.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8"]
  `;

  it("finds no difference between a policy and a reordered, reformatted copy", () => {
    const report = equivalence(seed, compile(REORDERED), { numRuns: 1000 });
    expect(report.equivalent, report.summary).toBe(true);
    expect(report.summary).toMatch(/^no difference between policies "seed" and "seed" in 1000 requests \(seed -?\d+\)$/);
    expect(findDifference(seed, compile(REORDERED), { numRuns: 300 })).toBeUndefined();
  });

  it("finds a one-rule difference and shrinks it", () => {
    const changed = compile(edit(SEED_SOURCE, "tool read_file, list_directory, query_database", "tool read_file, list_directory, query_database, write_file"));
    const d = findDifference(seed, changed, { seed: 1 });
    expect(d?.request).toEqual({ principal: { roles: ["readonly-agent"] }, method: "tools/call", tool: "write_file" });
    expect([d?.a.effect, d?.b.effect]).toEqual(["deny", "require_approval"]);
    const err = thrown(() => assertEquivalent(seed, changed, { seed: 1 }));
    expect(err.message).toContain('policies "seed" and "seed" decide differently');
    expect(err.message).toContain(JSON.stringify(d?.request, null, 2));
    expect(err.message).toContain("a decides `deny`, b decides `require_approval`");
  });

  it("finds an off-by-one in a length limit, at the boundary", () => {
    const shorter = compile(edit(SEED_SOURCE, 'path(root: "/workspace", maxLength: 256)', 'path(root: "/workspace", maxLength: 255)'));
    const d = findDifference(seed, shorter, { seed: 1 });
    expect(d?.request.tool).toBe("read_file");
    expect([...String(d?.request.arguments?.path)].length).toBe(256);
    expect([d?.a.effect, d?.b.reasons[0]?.code]).toEqual(["allow", "invalid_argument"]);
  });

  it("lets the caller say what counts as the same decision", () => {
    // Budget ids are the same here, and reason rule ids are not (rules are numbered in order).
    const differentIds = equivalence(seed, compile(REORDERED), { seed: 5, same: (a: Decision, b: Decision) => JSON.stringify(a.reasons) === JSON.stringify(b.reasons) });
    expect(differentIds.equivalent).toBe(false);
    expect(differentIds.summary).toContain("request:");
  });
});

describe("arbitraries", () => {
  const edges = compile(`policy "edges"
    set corp: cidr = ["10.20.0.0/16", "fd12::/16"]
    role user { allow tool probe when client.ip in corp }
    tool probe { args {
      name: string(maxLength: 8), count?: integer(min: 1, max: 10), ratio?: number(min: 0.5, max: 2),
      host?: ip(deny: ["10.0.0.0/8", "fd00::/8"]), file?: path(root: "/ws"), kind?: enum("a", "b"),
      link?: url(schemes: ["https"], hosts: ["*.example.com"]), items?: array(string, minItems: 1, maxItems: 3)
    } }`);
  const arb = arbitraries(edges);
  const args = sample(arb.arguments("probe"), 3000);
  const values = (k: string) => args.filter((a) => k in a).map((a) => a[k]);

  it("reach string length limits and the lengths just past them (in code points)", () => {
    const lengths = new Set(values("name").filter((v): v is string => typeof v === "string").map((s) => [...s].length));
    expect(lengths).toContain(8);
    expect(lengths).toContain(9);
    expect(values("name")).toContain("\u{1F600}".repeat(8));
    const b = arb.boundaries("probe", "name");
    expect(b.inside).toContain("a".repeat(8));
    expect(b.outside).toContain("a".repeat(9));
  });

  it("reach range ends and their neighbours", () => {
    for (const n of [1, 10, 0, 11, 1.5]) expect(values("count")).toContain(n);
    const ratio = values("ratio");
    for (const n of [0.5, 2, 0.49999999999999994, 2.0000000000000004]) expect(ratio).toContain(n);
  });

  it("reach the first and last address of each CIDR range, and the addresses just outside", () => {
    for (const ip of ["10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0", "fd00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::"]) {
      expect(values("host")).toContain(ip);
    }
    expect(values("host")).toContain("::ffff:10.0.0.0");
    const b = arb.boundaries("probe", "host");
    expect(b.outside).toEqual(expect.arrayContaining(["10.0.0.0", "10.255.255.255", "167772160"]));
    expect(b.inside).toEqual(expect.arrayContaining(["9.255.255.255", "11.0.0.0"]));
    // client.ip is drawn from the edges of the sets the conditions test it against.
    const ips = sample(arb.client, 500).map((c) => c.ip);
    for (const ip of ["10.20.0.0", "10.20.255.255", "10.19.255.255", "10.21.0.0"]) expect(ips).toContain(ip);
    expect(kit.cidrEdges("192.168.0.0/16")).toEqual({ cidr: "192.168.0.0/16", first: "192.168.0.0", last: "192.168.255.255", before: "192.167.255.255", after: "192.169.0.0" });
  });

  it("reach sandbox roots, escapes, enum members and near misses, hosts under a wildcard and not", () => {
    for (const p of ["/ws", "/ws/a.txt", "/ws-evil/a", "../a", "%2e%2e/a", "..\\a"]) expect(values("file")).toContain(p);
    for (const k of ["a", "b", "A", "a "]) expect(values("kind")).toContain(k);
    for (const u of ["https://a.example.com/x", "https://example.com/x", "https://a.example.com@evil.example/"]) expect(values("link")).toContain(u);
    const counts = values("items").filter(Array.isArray).map((a) => a.length);
    for (const n of [0, 1, 3, 4]) expect(counts).toContain(n);
  });

  it("make calls that pass and fail the argument checks, in both directions", () => {
    for (const [, policy] of BUNDLED) {
      const gen = arbitraries(policy);
      for (const tool of policy.ir.tools.keys()) {
        if (!policy.ir.tools.get(tool)?.args) continue;
        const codes = new Set(sample(gen.callTo(tool), 400, 3).map((r) => {
          const d = policy.decide({ ...r, principal: { roles: [...policy.ir.roles.keys()] }, client: { ip: "10.20.5.1", tls: true, mtls: true } });
          return d.reasons.some((x) => x.code === "invalid_argument") ? "invalid" : d.effect === "deny" ? "denied" : "passed";
        }));
        expect([policy.name, tool, codes.has("invalid")]).toEqual([policy.name, tool, true]);
        expect([policy.name, tool, codes.has("passed") || codes.has("denied")]).toEqual([policy.name, tool, true]);
      }
    }
    const seedCodes = new Set(sample(arbitraries(seed).callTo("read_file"), 500).map((r) => seed.decide({ ...r, principal: { roles: ["developer"] } }).effect));
    expect(seedCodes).toEqual(new Set(["allow", "deny"]));
  });

  it("make principals that hold roles derived from scopes and claims, and roles the policy does not know", () => {
    const [, github] = BUNDLED.find(([n]) => n === "github-agent")!;
    const requests = sample(arbitraries(github).request, 2000);
    const derived = new Set(requests.flatMap((r) => github.decide(r).roles.filter((x) => !r.principal?.roles?.includes(x))));
    expect(derived).toEqual(new Set(["reader", "writer", "maintainer"]));
    expect(requests.some((r) => r.principal?.roles?.includes("ghost"))).toBe(true);
    expect(requests.some((r) => r.principal?.claims?.org === "acme")).toBe(true);
  });

  it("cover every method, every annotation combination, unknown tools, hostile strings; times only when read", () => {
    const requests = sample(arbitraries(seed).request, 3000);
    expect(new Set(requests.map((r) => r.method))).toEqual(new Set(METHODS));
    const combos = new Set(requests.map((r) => r.annotations).filter((a) => a && Object.keys(a).length === 4).map((a) => JSON.stringify(a)));
    expect(combos.size).toBe(16);
    expect(requests.some((r) => r.tool === "unknown_tool")).toBe(true);
    const strings = requests.flatMap((r) => Object.values(r.arguments ?? {}));
    expect(strings.some((s) => (kit.ALL_HOSTILE_STRINGS as unknown[]).includes(s))).toBe(true);
    expect(requests.every((r) => r.time === undefined)).toBe(true);
    const [, desk] = BUNDLED.find(([n]) => n === "support-desk")!;
    const hours = new Set(sample(arbitraries(desk).request, 1000).map((r) => (typeof r.time === "number" ? new Date(r.time).getUTCHours() : -1)));
    for (const h of [7, 8, 17, 18]) expect(hours).toContain(h);
  });

  it("make plain JSON requests: they print and read back unchanged", () => {
    for (const [, policy] of BUNDLED) {
      for (const r of sample(arbitraries(policy).request, 300)) {
        const back = JSON.parse(JSON.stringify(r)) as PolicyRequest;
        expect(back).toEqual(r);
        expect(policy.decide(back)).toEqual(policy.decide(r));
      }
    }
  });
});

