#!/usr/bin/env node
// `npm run conformance`: the official MCP conformance suite (@modelcontextprotocol/conformance, its SERVER
// scenarios) run twice: directly against the fixture server (test/fixtures/servers/conformance-server.mjs),
// then through the gateway (`mcppolicy serve`, dist/cli/main.js) in front of that same fixture.
//
//   node scripts/conformance.mjs [--json] [--direct-only] [--policy FILE] [--scenario NAME]... [--timeout-ms N]
//
//   --json          stdout is exactly {"direct":{"passed":[...],"failed":[...]},"gateway":{"passed":[...],"failed":[...]}}
//                   (with --direct-only: {"direct":{...}}); progress and the failed checks go to stderr.
//   --direct-only   skip the gateway run.
//   --policy FILE   the gateway's policy (default: a permissive one, `default allow` and a role `conformance`,
//                   which the caller holds; a policy given here needs that role too).
//   --scenario N    run only these scenarios (repeatable; default: every server scenario the suite lists).
//   --results DIR   keep the suite's results (checks.json per scenario), the gateway config and its log in DIR.
//   --timeout-ms N  per scenario (default 30000): a scenario still running then is killed and counts as failed
//                   (the suite's own start-up is not counted against it).
//
// What it guarantees:
//   - The suite runs on Node 22 by path (node_modules/node/bin/node; node_modules/.bin/node is removed on
//     purpose, scripts/unshadow-node.mjs); a missing Node 22, suite or dist/ is an error (exit 2), never a skip.
//   - Every scenario ends: the list runs in one suite process whose current scenario is timed (stdout names
//     it); a scenario over its time is killed and failed, and what the process did not finish runs one
//     process per scenario, a few at a time, each with the same timeout.
//   - A scenario passes when its checks.json holds no check with status FAILURE (WARNING and INFO pass).
//   - Results and configs live in a temp dir (removed at the end; --results keeps them), never in the repo
//     unless --results names a place there; every child process is
//     stopped on exit, also on SIGINT/SIGTERM.
//   - Exit 0 when no scenario failed in any run, 1 when one did, 2 when the run could not be set up.
// The gateway run: a temp YAML config (listen 127.0.0.1 port 0, memory store, anonymous principal
// `conformance` holding role `conformance`, one url upstream = the fixture) and `node dist/cli/main.js serve
// --config FILE`; its URL is
// read from its `{"msg":"listening","url":...}` log line on stderr. Build first (`npm run build`).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopOnExit } from "./lib/local-service.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NODE22 = path.join(ROOT, "node_modules", "node", "bin", "node");
const SUITE = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const FIXTURE = path.join(ROOT, "test", "fixtures", "servers", "conformance-server.mjs");
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const CONCURRENCY = 2;
const START_TIMEOUT_MS = 20_000;

// A principal must hold a role of the policy (else every call is denied): the anonymous principal of the
// gateway config holds \`conformance\`. A --policy FILE needs the same role.
const PERMISSIVE_POLICY = `// The conformance run's gateway policy: everything passes (the suite tests the protocol, not a policy).
policy "conformance" version "1.0.0"
default allow

role conformance {
}
`;

