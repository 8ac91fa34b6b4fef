/**
 * The engine as ONE list of named phases, and the runner that walks a call through them:
 *
 *   call stage    normalize → load-session → decide → reserve        (engine.authorize)
 *                 [the tool runs: the host's part]
 *   result stage  inspect-result → settle                            (authorization.commit / rollback)
 *   end stage     audit                                              (once per call, last)
 *
 * Each phase is one file beside this one, with a header saying what it guarantees; the per-call state
 * is the typed `CallContext` (context.ts).
 * Guarantees (fail closed):
 * - A fault (throw or rejection) in a call-stage phase stops the stage and denies the call
 *   (`internal_error`, naming the phase); if the store had already charged the call, the charge is
 *   given back. A call stage that ends without an answer denies the same way.
 * - After the tool ran, a fault in a result-stage phase never skips the others: the call is settled as
 *   the host asked, and the answer carries the fault as its reason. A fault in an end-stage phase
 *   changes nothing of the call's answer.
 * - The runner never throws and awaits only what a phase returns (synchronous phases cost no tick).
 */
import type { Reason, ToolResult } from "../../contract/index.js";
import type { SettleOutcome, Usage } from "../authorization.js";
import { afterOf, type CallContext, type EngineEnv, type Phase } from "./context.js";
import { normalize } from "./normalize.js";
import { loadSession } from "./load-session.js";
import { decide } from "./decide.js";
import { reserve } from "./reserve.js";
import { inspectResult } from "./inspect-result.js";
import { settle, claim, release, giveBack } from "./settle.js";
import { audit } from "./audit.js";
import { recordSessionAfterTool, recordSessionEnded } from "./record-session.js";

/** The engine's phases, in order. */
export const PHASES: readonly Phase[] = Object.freeze([normalize, loadSession, decide, reserve, inspectResult, settle, recordSessionAfterTool, recordSessionEnded, audit]);

const STAGES = ["call", "result", "end"] as const;

/** A validated phase list, split by stage. */
export interface Pipeline {
  readonly call: readonly Phase[];
  readonly result: readonly Phase[];
  readonly end: readonly Phase[];
}

/** Checks a phase list (named, unique names, stages in order: call, result, end) and splits it. */
export function pipeline(phases: readonly Phase[]): Pipeline {
  if (!Array.isArray(phases)) throw new TypeError("the engine's phases must be a list");
  const names = new Set<string>();
  let at = 0;
  for (const p of phases) {
    if (typeof p !== "object" || p === null || typeof p.name !== "string" || p.name === "" || typeof p.run !== "function") throw new TypeError("every phase needs a name and a run function");
    if (names.has(p.name)) throw new TypeError(`two phases are named \`${p.name}\``);
    names.add(p.name);
    const s = STAGES.indexOf(p.stage);
    if (s < 0) throw new TypeError(`phase \`${p.name}\` has an unknown stage \`${String(p.stage)}\``);
    if (s < at) throw new TypeError(`phase \`${p.name}\` (${p.stage}) comes after a phase of a later stage: the stages run call, result, end`);
    at = s;
  }
  return Object.freeze({
    call: Object.freeze(phases.filter((p) => p.stage === "call")),
    result: Object.freeze(phases.filter((p) => p.stage === "result")),
    end: Object.freeze(phases.filter((p) => p.stage === "end")),
  });
}

export const DEFAULT_PIPELINE: Pipeline = pipeline(PHASES);

