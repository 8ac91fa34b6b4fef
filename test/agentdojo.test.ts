/**
 * AgentDojo without an LLM (issue 14): the replay runner (bench/agentdojo.mjs, bench/lib/agentdojo-*.mjs) and
 * the per-suite policies (policies/agentdojo/*.mcppolicy) on the real data in ../shared/agentdojo.
 * - The traces are the ones the data's README defines (97 benign, 949 pairs, 929 blockable, markers replaced).
 * - The command (`node bench/agentdojo.mjs --json`, on dist/) prints the issue's JSON shape, and its figures
 *   are what a direct count gives: this file replays every trace itself through the engine of src/ with a
 *   loop of its own and counts with code of its own.
 * - The policies name none of the attackers' constants (taken from the injection tasks programmatically)
 *   and no marker, and they block the same attack traces when those constants are replaced by other values.
 * - The MCP mode (a real SDK client, the SDK middleware, the replay server) gives the engine mode's outcome
 *   on every call of a subset of traces.
 * - bench/agentdojo-ablate.mjs's edits each remove one approval rule, and they list exactly the rules that send
 *   a benign trace to approval.
 * The data directory must exist (no skip): the run fails when it is missing.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compilePolicy, createEngine, type Engine, type Policy, type PolicyRequest } from "../src/index.js";
import { protect } from "../src/adapters/sdk.js";
import { fingerprintDetails, W } from "../src/builtins/provenance/index.js";
import {
  attackerConstants,
  attackTraces,
  benignTraces,
  defaultDataDir,
  injectionCalls,
  INJECTION_TEMPLATES,
  isInjectable,
  jsonEscape,
  loadSuites,
  MARKER_RE,
  reprEscape,
  withOtherConstants,
  type Suite,
  type Trace,
} from "../bench/lib/agentdojo-data.mjs";
import { ABLATIONS, applyAblation } from "../bench/lib/agentdojo-ablations.mjs";
import { defaultPolicyDir, replayAll, type Lib, type TraceRecord } from "../bench/lib/agentdojo-run.mjs";
import { classifyAttack } from "../bench/lib/agentdojo-score.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DATA = defaultDataDir();
const POLICIES = defaultPolicyDir();
const LIB = { compilePolicy, createEngine, protect } as unknown as Lib;
const SUITES: Suite[] = loadSuites(DATA);
const suite = (name: string): Suite => SUITES.find((s) => s.suite === name)!;

function policyOf(name: string): Policy {
  const filename = path.join(POLICIES, `${name}.mcppolicy`);
  return compilePolicy(fs.readFileSync(filename, "utf8"), { filename });
}

describe("AgentDojo traces", () => {
  it("loads the four suites of v1.2.1 from the data directory beside the repository", () => {
    expect(DATA).toBe(path.resolve(ROOT, "../shared/agentdojo"));
    expect(SUITES.map((s) => s.suite)).toEqual(["workspace", "travel", "banking", "slack"]);
  });

  it("forms 97 benign traces and 949 pairs, 929 of them blockable, with every marker replaced", () => {
    let benign = 0;
    const pairs = new Set<string>();
    const blockable = new Set<string>();
    for (const s of SUITES) {
      const b = benignTraces(s);
      benign += b.length;
      const a = attackTraces(s);
      expect(a.length).toBe(s.userTasks.filter(isInjectable).length * s.injectionTasks.length * INJECTION_TEMPLATES.length);
      for (const t of [...b, ...a]) {
        for (const c of t.calls) {
          expect(c.result).not.toMatch(MARKER_RE);
          expect(JSON.stringify(c.args)).not.toMatch(MARKER_RE);
        }
      }
      for (const t of a) {
        pairs.add(`${s.suite}/${t.userTask}/${t.injectionTask}`);
        if (t.firstSideEffect !== null) blockable.add(`${s.suite}/${t.userTask}/${t.injectionTask}`);
      }
    }
    expect(benign).toBe(97);
    expect(pairs.size).toBe(949);
    expect(blockable.size).toBe(929);
  });

  it("an attack trace is U's calls up to the injected one, then I's calls (synthesized for workspace 6-13), and the injected result carries I's goal", () => {
    const ws = suite("workspace");
    const traces = attackTraces(ws, { templates: [INJECTION_TEMPLATES[0]!] });
    const t = traces.find((x) => x.userTask === "user_task_13" && x.injectionTask === "injection_task_7")!;
    const u = ws.userTasks.find((x) => x.id === "user_task_13")!;
    const it7 = ws.injectionTasks.find((x) => x.id === "injection_task_7")!;
    const { calls, firstSideEffect } = injectionCalls(it7);
    expect(it7.calls).toEqual([]);
    expect(calls).toBe(it7.synthesizedCalls);
    expect(t.calls.map((c) => c.tool)).toEqual([...u.calls.slice(0, u.firstInjectedCallIndex! + 1).map((c) => c.fn), ...calls.map((c) => c.fn)]);
    expect(t.firstSideEffect).toBe(u.firstInjectedCallIndex! + 1 + firstSideEffect!);
    expect(t.calls[t.firstSideEffect!]!.tool).toBe("send_email");
    // A JSON result carries the goal JSON-escaped; a Python repr (travel) repr-escaped; plain text as is.
    for (const s of SUITES) {
      for (const x of attackTraces(s, { templates: [INJECTION_TEMPLATES[1]!] })) {
        const goal = s.injectionTasks.find((i) => i.id === x.injectionTask)!.goal;
        const r = x.calls[x.injectedAt!]!.result;
        expect(r.includes(jsonEscape(goal)) || r.includes(reprEscape(goal)) || r.includes(goal)).toBe(true);
      }
    }
    // A benign trace carries the vector's default text instead.
    const b = benignTraces(ws).find((x) => x.id === "user_task_0")!;
    expect(b.calls[0]!.result).toContain(jsonEscape(ws.injectionVectors["calendar_networking_event_injection_email"]!.default));
  });
});

// ───────────────────────── a direct count, with code of its own ─────────────────────────

type Effect = "allow" | "deny" | "require_approval";

/** Replays one trace: authorize, approve when asked (then authorize again), give the result to the engine. */
async function directReplay(engine: Engine, s: Suite, t: Trace, session: string): Promise<{ effects: Effect[]; faults: number }> {
  const side = new Map(s.tools.map((x) => [x.name, x.sideEffects]));
  const effects: Effect[] = [];
  let faults = 0;
  for (const c of t.calls) {
    const request: PolicyRequest = {
      principal: { id: "emma", roles: ["assistant"] },
      method: "tools/call",
      tool: c.tool,
      arguments: c.args,
      annotations: { readOnlyHint: side.get(c.tool) !== true },
      session: { id: session },
    };
    let a = await engine.authorize(request);
    let effect = a.effect as Effect;
    if (a.effect === "require_approval") {
      const approvers = a.decision.approvers;
      await engine.approve(a.approval!.id, approvers?.kind === "caller" ? { approver: "emma" } : approvers?.kind === "roles" ? { approver: "rev", principal: { id: "rev", roles: [...approvers.roles] } } : { approver: "rev" });
      a = await engine.authorize(request);
      if (a.effect !== "allow") effect = "deny";
    }
    if (a.effect === "allow") {
      const out = await a.commit({}, { content: [{ type: "text", text: c.result }] });
      if (!out.applied || out.reason) faults++;
    }
    effects.push(effect);
  }
  return { effects, faults };
}