function fail(message) {
  process.stderr.write(`conformance: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { json: false, directOnly: false, policy: undefined, scenarios: [], timeoutMs: 30_000, results: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--json") opts.json = true;
    else if (a === "--direct-only") opts.directOnly = true;
    else if (a === "--policy") opts.policy = path.resolve(value());
    else if (a === "--scenario") opts.scenarios.push(value());
    else if (a === "--results") opts.results = path.resolve(value());
    else if (a === "--timeout-ms") {
      opts.timeoutMs = Number(value());
      if (!Number.isInteger(opts.timeoutMs) || opts.timeoutMs <= 0) fail("--timeout-ms needs a positive integer");
    } else if (a === "--help" || a === "-h") {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 13).map((l) => l.replace(/^\/\/ ?/, "")).join("\n") + "\n");
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  return opts;
}

const children = new Set();
stopOnExit(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Spawns a child that is killed if this process exits; resolves {code, signal, stdout, stderr, timedOut}. */
function run(command, args, { timeoutMs, cwd = ROOT } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = timeoutMs ? setTimeout(() => ((timedOut = true), child.kill("SIGKILL")), timeoutMs) : undefined;
    child.on("error", (err) => (stderr += `\n${err.message}`));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/**
 * Starts a long-running child and waits for a line (on `stream`) for which `pick(line)` returns a value.
 * Resolves {child, value, output()} or rejects with what the child printed.
 */
function startService(command, args, stream, pick) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = { stdout: "", stderr: "" };
    let buffered = "";
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        if (child.exitCode === null) child.kill("SIGKILL");
        reject(new Error(`${err}\n${out.stderr.slice(-4000)}`));
      } else resolve({ child, value, output: () => out });
    };
    const timer = setTimeout(() => finish(`${path.basename(args[0] ?? command)} did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.stdout.on("data", (c) => (out.stdout += c));
    child.stderr.on("data", (c) => (out.stderr += c));
    child[stream].on("data", (c) => {
      buffered += c;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const value = pick(line);
        if (value !== undefined) finish(undefined, value);
      }
    });
    child.on("error", (e) => finish(e.message));
    child.on("close", (code, signal) => {
      children.delete(child);
      finish(`${path.basename(args[0] ?? command)} exited (${signal ?? code}) before it was ready`);
    });
  });
}

async function stopService(service) {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once("close", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await closed;
  clearTimeout(timer);
}

function jsonLine(line) {
  try {
    const v = JSON.parse(line);
    return v && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The server scenarios, in the suite's order, from `conformance list --server`. */
async function listScenarios() {
  const r = await run(NODE22, [SUITE, "list", "--server"], { timeoutMs: 30_000 });
  if (r.code !== 0) fail(`\`conformance list\` failed (${r.code}): ${r.stderr}`);
  const names = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^\s+-\s+(\S+)/.exec(line);
    if (m) names.push(m[1]);
  }
  if (names.length === 0) fail(`\`conformance list\` printed no server scenarios:\n${r.stdout}`);
  return names;
}

/** A scenario's checks.json under `dir` (the suite names result folders `server-<scenario>-<timestamp>`). */
function readChecks(dir, name) {
  if (!existsSync(dir)) return undefined;
  const prefix = `server-${name}-`;
  const sub = readdirSync(dir).find((d) => d.startsWith(prefix) && /^\d{4}-\d\d-\d\dT[\d-]+Z$/.test(d.slice(prefix.length)));
  if (!sub) return undefined;
  try {
    return JSON.parse(readFileSync(path.join(dir, sub, "checks.json"), "utf8"));
  } catch {
    return undefined;
  }
}

function verdict(name, checks) {
  const failures = checks.filter((c) => c.status === "FAILURE").map((c) => ({ check: c.id, message: c.errorMessage ?? c.description ?? "" }));
  return { name, passed: failures.length === 0, failures };
}

const timedOut = (name, timeoutMs) => ({ name, passed: false, failures: [{ check: "(scenario)", message: `did not end within ${timeoutMs} ms` }] });

/**
 * Runs the suite with `args`, watched: each scenario is timed from the line the suite prints when it starts
 * it (`=== Running scenario: X ===` for a list, `Running client scenario 'X'` for one); one running longer
 * than `timeoutMs` is killed with the process. Start-up (Node 22 loading the suite) is not timed against a
 * scenario, only bounded by START_TIMEOUT_MS. Resolves {stuck, output} (stuck: the scenario killed, if any).
 */
function runWatched(args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(NODE22, [SUITE, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let current;
    let since = Date.now();
    let stuck;
    let buffered = "";
    let output = "";
    child.stdout.on("data", (c) => {
      buffered += c;
      output += c;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^=== Running scenario: (\S+) ===/.exec(line) ?? /^Running client scenario '([^']+)'/.exec(line);
        if (m) {
          current = m[1];
          since = Date.now();
        }
      }
    });
    child.stderr.on("data", (c) => (output += c));
    const watchdog = setInterval(() => {
      if (Date.now() - since > (current === undefined ? START_TIMEOUT_MS : timeoutMs)) {
        stuck = current ?? "(start-up)";
        child.kill("SIGKILL");
      }
    }, 250);
    child.on("close", (code, signal) => {
      clearInterval(watchdog);
      children.delete(child);
      resolve({ stuck, output, exit: signal ?? code });
    });
  });
}

