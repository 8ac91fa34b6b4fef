// Issue 16: what a compiled policy keeps alive, and how long compiling takes. Every figure comes from a
// fresh `node --expose-gc` process (one job each); rounds interleave the jobs (and the checkouts, with
// `--compare DIR`) so machine load hits all alike; reported: median and min – max. Nothing asserts.
//
//   node bench/memory.mjs                  the tables (retained heap, compile times, the big retainers)
//   node bench/memory.mjs --json           ... as one JSON line
//   node bench/memory.mjs --compare DIR    also another built checkout (before/after, same run)
//   node bench/memory.mjs --job J [DIR]    one job (retain | retain-marginal | retain-used | snapshot | compile-50k |
//                                          compile-scale | retain-warm) on DIR's dist/ (default this checkout),
//                                          one JSON line; needs --expose-gc for retain and snapshot
//
// retain: heapUsed after gc, before and after compiling the scale policy (bench/lib/scale.mjs, 1,000
// roles x 200 tools), with the text generated and a small policy compiled first (so lazily built
// module state is not counted). snapshot: two heap snapshots around the same compile; the objects the
// second holds and the first did not, reachable from the Policy, grouped by the Policy field they are
// reached through (two levels) and by constructor; those new and NOT reachable from it are counted too
// (a module-level cache would show there). retain-used: retain, after deciding the scale mix (the mix
// is allocated before the first reading, so only what deciding builds counts). retain-marginal: the
// 1,000-role policy, then a 2,000-role one, in one process: what the second's extra 1,000 roles add,
// without the per-process JIT code the first compile brings. retain-warm: retain, for a second compile
// of the same policy (the first one dropped), so the first compile's JIT code is paid before the first
// reading: what the Policy itself keeps. Env: MEMORY_ROUNDS
// (default 5), MEMORY_SNAPSHOT=0 skips the snapshots, MEMORY_JOBS (comma-separated), MEMORY_DEPTH
// (retainer path depth, default 2), MEMORY_DEBUG=NAME (sample retainer chains of new NAME objects).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import v8 from "node:v8";
import { leanPolicyText, scaleMix, scalePolicy } from "./lib/scale.mjs";