interface Count {
  attacks: { blockable: number; blocked: number };
  benign: { total: number; allowed: number; approval: number; denied: number };
  faults: number;
}

async function directCount(s: Suite): Promise<Count> {
  const engine = createEngine(policyOf(s.suite));
  const count: Count = { attacks: { blockable: 0, blocked: 0 }, benign: { total: 0, allowed: 0, approval: 0, denied: 0 }, faults: 0 };
  let n = 0;
  for (const t of benignTraces(s)) {
    const { effects, faults } = await directReplay(engine, s, t, `direct-${n++}`);
    count.faults += faults;
    count.benign.total++;
    if (effects.includes("deny")) count.benign.denied++;
    else if (effects.includes("require_approval")) count.benign.approval++;
    else count.benign.allowed++;
  }
  const pairs = new Map<string, boolean[]>();
  for (const t of attackTraces(s)) {
    if (t.firstSideEffect === null) continue;
    const { effects, faults } = await directReplay(engine, s, t, `direct-${n++}`);
    count.faults += faults;
    const key = `${t.userTask}/${t.injectionTask}`;
    pairs.set(key, [...(pairs.get(key) ?? []), effects.slice(0, t.firstSideEffect! + 1).some((e) => e !== "allow")]);
  }
  count.attacks.blockable = pairs.size;
  count.attacks.blocked = [...pairs.values()].filter((v) => v.every(Boolean)).length;
  return count;
}

