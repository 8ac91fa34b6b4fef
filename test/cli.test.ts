/**
 * The CLI, run as users run it: `node dist/cli/main.js ...` in a child process, from the repository
 * root. Asserts stdout, stderr and exit codes. Policies are small inline texts written to a temp
 * directory, so these tests depend on no other policy file. Assumes dist/ is built.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist", "cli", "main.js");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", input, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CLEAN = `policy "cli-test" version "1.0.0"
default deny

role dev {
  allow tool read_file
  deny tool rm because "no rm"
}

role ops {
  allow tool "*"
}

tool deploy {
  risk high
  approval required
}
`;

// An unknown attribute (line 4) and an unknown name (line 5).
const BROKEN = `policy "broken"
default deny
role dev {
  allow tool read_file when principal.idd == "x"
  allow tool search when unknown_set
}
`;

const WARNS = `policy "warns"
default allow
role dev { allow tool read_file }
`;

let dir: string;
let clean: string;
let broken: string;
let warns: string;
const req = (name: string, body: unknown) => {
  const p = path.join(dir, "requests", name);
  writeFileSync(p, typeof body === "string" ? body : JSON.stringify(body));
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-cli-"));
  mkdirSync(path.join(dir, "ok", "nested"), { recursive: true });
  mkdirSync(path.join(dir, "requests"));
  mkdirSync(path.join(dir, "empty"));
  clean = path.join(dir, "ok", "clean.mcppolicy");
  writeFileSync(clean, CLEAN);
  writeFileSync(path.join(dir, "ok", "nested", "another.mcppolicy"), CLEAN.replace("cli-test", "another"));
  writeFileSync(path.join(dir, "ok", "notes.txt"), "not a policy");
  broken = path.join(dir, "broken.mcppolicy");
  writeFileSync(broken, BROKEN);
  warns = path.join(dir, "warns.mcppolicy");
  writeFileSync(warns, WARNS);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const devRead = { principal: { id: "a", roles: ["dev"] }, tool: "read_file", arguments: {} };
const devRm = { principal: { id: "a", roles: ["dev"] }, tool: "rm" };
const opsDeploy = { principal: { id: "o", roles: ["ops"] }, tool: "deploy" };

describe("help and version", () => {
  it("--help prints usage, the commands and the exit codes, exit 0", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage:");
    for (const c of ["check", "eval", "explain"]) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/^\s*3\s+eval: the decision is deny/m);
    expect(r.stdout).toMatch(/^\s*4\s+eval: the decision is require_approval/m);
  });

  it("<command> --help prints that command's help, even with other arguments", () => {
    const r = run(["eval", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: mcppolicy eval");
    expect(r.stdout).toMatch(/^\s*4\s+require_approval/m);
    const c = run(["check", "no-such-file", "--bogus", "-h"]);
    expect(c.status).toBe(0);
    expect(c.stdout).toContain("Usage: mcppolicy check");
    expect(run(["help", "explain"]).stdout).toContain("Usage: mcppolicy explain");
  });

  it("--version prints package.json's version", () => {
    const version = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    const r = run(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`mcppolicy ${version}`);
  });

  it("no arguments: usage on stderr, exit 2", () => {
    const r = run([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Usage:");
    expect(r.stdout).toBe("");
  });
});

describe("check", () => {
  it("a clean policy: exit 0 and a summary line", () => {
    const r = run(["check", clean]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("checked 1 file: 0 errors, 0 warnings");
  });

  it("a policy with errors: exit 1, rustc-style diagnostics with a caret line", () => {
    const r = run(["check", broken]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/error\[E\d+\]: unknown attribute `principal\.idd`/);
    expect(r.stdout).toContain(`--> ${broken}:4:`);
    expect(r.stdout).toMatch(/^\s*\|\s+\^+/m);
    expect(r.stdout).toContain("checked 1 file: 2 errors, 0 warnings");
  });

  it("names files as given, relative to the working directory", () => {
    const rel = path.relative(ROOT, broken);
    const r = run(["check", rel]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`--> ${rel}:4:`);
  });

  it("a directory: every *.mcppolicy below it, sorted, other files ignored", () => {
    const r = run(["check", path.join(dir, "ok"), "--format", "json"]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { files: { file: string }[] };
    expect(doc.files.map((f) => f.file)).toEqual([path.join(dir, "ok", "clean.mcppolicy"), path.join(dir, "ok", "nested", "another.mcppolicy")]);
  });

  it("--format json: one document with files, diagnostics and counts", () => {
    const r = run(["check", clean, broken, warns, "--format=json"]);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      files: { file: string; diagnostics: { code: string; severity: string; start: { line: number } }[] }[];
      errors: number;
      warnings: number;
    };
    expect(doc.files.map((f) => f.file)).toEqual([clean, broken, warns]);
    expect(doc.errors).toBe(2);
    expect(doc.warnings).toBe(1);
    expect(doc.files[0]?.diagnostics).toEqual([]);
    expect(doc.files[1]?.diagnostics.map((d) => [d.severity, d.start.line])).toEqual([
      ["error", 4],
      ["error", 5],
    ]);
    expect(doc.files[1]?.diagnostics[0]?.code).toMatch(/^E\d+$/);
  });

  it("warnings pass unless --deny-warnings", () => {
    const r = run(["check", warns]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/warning\[W\d+\]/);
    expect(r.stdout).toContain("checked 1 file: 0 errors, 1 warning");
    expect(run(["check", warns, "--deny-warnings"]).status).toBe(1);
  });

  it("usage errors exit 2 with a message and a --help hint on stderr", () => {
    const unknown = run(["check", clean, "--strict"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^mcppolicy: unknown flag '--strict'/);
    expect(unknown.stderr).toContain("mcppolicy check --help");
    expect(unknown.stdout).toBe("");

    const typo = run(["check", clean, "--formt", "json"]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain("did you mean '--format'");

    const missing = run(["check", clean, path.join(dir, "nope.mcppolicy")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^mcppolicy: cannot read '.*nope\.mcppolicy': no such file/);
    expect(missing.stdout).toBe("");

    expect(run(["check"]).status).toBe(2);
    expect(run(["check", clean, "--format", "yaml"]).status).toBe(2);
    expect(run(["check", path.join(dir, "empty")]).stderr).toMatch(/^mcppolicy: no \.mcppolicy files/);
  });

  it("an unknown command exits 2 with a suggestion", () => {
    const r = run(["chek", clean]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mcppolicy: unknown command 'chek' \(did you mean 'check'\?\)/);
  });
});

describe("eval", () => {
  it("allow: exit 0, the Decision as JSON", () => {
    const r = run(["eval", clean, req("dev-read.json", devRead)]);
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout) as { effect: string; reasons: { code: string; rule?: string }[]; roles: string[] };
    expect(d.effect).toBe("allow");
    expect(d.reasons).toEqual([expect.objectContaining({ code: "allow_rule", rule: "dev/1" })]);
    expect(d.roles).toEqual(["dev"]);
  });

  it("deny: exit 3, text format lists the reasons", () => {
    const r = run(["eval", clean, req("dev-rm.json", devRm), "--format", "text"]);
    expect(r.status).toBe(3);
    expect(r.stdout.split("\n")[0]).toBe("effect: deny");
    expect(r.stdout).toContain("  - [deny_rule] dev/2: no rm");
    expect(r.stdout).toContain("roles: dev");
    expect(r.stdout).toContain("budgets: (none)");
  });

  it("require_approval: exit 4", () => {
    const r = run(["eval", clean, req("ops-deploy.json", opsDeploy), "--format", "text"]);
    expect(r.status).toBe(4);
    expect(r.stdout).toContain("effect: require_approval");
    expect(r.stdout).toContain("[approval_required]");
    expect(r.stdout).toContain("risk: high");
  });

  it.each([
    ["allow", devRead, 0],
    ["deny", devRm, 3],
    ["require_approval", opsDeploy, 4],
  ] as const)("--interpreter gives the same decision (%s)", (effect, body, code) => {
    const p = req(`interpreter-${effect}.json`, body);
    const compiled = run(["eval", clean, p]);
    const interpreted = run(["eval", "--interpreter", clean, p]);
    expect(interpreted.status).toBe(code);
    expect(compiled.status).toBe(code);
    expect(JSON.parse(interpreted.stdout)).toEqual(JSON.parse(compiled.stdout));
  });

  it("reads the request from stdin with -", () => {
    const r = run(["eval", clean, "-"], JSON.stringify(devRm));
    expect(r.status).toBe(3);
    expect((JSON.parse(r.stdout) as { effect: string }).effect).toBe("deny");
  });

  it("a request that is valid JSON but not an object is denied, not a crash", () => {
    const r = run(["eval", clean, "-", "--format", "text"], "[1, 2]");
    expect(r.status).toBe(3);
    expect(r.stdout).toContain("[invalid_request]");
  });

  it("invalid request JSON: exit 2 with a clear message", () => {
    const r = run(["eval", clean, req("bad.json", '{\n  "tool": "read_file",\n  oops\n}')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mcppolicy: invalid request JSON in '.*bad\.json': .*line 3/);
    expect(r.stdout).toBe("");
    const stdin = run(["eval", clean, "-"], "");
    expect(stdin.status).toBe(2);
    expect(stdin.stderr).toMatch(/^mcppolicy: invalid request JSON in stdin/);
  });

  it("request JSON with a key twice: exit 2, nothing decided (JSON.parse would keep the last)", () => {
    const r = run(["eval", clean, "-"], '{"principal": {"roles": ["developer"]}, "tool": "read_file", "arguments": {"path": "src/a.ts", "p\\u0061th": "/etc/passwd"}}');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mcppolicy: invalid request JSON in stdin: duplicate key "path" at position \d+ \(line 1, column \d+\)/);
    expect(r.stdout).toBe("");
  });

  it("a policy with errors: rendered diagnostics on stderr, exit 1", () => {
    const r = run(["eval", broken, req("any.json", devRead)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[E\d+\]/);
    expect(r.stdout).toBe("");
  });

  it("missing files and wrong arity are usage errors", () => {
    expect(run(["eval", path.join(dir, "nope.mcppolicy"), req("x.json", devRead)]).status).toBe(2);
    const missingReq = run(["eval", clean, path.join(dir, "nope.json")]);
    expect(missingReq.status).toBe(2);
    expect(missingReq.stderr).toMatch(/^mcppolicy: cannot read/);
    expect(run(["eval", clean]).status).toBe(2);
    expect(run(["eval", clean, "a.json", "b.json"]).status).toBe(2);
    expect(run(["eval", clean, "-", "--verbose"], "{}").status).toBe(2);
  });
});

describe("explain", () => {
  it("prints the decision and every rule with its outcome and line", () => {
    const r = run(["explain", clean, req("x-rm.json", devRm)]);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("effect: deny");
    expect(r.stdout).toMatch(/^ {2}dev\/1\s+allow\s+line 5\s+target-mismatch$/m);
    expect(r.stdout).toMatch(/^ {2}dev\/2\s+deny\s+line 6\s+matched$/m);
    expect(r.stdout).toMatch(/^ {2}ops\/1\s+allow\s+line 10\s+not-held$/m);
  });

  it("--format json prints the Explanation object", () => {
    const r = run(["explain", clean, "-", "--format", "json"], JSON.stringify(devRead));
    expect(r.status).toBe(0);
    const e = JSON.parse(r.stdout) as { decision: { effect: string }; rules: { rule: string; outcome: string; line: number }[] };
    expect(e.decision.effect).toBe("allow");
    expect(e.rules.map((x) => x.rule)).toEqual(["dev/1", "dev/2", "ops/1"]);
    expect(e.rules[0]).toMatchObject({ rule: "dev/1", outcome: "matched", line: 5 });
  });

  it("usage errors exit 2", () => {
    expect(run(["explain", clean, "-", "--interpreter"], "{}").status).toBe(2);
    expect(run(["explain", clean, "-"], "{nope").status).toBe(2);
  });
});

describe("example requests", () => {
  it("policies/requests/*.json are valid JSON objects", () => {
    const files = readdirSync(path.join(ROOT, "policies", "requests")).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const v = JSON.parse(readFileSync(path.join(ROOT, "policies", "requests", f), "utf8")) as unknown;
      expect(typeof v === "object" && v !== null && !Array.isArray(v)).toBe(true);
    }
  });
});
