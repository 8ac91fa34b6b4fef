/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, its server scenarios) through
 * `scripts/conformance.mjs`, as `npm run conformance -- --json` runs it: the fixture server
 * (test/fixtures/servers/conformance-server.mjs) passes every scenario the suite lists when called directly;
 * through the gateway (`mcppolicy serve`, permissive policy) at least the same scenarios pass; with a policy
 * that denies one tool, exactly the scenario calling it fails and it ends (no hang); a scenario that hangs is
 * failed by the runner's timeout and the rest still run. Node 22 and the suite are dev dependencies: missing,
 * these tests FAIL (never skip). Builds dist/ first when dist/cli/main.js is missing.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SCRIPT = path.join(ROOT, "scripts", "conformance.mjs");
const NODE22 = path.join(ROOT, "node_modules", "node", "bin", "node");
const SUITE = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const CLI = path.join(ROOT, "dist", "cli", "main.js");

interface Half {
  passed: string[];
  failed: string[];
}
interface Outcome {
  code: number | null;
  json: { direct: Half; gateway?: Half };
  stderr: string;
}

function runScript(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, "--json", ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve({ code, json: JSON.parse(stdout) as Outcome["json"], stderr });
      } catch {
        reject(new Error(`conformance.mjs printed no JSON (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** The server scenarios the installed suite lists. */
function listedScenarios(): string[] {
  const out = execFileSync(NODE22, [SUITE, "list", "--server"], { cwd: ROOT, encoding: "utf8" });
  return [...out.matchAll(/^\s+-\s+(\S+)/gm)].map((m) => m[1]!);
}

const sorted = (xs: readonly string[]) => [...xs].sort();

let temp: string;
beforeAll(() => {
  temp = mkdtempSync(path.join(tmpdir(), "mcppolicy-conformance-test-"));
  if (!existsSync(CLI)) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "ignore" });
}, 300_000);
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("the MCP conformance suite", () => {
  it("is installed with the Node 22 it needs (a dev dependency each; missing is a failure, not a skip)", () => {
    expect(existsSync(NODE22), `${NODE22} (node@22)`).toBe(true);
    expect(execFileSync(NODE22, ["--version"], { encoding: "utf8" }).trim()).toMatch(/^v22\./);
    expect(existsSync(SUITE), `${SUITE} (@modelcontextprotocol/conformance)`).toBe(true);
    expect(listedScenarios().length).toBeGreaterThanOrEqual(30);
  });

  it("passes every server scenario against the fixture directly, and through the gateway at least the same", async () => {
    const all = listedScenarios();
    const { json, stderr } = await runScript([]);
    expect(json.direct.failed, stderr).toEqual([]);
    expect(sorted(json.direct.passed)).toEqual(sorted(all));
    // Every scenario ended (passed or failed, none missing), and nothing passing directly fails through the gateway.
    const gateway = json.gateway!;
    expect(sorted([...gateway.passed, ...gateway.failed])).toEqual(sorted(all));
    expect(gateway.failed, stderr).toEqual([]);
    expect(sorted(gateway.passed)).toEqual(expect.arrayContaining(sorted(json.direct.passed)));
  }, 240_000);

  it("through the gateway, a policy denying one tool fails exactly the scenario that calls it, cleanly", async () => {
    const policy = path.join(temp, "deny-one.mcppolicy");
    writeFileSync(
      policy,
      [
        'policy "conformance-deny" version "1.0.0"',
        "default allow",
        // The runner's anonymous caller holds role `conformance` (a principal without a role of the policy is denied).
        "role conformance {",
        "}",
        'deny "no-simple-text" tool test_simple_text because "the conformance test denies this tool"',
        "",
      ].join("\n"),
    );
    const all = listedScenarios();
    // A short scenario timeout: a denial must be answered, not left to time out (a timeout is a failure too,
    // but the message below tells them apart).
    const { json, stderr } = await runScript(["--policy", policy, "--timeout-ms", "20000"]);
    expect(json.direct.failed).toEqual([]);
    expect(json.gateway!.failed, stderr).toEqual(["tools-call-simple-text"]);
    expect(sorted(json.gateway!.passed)).toEqual(sorted(all.filter((s) => s !== "tools-call-simple-text")));
    const failure = stderr.slice(stderr.indexOf("\ngateway:"));
    expect(failure).not.toMatch(/did not end within/);
    expect(failure).toMatch(/tools-call-simple-text\n\s+tools-call-simple-text: Failed: MCP error -32010/);
  }, 240_000);

  it("fails a scenario that hangs by its timeout, and still runs every other one", async () => {
    const { code, json, stderr } = await runScript(["--direct-only", "--timeout-ms", "4000"], {
      MCPP_CONFORMANCE_HANG: "test_prompt_with_image",
    });
    expect(code).toBe(1);
    expect(json.direct.failed).toEqual(["prompts-get-with-image"]);
    expect(json.direct.passed.length).toBe(listedScenarios().length - 1);
    expect(stderr).toMatch(/prompts-get-with-image\n\s+\(scenario\): did not end within 4000 ms/);
  }, 240_000);
});
