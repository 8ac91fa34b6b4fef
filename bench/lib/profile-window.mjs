// A summary of a .cpuprofile after its first MS milliseconds (start-up left out: module loading, policy
// compile), for the steady state of a long-running process such as the stdio proxy under bench/proxy.mjs
// --cpu-prof. Idle time is counted apart; the tables give self time and inclusive time (this repo's dist/
// frames only) as shares of the busy time.
//
//   node bench/lib/profile-window.mjs FILE.cpuprofile [--skip-ms MS (default 4000)] [--top N (default 25)]
import fs from "node:fs";
const prof = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const opt = (name, dflt) => { const at = process.argv.indexOf(name); return at > 0 ? Number(process.argv[at + 1]) : dflt; };
const skipMs = opt("--skip-ms", 4000);
const top = opt("--top", 25);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map(), incl = new Map();
let t = 0, total = 0, idle = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0; t += dt;
  if (t / 1000 < skipMs) continue;
  const node = byId.get(prof.samples[i]);
  const cf = node.callFrame;
  const key = `${cf.functionName || "(anonymous)"} ${cf.url ? `${cf.url.replace(/^.*\/(dist|bench|node_modules)\//, "$1/")}:${cf.lineNumber + 1}` : ""}`;
  total += dt;
  if (cf.functionName === "(idle)") { idle += dt; continue; }
  self.set(key, (self.get(key) ?? 0) + dt);
  const seen = new Set();
  for (let id = node.id; id !== undefined; id = parent.get(id)) {
    const f = byId.get(id).callFrame;
    const k = `${f.functionName || "(anonymous)"} ${f.url ? `${f.url.replace(/^.*\/(dist|bench|node_modules)\//, "$1/")}:${f.lineNumber + 1}` : ""}`;
    if (seen.has(k)) continue; seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + dt);
  }
}
const busy = total - idle;
console.log(`window: ${(total / 1000).toFixed(0)} ms sampled after ${skipMs} ms, idle ${(idle / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms`);
console.log("-- self (share of busy)");
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(v / 1000).toFixed(0).padStart(6)} ms ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
console.log("-- inclusive (share of busy)");
for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).filter(([k]) => /dist\//.test(k)).slice(0, top)) console.log(`${(v / 1000).toFixed(0).padStart(6)} ms ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