function message(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

function record(ctx: CallContext, p: Phase, err: unknown): string {
  const text = `internal error in the engine's \`${p.name}\` phase: ${message(err)}`;
  (ctx.faults ??= []).push({ phase: p.name, message: message(err) });
  return text;
}

/** The answer to a call whose call stage failed: deny, with why. */
function denyFault(ctx: CallContext, text: string): void {
  const reason: Reason = { code: "internal_error", message: text };
  ctx.outcome = { effect: "deny", reasons: [reason], decision: { effect: "deny", reasons: [reason], roles: [], errors: [], budgets: [] } };
  ctx.ended = true;
}

/**
 * Runs `phases[i..]`. `stopOnFault` (the call stage): the first fault denies and stops, and so does a
 * phase that ends the call; otherwise every phase runs and faults are recorded.
 */
function runFrom(phases: readonly Phase[], i: number, ctx: CallContext, env: EngineEnv, stopOnFault: boolean): void | Promise<void> {
  for (; i < phases.length; i++) {
    if (stopOnFault && ctx.ended) return;
    const p = phases[i]!;
    let r: void | Promise<void>;
    try {
      // HOT PATH: a call site of its own for each of the first positions. One `p.run(...)` site would see
      // every phase of every stage, so V8 would mark it megamorphic and never inline through it (about
      // +80 ns, a third of an authorization without budgets); a site per position sees one phase per
      // position for a given list (or one per stage), so it is inlined.
      switch (i) {
        case 0:
          r = phases[0]!.run(ctx, env);
          break;
        case 1:
          r = phases[1]!.run(ctx, env);
          break;
        case 2:
          r = phases[2]!.run(ctx, env);
          break;
        case 3:
          r = phases[3]!.run(ctx, env);
          break;
        default:
          r = p.run(ctx, env);
      }
    } catch (err) {
      if (!faulted(ctx, p, err, stopOnFault)) return;
      continue;
    }
    if (r !== undefined) {
      const next = i + 1;
      return Promise.resolve(r).then(
        () => runFrom(phases, next, ctx, env, stopOnFault),
        (err: unknown) => (faulted(ctx, p, err, stopOnFault) ? runFrom(phases, next, ctx, env, stopOnFault) : undefined),
      );
    }
  }
}

/** Records a fault; whether the stage goes on. */
function faulted(ctx: CallContext, p: Phase, err: unknown, stopOnFault: boolean): boolean {
  const text = record(ctx, p, err);
  if (!stopOnFault) return true;
  denyFault(ctx, text);
  return false;
}

/**
 * The call stage, then (for a call that ended there) the end stage. Leaves `ctx.outcome` set, or
 * `ctx.again` (the engine runs the call again). Never throws.
 */
export function runCall(p: Pipeline, ctx: CallContext, env: EngineEnv): void | Promise<void> {
  const r = runFrom(p.call, 0, ctx, env, true);
  return r === undefined ? afterCall(p, ctx, env) : r.then(() => afterCall(p, ctx, env));
}

function afterCall(p: Pipeline, ctx: CallContext, env: EngineEnv): void | Promise<void> {
  if (ctx.again) return;
  if (ctx.outcome === undefined) denyFault(ctx, "internal error in the engine: its phases gave no answer");
  if (ctx.faults !== undefined && ctx.reserved !== undefined) return giveBack(ctx, env).then(() => endStage(p, ctx, env));
  return endStage(p, ctx, env);
}

/** The end stage, for a call that ended before the tool. */
function endStage(p: Pipeline, ctx: CallContext, env: EngineEnv): void | Promise<void> {
  if (ctx.ended && p.end.length > 0) return runFrom(p.end, 0, ctx, env, false);
}

/**
 * The result stage and the end stage of an allowed call, when the host settles it. The reservation is
 * claimed before any phase runs; the answer is the settle phase's, with the result stage's faults as
 * its reason. Never throws, never rejects; a plain value when every phase was synchronous.
 */
export function runResult(p: Pipeline, ctx: CallContext, env: EngineEnv, action: "commit" | "rollback", usage: Usage, result?: ToolResult): SettleOutcome | Promise<SettleOutcome> {
  try {
    const refused = claim(ctx);
    if (refused !== undefined) return refused;
    const a = afterOf(ctx);
    a.action = action;
    a.usage = usage;
    if (result !== undefined) a.result = result;
    a.settled = undefined;
    const before = ctx.faults?.length ?? 0;
    const r = runFrom(p.result, 0, ctx, env, false);
    if (r === undefined) return finishResult(p, ctx, env, before);
    return r.then(() => finishResult(p, ctx, env, before)).catch(internal);
  } catch (err) {
    return internal(err);
  }
}

function internal(err: unknown): SettleOutcome {
  return { applied: false, reason: `internal error in the engine: ${message(err)}` };
}

function finishResult(p: Pipeline, ctx: CallContext, env: EngineEnv, before: number): SettleOutcome | Promise<SettleOutcome> {
  release(ctx);
  const out = answerOf(ctx, before);
  const e = p.end.length > 0 ? runFrom(p.end, 0, ctx, env, false) : undefined;
  return e === undefined ? out : e.then(() => out);
}

/** The settle phase's answer, with the faults of this attempt's result stage (from `before` on) as its reason. */
function answerOf(ctx: CallContext, before: number): SettleOutcome {
  const settled = ctx.after?.settled ?? { applied: false, reason: "internal error in the engine: the call was not settled" };
  // What of the tool's result may be passed on, and the labels it gave (result blocks, issue 14).
  const inspected = ctx.after?.inspected;
  const out: SettleOutcome = inspected === undefined ? settled : { ...settled, result: inspected.applied.result, ...(inspected.applied.withheld && { withheld: inspected.applied.withheld }), labels: inspected.verdict.labels };
  const faults = ctx.faults;
  if (faults === undefined || faults.length === before) return out;
  const why = faults
    .slice(before)
    .map((f) => `internal error in the engine's \`${f.phase}\` phase: ${f.message}`)
    .join("; ");
  return { ...out, reason: out.reason !== undefined ? `${out.reason}; ${why}` : `${why} (the settlement was applied)` };
}
