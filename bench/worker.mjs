// One measurement in a fresh process: `node bench/worker.mjs <job>` prints one JSON line.
// bench/run.mjs starts one process per job, one after the other, so every evaluator is timed with a
// clean heap and its own type feedback (no call site shared between decide, interpret and the
// hand-written function). Jobs:
//   seed-verify, seed-decide, seed-interpret, seed-handwritten, norule-decide, norule-handwritten (issue 16:
//   the seed-mix requests denied `no_rule`),
//   scale-verify, scale-decide, scale-interpret, small-decide, compile, compile-quoted
import fs from "node:fs";
import { fileURLToPath } from "node:url";
// BENCH_DIST: another built checkout's dist/index.js (bench/compare.mjs measures two builds in one run).
const { compilePolicy } = await import(process.env.BENCH_DIST ? new URL(`file://${process.env.BENCH_DIST}`).href : "../dist/index.js");
import { decideSeed } from "./handwritten-seed.mjs";
import { median, timeBatches } from "./lib/measure.mjs";
import { seedMix } from "./lib/seed-mix.mjs";
import { compilePolicyText, scaleMix, scalePolicy } from "./lib/scale.mjs";

const SEED_POLICY = fileURLToPath(new URL("../policies/seed.mcppolicy", import.meta.url));
const job = process.argv[2];
const budgetMs = Number(process.env.BENCH_BUDGET_MS ?? 10_000);
const out = (o) => process.stdout.write(JSON.stringify({ job, ...o }) + "\n");

function loadSeed() {
  return compilePolicy(fs.readFileSync(SEED_POLICY, "utf8"), { filename: SEED_POLICY });
}

function loadScale(nRoles) {
  const gen = nRoles === undefined ? scalePolicy() : scalePolicy(nRoles);
  const t0 = process.hrtime.bigint();
  const policy = compilePolicy(gen.text, { filename: "scale.mcppolicy", readFile: null });
  const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { gen, policy, compileMs };
}

function effects(list) {
  const c = {};
  for (const e of list) c[e] = (c[e] ?? 0) + 1;
  return c;
}

/** JSON text with object keys sorted and undefined-valued keys left out. */
function canonical(v) {
  return JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
}

/** Full decisions of decide and interpret must be equal; `other` (effects) must equal decide's effects. */
function verify(policy, mix, other) {
  let interpMismatch = 0;
  let otherMismatch = 0;
  const examples = [];
  const decided = [];
  for (const req of mix) {
    const d = policy.decide(req);
    decided.push(d.effect);
    const i = policy.interpret(req);
    // Equal as JSON values, as the differential tests compare: the compiled function keeps one object
    // shape (undefined `risk`/`visibility`) and the two write keys in different orders.
    if (canonical(d) !== canonical(i)) {
      interpMismatch++;
      if (examples.length < 5) examples.push({ kind: "interpret", req, decide: d, interpret: i });
    }
    if (other) {
      const h = other(req);
      if (h !== d.effect) {
        otherMismatch++;
        if (examples.length < 5) examples.push({ kind: "handwritten", req, decide: d, handwritten: h });
      }
    }
  }
  return { requests: mix.length, effects: effects(decided), interpretMismatches: interpMismatch, handwrittenMismatches: other ? otherMismatch : undefined, examples };
}

// Each pass is its own function so that every process has exactly one monomorphic call site.
const passDecide = (policy) => (mix) => {
  let s = 0;
  for (let i = 0; i < mix.length; i++) s += policy.decide(mix[i]).effect.length;
  return s;
};
const passInterpret = (policy) => (mix) => {
  let s = 0;
  for (let i = 0; i < mix.length; i++) s += policy.interpret(mix[i]).effect.length;
  return s;
};
const passHandwritten = (mix) => {
  let s = 0;
  for (let i = 0; i < mix.length; i++) s += decideSeed(mix[i]).length;
  return s;
};

/** Issue 16's "no rule" case: the seed-mix requests that `decide` denies with `no_rule`, repeated to 10,000. */
function noRuleMix(policy) {
  const only = seedMix().filter((r) => policy.decide(r).reasons[0]?.code === "no_rule");
  return Array.from({ length: 10_000 }, (_, i) => only[i % only.length]);
}

switch (job) {
  case "seed-verify":
    out(verify(loadSeed(), seedMix(), decideSeed));
    break;
  case "seed-decide":
    out(timeBatches(passDecide(loadSeed()), seedMix(), { budgetMs }));
    break;
  case "seed-interpret":
    out(timeBatches(passInterpret(loadSeed()), seedMix(), { budgetMs }));
    break;
  case "seed-handwritten":
    out(timeBatches(passHandwritten, seedMix(), { budgetMs }));
    break;
  case "norule-decide": {
    const policy = loadSeed();
    out(timeBatches(passDecide(policy), noRuleMix(policy), { budgetMs }));
    break;
  }
  case "norule-handwritten":
    out(timeBatches(passHandwritten, noRuleMix(loadSeed()), { budgetMs }));
    break;

  case "scale-verify": {
    const { gen, policy, compileMs } = loadScale();
    out({ ...verify(policy, scaleMix(gen)), compileMs, rules: gen.rules, sourceBytes: Buffer.byteLength(gen.text) });
    break;
  }
  case "small-decide": {
    // The same generator and request shapes at 10 roles: the growth baseline for flatness.
    const { gen, policy } = loadScale(10);
    out(timeBatches(passDecide(policy), scaleMix(gen), { budgetMs }));
    break;
  }
  case "scale-decide": {
    const { gen, policy } = loadScale();
    out(timeBatches(passDecide(policy), scaleMix(gen), { budgetMs }));
    break;
  }
  case "scale-interpret": {
    const { gen, policy } = loadScale();
    out(timeBatches(passInterpret(policy), scaleMix(gen), { budgetMs }));
    break;
  }
  case "compile":
  case "compile-quoted": {
    const { text, rules } = compilePolicyText(500, 20, { quoted: job === "compile-quoted" });
    // The quoted variant is a diagnostic (how much of the time is the W0006 lint): 3 runs are enough.
    const runs = Number(process.env.BENCH_COMPILE_RUNS ?? (job === "compile" ? 5 : 3));
    let warnings = 0;
    const once = () => {
      const t0 = process.hrtime.bigint();
      const p = compilePolicy(text, { filename: "compile.mcppolicy", readFile: null });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      warnings = p.warnings.length;
      return ms;
    };
    const warm = once();
    const times = [];
    for (let i = 0; i < runs; i++) times.push(once());
    out({ rules, sourceBytes: Buffer.byteLength(text), warmupMs: warm, timesMs: times, medianMs: median(times), warnings });
    break;
  }
  default:
    console.error(`unknown job ${job}`);
    process.exit(2);
}
