// Before/after of the compiled history predicates in one process: this checkout's dist/ and other built
// checkouts' dist/ decide the history benchmark's pool (bench/lib/history-gen.mjs: 100 history rules over
// 1,000 events, the array reused), batch for batch (2,000 decisions), alternating which goes first, so
// all see the same machine load. The builds are separate module instances (no shared type feedback).
// A benchmark, not a test: nothing is asserted.
//
//   node bench/ab-history.mjs DIR [DIR ...]        also DIR's dist/ (e.g. `git archive REV | tar -x -C DIR`, link
//                                                  node_modules, `npm run build` there)
//   HISTORY_DISTINCT=0 node bench/ab-history.mjs DIR   the default policy (26 shared predicates) instead of
//                                                  the one where every rule's predicate is distinct
// Prints per build: the median and fastest batch, µs per decision (10 warm-up rounds, then 50).
import { fileURLToPath } from "node:url";
import { historyEvents, historyPolicy, historyRequests } from "./lib/history-gen.mjs";

const here = fileURLToPath(new URL("..", import.meta.url));
const dirs = [here, ...process.argv.slice(2)];
const distinct = process.env.HISTORY_DISTINCT !== "0";
const END = 1_800_000_000_000;
const BATCH = 2000;
const sides = [];
for (const d of dirs) {
  const { compilePolicy } = await import(`${d}/dist/index.js`);
  const policy = compilePolicy(historyPolicy(100, distinct), { readFile: null });
  const history = historyEvents(1000, END);
  const reqs = historyRequests(64, END + 500);
  for (const r of reqs) {
    r.session.history = history;
    r.session.historyDroppedUntil = history[0].at - 1000;
  }
  sides.push({ d, policy, reqs, t: [] });
}
let checksum = 0;
for (let round = 0; round < 60; round++) {
  for (const side of round & 1 ? sides : [...sides].reverse()) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) checksum += side.policy.decide(side.reqs[i & 63]).effect.length;
    if (round >= 10) side.t.push(Number(process.hrtime.bigint() - t0) / BATCH);
  }
}
console.log(`history decide, 100 rules (${distinct ? "every predicate distinct" : "26 shared predicates"}), 1,000 events; µs per decision over batches of ${BATCH} (checksum ${checksum})`);
for (const side of sides) {
  side.t.sort((a, b) => a - b);
  console.log(`${side.d === here ? "this checkout" : side.d}: median ${(side.t[side.t.length >> 1] / 1000).toFixed(2)}, fastest ${(side.t[0] / 1000).toFixed(2)}`);
}
