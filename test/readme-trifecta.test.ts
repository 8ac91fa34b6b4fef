// README "Rules across a session: the lethal trifecta", run as written: `node examples/trifecta/agent.mjs`
// (an SDK client through the built `mcppolicy proxy` in front of examples/trifecta/tools-server.mjs) prints
// exactly the transcript the README shows; the policy block the README quotes is the example's own text.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const section = README.slice(README.indexOf("## Rules across a session"), README.indexOf("## A policy\n"));

describe("README: the lethal trifecta through the stdio proxy", () => {
  it("the command prints the transcript the README shows", () => {
    expect(section).toContain("node examples/trifecta/agent.mjs");
    const transcript = /```text\n([\s\S]*?)```/.exec(section)![1]!;
    const r = spawnSync(process.execPath, [path.join(ROOT, "examples/trifecta/agent.mjs")], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(transcript);
  }, 90_000);

  it("every policy line the README quotes is in the example policy", () => {
    const quoted = /```mcppolicy\n([\s\S]*?)```/.exec(section)![1]!;
    const policy = readFileSync(path.join(ROOT, "examples/trifecta/trifecta.mcppolicy"), "utf8");
    for (const line of quoted.split("\n").map((l) => l.trim()).filter(Boolean)) expect(policy).toContain(line);
  });
});
