// Cold start: wall time of fresh Node processes for `import("mcppolicy")` (dist/index.js, resolved by name),
// the CLI's `mcppolicy check` on policies/ (every one has a postgresql sql(...) check) and on a policy with
// none (bench/fixtures/no-sql.mcppolicy), on policies/seed.mcppolicy alone (issue 16's target), and
// `node -e 0` beside them as the floor. Each command runs STARTUP_RUNS times (default 15), interleaved
// (and across checkouts) so machine load hits all alike; reported: median, min and max wall ms, and the
// median CPU ms of the child (user + system, from this process's cutime/cstime in /proc/self/stat, so
// 10 ms steps; Linux only, else omitted): on a loaded machine wall time counts time spent waiting for
// a core, CPU time does not. The row `import("mcppolicy") in process` is the same import timed by the
// child around the `await import(...)` alone (performance.now, and process.cpuUsage in µs, not 10 ms
// steps): the import itself, without Node's start-up and exit. Nothing here asserts. Uses the existing
// dist/ (`npm run build`).
//
//   node bench/startup.mjs                      this checkout, a markdown table
//   node bench/startup.mjs --json               ... as one JSON line
//   node bench/startup.mjs --targets            only issue 16's: `node -e 0`, the import (spawned, and timed in
//                                               process), check of the seed policy
//   node bench/startup.mjs --compare DIR ...    also other built checkouts (repeat --compare) (e.g. an older commit:
//                                               `git archive <rev> | tar -x -C DIR`, link node_modules, tsc),
//                                               same run, so before/after share the machine's load
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env.STARTUP_RUNS ?? 15);
const ROOTS = [{ label: "this checkout", dir: HERE }];
// --compare may be given more than once (e.g. before, an intermediate step); each joins the same run.
const others = process.argv.flatMap((a, i) => (a === "--compare" && process.argv[i + 1] ? [resolve(process.argv[i + 1])] : []));
ROOTS.unshift(...others.map((dir) => ({ label: dir, dir })));
for (const r of ROOTS) if (!existsSync(`${r.dir}/dist/index.js`)) throw new Error(`${r.dir}: dist/ is missing (build it first)`);

const COMMANDS = [
  { name: "node -e 0", args: () => ["-e", "0"] },
  { name: 'import("mcppolicy")', args: () => ["--input-type=module", "-e", 'await import("mcppolicy")'] },
  // The same import timed inside the child (performance.now and process.cpuUsage around the `await import`):
  // what a host already running pays, without Node's own start-up and exit. The child prints both.
  {
    name: 'import("mcppolicy") in process',
    inProcess: true,
    args: () => ["--input-type=module", "-e", 'const t = performance.now(), c = process.cpuUsage(); await import("mcppolicy"); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ ms: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }))'],
  },
  { name: "mcppolicy check policies/seed.mcppolicy", args: (dir) => [`${dir}/dist/cli/main.js`, "check", `${HERE}/policies/seed.mcppolicy`] },
  { name: "mcppolicy check policies/", args: (dir) => [`${dir}/dist/cli/main.js`, "check", "policies/"] },
  { name: "mcppolicy check bench/fixtures/no-sql.mcppolicy", args: (dir) => [`${dir}/dist/cli/main.js`, "check", `${HERE}/bench/fixtures/no-sql.mcppolicy`] },
];

/** CPU ms of this process's waited-for children so far (cutime + cstime, clock ticks of 10 ms), or NaN. */
function childCpuMs() {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /s, "").split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10; // fields 16 and 17 of proc(5), counted after the comm field
  } catch {
    return NaN;
  }
}

/** One fresh process: its wall and CPU ms, or (inProcess) the wall and CPU ms the child measured itself. */
function once(args, cwd, inProcess) {
  const cpu0 = childCpuMs();
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} (in ${cwd}) exited ${r.status}: ${r.stderr}`);
  if (inProcess) {
    const own = JSON.parse(r.stdout);
    return { ms: own.ms, cpuMs: own.cpuMs };
  }
  return { ms, cpuMs: childCpuMs() - cpu0 };
}

// --targets: only issue 16's (the floor, the import spawned and timed in process, check of the seed policy).
const TARGETS = new Set(["node -e 0", 'import("mcppolicy")', 'import("mcppolicy") in process', "mcppolicy check policies/seed.mcppolicy"]);
const chosen = process.argv.includes("--targets") ? COMMANDS.filter((c) => TARGETS.has(c.name)) : COMMANDS;
const cells = [];
for (const root of ROOTS) for (const c of chosen) if (root === ROOTS[0] || c.name !== "node -e 0") cells.push({ root, c, times: [], cpu: [] });
for (let i = 0; i < RUNS; i++) {
  for (const cell of cells) {
    const { ms, cpuMs } = once(cell.c.args(cell.root.dir), cell.root.dir, cell.c.inProcess);
    cell.times.push(ms);
    cell.cpu.push(cpuMs);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = cells.map(({ root, c, times, cpu }) => ({ checkout: root.label, name: c.name, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), cpuMedianMs: median(cpu) }));
if (process.argv.includes("--json")) console.log(JSON.stringify({ runs: RUNS, rows }));
else {
  console.log(`| checkout | command (${RUNS} fresh processes each) | median ms | min ms | max ms | median CPU ms |`);
  console.log("|---|---|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.checkout} | \`${r.name}\` | ${r.medianMs.toFixed(0)} | ${r.minMs.toFixed(0)} | ${r.maxMs.toFixed(0)} | ${r.cpuMedianMs.toFixed(0)} |`);
}
