// Issue 16: bytes allocated per decision of the seed mix, by outcome (the first reason's code), for this
// checkout's dist/ and optionally another built checkout's (`--base DIR`), in one process, alternating.
//
//   node bench/alloc.mjs [--base DIR] [--rounds 30]
//
// Method: the mix is grouped by the outcome this checkout's decide gives; each group is decided in batches
// of up to 2,000 requests, and a batch's allocation is the growth of V8's used heap across it (nothing
// is kept, so the growth is what the batch allocated; a batch during which a scavenge ran shows a drop
// and is discarded). Reported: the median over the rounds in bytes per decision. A benchmark: nothing
// asserted. One JSON line per side and outcome, then a table.
import fs from "node:fs";
import { resolve } from "node:path";
import v8 from "node:v8";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./lib/measure.mjs";
import { seedMix } from "./lib/seed-mix.mjs";

const arg = (name, dflt) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : dflt;
};
const rounds = Number(arg("--rounds", "30"));
const baseDir = arg("--base");
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error("usage: node bench/alloc.mjs [--base DIR] [--rounds N]");
  process.exit(2);
}
const here = fileURLToPath(new URL("..", import.meta.url));
const text = fs.readFileSync(resolve(here, "policies/seed.mcppolicy"), "utf8");
const sides = [{ name: "this", dir: here }];
if (baseDir) sides.push({ name: "base", dir: resolve(baseDir) });
for (const s of sides) {
  const lib = await import(pathToFileURL(resolve(s.dir, "dist/index.js")).href);
  s.policy = lib.compilePolicy(text);
}
const mix = seedMix();
const groups = new Map();
for (const req of mix) {
  const d = sides[0].policy.decide(req);
  const k = `${d.effect}:${d.reasons[0]?.code ?? "-"}`;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k).push(req);
}
groups.set("all", mix);
// Warm-up: every cache and memo of both sides, and optimized code.
for (let i = 0; i < 5; i++) for (const s of sides) for (const req of mix) s.policy.decide(req);

const used = () => v8.getHeapStatistics().used_heap_size;
const samples = new Map();
let sink = 0;
for (let r = 0; r < rounds; r++) {
  for (const s of r % 2 ? [...sides].reverse() : sides) {
    for (const [k, reqs] of groups) {
      const n = Math.min(reqs.length, 2000);
      const before = used();
      for (let i = 0; i < n; i++) sink += s.policy.decide(reqs[i]).effect.length;
      const grown = used() - before;
      if (grown < 0) continue; // a scavenge ran inside the batch
      const key = `${s.name} ${k}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(grown / n);
    }
  }
}
const rows = [];
for (const [k] of groups) {
  const row = { outcome: k, requests: groups.get(k).length };
  for (const s of sides) {
    const xs = samples.get(`${s.name} ${k}`) ?? [];
    row[s.name] = xs.length ? Math.round(median(xs)) : null;
    row[`${s.name}Samples`] = xs.length;
  }
  rows.push(row);
}
for (const row of rows) console.log(JSON.stringify(row));
console.log(`\n| outcome | requests in mix | ${sides.map((s) => `${s.name} B/decision`).join(" | ")} |`);
console.log(`| --- | ---: | ${sides.map(() => "---:").join(" | ")} |`);
for (const row of rows) console.log(`| ${row.outcome} | ${row.requests} | ${sides.map((s) => row[s.name] ?? "n/a").join(" | ")} |`);
if (sink === 0) console.log("(checksum 0)");