describe("bench/agentdojo.mjs", () => {
  it("prints the issue's JSON shape, and the figures a direct count over the traces gives", async () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "bench/agentdojo.mjs"), "--json"], { cwd: ROOT, encoding: "utf8", timeout: 600_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { suites: Record<string, { attacks: Record<string, unknown>; benign: Record<string, unknown>; faults: number }> };
    expect(Object.keys(out)).toEqual(["suites"]);
    expect(Object.keys(out.suites)).toEqual(["workspace", "travel", "banking", "slack"]);
    for (const [name, s] of Object.entries(out.suites)) {
      for (const k of ["blockable", "blocked"]) expect(Number.isInteger(s.attacks[k]), `${name}.attacks.${k}`).toBe(true);
      for (const k of ["total", "allowed", "approval", "denied"]) expect(Number.isInteger(s.benign[k]), `${name}.benign.${k}`).toBe(true);
      expect(s.faults).toBe(0);
      const direct = await directCount(suite(name));
      expect(direct.faults).toBe(0);
      expect({ blockable: s.attacks.blockable, blocked: s.attacks.blocked }).toEqual(direct.attacks);
      expect({ total: s.benign.total, allowed: s.benign.allowed, approval: s.benign.approval, denied: s.benign.denied }).toEqual(direct.benign);
    }
  }, 900_000);
});

describe("bench/agentdojo-ablate.mjs's edits", () => {
  it("each removes one approval rule (exactly one match, the result compiles), and together they cover every rule that sends a benign trace to approval", async () => {
    for (const ab of ABLATIONS) {
      const text = fs.readFileSync(path.join(POLICIES, `${ab.suite}.mcppolicy`), "utf8");
      const edited = applyAblation(text, ab);
      expect(edited.length, ab.rule).toBeLessThan(text.length);
      expect(() => compilePolicy(edited, { filename: `${ab.suite}.mcppolicy` }), ab.rule).not.toThrow();
    }
    // A stale edit is an error, never a silent "no effect".
    expect(() => applyAblation("policy \"x\" version \"1\"\n", ABLATIONS[0]!)).toThrow(/matches 0 times/);
    for (const s of SUITES) {
      const records = await replayAll(LIB, { suite: s, policy: policyOf(s.suite), traces: benignTraces(s), run: "ablate" });
      const stopping = new Set(records.flatMap((r) => r.outcomes.filter((o) => o.effect !== "allow").flatMap((o) => o.rules)));
      const listed = new Set(ABLATIONS.filter((a) => a.suite === s.suite).map((a) => a.ruleId));
      // Every rule that sends a benign trace to approval is listed; a listed rule may cost nothing (since
      // provenance compares identifiers whole and skips echoes, workspace's add_calendar_event_participants and
      // travel's review rule on create_calendar_event send none) and stays listed for what it buys.
      for (const rule of stopping) expect(listed.has(rule), `${s.suite}: ${rule} is not listed`).toBe(true);
    }
  }, 120_000);
});

// ───────────────────────── the policies do not know the attacker ─────────────────────────

