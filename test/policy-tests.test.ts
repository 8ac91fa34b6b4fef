/**
 * Policy test files and `mcppolicy test`: the bundled policies' own tests (policies/*.test.yaml) pass
 * with full rule coverage when run as users run them (a child process), and the runner reports
 * failures, test-file mistakes, compile errors and coverage as documented, on the fixtures in
 * test/fixtures/policytest/. The text report of the fixtures is compared with a golden file
 * (UPDATE_GOLDEN=1 rewrites it). Assumes dist/ is built.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadPolicyTests, Policy, runPolicyTests, type Decision, type PolicyTestReport } from "mcppolicy";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const FIXTURES = "test/fixtures/policytest";
const fixture = (name: string) => `${FIXTURES}/${name}`;
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function run(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [CLI, "test", ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[]): { status: number | null; report: PolicyTestReport } {
  const r = run([...args, "--format", "json"]);
  return { status: r.status, report: JSON.parse(r.stdout) as PolicyTestReport };
}

function golden(file: string, actual: string) {
  const p = path.join(ROOT, FIXTURES, file);
  if (UPDATE || !existsSync(p)) {
    if (!UPDATE && process.env.CI) throw new Error(`missing golden ${p}`);
    writeFileSync(p, actual);
  }
  expect(actual).toBe(readFileSync(p, "utf8"));
}

describe("the bundled policies' tests", () => {
  it("every policy in policies/ has a test file beside it", () => {
    const policies = readdirSync(path.join(ROOT, "policies")).filter((f) => f.endsWith(".mcppolicy"));
    expect(policies.length).toBeGreaterThanOrEqual(5);
    for (const p of policies) expect(existsSync(path.join(ROOT, "policies", p.replace(/\.mcppolicy$/, ".test.yaml"))), p).toBe(true);
  });

  it("`mcppolicy test policies/` passes every case, exit 0", () => {
    const r = run(["policies/"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain("✗");
    expect(r.stdout).toMatch(/^tests: \d+ passed, 0 failed \(12 files\)$/m);
    expect(r.stdout).toMatch(/^rules: (\d+)\/\1 exercised \(100%\)$/m);
  });

  it("exercises every rule, argument check and approval of every bundled policy", () => {
    const { status, report } = json(["policies", "--min-coverage", "100"]);
    expect(status).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.coverage.map((c) => [c.policy, c.percent])).toEqual(
      ["agentdojo/banking", "agentdojo/slack", "agentdojo/travel", "agentdojo/workspace", "data-platform", "filesystem", "github-agent", "github", "hardening", "postgres", "seed", "support-desk"].map((n) => [`policies/${n}.mcppolicy`, 100]),
    );
    expect(report.summary.passed).toBeGreaterThanOrEqual(150);
    expect(report.summary.failed).toBe(0);
  });

  it("with no path, searches the current directory", () => {
    const r = run([], path.join(ROOT, "policies"));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("seed.test.yaml (seed.mcppolicy)");
  });
});

describe("mcppolicy test on fixtures", () => {
  it("passing cases, a skipped case, and the rules no case exercised with file:line", () => {
    const r = run([fixture("mini.test.yaml")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("  ✓ dev may not rm");
    expect(r.stdout).toContain("  - not written yet (skipped: waiting for the ops runbook)");
    expect(r.stdout).toContain(`${fixture("mini.mcppolicy")}: 4/6 exercised (66%), not exercised:`);
    expect(r.stdout).toMatch(new RegExp(`^ {4}ops/1 +allow rule +${fixture("mini.mcppolicy")}:13$`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^ {4}tool:read_file/args +arguments +${fixture("mini.mcppolicy")}:17$`, "m"));
    expect(r.stdout).toContain("tests: 5 passed, 0 failed, 1 skipped (1 file)");
  });

  it("a failing case: exit 1, what differed, the decision and where the case is", () => {
    const r = run([fixture("failing.test.yaml")]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("  ✓ dev reads a file");
    expect(r.stdout).toContain("  ✗ dev may rm (wrong)");
    expect(r.stdout).toContain(`      at ${fixture("failing.test.yaml")}:10:5`);
    expect(r.stdout).toContain("      effect: expected allow, got deny");
    expect(r.stdout).toContain("          - [deny_rule] dev/2: no rm");
    expect(r.stdout).toContain("      rule: expected ops/1 among the reasons' rules, got tool:read_file/args");
    expect(r.stdout).toContain("      roles: expected [dev], got [ops]");
    expect(r.stdout).toContain("tests: 1 passed, 2 failed (1 file)");
  });

  it("text report golden (two files, one policy: coverage is merged)", () => {
    const r = run([fixture("mini.test.yaml"), fixture("failing.test.yaml")]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${fixture("mini.mcppolicy")}: 6/6 exercised (100%)`);
    golden("report.golden.txt", r.stdout);
  });

  it("a malformed test file: exit 2, every mistake with file:line:column, no case run", () => {
    const r = run([fixture("malformed.test.yaml"), fixture("mini.test.yaml")]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    const f = fixture("malformed.test.yaml");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toEqual([
      `mcppolicy: ${f}:2:1: unknown key 'defualts' in the test file (did you mean 'defaults'?)`,
      `mcppolicy: ${f}:5:5: case 'a typo in a key' needs an \`expect\` (allow, deny, require_approval, or a mapping)`,
      `mcppolicy: ${f}:7:5: unknown key 'expct' in a case (did you mean 'expect'?)`,
      `mcppolicy: ${f}:10:13: \`expect\` must be one of 'allow', 'deny', 'require_approval'`,
      `mcppolicy: ${f}:13:35: ${fixture("mini.mcppolicy")} has no rule 'dev/3' (did you mean 'dev/1'?)`,
      `mcppolicy: ${f}:15:62: unknown key 'argument' in the request (did you mean 'arguments'?)`,
      `mcppolicy: ${f}:18:14: \`request\` must be a mapping (a request: principal, tool, arguments, ...)`,
      expect.stringMatching(new RegExp(`^mcppolicy: ${f}:22:38: \`reason\` must be one of 'allow_rule', `)),
      `mcppolicy: ${f}:22:59: \`visibility\` must be one of 'always', 'never', 'depends'`,
      "mcppolicy: 9 errors in test files; no case was run",
    ]);
  });

  it("invalid YAML and a missing policy are test-file errors (exit 2)", () => {
    const yaml = run([fixture("bad-yaml.test.yaml")]);
    expect(yaml.status).toBe(2);
    expect(yaml.stderr).toMatch(new RegExp(`^mcppolicy: ${fixture("bad-yaml.test.yaml")}:5:5: invalid YAML: `));
    const missing = run([fixture("missing-policy.test.yaml")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`${fixture("missing-policy.test.yaml")}:1:9: cannot read the policy '${fixture("nowhere.mcppolicy")}': no such file`);
  });

  it("a policy that does not compile: its diagnostics on stderr, exit 1, the other files still run", () => {
    const r = run([fixture("broken.test.yaml"), fixture("mini.test.yaml")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[E0105\]: unknown attribute `principal\.idd`/);
    expect(r.stderr).toContain(`--> ${fixture("broken.mcppolicy")}:2:`);
    expect(r.stdout).toContain("  ✗ the policy does not compile (diagnostics on stderr); no case ran");
    expect(r.stdout).toContain("tests: 5 passed, 0 failed, 1 skipped (2 files); 1 file not run: the policy does not compile");
  });

  it("--min-coverage fails a policy below it", () => {
    expect(run([fixture("mini.test.yaml"), "--min-coverage", "60"]).status).toBe(0);
    const r = run([fixture("mini.test.yaml"), "--min-coverage=90%"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`coverage below --min-coverage 90%: ${fixture("mini.mcppolicy")} (66%)`);
    for (const bad of ["abc", "150", "-1", ""]) {
      const u = run([fixture("mini.test.yaml"), `--min-coverage=${bad}`]);
      expect(u.status, bad).toBe(2);
      expect(u.stderr).toMatch(/^mcppolicy: invalid value .* for '--min-coverage'/);
    }
  });

  it("--format json: the whole report", () => {
    const { status, report } = json([fixture("failing.test.yaml")]);
    expect(status).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([]);
    expect(report.summary).toEqual({ files: 1, passed: 1, failed: 2, skipped: 0, broken: 0, exercised: 4, total: 6, percent: 66 });
    const [file] = report.files;
    expect(file?.file).toBe(fixture("failing.test.yaml"));
    expect(file?.policy).toBe(fixture("mini.mcppolicy"));
    expect(file?.cases.map((c) => [c.name, c.status, c.at.line])).toEqual([
      ["dev reads a file", "passed", 7],
      ["dev may rm (wrong)", "failed", 10],
      ["ops reads outside the root (wrong rule and roles)", "failed", 13],
    ]);
    expect(file?.cases[1]?.expected).toEqual({ effect: "allow" });
    expect(file?.cases[1]?.decision?.effect).toBe("deny");
    expect(file?.cases[1]?.failures).toEqual(["effect: expected allow, got deny"]);
    const cov = report.coverage[0];
    expect(cov?.items.find((i) => i.id === "dev/2")).toMatchObject({ kind: "rule", effect: "deny", line: 9, exercisedBy: [`${fixture("failing.test.yaml")}:10 dev may rm (wrong)`] });
    expect(cov?.items.find((i) => i.id === "tool:deploy/approval")).toMatchObject({ kind: "approval", line: 21, exercisedBy: [] });
  });

  it("--format junit: one testsuite per file, failures with their message", () => {
    const r = run([fixture("failing.test.yaml"), fixture("mini.test.yaml"), "--format", "junit"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="mcppolicy test" tests="9" failures="2" errors="0" skipped="1">/);
    expect(r.stdout).toContain(`<testsuite name="${fixture("failing.test.yaml")}" tests="3" failures="2" errors="0" skipped="0">`);
    expect(r.stdout).toContain('<failure message="effect: expected allow, got deny">');
    expect(r.stdout).toContain('<skipped message="waiting for the ops runbook"/>');
  });

  it("usage errors: exit 2 with a message", () => {
    const none = run([path.join(ROOT, "src", "cli")]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^mcppolicy: no \.test\.yaml or \.test\.yml files in directory /);
    expect(run([fixture("nope.test.yaml")]).stderr).toMatch(/^mcppolicy: cannot read '.*nope\.test\.yaml': no such file/);
    expect(run(["--format", "tap", fixture("mini.test.yaml")]).status).toBe(2);
    const policy = run(["policies/seed.mcppolicy"]);
    expect(policy.status).toBe(2);
    expect(policy.stderr).toMatch(/^mcppolicy: 'policies\/seed\.mcppolicy' is a policy, not a test file: pass its test file \(policies\/seed\.test\.yaml\)/);
    const help = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    expect(help.stdout).toMatch(/^\s+test \[file-or-dir\]\.\.\./m);
    expect(run(["--help"]).stdout).toContain("Usage: mcppolicy test");
  });
});

describe("the library", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("reads everything through the host's reader: test file, policy and its imports", () => {
    const files: Record<string, string> = {
      "/p/app.test.yaml": "defaults: { client: { ip: 10.1.2.3 } }\ncases:\n  - name: in corp\n    request: { principal: { roles: [dev] }, tool: x }\n    expect: { effect: allow, rule: dev/1 }\n",
      "/p/app.mcppolicy": 'policy "app"\nimport "./lib/nets.mcppolicy"\nrole dev { allow tool x when client.ip in corp }\n',
      "/p/lib/nets.mcppolicy": 'policy "nets"\nset corp: cidr = ["10.0.0.0/8"]\n',
    };
    const readFile = (p: string) => {
      const text = files[p];
      if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return text;
    };
    const report = runPolicyTests(["/p/app.test.yaml"], { readFile });
    expect(report.ok).toBe(true);
    expect(report.summary).toMatchObject({ passed: 1, failed: 0, exercised: 1, total: 1 });
    expect(loadPolicyTests("/p/app.test.yaml", readFile).tests?.cases[0]?.request).toEqual({ client: { ip: "10.1.2.3" }, principal: { roles: ["dev"] }, tool: "x" });
  });

  it("a case whose compiled and interpreted decisions differ fails, whatever it expected", () => {
    const real = Policy.prototype.interpret;
    vi.spyOn(Policy.prototype, "interpret").mockImplementation(function (this: Policy, req) {
      const d = real.call(this, req);
      return { ...d, effect: d.effect === "allow" ? "deny" : "allow" } as Decision;
    });
    const report = runPolicyTests([path.join(ROOT, fixture("mini.test.yaml"))]);
    const c = report.files[0]?.cases[0];
    expect(c?.status).toBe("failed");
    expect(c?.failures[0]).toContain("the compiled function and the interpreter disagree");
    expect(c?.disagreement?.decide.effect).toBe("allow");
    expect(c?.disagreement?.interpret.effect).toBe("deny");
  });
});

describe("test files next to policies do not disturb `mcppolicy check`", () => {
  it("check policies/ reads only *.mcppolicy", () => {
    const r = spawnSync(process.execPath, [CLI, "check", "policies/"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^checked \d+ files: 0 errors, 0 warnings$/);
  });

  it("a test file in a temporary directory, found by the recursive walk", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-tests-"));
    try {
      writeFileSync(path.join(dir, "p.mcppolicy"), 'policy "p"\nrole a { allow tool t }\n');
      writeFileSync(path.join(dir, "p.test.yml"), "cases:\n  - name: a calls t\n    request: { principal: { roles: [a] }, tool: t }\n    expect: allow\n");
      const r = run([dir]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("tests: 1 passed, 0 failed (1 file)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
