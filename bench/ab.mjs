// Before/after in one process: this checkout's dist/ and another built checkout's dist/ decide the seed
// mix (lib/seed-mix.mjs), batch for batch, alternating which goes first, so both see the same machine
// load (on a shared VM, separate processes minutes apart compare the load, not the code). The two
// builds are separate module instances, so the library code of one never shares type feedback with
// the other's. A benchmark, not a test: nothing is asserted.
//
//   node bench/ab.mjs --base DIR [--job decide|interpret] [--batches 40] [--policy FILE] [--mix seed|norule] [--handwritten]
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
const policies = Object.fromEntries(Object.entries(sides).map(([k, m]) => [k, m.compilePolicy(text, { filename: SEED_POLICY })]));
// `--mix norule`: issue 16's "no rule" case, the seed-mix requests the branch denies `no_rule`, repeated to 10,000.
const mixName = arg("--mix", "seed");
if (mixName !== "seed" && mixName !== "norule") {
  console.error("--mix is seed or norule");
  process.exit(2);
}
const full = seedMix();
const onlyNoRule = full.filter((r) => policies.branch.decide(r).reasons[0]?.code === "no_rule");
const mix = mixName === "seed" ? full : Array.from({ length: full.length }, (_, i) => onlyNoRule[i % onlyNoRule.length]);
// `--handwritten`: bench/handwritten-seed.mjs as a third side, in the same alternation (its own pass function).
const withHandwritten = process.argv.includes("--handwritten");
const { decideSeed } = withHandwritten ? await import("./handwritten-seed.mjs") : {};

function passHandwritten() {
  let checksum = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const r of mix) checksum += decideSeed(r).length;
  const ns = Number(process.hrtime.bigint() - t0) / mix.length;
  const c = process.cpuUsage(c0);
  return { ns, cpu: ((c.user + c.system) * 1000) / mix.length, checksum };
}

function pass(policy) {
  let checksum = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const r of mix) checksum += policy[job](r).effect.length;
  const ns = Number(process.hrtime.bigint() - t0) / mix.length;
  const c = process.cpuUsage(c0);
  return { ns, cpu: ((c.user + c.system) * 1000) / mix.length, checksum };
}

const names = withHandwritten ? ["base", "branch", "handwritten"] : ["base", "branch"];
const out = Object.fromEntries(names.map((k) => [k, { ns: [], cpu: [], checksum: 0 }]));
const run = (k) => (k === "handwritten" ? passHandwritten() : pass(policies[k]));
for (let w = 0; w < 5; w++) for (const k of names) run(k);
for (let b = 0; b < batches; b++) {
  // Rotate the order, so no side always runs first or last in a round.
  for (const k of names.map((_, i) => names[(i + b) % names.length])) {
    const r = run(k);
    out[k].ns.push(r.ns);
    out[k].cpu.push(r.cpu);
    out[k].checksum = (out[k].checksum + r.checksum) | 0;
  }
}
const q = (xs, f) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(f * xs.length))];
const summary = (s) => ({ medianNs: Math.round(median(s.ns)), fastestNs: Math.round(Math.min(...s.ns)), p10Ns: Math.round(q(s.ns, 0.1)), p90Ns: Math.round(q(s.ns, 0.9)), medianCpuNs: Math.round(median(s.cpu)), checksum: s.checksum });
console.log(JSON.stringify({ job, mix: mixName, batches, base: resolve(baseDir), results: Object.fromEntries(names.map((k) => [k, summary(out[k])])) }));
