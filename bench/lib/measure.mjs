// The timing method shared by every decision benchmark.
//
//   1. warm up: `warmup` passes over the whole mix (lets V8 tier up and fills the policy's caches);
//   2. time batches: each batch is one pass over the whole mix, timed with process.hrtime.bigint();
//      ns/decision of a batch = batch time / mix size;
//   3. stop after `batches` batches, or earlier once `budgetMs` has passed (but never before
//      `minBatches`), so a slow evaluator cannot blow the run time;
//   4. report the median batch (and p10/p90 for the spread); decisions/s = 1e9 / median ns.
//      Each batch also records the process's CPU time (process.cpuUsage, user + system, every
//      thread of the process including GC helpers): on a shared machine wall time includes time
//      the process spent descheduled, CPU time does not; the median CPU ns/decision is reported
//      next to the wall-clock figure as a cross-check.
//
// `pass(mix)` must run every request and return a number derived from every result (the effects'
// lengths summed): the checksum is printed, so V8 cannot drop the work as dead code.

export function timeBatches(pass, mix, { warmup = 3, batches = 200, minBatches = 10, budgetMs = 10_000 } = {}) {
  let checksum = 0;
  for (let w = 0; w < warmup; w++) checksum = (checksum + pass(mix)) | 0;
  const per = [];
  const cpu = [];
  const start = process.hrtime.bigint();
  const budget = BigInt(budgetMs) * 1_000_000n;
  for (let b = 0; b < batches; b++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    checksum = (checksum + pass(mix)) | 0;
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    per.push(Number(t1 - t0) / mix.length);
    cpu.push(((c1.user + c1.system) * 1000) / mix.length);
    if (per.length >= minBatches && t1 - start > budget) break;
  }
  const sorted = per.slice().sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const m = median(per);
  return { medianNs: m, p10Ns: q(0.1), p90Ns: q(0.9), perSecond: 1e9 / m, medianCpuNs: median(cpu), batches: per.length, checksum };
}

export function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
