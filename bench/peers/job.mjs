// One timing job in a fresh process: one engine, one scenario. Prints one JSON line
// { engine, scenario, nsPerDecision, cpuNsPerDecision, batches, batchSize, decisions, checksum } and exits.
//
// Method: build the engine and every request's native input (untimed); warm up for up to 3 passes
// over the mix or WARMUP_MS (default 400), whichever ends first; then timed batches of consecutive
// requests (cycling through the mix) sized to take about 20 ms each (the whole mix for engines faster
// than 20 us a decision in the last warm-up chunk), until
// BUDGET_MS (default 800) has passed and at least 5 batches ran.
// Reported: the median batch's wall-clock ns/decision, and its process CPU time (process.cpuUsage, user +
// system, every thread: GC helpers included) per decision, which leaves out time spent descheduled
// on a busy machine. The checksum (allowed decisions counted) keeps V8 from
// dropping the work.
//
//   node bench/peers/job.mjs ENGINE SCENARIO
import { loadEngine } from "./engines.mjs";
import { scenario, mix } from "./scenario.mjs";

const WARMUP_MS = Number(process.env.WARMUP_MS ?? 400);
const BUDGET_MS = Number(process.env.BUDGET_MS ?? 800);

export async function runJob(engine, scenarioName) {
  const sc = scenario(scenarioName);
  const ad = await loadEngine(engine, sc);
  const inputs = mix(sc).map((r) => ad.input(r));
  const decide = ad.decide;
  let checksum = 0;
  let at = 0;
  const run = (n) => {
    for (let k = 0; k < n; k++) {
      if (decide(inputs[at])) checksum++;
      if (++at === inputs.length) at = 0;
    }
  };
  // warm up, and estimate the cost of one decision
  const w0 = performance.now();
  const chunk = Math.min(100, inputs.length);
  let warmed = 0;
  let estimateNs = Infinity; // of the last chunk: the first calls run unoptimized
  while (warmed < 3 * inputs.length && performance.now() - w0 < WARMUP_MS) {
    const c0 = performance.now();
    run(chunk);
    estimateNs = ((performance.now() - c0) * 1e6) / chunk;
    warmed += chunk;
  }
  const batchSize = estimateNs < 20_000 ? inputs.length : Math.max(1, Math.round(20e6 / estimateNs));
  const per = [];
  const cpu = [];
  const t0 = process.hrtime.bigint();
  const budget = BigInt(BUDGET_MS) * 1_000_000n;
  for (;;) {
    const c0 = process.cpuUsage();
    const b0 = process.hrtime.bigint();
    run(batchSize);
    const b1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    per.push(Number(b1 - b0) / batchSize);
    cpu.push(((c1.user + c1.system) * 1000) / batchSize);
    if (per.length >= 5 && b1 - t0 > budget) break;
  }
  return { engine, scenario: scenarioName, nsPerDecision: median(per), cpuNsPerDecision: median(cpu), batches: per.length, batchSize, decisions: per.length * batchSize, checksum };
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [engine, name] = process.argv.slice(2);
  try {
    if (!engine || !name) throw new Error("usage: node bench/peers/job.mjs ENGINE SCENARIO");
    process.stdout.write(JSON.stringify(await runJob(engine, name)) + "\n");
  } catch (err) {
    process.stderr.write(`job: ${err.message}\n`);
    process.exit(1);
  }
}