/** One scenario in its own suite process: {name, passed, failures: [{check, message}]}. */
async function runScenario(name, url, outDir, timeoutMs) {
  const dir = path.join(outDir, `single-${name}`);
  const r = await runWatched(["server", "--url", url, "--scenario", name, "-o", dir], timeoutMs);
  if (r.stuck === name) return timedOut(name, timeoutMs);
  const checks = readChecks(dir, name);
  if (checks) return verdict(name, checks);
  const tail = r.output.trim().split("\n").slice(-5).join(" | ");
  return { name, passed: false, failures: [{ check: "(scenario)", message: `no checks.json (exit ${r.exit}): ${tail}` }] };
}

/** Every scenario against `url`; results in the suite's order. */
async function runSuite(label, url, scenarios, allScenarios, outDir, timeoutMs, log) {
  log(`${label}: ${scenarios.length} scenarios against ${url}`);
  const byName = new Map();
  if (scenarios.length === allScenarios.length) {
    const dir = path.join(outDir, label);
    const { stuck } = await runWatched(["server", "--url", url, "--suite", "all", "-o", dir], timeoutMs);
    if (stuck && scenarios.includes(stuck)) byName.set(stuck, timedOut(stuck, timeoutMs));
    for (const name of scenarios) {
      const checks = byName.has(name) ? undefined : readChecks(dir, name);
      if (checks) byName.set(name, verdict(name, checks));
    }
  }
  // What the batch did not finish (or a chosen few): a process each, CONCURRENCY at a time.
  const rest = scenarios.filter((n) => !byName.has(n));
  if (rest.length > 0 && byName.size > 0) log(`${label}: running ${rest.length} scenario(s) one by one: ${rest.join(", ")}`);
  let next = 0;
  const worker = async () => {
    while (next < rest.length) {
      const name = rest[next++];
      byName.set(name, await runScenario(name, url, path.join(outDir, label), timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rest.length) }, worker));
  return scenarios.map((n) => byName.get(n));
}

function gatewayConfig(upstreamUrl, policyFile) {
  return [
    "# Written by scripts/conformance.mjs: the gateway in front of the conformance fixture.",
    "listen:",
    "  host: 127.0.0.1",
    "  port: 0",
    "  path: /mcp",
    `policy: ${JSON.stringify(policyFile)}`,
    "store: memory",
    "upstreams:",
    "  - name: conformance",
    `    url: ${JSON.stringify(upstreamUrl)}`,
    "auth:",
    "  anonymous:",
    "    principal:",
    "      id: conformance",
    "      roles: [conformance]",
    "log:",
    "  level: info",
    "",
  ].join("\n");
}

function summarize(results) {
  return { passed: results.filter((r) => r.passed).map((r) => r.name), failed: results.filter((r) => !r.passed).map((r) => r.name) };
}

