// A focused loop for profiling one evaluator:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.mjs seed-decide [seconds]
//   node bench/profile.mjs --summary /tmp/prof/<file>.cpuprofile [top]
// Jobs: seed-decide, seed-interpret, seed-handwritten, scale-decide, scale-interpret, compile.
// The summary lists the functions with the most self time (where the samples landed).
import fs from "node:fs";
import { fileURLToPath } from "node:url";

if (process.argv[2] === "--summary") {
  const prof = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
  const top = Number(process.argv[4] ?? 25);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const cf = byId.get(prof.samples[i]).callFrame;
    const where = cf.url ? `${cf.url.replace(/^.*\/(dist|bench|node_modules)\//, "$1/")}:${cf.lineNumber + 1}` : "";
    const key = `${cf.functionName || "(anonymous)"} ${where}`;
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  console.log(`total ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(v / 1000).toFixed(0).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
  process.exit(0);
}

const { compilePolicy } = await import("../dist/index.js");
const { decideSeed } = await import("./handwritten-seed.mjs");
const { seedMix } = await import("./lib/seed-mix.mjs");
const { scaleMix, scalePolicy, compilePolicyText } = await import("./lib/scale.mjs");

const job = process.argv[2] ?? "seed-decide";
const seconds = Number(process.argv[3] ?? 5);
let run;
if (job.startsWith("seed-")) {
  const policy = compilePolicy(fs.readFileSync(fileURLToPath(new URL("../policies/seed.mcppolicy", import.meta.url)), "utf8"));
  const mix = seedMix();
  const f = job === "seed-decide" ? (r) => policy.decide(r).effect : job === "seed-interpret" ? (r) => policy.interpret(r).effect : decideSeed;
  run = () => {
    let s = 0;
    for (const r of mix) s += f(r).length;
    return s;
  };
} else if (job.startsWith("scale-")) {
  const gen = scalePolicy();
  const policy = compilePolicy(gen.text, { readFile: null });
  const mix = scaleMix(gen);
  const f = job === "scale-decide" ? (r) => policy.decide(r).effect : (r) => policy.interpret(r).effect;
  run = () => {
    let s = 0;
    for (const r of mix) s += f(r).length;
    return s;
  };
} else if (job === "compile") {
  const { text } = compilePolicyText();
  run = () => compilePolicy(text, { readFile: null }).warnings.length;
} else throw new Error(`unknown job ${job}`);

const end = Date.now() + seconds * 1000;
let sum = 0;
let n = 0;
while (Date.now() < end) {
  sum += run();
  n++;
}
console.log(`${job}: ${n} passes, checksum ${sum}`);
