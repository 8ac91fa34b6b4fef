/**
 * Phase `record session` (issue 14): the call's event in the session's history, with the labels (and
 * provenance fingerprints) its result gave, in one atomic store operation. Two places, one function:
 * in the result stage for a call that ran, in the end stage for a call that ended before the tool
 * (denied, sent to approval). A replay records nothing (it is not a new call).
 * For a call that ran and sends a settlement to the store, the record rides in that settlement
 * (`settle(s)` with `s.session`, settle.ts): settle and record are ONE atomic store step, so no other
 * call can reserve between the two on a history that lacks this call, and a settlement retried after a
 * lost answer records the call once (the store applies `s.session` only with the settlement). This phase
 * then only confirms it; it appends alone (`sessionAppend`) when no settlement went to the store (nothing
 * was reserved, nothing to correct) or the store's settle did not answer a session record (a host's own
 * store that ignores `s.session`: recorded anyway, in a second step, never lost).
 * Guarantees:
 * - Once per call once recorded, whatever the stages run again (a settle retried after a store fault
 *   carries the record again until one attempt is confirmed).
 * - Fail closed: when a call that ran cannot be recorded (no session operations, store down), its result
 *   is withheld (the host passes on an `isError` result): labels the session should carry are never lost
 *   while the content they mark reaches the agent. A denied call that cannot be recorded stays denied.
 * - Nothing happens for a policy that reads no session fact and gives no label.
 */
import type { CallEffect, CallOutcome } from "../../contract/index.js";
import { withheldResult } from "../../eval/result-apply.js";
import { eventOf, sessionKeyOf, sessionNeedsOf } from "../session-facts.js";
import type { SessionAppendRequest } from "../store/store.js";
import { LIMITS } from "../../source/limits.js";
import { afterOf, type CallContext, type EngineEnv, type Phase } from "./context.js";

/** A call whose result gave no fingerprints: one frozen empty record for all of them. */
const NO_PROVENANCE: Readonly<Record<string, readonly string[]>> = Object.freeze(Object.create(null) as Record<string, readonly string[]>);

/**
 * The session record this call leaves, or undefined when it leaves none (a policy without session rules,
 * a replay, recorded already, a call that ran but was not settled yet). `ran`: the call went to the tool.
 */
export function sessionAppendFor(ctx: CallContext, ran: boolean): SessionAppendRequest | undefined {
  if (ctx.sessionRecorded) return undefined;
  const needs = sessionNeedsOf(ctx.loaded.policy);
  if (!needs.record) return undefined;
  const effect = ctx.outcome?.effect;
  if (effect === undefined || effect === "replay") return undefined;
  const a = ran ? afterOf(ctx) : undefined;
  if (ran && a?.action === undefined) return undefined;
  const inspected = a?.inspected;
  const outcome: CallOutcome | undefined = a === undefined ? undefined : a.action === "rollback" || (a.result as { isError?: unknown } | undefined)?.isError === true ? "error" : "ok";
  const labels = inspected?.verdict.labels ?? [];
  return {
    key: ctx.sessionState?.key ?? sessionKeyOf(ctx.input),
    event: eventOf(ctx.input, effect as CallEffect, outcome, labels),
    labels,
    provenance: inspected?.fingerprints ?? NO_PROVENANCE,
    ttlMs: needs.ttlMs,
    maxEntries: needs.maxEntries,
    maxFingerprintsPerLabel: LIMITS.maxSessionFingerprintsPerLabel,
  };
}

/** Withholds a call's result (when it ran) because its record failed, and throws (the phase's fault). */
export function recordFailed(ctx: CallContext, ran: boolean, why: string): never {
  const a = ran ? afterOf(ctx) : undefined;
  if (a !== undefined) {
    const inspected = a.inspected;
    const message = `the session could not record this call (${why}), so its result is withheld`;
    a.inspected = { verdict: inspected?.verdict ?? { labels: [], redact: [], errors: [message] }, applied: { result: withheldResult(message), changed: true, withheld: { id: "session_unavailable", message } } };
  }
  throw new Error(`the session could not record this call: ${why}`);
}

function record(ctx: CallContext, env: EngineEnv, ran: boolean): void | Promise<void> {
  if (ran && afterOf(ctx).sessionError !== undefined) return recordFailed(ctx, ran, afterOf(ctx).sessionError!);
  const request = sessionAppendFor(ctx, ran);
  if (request === undefined) return;
  ctx.sessionRecorded = true;
  const store = env.store;
  if (typeof store.sessionAppend !== "function") return recordFailed(ctx, ran, "the store keeps no session state (it has no `sessionAppend`)");
  let out: unknown;
  try {
    out = env.timeout(store.sessionAppend(request));
  } catch (err) {
    return recordFailed(ctx, ran, (err as Error)?.message ?? String(err));
  }
  if (out instanceof Promise) return out.then(() => undefined, (err: unknown) => recordFailed(ctx, ran, (err as Error)?.message ?? String(err)));
}

/** In the result stage: a call that ran. */
export const recordSessionAfterTool: Phase = {
  name: "record-session",
  stage: "result",
  run: (ctx, env) => record(ctx, env, true),
};

/** In the end stage: a call that ended before the tool. */
export const recordSessionEnded: Phase = {
  name: "record-session-ended",
  stage: "end",
  run: (ctx, env) => (ctx.after === undefined ? record(ctx, env, false) : undefined),
};
