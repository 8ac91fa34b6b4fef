// Before/after in one process: this checkout's dist/ and another built checkout's dist/ decide the seed
// mix (lib/seed-mix.mjs), batch for batch, alternating which goes first, so both see the same machine
// load (on a shared VM, separate processes minutes apart compare the load, not the code). The two
// builds are separate module instances, so the library code of one never shares type feedback with
// the other's. A benchmark, not a test: nothing is asserted.
//
//   node bench/ab.mjs --base DIR [--job decide|interpret] [--batches 40] [--policy FILE]
//
// FILE (default: this checkout's policies/seed.mcppolicy) must compile on both sides: when the branch
// changed the language, pass the base's copy (`--policy DIR/policies/seed.mcppolicy`).
//
// DIR is a checkout with a built dist/ (e.g. `git worktree add /tmp/base <commit> && (cd /tmp/base && npm run build)`).
// Prints one JSON line: per side, the median and fastest batch in ns/decision and the median CPU ns/decision.
import fs from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./lib/measure.mjs";
import { seedMix } from "./lib/seed-mix.mjs";

const arg = (name, dflt) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : dflt;
};
const baseDir = arg("--base");
if (!baseDir) {
  console.error("usage: node bench/ab.mjs --base DIR [--job decide|interpret] [--batches 40]");
  process.exit(2);
}
const job = arg("--job", "decide");
if (job !== "decide" && job !== "interpret") {
  console.error("--job is decide or interpret");
  process.exit(2);
}
const batches = Number(arg("--batches", "40"));

const SEED_POLICY = arg("--policy", undefined) ? resolve(arg("--policy")) : fileURLToPath(new URL("../policies/seed.mcppolicy", import.meta.url));
const text = fs.readFileSync(SEED_POLICY, "utf8");
const sides = {
  base: await import(pathToFileURL(resolve(baseDir, "dist", "index.js")).href),
  branch: await import(new URL("../dist/index.js", import.meta.url).href),
};
const mix = seedMix();
const policies = Object.fromEntries(Object.entries(sides).map(([k, m]) => [k, m.compilePolicy(text, { filename: SEED_POLICY })]));

function pass(policy) {
  let checksum = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const r of mix) checksum += policy[job](r).effect.length;
  const ns = Number(process.hrtime.bigint() - t0) / mix.length;
  const c = process.cpuUsage(c0);
  return { ns, cpu: ((c.user + c.system) * 1000) / mix.length, checksum };
}

const out = { base: { ns: [], cpu: [], checksum: 0 }, branch: { ns: [], cpu: [], checksum: 0 } };
for (let w = 0; w < 5; w++) for (const k of ["base", "branch"]) pass(policies[k]);
for (let b = 0; b < batches; b++) {
  for (const k of b % 2 ? ["base", "branch"] : ["branch", "base"]) {
    const r = pass(policies[k]);
    out[k].ns.push(r.ns);
    out[k].cpu.push(r.cpu);
    out[k].checksum = (out[k].checksum + r.checksum) | 0;
  }
}
const summary = (s) => ({ medianNs: Math.round(median(s.ns)), fastestNs: Math.round(Math.min(...s.ns)), medianCpuNs: Math.round(median(s.cpu)), checksum: s.checksum });
console.log(JSON.stringify({ job, batches, base: resolve(baseDir), results: { base: summary(out.base), branch: summary(out.branch) } }));