function report(label, results, write) {
  const s = summarize(results);
  write(`\n${label}: ${s.passed.length} passed, ${s.failed.length} failed\n`);
  for (const r of results) {
    write(`  ${r.passed ? "✓" : "✗"} ${r.name}\n`);
    for (const f of r.failures) write(`      ${f.check}: ${f.message}\n`);
  }
  return s;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(NODE22)) fail(`Node 22 is missing: ${path.relative(ROOT, NODE22)} (the dev dependency node@22; run npm install)`);
  if (!existsSync(SUITE)) fail(`the conformance suite is missing: ${path.relative(ROOT, SUITE)} (the dev dependency @modelcontextprotocol/conformance)`);
  if (!opts.directOnly && !existsSync(CLI)) fail(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  if (opts.policy && !existsSync(opts.policy)) fail(`no policy file ${opts.policy}`);

  const t0 = Date.now();
  const log = (line) => process.stderr.write(`conformance: [${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}\n`);
  const all = await listScenarios();
  for (const s of opts.scenarios) if (!all.includes(s)) fail(`unknown scenario ${s} (known: ${all.join(", ")})`);
  const scenarios = opts.scenarios.length > 0 ? all.filter((s) => opts.scenarios.includes(s)) : all;

  const temp = opts.results ?? mkdtempSync(path.join(tmpdir(), "mcppolicy-conformance-"));
  if (opts.results) mkdirSync(temp, { recursive: true });
  else stopOnExit(() => rmSync(temp, { recursive: true, force: true }));

  let fixture;
  try {
    fixture = await startService(process.execPath, [FIXTURE, "0"], "stdout", (line) => jsonLine(line)?.url);
  } catch (err) {
    fail(`the fixture server did not start: ${err.message}`);
  }
  const out = {};
  const details = {};
  try {
    details.direct = await runSuite("direct", fixture.value, scenarios, all, temp, opts.timeoutMs, log);
    out.direct = summarize(details.direct);

    if (!opts.directOnly) {
      const policy = opts.policy ?? path.join(temp, "conformance.mcppolicy");
      if (!opts.policy) writeFileSync(policy, PERMISSIVE_POLICY);
      const config = path.join(temp, "gateway.yaml");
      writeFileSync(config, gatewayConfig(fixture.value, policy));
      let gateway;
      log("starting the gateway");
      try {
        gateway = await startService(process.execPath, [CLI, "serve", "--config", config], "stderr", (line) => {
          const v = jsonLine(line);
          return v?.msg === "listening" && typeof v.url === "string" ? v.url : undefined;
        });
      } catch (err) {
        const message = `the gateway did not start: ${err.message.trim().split("\n").slice(0, 8).join(" | ")}`;
        details.gateway = scenarios.map((name) => ({ name, passed: false, failures: [{ check: "(gateway)", message }] }));
      }
      if (gateway) {
        let exitedEarly;
        gateway.child.once("close", (code, signal) => (exitedEarly ??= `${signal ?? code}`));
        try {
          details.gateway = await runSuite("gateway", gateway.value, scenarios, all, temp, opts.timeoutMs, log);
        } finally {
          if (exitedEarly !== undefined) log(`the gateway exited during the run (${exitedEarly})`);
          exitedEarly ??= "";
          await stopService(gateway);
        }
        log("gateway stopped");
        writeFileSync(path.join(temp, "gateway.log"), gateway.output().stderr);
        // What the gateway said that matters: warn/error log lines, and any line that is not a JSON log line
        // (a crash, an upstream's stderr).
        const notable = gateway
          .output()
          .stderr.split("\n")
          .filter((line) => line.trim() !== "")
          .filter((line) => {
            const v = jsonLine(line);
            return v === undefined || v.level === "error" || v.level === "warn";
          });
        for (const line of notable.slice(0, 30)) log(`gateway: ${line.slice(0, 1000)}`);
        if (notable.length > 30) log(`gateway: ... ${notable.length - 30} more`);
      }
      out.gateway = summarize(details.gateway);
    }
  } finally {
    await stopService(fixture);
  }

  const write = opts.json ? (s) => process.stderr.write(s) : (s) => process.stdout.write(s);
  report("direct", details.direct, write);
  if (details.gateway) report("gateway", details.gateway, write);
  const last = out.gateway ?? out.direct;
  write(`\n${last.passed.length} passed, ${last.failed.length} failed\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  const anyFailed = out.direct.failed.length > 0 || (out.gateway?.failed.length ?? 0) > 0;
  process.exitCode = anyFailed ? 1 : 0;
}

main().catch((err) => fail(err?.stack ?? String(err)));
