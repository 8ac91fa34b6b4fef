// Two builds, one run: the same timed jobs (bench/worker.mjs) on this checkout's dist/ and on another built
// checkout's, in alternating fresh processes, so both sides see the same machine load.
//
//   node bench/compare.mjs --base /path/to/other/checkout [--rounds 5] [job ...]
//
// Default jobs: seed-decide, seed-interpret, small-decide, scale-decide. For each job and side it prints the
// fastest and the median process (ns per decision) and every process's figure (the spread), then the ratio
// this/base of the fastest processes (< 1: this build is faster). Nothing here asserts.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const baseDir = flag("--base");
const rounds = Number(flag("--rounds", "5"));
if (!baseDir || !Number.isInteger(rounds) || rounds < 1) {
  console.error("usage: node bench/compare.mjs --base <built checkout> [--rounds N] [job ...]");
  process.exit(2);
}
const sides = [
  { name: "this", dist: path.resolve(here("../dist/index.js")) },
  { name: "base", dist: path.resolve(baseDir, "dist/index.js") },
];
for (const s of sides) {
  if (!fs.existsSync(s.dist)) {
    console.error(`${s.dist} is missing: build that checkout first (npm run build).`);
    process.exit(2);
  }
}
const jobs = argv.length ? argv : ["seed-decide", "seed-interpret", "small-decide", "scale-decide"];
const env = { ...process.env, BENCH_BUDGET_MS: process.env.BENCH_BUDGET_MS ?? "3000" };

function once(job, side) {
  const r = spawnSync(process.execPath, [here("./worker.mjs"), job], { env: { ...env, BENCH_DIST: side.dist }, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${job} on ${side.name} failed:\n${r.stderr || r.stdout}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop());
  return out.medianNs ?? out.medianMs * 1e6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);

console.log(`| job | this: fastest / median | base: fastest / median | this ÷ base (fastest) | this ÷ base (median) |`);
console.log(`|---|---:|---:|---:|---:|`);
const notes = [];
for (const job of jobs) {
  const runs = { this: [], base: [] };
  for (let i = 0; i < rounds; i++) {
    // Alternate which side goes first, so neither always runs on a warmer or cooler machine.
    const order = i % 2 ? [sides[1], sides[0]] : sides;
    for (const s of order) runs[s.name].push(once(job, s));
  }
  const f = { this: Math.min(...runs.this), base: Math.min(...runs.base) };
  const m = { this: median(runs.this), base: median(runs.base) };
  console.log(`| ${job} | ${fmt(f.this)} / ${fmt(m.this)} | ${fmt(f.base)} / ${fmt(m.base)} | ${(f.this / f.base).toFixed(2)} | ${(m.this / m.base).toFixed(2)} |`);
  notes.push(`${job}: this ${runs.this.map(fmt).join(", ")}; base ${runs.base.map(fmt).join(", ")}`);
}
console.log("");
for (const n of notes) console.log(`- ${n}`);
