/**
 * `mcppolicy audit verify`, run as users run it (`node dist/cli/main.js` in a child process, after
 * `npm run build`): exit 0 with the count and last hash on an intact log (text and --json, a file and
 * stdin), exit 1 naming the first broken line, exit 2 on usage errors and unreadable paths. Logs are
 * written by the real JsonlAuditSink.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsonlAuditSink } from "../src/audit/sink.js";
import type { AuditEntry } from "../src/audit/record.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const run = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", input, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

const entry = (n: number): AuditEntry => ({
  time: "2026-01-01T00:00:00.000Z",
  type: "decision",
  callId: `c${n}`,
  method: "tools/call",
  tool: "read_file",
  arguments: { path: `/w/${n}` },
  effect: "allow",
  enforced: true,
  reasons: [],
  rules: ["dev/1"],
});

let dir: string;
let good: string;
let lastHash: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-audit-cli-"));
  good = path.join(dir, "audit.jsonl");
  const sink = new JsonlAuditSink(good);
  for (let i = 1; i <= 4; i++) sink.append(entry(i));
  lastHash = sink.last.hash;
  sink.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mcppolicy audit verify", () => {
  it("an intact log: exit 0, count and last hash", () => {
    const r = run(["audit", "verify", good]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`${good}: ok, 4 records, last hash ${lastHash}`);
    const j = run(["audit", "verify", good, "--json"]);
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({ file: good, ok: true, records: 4, lastHash });
  });

  it("from stdin", () => {
    const r = run(["audit", "verify", "-", "--json"], readFileSync(good, "utf8"));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: "<stdin>", ok: true, records: 4 });
  });

  it("an edited line: exit 1 naming the line and the problem", () => {
    const bad = path.join(dir, "edited.jsonl");
    writeFileSync(bad, readFileSync(good, "utf8").replace('"/w/3"', '"/w/9"'));
    const r = run(["audit", "verify", bad]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${bad}:3: hash mismatch`);
    expect(r.stdout).toContain("2 records verified before line 3");
    const j = run(["audit", "verify", bad, "--json"]);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, records: 2, line: 3, problem: expect.stringMatching(/^hash mismatch/) });
  });

  it("a deleted line and a partial last line: exit 1", () => {
    const lines = readFileSync(good, "utf8").split("\n");
    const deleted = path.join(dir, "deleted.jsonl");
    writeFileSync(deleted, [lines[0], lines[2], lines[3], ""].join("\n"));
    expect(run(["audit", "verify", deleted]).stdout).toContain(":2: seq gap");
    const partial = path.join(dir, "partial.jsonl");
    writeFileSync(partial, readFileSync(good, "utf8").slice(0, -10));
    const r = run(["audit", "verify", partial]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(":4: the last line has no newline");
  });

  it("usage errors exit 2: no subcommand, unknown subcommand, no file, missing file, a directory, unknown flag", () => {
    for (const args of [["audit"], ["audit", "check", good], ["audit", "verify"], ["audit", "verify", path.join(dir, "nope.jsonl")], ["audit", "verify", dir], ["audit", "verify", good, "--yaml"]]) {
      const r = run(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^mcppolicy: /);
      expect(r.stdout).toBe("");
    }
    expect(run(["audit", "verify", path.join(dir, "nope.jsonl")]).stderr).toContain("no such file");
  });

  it("help: `audit --help` and the main help list it", () => {
    const r = run(["audit", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: mcppolicy audit verify");
    expect(run(["--help"]).stdout).toContain("audit verify <file>");
  });
});
