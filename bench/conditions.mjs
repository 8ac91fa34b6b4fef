// The cost of compiled conditions (issue 16, hot path): per condition shape, a policy of
// `role agent { allow tool "*" }` and N top-level rules `deny tool "*" when SHAPE` built never to hold
// (so every decision evaluates every rule and allows), decided by this checkout's dist/ and by another
// built checkout's dist/ in one process, batch for batch, alternating which goes first (as bench/ab.mjs).
// Each shape runs in its own child process: the closures compiled for one shape never share type
// feedback with another's, so one shape's figure does not depend on which shapes ran before it.
// A benchmark, not a test: nothing is asserted.
//
//   node bench/conditions.mjs --base DIR [--rules 200] [--batches 15] [--batch-ms 100] [--shape TEXT]...
//
// SHAPE is condition text where NN is the rule's number (two digits). Prints a Markdown table: per
// side the median batch's process CPU ns per decision, base / branch, and the branch's ns per rule
// above the `1 > 1000NN` floor (no attribute read).
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./lib/measure.mjs";

const arg = (name, dflt) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : dflt;
};
const all = (name) => process.argv.flatMap((a, i) => (a === name ? [process.argv[i + 1]] : []));

const SHAPES = [
  "1 > 1000NN",
  "args.x > 1000NN",
  "args.n.y > 1000NN",
  'args.to == "zNN"',
  'args.to != "zNN" and args.x > 1000NN',
  "args.x in [1000NN, 2]",
  'args.to matches "zNN*"',
  'args.to contains "zNN"',
  'tool.name == "zNN"',
  'principal.claims.org == "zNN"',
  "not has args.to",
  "has args.zNN",
  "args.zNN ?? 5 > 1000NN",
];

/** 64 requests: one role, 20 tools, arguments { to, x, n: { y } }, a claim. */
function requests() {
  return Array.from({ length: 64 }, (_, i) => ({
    principal: { id: "bench-user", roles: ["agent"], claims: { org: `o${i % 4}` } },
    method: "tools/call",
    tool: `t${i % 20}`,
    arguments: { to: `p${i % 10}`, x: i * 7, n: { y: i } },
  }));
}

async function child(baseDir, shape, rules, batches, batchMs) {
  const sides = {
    base: await import(pathToFileURL(resolve(baseDir, "dist", "index.js")).href),
    branch: await import(new URL("../dist/index.js", import.meta.url).href),
  };
  const lines = Array.from({ length: rules }, (_, a) => `deny tool "*" when ${shape.replaceAll("NN", String(a).padStart(2, "0"))}`);
  const text = `policy "conditions"\nrole agent { allow tool "*" }\n${lines.join("\n")}\n`;
  const reqs = requests();
  const policies = Object.fromEntries(Object.entries(sides).map(([k, m]) => [k, m.compilePolicy(text, { readFile: null })]));
  for (const [k, p] of Object.entries(policies)) {
    const d = p.decide(reqs[0]);
    if (d.effect !== "allow") throw new Error(`${k}: \`${shape}\` does not allow (${d.reasons[0]?.code}: ${d.reasons[0]?.message})`);
  }
  let checksum = 0;
  const batch = (p) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < batchMs) {
      for (let i = 0; i < 64; i++) checksum += p.decide(reqs[i]).effect.length;
      n += 64;
    }
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / n;
  };
  for (let w = 0; w < 3; w++) for (const p of Object.values(policies)) batch(p);
  const out = { base: [], branch: [] };
  for (let b = 0; b < batches; b++) for (const k of b % 2 ? ["branch", "base"] : ["base", "branch"]) out[k].push(batch(policies[k]));
  return { shape, base: median(out.base), branch: median(out.branch), checksum };
}

const baseDir = arg("--base");
if (!baseDir) {
  console.error("usage: node bench/conditions.mjs --base DIR [--rules 200] [--batches 15] [--batch-ms 100] [--shape TEXT]...");
  process.exit(2);
}
const rules = Number(arg("--rules", "200"));
const batches = Number(arg("--batches", "15"));
const batchMs = Number(arg("--batch-ms", "100"));
if (process.argv.includes("--child")) {
  console.log(JSON.stringify(await child(baseDir, arg("--shape"), rules, batches, batchMs)));
} else {
  const shapes = all("--shape").length ? all("--shape") : SHAPES;
  const self = fileURLToPath(import.meta.url);
  const rows = shapes.map((shape) => {
    const args = [self, "--child", "--base", baseDir, "--shape", shape, "--rules", String(rules), "--batches", String(batches), "--batch-ms", String(batchMs)];
    return JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8" }).trim().split("\n").pop());
  });
  const floor = rows.find((r) => r.shape === "1 > 1000NN")?.branch;
  const fmt = (n) => (n >= 100_000 ? `${(n / 1000).toFixed(0)} k` : n >= 10_000 ? `${(n / 1000).toFixed(1)} k` : n.toFixed(0));
  console.log(`${rules} rules, CPU ns per decision (median of ${batches} alternating batches of ${batchMs} ms per side)\n`);
  console.log("| condition (NN: the rule's number) | base | branch | base / branch | branch ns per rule above the floor |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const above = floor === undefined || r.shape === "1 > 1000NN" ? "" : ((r.branch - floor) / rules).toFixed(1);
    console.log(`| \`${r.shape}\` | ${fmt(r.base)} | ${fmt(r.branch)} | ${(r.base / r.branch).toFixed(2)} | ${above} |`);
  }
}
