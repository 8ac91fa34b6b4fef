// What each approval of the AgentDojo policies costs and what it buys (issue 14): for every rule that sends
// a benign AgentDojo trace to approval, the policy of its suite is compiled once more WITHOUT that rule (an
// exact text edit, listed in lib/agentdojo-ablations.mjs), and the suite is replayed in engine mode (bench/lib/agentdojo-run.mjs,
// the same traces and scoring as bench/agentdojo.mjs). Printed per rule: the benign traces the rule sends to
// approval (those that pass outright without it), and the attack pairs that get through without it, per
// injection task. Standalone: uses the built files in dist/ (run `npm run build` first).
//
//   node bench/agentdojo-ablate.mjs [--data DIR] [--policies DIR] [--json]
//
// Guarantees: the policies on disk are never changed (the edited text is compiled in memory, from a
// temporary directory removed at the end); an edit whose text is not found in the policy, or that leaves it
// unchanged, is an error (exit 2), never a silent "no effect"; the baseline (no edit) is replayed too and
// every figure is the difference from it, so a run on other data or policies says what it measured.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultDataDir, loadSuites } from "./lib/agentdojo-data.mjs";
import { ABLATIONS, applyAblation } from "./lib/agentdojo-ablations.mjs";
import { defaultPolicyDir, loadBuiltLib, runAll } from "./lib/agentdojo-run.mjs";


function parseArgs(argv) {
  const o = { data: defaultDataDir(), policies: defaultPolicyDir(), json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (argv[i + 1] === undefined) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--data") o.data = path.resolve(v());
    else if (a === "--policies") o.policies = path.resolve(v());
    else if (a === "--json") o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** The pairs (U/I) not blocked, from a suite's score: the listed ones (all of them when few) or per injection task. */
function lostPairs(base, cut) {
  const out = {};
  for (const [task, v] of Object.entries(cut.attacks.byInjectionTask ?? {})) {
    const was = base.attacks.byInjectionTask?.[task]?.blocked ?? 0;
    if (v.blocked < was) out[task] = was - v.blocked;
  }
  return out;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`agentdojo-ablate: ${e.message}`);
    process.exit(2);
  }
  const lib = await loadBuiltLib();
  const suites = loadSuites(opts.data);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentdojo-ablate-"));
  const rows = [];
  try {
    const base = (await runAll(lib, { suites, policyDir: opts.policies })).suites;
    for (const ab of ABLATIONS) {
      const suite = suites.find((s) => s.suite === ab.suite);
      if (!suite) continue;
      const text = fs.readFileSync(path.join(opts.policies, `${ab.suite}.mcppolicy`), "utf8");
      const dir = path.join(tmp, rows.length.toString());
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, `${ab.suite}.mcppolicy`), applyAblation(text, ab));
      const cut = (await runAll(lib, { suites: [suite], policyDir: dir })).suites[ab.suite];
      const b = base[ab.suite];
      rows.push({
        suite: ab.suite,
        rule: ab.rule,
        benignFreed: cut.benign.allowed - b.benign.allowed,
        benignFreedTasks: b.benign.approvalTasks.filter((t) => !cut.benign.approvalTasks.includes(t)),
        attacksLost: b.attacks.blocked - cut.attacks.blocked,
        attacksLostByTask: lostPairs(b, cut),
      });
      if (!opts.json) process.stderr.write(`  ${ab.suite}: ${ab.rule} done\n`);
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ base: Object.fromEntries(Object.entries(base).map(([k, s]) => [k, { attacks: { blockable: s.attacks.blockable, blocked: s.attacks.blocked }, benign: { total: s.benign.total, allowed: s.benign.allowed } }])), rules: rows })}\n`);
      return;
    }
    const tot = Object.values(base).reduce((a, s) => ({ benign: a.benign + s.benign.total, allowed: a.allowed + s.benign.allowed, blockable: a.blockable + s.attacks.blockable, blocked: a.blocked + s.attacks.blocked }), { benign: 0, allowed: 0, blockable: 0, blocked: 0 });
    console.log(`baseline (${path.relative(process.cwd(), opts.policies) || "."}): benign allowed outright ${tot.allowed}/${tot.benign}, attacks blocked ${tot.blocked}/${tot.blockable}\n`);
    console.log("| suite | rule removed | benign traces it sends to approval | attack pairs that get through without it |");
    console.log("|---|---|---|---|");
    for (const r of rows) {
      const lost = Object.entries(r.attacksLostByTask).map(([t, n]) => `${t.replace("injection_task_", "I")} (${n})`).join(", ");
      console.log(`| ${r.suite} | ${r.rule} | ${r.benignFreed}: ${r.benignFreedTasks.map((t) => t.replace("user_task_", "U")).join(", ") || "-"} | ${r.attacksLost}${lost ? `: ${lost}` : ""} |`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e?.stack ?? String(e));
  process.exit(e?.message?.includes("update bench/lib/agentdojo-ablations.mjs") ? 2 : 1);
});