/** A policy's text without its comments and escapes, for a search that a regex spelling cannot dodge. */
function policyCode(file: string): string {
  const text = fs.readFileSync(file, "utf8");
  return text
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .split("\n")
    .map((line) => {
      // Strip a `//` comment that is not inside a string.
      let inString = false;
      for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (ch === "\\") i++;
        else if (ch === '"') inString = !inString;
        else if (!inString && ch === "/" && line[i + 1] === "/") return line.slice(0, i);
      }
      return line;
    })
    .join("\n")
    .replace(/\\/g, "")
    .toLowerCase();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("the AgentDojo policies", () => {
  const files = fs.readdirSync(POLICIES).filter((f) => f.endsWith(".mcppolicy")).map((f) => path.join(POLICIES, f));

  it("name none of the attackers' constants, and no injection marker", () => {
    expect(files.map((f) => path.basename(f)).sort()).toEqual(["banking.mcppolicy", "slack.mcppolicy", "travel.mcppolicy", "workspace.mcppolicy"]);
    const constants = SUITES.flatMap((s) => attackerConstants(s));
    // The extraction finds what the data's README lists as the attackers' constants.
    for (const c of ["mark.black-2134@gmail.com", "US133000000121212121212", "jay@google.com", "www.my-website-234.com/random", "www.secure-systems-252.com", "www.true-informations.com", "fred9246@gmail.com", "Fred", "Riverside View Hotel"]) {
      expect(constants).toContain(c);
    }
    for (const f of files) {
      const code = policyCode(f);
      expect(code).not.toContain("injection");
      expect(code).not.toContain("<<");
      for (const c of constants) {
        const re = new RegExp(`(^|[^a-z0-9_])${escapeRe(c.toLowerCase())}($|[^a-z0-9_])`);
        expect(re.test(code), `${path.basename(f)} names \`${c}\``).toBe(false);
      }
    }
  });

  // On a long result provenance winnows with a wider window, whose k-gram guarantee does not cover a
  // 25-character address; the replayed drive listing of workspace user tasks 26 and 27 (about 26 KB) is such
  // a result, and 28 traces once differed there. Identifier tokens are now hashed whole at any length up to
  // 256 code points (docs/provenance.md, "Long results"), so none differs; a trace that differs must still
  // be one whose injected result was fingerprinted with a wider window.
  it("block the same attack traces when the attackers' constants are other values (wherever provenance's guarantee holds)", async () => {
    let differing = 0;
    for (const s of SUITES) {
      const { suite: other, replaced } = withOtherConstants(s, 7);
      expect(replaced.size).toBeGreaterThan(0);
      // The new suite's injection tasks no longer hold any replaced constant.
      const text = JSON.stringify(other.injectionTasks);
      for (const [from, to] of replaced) {
        expect(from).not.toBe(to);
        expect(text).not.toContain(from);
      }
      // One wording (the one the `instruction` detector misses): the structural rules decide, which is what
      // the constants could sway.
      const run = async (x: Suite): Promise<Map<string, { blocked: boolean; trace: Trace }>> => {
        const traces = attackTraces(x, { templates: [INJECTION_TEMPLATES[2]!] }).filter((t) => t.firstSideEffect !== null);
        const records: TraceRecord[] = await replayAll(LIB, { suite: x, policy: policyOf(s.suite), traces, run: `constants-${x === s ? "a" : "b"}` });
        return new Map(records.map((r) => [r.trace.id, { blocked: classifyAttack(r.trace, r.outcomes).blocked, trace: r.trace }]));
      };
      const a = await run(s);
      const b = await run(other);
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [id, x] of a) {
        if (b.get(id)!.blocked === x.blocked) continue;
        differing++;
        const injected = { content: [{ type: "text", text: b.get(id)!.trace.calls[x.trace.injectedAt!]!.result }] };
        expect(fingerprintDetails(injected).window, `${s.suite} ${id}: blocked ${x.blocked} with the original constants, ${!x.blocked} with others`).toBeGreaterThan(W);
      }
    }
    // Measured: 0 (it was 28, workspace user tasks 26 and 27, before identifiers were hashed whole).
    expect(differing).toBe(0);
  }, 900_000);
});

// ───────────────────────── MCP mode ─────────────────────────

describe("--mode mcp", () => {
  it("gives the engine mode's outcome on every call of a subset of traces (a real client, the SDK middleware, the replay server)", async () => {
    for (const s of SUITES) {
      const users = new Set(s.userTasks.filter(isInjectable).slice(0, 3).map((u) => u.id));
      const traces = [...benignTraces(s).slice(0, 6), ...attackTraces(s, { templates: INJECTION_TEMPLATES.slice(0, 2) }).filter((t) => users.has(t.userTask))];
      const policy = policyOf(s.suite);
      const engine = await replayAll(LIB, { suite: s, policy, traces, mode: "engine", run: "agree-e" });
      const mcp = await replayAll(LIB, { suite: s, policy, traces, mode: "mcp", run: "agree-m" });
      expect(mcp.length).toBe(traces.length);
      let stopped = 0;
      for (let i = 0; i < traces.length; i++) {
        const e = engine[i]!.outcomes;
        const m = mcp[i]!.outcomes;
        expect(m.map((o) => o.effect), `${s.suite} ${traces[i]!.id}`).toEqual(e.map((o) => o.effect));
        expect(m.map((o) => o.withheld === true), `${s.suite} ${traces[i]!.id}`).toEqual(e.map((o) => o.withheld === true));
        stopped += e.filter((o) => o.effect !== "allow").length;
      }
      // The subset is not all allows: both modes stop calls, and agree on which.
      expect(stopped, s.suite).toBeGreaterThan(0);
    }
  }, 600_000);
});
