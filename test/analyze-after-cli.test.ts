/**
 * `mcppolicy analyze POLICY --role R --tool T --after LABEL` through the built CLI (issue 14): yes/no with
 * the sequence replayed through the engine, in text and JSON; the sequence printed is checked once more
 * here by replaying it through a real engine (MemoryStore); bad flags exit 2 with a clear message; an
 * A0008 finding shows in the plain analysis.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, createEngine, MemoryStore, type PolicyRequest } from "mcppolicy";

const ROOT = path.join(import.meta.dirname, "..");
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

const POLICY = `policy "after-cli"
role agent { allow tool fetch_page, read_file, send_email, summarize }
role offline { allow tool read_file, send_email }
role gated {
  allow tool fetch_page, publish
}
deny "no-mail-after-web" tool send_email when "untrusted" in session.labels
tool publish { approval required when "untrusted" in session.labels }
result of tool fetch_page { label untrusted }
`;

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-after-"));
  file = path.join(dir, "after.mcppolicy");
  writeFileSync(file, POLICY);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ask = (role: string, tool: string, label: string, ...more: string[]) => run(["analyze", file, "--role", role, "--tool", tool, "--after", label, ...more]);

describe("analyze --role --tool --after", () => {
  it("yes: the shortest sequence (the call that gives the label, then the tool), which replays to the same effects", async () => {
    const r = ask("agent", "summarize", "untrusted");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("can role `agent` call tool `summarize` after an event labelled `untrusted`? yes (allowed)");
    expect(r.stdout).toContain("shortest sequence found (2 calls), replayed through the engine in a fresh session:");
    expect(r.stdout).toMatch(/1\. allow, ran; the session gains `untrusted`: \{.*"tool":"fetch_page"/);
    expect(r.stdout).toMatch(/2\. allow: \{.*"tool":"summarize"/);

    const j = run(["analyze", file, "--role", "agent", "--tool", "summarize", "--after", "untrusted", "--format", "json"]);
    expect(j.status).toBe(0);
    const doc = JSON.parse(j.stdout) as { after: { answer: string; yes: boolean; replayed: boolean; witness: { request: PolicyRequest; result?: never; effect: string; labels?: string[] }[] } };
    expect(doc.after).toMatchObject({ answer: "allowed", yes: true, replayed: true });
    expect(doc.after.witness.map((s) => [s.request.tool, s.effect])).toEqual([["fetch_page", "allow"], ["summarize", "allow"]]);
    // The printed sequence, replayed here: the first call gives the label, the second is allowed.
    const engine = createEngine(compilePolicy(POLICY), { store: new MemoryStore() });
    const [first, second] = doc.after.witness;
    const a1 = await engine.authorize(first!.request);
    expect(a1.effect).toBe("allow");
    expect((await a1.commit({}, first!.result!)).labels).toContain("untrusted");
    expect((await engine.authorize(second!.request)).effect).toBe("allow");
  });

  it("no: denied once the label is held (with the sequence tried), no source of the label, or never callable", () => {
    const denied = ask("agent", "send_email", "untrusted");
    expect(denied.status).toBe(0);
    expect(denied.stdout).toContain("? no (denied)");
    expect(denied.stdout).toContain("the sequence tried (2 calls)");
    expect(denied.stdout).toMatch(/2\. deny: \{.*"tool":"send_email"/);
    const offline = ask("offline", "send_email", "untrusted");
    expect(offline.stdout).toContain("? no (no call of the role gives the label)");
    expect(offline.stdout).not.toContain("sequence");
    const never = ask("offline", "fetch_page", "untrusted", "--format", "json");
    expect(JSON.parse(never.stdout).after).toMatchObject({ answer: "never", yes: false, replayed: false });
  });

  it("yes, with approval", () => {
    const r = ask("gated", "publish", "untrusted");
    expect(r.stdout).toContain("? yes, with approval (require_approval)");
    expect(r.stdout).toMatch(/2\. require_approval: \{.*"tool":"publish"/);
  });

  it("bad flags exit 2 with a message naming the flag", () => {
    const cases: [string[], RegExp][] = [
      [["--role", "agent", "--tool", "x"], /need --after LABEL/],
      [["--after", "untrusted"], /--after needs --role ROLE and --tool TOOL/],
      [["--role", "agent", "--after", "untrusted"], /--after needs --role ROLE and --tool TOOL/],
      [["--role", "agnt", "--tool", "x", "--after", "untrusted"], /unknown role 'agnt' in --role \(did you mean 'agent'\?\)/],
      [["--role", "agent", "--tool", "x", "--after", "untrustd"], /no result block gives the label 'untrustd' in --after \(did you mean 'untrusted'\?\)/],
      [["--role", "agent", "--tool", "", "--after", "untrusted"], /--tool needs a tool name/],
      [["--role", "agent", "--tool", " x", "--after", "untrusted"], /the tool name " x" in --tool/],
      [["--role", "agent", "--tool", "x", "--after"], /flag '--after' needs a value/],
    ];
    for (const [flags, message] of cases) {
      const r = run(["analyze", file, ...flags]);
      expect(r.status, flags.join(" ")).toBe(2);
      expect(r.stderr, flags.join(" ")).toMatch(message);
      expect(r.stdout).toBe("");
    }
  });

  it("the plain analysis reports A0008 for a history rule its roles can never satisfy", () => {
    const f = path.join(dir, "history.mcppolicy");
    writeFileSync(f, 'policy "h"\nrole reader {\n  allow tool read_file\n  allow tool summarize when after completed tool fetch_page\n}\n');
    const r = run(["analyze", f]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("A0008");
    expect(r.stdout).toContain("rule `reader/2` can never allow");
    expect(run(["analyze", f, "--deny-findings"]).status).toBe(1);
  });
});
