// The AgentDojo run as a library (bench/agentdojo.mjs is its command line; test/agentdojo.test.ts calls it
// too): for each suite, compile its policy, make one engine (MemoryStore), replay every benign and attack
// trace through it (engine mode, or MCP mode through the SDK middleware), and score.
// Guarantees: mcppolicy itself comes in as `lib` ({ compilePolicy, createEngine, protect }), so the same
// code runs on dist/ (the command) and on src/ (the tests); one session per trace (ids are unique per
// run); traces of a suite run one after another on one engine, so nothing is shared between them but the
// store, whose per-session state is keyed by the session id.
import fs from "node:fs";
import path from "node:path";
import { attackTraces, benignTraces, INJECTION_TEMPLATES } from "./agentdojo-data.mjs";
import { PRINCIPAL, replayEngine } from "./agentdojo-replay.mjs";
import { replayMcp } from "./agentdojo-mcp.mjs";
import { scoreSuite } from "./agentdojo-score.mjs";

/** The default policy directory: policies/agentdojo of this checkout. */
/**
 * The built library (`dist/index.js` and `dist/mcp.js` merged, as `runAll` takes it), or an exit 2 with a
 * message when `npm run build` has not run.
 */
export async function loadBuiltLib() {
  const dist = new URL("../../dist/", import.meta.url);
  if (!fs.existsSync(new URL("index.js", dist))) {
    console.error("dist/ is missing: run `npm run build` first.");
    process.exit(2);
  }
  return { ...(await import(new URL("index.js", dist).href)), ...(await import(new URL("mcp.js", dist).href)) };
}

export function defaultPolicyDir() {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../policies/agentdojo");
}

/** Compiles `<dir>/<suite>.mcppolicy`; throws with the diagnostics when it does not compile. */
export function loadPolicy(lib, dir, suiteName) {
  const filename = path.join(dir, `${suiteName}.mcppolicy`);
  if (!fs.existsSync(filename)) throw new Error(`agentdojo: no policy for suite \`${suiteName}\` (${filename})`);
  return lib.compilePolicy(fs.readFileSync(filename, "utf8"), { filename });
}

/** Every trace of a suite: benign first, then attacks (all templates unless `templates` is given). */
export function tracesOf(suite, { templates = INJECTION_TEMPLATES } = {}) {
  return [...benignTraces(suite), ...attackTraces(suite, { templates })];
}

/**
 * Replays `traces` of `suite` with `policy` in `mode` ("engine" | "mcp"). Returns `{ trace, outcomes }`
 * records. `engine`: give one to share (tests); default: a fresh engine on a MemoryStore.
 */
export async function replayAll(lib, { suite, policy, traces, mode = "engine", engine, run = "r" }) {
  const eng = engine ?? lib.createEngine(policy);
  const tools = new Map(suite.tools.map((t) => [t.name, t]));
  const records = [];
  let n = 0;
  for (const trace of traces) {
    const sessionId = `${run}:${suite.suite}:${n++}:${trace.id}`;
    const outcomes =
      mode === "mcp"
        ? await replayMcp({ protect: lib.protect, engine: eng, suite, trace, sessionId, principal: PRINCIPAL })
        : await replayEngine(eng, trace, { tools, sessionId, principal: PRINCIPAL });
    records.push({ trace, outcomes });
  }
  return records;
}

/** Runs and scores every suite of `suites`. Returns `{ suites: { NAME: score } }`. */
export async function runAll(lib, { suites, policyDir = defaultPolicyDir(), mode = "engine", templates, onSuite } = {}) {
  const out = { suites: {} };
  for (const suite of suites) {
    const policy = loadPolicy(lib, policyDir, suite.suite);
    const traces = tracesOf(suite, templates ? { templates } : {});
    const records = await replayAll(lib, { suite, policy, traces, mode });
    out.suites[suite.suite] = scoreSuite(records);
    onSuite?.(suite.suite, out.suites[suite.suite]);
  }
  return out;
}
