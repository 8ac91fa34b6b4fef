// Issue 16: `string(pattern:)` on its fast path (src/builtins/regex/fast.ts) against re2js, in one process,
// alternating batches, on 1 KB inputs that match (the whole input is read). ns per input byte, median and
// range over the batches. A benchmark: nothing asserted.
//
//   node bench/pattern-fast.mjs [--batches 15]
import { compileLinearPattern } from "../dist/builtins/regex/regex.js";
import { median } from "./lib/measure.mjs";

const at = process.argv.indexOf("--batches");
const batches = at > 0 ? Number(process.argv[at + 1]) : 15;
if (!Number.isInteger(batches) || batches < 1) {
  console.error("usage: node bench/pattern-fast.mjs [--batches N]");
  process.exit(2);
}
const cases = [
  ["^[a-z0-9_-]+$", "a-b_c9".repeat(171).slice(0, 1024)],
  ["^[^/]*$", "x.y-z".repeat(205).slice(0, 1024)],
  ["^\\d{1,5}$", "12345"],
  ["^/workspace/", "/workspace/" + "a".repeat(1013)],
  ["\\.json$", "a".repeat(1019) + ".json"],
  ["needle", "h".repeat(1018) + "needle"],
];
let sink = 0;
const rows = [];
for (const [p, s] of cases) {
  const fast = compileLinearPattern(p);
  const slow = compileLinearPattern(p, "", "re2");
  if ("error" in fast || "error" in slow) throw new Error(p);
  const sides = { fast: fast.test, re2: slow.test };
  const reps = Math.max(50, Math.round(20000 / s.length));
  for (const t of Object.values(sides)) for (let i = 0; i < reps; i++) sink += t(s) ? 1 : 0; // warm-up
  const ns = { fast: [], re2: [] };
  for (let b = 0; b < batches; b++) {
    for (const name of b % 2 ? ["re2", "fast"] : ["fast", "re2"]) {
      const t = sides[name];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) sink += t(s) ? 1 : 0;
      ns[name].push(Number(process.hrtime.bigint() - t0) / reps / s.length);
    }
  }
  const f = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  rows.push(`| \`${p}\` | ${s.length} | ${f(ns.fast)} | ${f(ns.re2)} | ${(median(ns.re2) / median(ns.fast)).toFixed(0)}x |`);
}
console.log("| pattern | input bytes | fast path ns/byte | re2js ns/byte | re2js ÷ fast |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(r);
if (sink === 0) console.log("(checksum 0)");
