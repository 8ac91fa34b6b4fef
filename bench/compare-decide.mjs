// Seed decisions of this checkout against another built checkout, in ONE process and ONE run:
//   node bench/compare-decide.mjs /path/to/other/checkout [rounds]
// Both `dist/`s compile `policies/seed.mcppolicy` (this checkout's) and decide the same 10,000-request
// mix (lib/seed-mix.mjs), in alternating passes (other, this, other, this, ...) after 20 warm-up passes
// each, so machine load falls on both alike. Each version's call sites are its own modules, so neither
// sees the other's type feedback. Prints p10, median and min ns/decision of each, and their ratios.
// Nothing asserts: a benchmark, not a test.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { seedMix } from "./lib/seed-mix.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const other = process.argv[2];
if (!other) {
  console.error("usage: node bench/compare-decide.mjs OTHER_CHECKOUT [rounds]");
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 200);
const A = await import(pathToFileURL(path.resolve(other, "dist/index.js")).href);
const B = await import(pathToFileURL(here("../dist/index.js")).href);
const file = here("../policies/seed.mcppolicy");
const text = fs.readFileSync(file, "utf8");
const pa = A.compilePolicy(text, { filename: file });
const pb = B.compilePolicy(text, { filename: file });
const mix = seedMix();
const pass = (p) => {
  let s = 0;
  for (let i = 0; i < mix.length; i++) s += p.decide(mix[i]).effect.length;
  return s;
};
const passA = () => pass(pa);
const passB = () => pass(pb);
for (let i = 0; i < 20; i++) {
  passA();
  passB();
}
const ta = [];
const tb = [];
let checksum = 0;
for (let i = 0; i < rounds; i++) {
  let t = process.hrtime.bigint();
  checksum += passA();
  ta.push(Number(process.hrtime.bigint() - t) / mix.length);
  t = process.hrtime.bigint();
  checksum += passB();
  tb.push(Number(process.hrtime.bigint() - t) / mix.length);
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
const row = (name, xs) => `${name.padEnd(6)} p10 ${q(xs, 0.1).toFixed(0)}  median ${q(xs, 0.5).toFixed(0)}  min ${q(xs, 0).toFixed(0)} ns/decision`;
console.log(row("other", ta));
console.log(row("this", tb));
console.log(`this/other: p10 ${(q(tb, 0.1) / q(ta, 0.1)).toFixed(3)}, median ${(q(tb, 0.5) / q(ta, 0.5)).toFixed(3)}, min ${(q(tb, 0) / q(ta, 0)).toFixed(3)} (${rounds} rounds, checksum ${checksum})`);