const HERE = fileURLToPath(new URL("..", import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const jobAt = process.argv.indexOf("--job");

/** A flat copy of a string (what a file read returns), so that no compile flattens it in the measured window. */
const flat = (s) => JSON.parse(JSON.stringify(s));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (jobAt > 0) await runJob(process.argv[jobAt + 1], process.argv[jobAt + 2] ?? HERE);
else main();

async function runJob(job, dir) {
  const { compilePolicy } = await import(pathToFileURL(join(dir, "dist/index.js")).href);
  const out = (o) => process.stdout.write(JSON.stringify({ job, ...o }) + "\n");
  const gc = () => {
    globalThis.gc();
    globalThis.gc();
  };
  if (job === "compile-50k" || job === "compile-scale") {
    const { text, rules } = job === "compile-50k" ? leanPolicyText() : scalePolicy();
    const t = process.hrtime.bigint();
    compilePolicy(text, { filename: "bench.mcppolicy", readFile: null });
    return out({ ms: Number(process.hrtime.bigint() - t) / 1e6, rules, chars: text.length });
  }
  compilePolicy('policy "warm" version "1"\ndefault deny\nrole a {\n  allow tool t when client.ip in private\n}\n', { readFile: null });
  const gen = scalePolicy();
  // The generator's text is a cons string (`join(...) + "\n"`): V8 flattens it on first read, inside
  // the measured compile, and counted that copy (the whole text, 0.35 KB per role) as retained by the
  // Policy. A file read (readFileSync) is flat already: flatten here, before the first reading.
  const text = flat(gen.text);
  if (job === "retain-used") {
    // After the 10,000-request mix: every role's index and rules built (what a busy gateway holds).
    const mix = scaleMix(gen);
    gc();
    const before = process.memoryUsage().heapUsed;
    const policy = compilePolicy(text, { filename: "scale.mcppolicy", readFile: null });
    for (const req of mix) policy.decide(req);
    gc();
    const after = process.memoryUsage().heapUsed;
    globalThis.keep = [policy, mix];
    return out({ bytes: after - before, perRole: (after - before) / 1000 });
  }
  if (job === "retain-marginal") {
    // What one more role costs: the scale policy compiled (kept), then the same generator at 2,000 roles
    // (kept too); (second increase - first) / 1,000. The code V8 compiles and optimizes for the first
    // compile (a per-process cost the `retain` figure divides among the roles) is mostly paid by then.
    const text2 = flat(scalePolicy(2000).text);
    gc();
    const h0 = process.memoryUsage().heapUsed;
    const p1 = compilePolicy(text, { filename: "scale.mcppolicy", readFile: null });
    gc();
    const h1 = process.memoryUsage().heapUsed;
    const p2 = compilePolicy(text2, { filename: "scale2.mcppolicy", readFile: null });
    gc();
    const h2 = process.memoryUsage().heapUsed;
    globalThis.keep = [p1, p2, text2];
    return out({ bytes: h2 - h1 - (h1 - h0), perRole: (h2 - h1 - (h1 - h0)) / 1000 });
  }
  /** The heap the scale policy's compile leaves (after gc), the policy kept alive. */
  const retainedByCompile = () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    globalThis.keep = compilePolicy(text, { filename: "scale.mcppolicy", readFile: null });
    gc();
    return process.memoryUsage().heapUsed - before;
  };
  if (job === "retain-warm") {
    // The same policy compiled a second time in the process, the first one dropped: what the Policy
    // itself keeps, without the JIT code and feedback its first compile leaves (per process, not per role).
    compilePolicy(text, { filename: "scale.mcppolicy", readFile: null });
    const bytes = retainedByCompile();
    return out({ bytes, perRole: bytes / 1000 });
  }
  if (job === "retain") {
    const bytes = retainedByCompile();
    return out({ bytes, perRole: bytes / 1000, textBytes: text.length * 2 });
  }
  if (job === "snapshot") {
    const tmp = mkdtempSync(join(tmpdir(), "mcppolicy-heap-"));
    try {
      gc();
      const fileA = v8.writeHeapSnapshot(join(tmp, "a.heapsnapshot"));
      const policy = compilePolicy(text, { filename: "scale.mcppolicy", readFile: null });
      globalThis.keep = policy;
      gc();
      // Both written before either is read: the parsed first snapshot would otherwise be in the second.
      const fileB = v8.writeHeapSnapshot(join(tmp, "b.heapsnapshot"));
      const oldIds = new Set(readSnapshot(fileA).ids);
      return out(retainers(readSnapshot(fileB), oldIds));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  throw new Error(`unknown job ${job}`);
}

/** A parsed heap snapshot: per node its type, name, id, self size and edges. */
function readSnapshot(file) {
  const s = JSON.parse(readFileSync(file, "utf8"));
  const m = s.snapshot.meta;
  const nf = m.node_fields.length;
  const ef = m.edge_fields.length;
  const [iType, iName, iId, iSize, iEdges] = ["type", "name", "id", "self_size", "edge_count"].map((f) => m.node_fields.indexOf(f));
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => m.edge_fields.indexOf(f));
  const nodeTypes = m.node_fields.length && m.node_types[iType];
  const edgeTypes = m.edge_types[eType];
  const n = s.nodes.length / nf;
  const ids = new Array(n);
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    ids[i] = s.nodes[i * nf + iId];
    firstEdge[i] = e;
    e += s.nodes[i * nf + iEdges];
    firstEdge[i + 1] = e;
  }
  return {
    n,
    ids,
    type: (i) => nodeTypes[s.nodes[i * nf + iType]],
    name: (i) => s.strings[s.nodes[i * nf + iName]],
    size: (i) => s.nodes[i * nf + iSize],
    *edges(i) {
      for (let e = firstEdge[i]; e < firstEdge[i + 1]; e++) {
        const type = edgeTypes[s.edges[e * ef + eType]];
        const nameOrIndex = s.edges[e * ef + eName];
        const name = type === "element" || type === "hidden" ? `[${nameOrIndex}]` : s.strings[nameOrIndex];
        yield { type, name, to: s.edges[e * ef + eTo] / nf };
      }
    },
  };
}

/** New objects reachable from the Policy, by field path and by constructor; new objects not reachable from it. */
function retainers(h, oldIds) {
  let policy = -1;
  for (let i = 0; i < h.n && policy < 0; i++) if (h.type(i) === "object" && /^Policy\d*$/.test(h.name(i))) policy = i; // the bundler may rename the class (Policy2)
  if (policy < 0) throw new Error("no Policy object in the snapshot");
  const isNew = (i) => !oldIds.has(h.ids[i]);
  const label = new Map([[policy, ""]]);
  const queue = [policy];
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    const at = label.get(i);
    const depth = at === "" ? 0 : at.split(" > ").length;
    for (const e of h.edges(i)) {
      if (e.type === "weak" || e.type === "shortcut" || label.has(e.to) || !isNew(e.to)) continue;
      // Two levels of names: `ir > roles`, `compiled > decide`; array indices and map slots fold into `[]`.
      const step = e.name.startsWith("[") ? "[]" : e.name;
      label.set(e.to, depth >= Number(process.env.MEMORY_DEPTH ?? 2) ? at : at === "" ? step : `${at} > ${step}`);
      queue.push(e.to);
    }
  }
  const byPath = new Map();
  const byCtor = new Map();
  let reachable = 0;
  for (const [i, at] of label) {
    const size = h.size(i);
    reachable += size;
    byPath.set(at || "(the Policy object)", (byPath.get(at || "(the Policy object)") ?? 0) + size);
    const ctor = `${h.type(i)}:${h.name(i).slice(0, 40).replace(/\s+/g, " ")}`;
    byCtor.set(ctor, (byCtor.get(ctor) ?? 0) + size);
  }
  let unreachable = 0;
  const byCtorOther = new Map();
  for (let i = 0; i < h.n; i++) {
    if (!isNew(i) || label.has(i)) continue;
    unreachable += h.size(i);
    const ctor = `${h.type(i)}:${h.name(i).slice(0, 40).replace(/\s+/g, " ")}`;
    byCtorOther.set(ctor, (byCtorOther.get(ctor) ?? 0) + h.size(i));
  }
  // Where the new objects outside the Policy hang from: the old objects with an edge into them.
  const entry = new Map();
  for (let i = 0; i < h.n; i++) {
    if (isNew(i)) continue;
    for (const e of h.edges(i)) {
      if (e.type === "weak" || e.type === "shortcut" || !isNew(e.to) || label.has(e.to)) continue;
      const k = `${h.type(i)}:${h.name(i).slice(0, 40)} -${e.type}-> ${e.name.startsWith("[") ? "[]" : e.name}`;
      entry.set(k, (entry.get(k) ?? 0) + 1);
    }
  }
  if (process.env.MEMORY_DEBUG) {
    const rev = new Map();
    for (let i = 0; i < h.n; i++) for (const e of h.edges(i)) if (e.type !== "weak" && e.type !== "shortcut") { let l = rev.get(e.to); if (!l) rev.set(e.to, (l = [])); l.push([i, e]); }
    let shown = 0;
    for (let i = 0; i < h.n && shown < 6; i++) {
      if (!isNew(i) || label.has(i) || h.name(i) !== process.env.MEMORY_DEBUG) continue;
      if (i % 7 !== 0) continue;
      shown++;
      const chain = [];
      let j = i;
      const seen = new Set();
      for (let d = 0; d < 14 && !seen.has(j); d++) {
        seen.add(j);
        const r = (rev.get(j) ?? [])[0];
        if (!r) break;
        chain.push(`${h.type(r[0])}:${h.name(r[0]).slice(0, 30)}${isNew(r[0]) ? "" : "(old)"}${label.has(r[0]) ? "(P:" + label.get(r[0]) + ")" : ""} .${r[1].name}`);
        j = r[0];
      }
      console.error(chain.join("  <-  "));
    }
  }
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
  return { reachable, unreachable, byPath: top(byPath, 14), byCtor: top(byCtor, 12), byCtorOther: top(byCtorOther, 6), entries: top(entry, 8) };
}

