// AgentDojo without an LLM (issue 14): replays the ground-truth tool calls of AgentDojo v1.2.1's four
// suites through mcppolicy and counts what the per-suite policies (policies/agentdojo/*.mcppolicy) block
// and allow. The data and how traces are formed and scored: ../shared/agentdojo/README.md; the code:
// bench/lib/agentdojo-*.mjs. Standalone: uses the built files in dist/ (run `npm run build` first).
//
//   node bench/agentdojo.mjs                      a table per suite and the totals
//   node bench/agentdojo.mjs --json               {"suites": {NAME: {"attacks": {...}, "benign": {...}}}}
//   node bench/agentdojo.mjs --mode mcp           the same traces through a real MCP client, the SDK
//                                                 middleware and a replay server (slower)
//   --data DIR       the suite files (default ../shared/agentdojo beside the repository); any directory in
//                    the same format
//   --policies DIR   the policies, one `<suite>.mcppolicy` per suite (default policies/agentdojo)
//   --suite NAME     only this suite (repeatable)
//   --details        also print the pairs not blocked (the first 60 per suite)
//
// Exit status: 0; 1 when the engine reported a fault while settling a call (session state not recorded:
// the figures would not mean what they say); 2 on a usage error.
//
// Engine mode: for each call, `engine.authorize` then (when allowed) the engine's result stage with the
// recorded result, one session per trace, one engine (MemoryStore) per suite. The engine never sees the
// user's prompt. A pair (U, I) counts as blocked when, under each of the three injection wordings, a call at
// or before I's first side-effecting call was denied or sent to approval.
import path from "node:path";
import os from "node:os";
import { defaultDataDir, loadSuites } from "./lib/agentdojo-data.mjs";
import { defaultPolicyDir, loadBuiltLib, runAll } from "./lib/agentdojo-run.mjs";


function parseArgs(argv) {
  const o = { data: defaultDataDir(), policies: defaultPolicyDir(), json: false, mode: "engine", suites: [], details: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--data") o.data = path.resolve(value());
    else if (a === "--policies") o.policies = path.resolve(value());
    else if (a === "--json") o.json = true;
    else if (a === "--details") o.details = true;
    else if (a === "--mode") o.mode = value();
    else if (a === "--suite") o.suites.push(value());
    else throw new Error(`unknown option ${a}`);
  }
  if (o.mode !== "engine" && o.mode !== "mcp") throw new Error("--mode is engine or mcp");
  return o;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`agentdojo: ${e.message}`);
    process.exit(2);
  }
  const lib = await loadBuiltLib();
  let suites = loadSuites(opts.data);
  if (opts.suites.length > 0) {
    const unknown = opts.suites.filter((s) => !suites.some((x) => x.suite === s));
    if (unknown.length) {
      console.error(`agentdojo: no suite ${unknown.join(", ")} in ${opts.data}`);
      process.exit(2);
    }
    suites = suites.filter((s) => opts.suites.includes(s.suite));
  }
  const started = Date.now();
  const result = await runAll(lib, {
    suites,
    policyDir: opts.policies,
    mode: opts.mode,
    onSuite: (name) => {
      if (!opts.json) process.stderr.write(`  ${name} done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    },
  });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (Object.values(result.suites).some((s) => s.faults > 0)) process.exitCode = 1;
    return;
  }
  printTables(result, opts, Date.now() - started);
  if (Object.values(result.suites).some((s) => s.faults > 0)) process.exitCode = 1;
}

function pct(n, d) {
  return d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`;
}

function printTables(result, opts, ms) {
  const rows = [];
  const total = { blockable: 0, blocked: 0, unblockable: 0, onRead: 0, inU: 0, benign: 0, allowed: 0, approval: 0, denied: 0 };
  for (const [name, s] of Object.entries(result.suites)) {
    const a = s.attacks;
    const b = s.benign;
    rows.push([name, a.blockable, a.blocked, pct(a.blocked, a.blockable), a.stoppedOnRead, a.stoppedInUserTask, a.unblockable, b.total, b.allowed, pct(b.allowed, b.total), b.approval, b.denied]);
    total.blockable += a.blockable;
    total.blocked += a.blocked;
    total.unblockable += a.unblockable;
    total.onRead += a.stoppedOnRead;
    total.inU += a.stoppedInUserTask;
    total.benign += b.total;
    total.allowed += b.allowed;
    total.approval += b.approval;
    total.denied += b.denied;
  }
  rows.push(["total", total.blockable, total.blocked, pct(total.blocked, total.blockable), total.onRead, total.inU, total.unblockable, total.benign, total.allowed, pct(total.allowed, total.benign), total.approval, total.denied]);
  const head = ["suite", "blockable", "blocked", "% blocked", "on a read", "in U", "unblockable", "benign", "allowed", "% allowed", "approval", "denied"];
  console.log(`AgentDojo v1.2.1 replay, mode ${opts.mode}, policies ${path.relative(process.cwd(), opts.policies) || "."}, data ${opts.data}`);
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, ${(ms / 1000).toFixed(1)} s\n`);
  console.log(`| ${head.join(" | ")} |`);
  console.log(`|${head.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  console.log("\nattacks: pairs (U, I) whose I has a side effect; blocked = under every injection wording, a call at or before I's first side effect was denied or sent to approval; 'on a read' = of those, stopped on one of I's reads before it; 'in U' = stopped on one of U's own calls before the injection.");
  console.log("benign: the user tasks' own traces; allowed = every call allowed with no approval.");
  for (const [name, s] of Object.entries(result.suites)) {
    console.log(`\n${name}: blocked by template ${Object.entries(s.attacks.byTemplate).map(([t, v]) => `${t} ${v.blocked}/${v.blockable}`).join(", ")}`);
    console.log(`  first blocking rule (attack traces): ${Object.entries(s.attacks.blockedBy).sort((x, y) => y[1] - x[1]).map(([r, n]) => `${r} ${n}`).join(", ") || "-"}`);
    if (opts.details || s.attacks.notBlockedCount <= 20) {
      if (s.attacks.notBlockedCount) console.log(`  not blocked (${s.attacks.notBlockedCount}${s.attacks.notBlockedCount > s.attacks.notBlocked.length ? `, first ${s.attacks.notBlocked.length}` : ""}): ${s.attacks.notBlocked.join("; ")}`);
    } else {
      const byI = Object.entries(s.attacks.byInjectionTask).filter(([, v]) => v.blocked < v.blockable).map(([k, v]) => `${k} ${v.blocked}/${v.blockable}`);
      console.log(`  not blocked: ${s.attacks.notBlockedCount} pairs; blocked per injection task: ${byI.join(", ")} (--details lists them)`);
    }
    if (s.faults) console.log(`  WARNING: the engine reported ${s.faults} faults while settling calls (session state not recorded): these figures are not trustworthy`);
    if (s.withheldResults) console.log(`  results withheld by the engine: ${s.withheldResults}`);
    if (s.benign.approvalTasks.length) console.log(`  benign needing approval: ${s.benign.approvalTasks.join(", ")}`);
    if (Object.keys(s.benign.stoppedBy).length) console.log(`  rules that stopped benign traces: ${Object.entries(s.benign.stoppedBy).sort((x, y) => y[1] - x[1]).map(([r, n]) => `${r} ${n}`).join(", ")}`);
    if (s.benign.deniedTasks.length) console.log(`  benign denied: ${s.benign.deniedTasks.join(", ")}`);
  }
}

main().catch((e) => {
  console.error(e?.stack ?? String(e));
  process.exit(1);
});
