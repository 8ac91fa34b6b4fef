// The peers side-by-side (issue 16): every engine x scenario timed in its own process (job.mjs),
// ROUNDS rounds (default 5) with the job order shuffled in each round (seeded, so a rerun shuffles
// alike), so load on this shared machine falls on every engine alike. Per engine and scenario: the
// median over rounds of each process's median ns/decision, and the spread (min-max over rounds).
// Ratios: mcppolicy / plain JS and fastest peer / mcppolicy, of the medians, with the range of the
// same ratio taken round by round. Writes the table into bench/README.md between
// <!-- peers:begin --> and <!-- peers:end --> unless --no-write. Run verify.mjs first (npm run bench:peers does).
//
//   node bench/peers/run.mjs [--rounds N] [--engine NAME]... [--scenario NAME]... [--no-write]
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { ENGINES } from "./engines.mjs";
import { SCENARIOS, scenario } from "./scenario.mjs";
import { parseList, positiveInt } from "./args.mjs";
import { Rng } from "../lib/prng.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const README = fileURLToPath(new URL("../README.md", import.meta.url));
const BEGIN = "<!-- peers:begin -->";
const END = "<!-- peers:end -->";

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function runJob(engine, name) {
  const r = spawnSync(process.execPath, [`${HERE}job.mjs`, engine, name], { encoding: "utf8", env: process.env, maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`job ${engine} ${name} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

export function runAll({ rounds = 5, engines = ENGINES.map((e) => e.name), scenarios = SCENARIOS, log = (s) => process.stderr.write(s + "\n") } = {}) {
  const results = new Map(); // "engine scenario" -> [ns per round]
  const cpu = new Map(); // "engine scenario" -> [CPU ns per round]
  const perRound = [];
  const rng = new Rng(1616);
  for (let round = 0; round < rounds; round++) {
    const jobs = [];
    for (const s of scenarios) for (const e of engines) jobs.push([e, s]);
    for (let i = jobs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [jobs[i], jobs[j]] = [jobs[j], jobs[i]];
    }
    const got = new Map();
    for (const [e, s] of jobs) {
      const r = runJob(e, s);
      got.set(`${e} ${s}`, r.nsPerDecision);
      if (!results.has(`${e} ${s}`)) results.set(`${e} ${s}`, []);
      results.get(`${e} ${s}`).push(r.nsPerDecision);
      if (!cpu.has(`${e} ${s}`)) cpu.set(`${e} ${s}`, []);
      cpu.get(`${e} ${s}`).push(r.cpuNsPerDecision);
      log(`round ${round + 1}/${rounds} ${s.padEnd(5)} ${e.padEnd(9)} ${fmtNs(r.nsPerDecision)} ns (${r.decisions} decisions)`);
    }
    perRound.push(got);
  }
  return { results, cpu, perRound, rounds, engines, scenarios };
}

function fmtNs(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} M`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(0)} k`;
  return ns >= 100 ? ns.toFixed(0) : ns.toFixed(1);
}

const fmtRatio = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(2));

/** The markdown section: machine, method, one table per scenario, ratios and targets. */
export function report({ results, cpu, perRound, rounds, engines, scenarios }, { date = new Date(), load = os.loadavg() } = {}) {
  const cpus = os.cpus();
  const L = [];
  L.push(`Run ${date.toISOString().slice(0, 16).replace("T", " ")} UTC on ${os.availableParallelism()} cores (${cpus[0]?.model ?? "unknown CPU"}), Node ${process.version}, load average ${load.map((x) => x.toFixed(1)).join(" / ")} at the start; ${rounds} rounds, one process per engine and scenario per round, job order shuffled per round. ns/decision: the median over rounds of each process's median batch; spread: min-max over rounds; CPU: the same median of process CPU time per decision (leaves out time descheduled).`, "");
  for (const s of scenarios) {
    const sc = scenario(s);
    L.push(`**${s}** (${sc.roles.length} roles x ${sc.tools.length} tools + the read_file path rule, 10,000-request seeded mix)`, "");
    L.push("| engine | ns/decision | spread | x plain JS | CPU ns/decision | CPU x plain JS |", "| --- | ---: | ---: | ---: | ---: | ---: |");
    const plainCpu = cpu.has(`plain ${s}`) ? median(cpu.get(`plain ${s}`)) : undefined;
    const plain = results.has(`plain ${s}`) ? median(results.get(`plain ${s}`)) : undefined;
    for (const e of engines) {
      const xs = results.get(`${e} ${s}`);
      const m = median(xs);
      const label = ENGINES.find((x) => x.name === e).label;
      const c = median(cpu.get(`${e} ${s}`));
      L.push(`| ${label} | ${fmtNs(m)} | ${fmtNs(Math.min(...xs))}–${fmtNs(Math.max(...xs))} | ${plain ? fmtRatio(m / plain) : "—"} | ${fmtNs(c)} | ${plainCpu ? fmtRatio(c / plainCpu) : "—"} |`);
    }
    L.push("");
    const peers = engines.filter((e) => ENGINES.find((x) => x.name === e).kind === "peer");
    if (results.has(`mcppolicy ${s}`) && plain !== undefined) {
      const rs = perRound.map((g) => g.get(`mcppolicy ${s}`) / g.get(`plain ${s}`));
      const r = median(results.get(`mcppolicy ${s}`)) / plain;
      const target = s === "base" ? ` (target: at most 4: ${r <= 4 ? "**met**" : "**missed**"})` : "";
      L.push(`- mcppolicy / plain JS: ${fmtRatio(r)} (per round ${fmtRatio(Math.min(...rs))}–${fmtRatio(Math.max(...rs))})${target}`);
    }
    if (results.has(`mcppolicy ${s}`) && peers.length > 0) {
      const fastest = peers.reduce((a, b) => (median(results.get(`${a} ${s}`)) <= median(results.get(`${b} ${s}`)) ? a : b));
      const rs = perRound.map((g) => Math.min(...peers.map((p) => g.get(`${p} ${s}`))) / g.get(`mcppolicy ${s}`));
      const r = median(results.get(`${fastest} ${s}`)) / median(results.get(`mcppolicy ${s}`));
      const target = s === "base" ? ` (target: at least 2: ${r >= 2 ? "**met**" : "**missed**"})` : "";
      L.push(`- fastest peer (${ENGINES.find((x) => x.name === fastest).label}) / mcppolicy: ${fmtRatio(r)} (per round ${fmtRatio(Math.min(...rs))}–${fmtRatio(Math.max(...rs))})${target}`);
    }
    L.push("");
  }
  return L.join("\n");
}

/** Replaces the text between the markers (adds a section with them at the end if they are missing). */
export function writeSection(readme, section) {
  const text = readFileSync(readme, "utf8");
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  const body = `${BEGIN}\n${section.trimEnd()}\n${END}`;
  const next = b >= 0 && e > b ? text.slice(0, b) + body + text.slice(e + END.length) : `${text.trimEnd()}\n\n## Peers (issue 16)\n\n${body}\n`;
  writeFileSync(readme, next);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const opts = parseList(process.argv.slice(2).filter((a) => a !== "--no-write"), { "--rounds": { key: "rounds", parse: positiveInt } });
    const load = os.loadavg();
    const section = report(runAll(opts), { load });
    process.stdout.write(section + "\n");
    if (!process.argv.includes("--no-write")) {
      writeSection(README, section);
      process.stderr.write(`wrote the table into ${README}\n`);
    }
  } catch (err) {
    process.stderr.write(`run: ${err.message}\n`);
    process.exit(1);
  }
}