function runChild(job, dir) {
  const r = spawnSync(process.execPath, ["--expose-gc", SELF, "--job", job, dir], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${job} (${dir}) exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

function main() {
  const rounds = Number(process.env.MEMORY_ROUNDS ?? 5);
  const at = process.argv.indexOf("--compare");
  const roots = [{ label: "this checkout", dir: HERE }];
  if (at > 0) roots.unshift({ label: resolve(process.argv[at + 1]), dir: resolve(process.argv[at + 1]) });
  for (const r of roots) if (!existsSync(join(r.dir, "dist/index.js"))) throw new Error(`${r.dir}: dist/ is missing (build it first)`);
  const jobs = (process.env.MEMORY_JOBS ?? "retain,retain-marginal,retain-used,compile-50k,compile-scale").split(",");
  const cells = roots.flatMap((root) => jobs.map((job) => ({ root, job, runs: [] })));
  for (let k = 0; k < rounds; k++) {
    for (const c of cells) {
      process.stderr.write(`  round ${k + 1}/${rounds} ${c.job} (${c.root.label}) ...\n`);
      c.runs.push(runChild(c.job, c.root.dir));
    }
  }
  const snaps = process.env.MEMORY_SNAPSHOT === "0" ? [] : roots.map((root) => ({ root, s: runChild("snapshot", root.dir) }));
  const rows = cells.map((c) => {
    const xs = c.runs.map((r) => (c.job.startsWith("retain") ? r.perRole : r.ms));
    return { checkout: c.root.label, job: c.job, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs, rules: c.runs[0].rules, chars: c.runs[0].chars };
  });
  if (process.argv.includes("--json")) return console.log(JSON.stringify({ rounds, rows, snapshots: snaps.map(({ root, s }) => ({ checkout: root.label, ...s })) }));
  const what = {
    retain: "retained heap per role after compile, scale policy (1,000 roles x 200 tools), bytes",
    "retain-used": "the same after deciding its 10,000-request mix (every role used), bytes",
    "retain-marginal": "retained heap of one more role: (2,000-role policy - 1,000-role policy) / 1,000, compiled in one process, bytes",
    "retain-warm": "retained heap per role of a second compile of the scale policy (the first dropped: no first-compile JIT code), bytes",
    "compile-50k": "compile 50,000 rules (leanPolicyText: 2,500 roles x 20), ms",
    "compile-scale": "compile the scale policy, ms",
  };
  console.log(`| checkout | measure (${rounds} fresh processes each, interleaved) | median | min | max |`);
  console.log("|---|---|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.checkout} | ${what[r.job]} | ${Math.round(r.median).toLocaleString("en-US")} | ${Math.round(r.min).toLocaleString("en-US")} | ${Math.round(r.max).toLocaleString("en-US")} |`);
  const kb = (b) => `${(b / 1024).toFixed(0)} KiB`;
  for (const { root, s } of snaps) {
    console.log(`\n${root.label}: new objects reachable from the Policy ${kb(s.reachable)}, new and not reachable from it ${kb(s.unreachable)}`);
    console.log("\n| reached through | self size |\n|---|---:|");
    for (const [p, b] of s.byPath) console.log(`| \`${p}\` | ${kb(b)} |`);
    console.log("\n| node type:constructor (reachable from the Policy) | self size |\n|---|---:|");
    for (const [p, b] of s.byCtor) console.log(`| \`${p}\` | ${kb(b)} |`);
    console.log("\n| node type:constructor (new, not reachable from the Policy) | self size |\n|---|---:|");
    for (const [p, b] of s.byCtorOther) console.log(`| \`${p}\` | ${kb(b)} |`);
  }
}
