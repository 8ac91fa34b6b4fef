/**
 * Phase `record session` (issue 14): the call's event in the session's history, with the labels (and
 * provenance fingerprints) its result gave, in one atomic store operation (`sessionAppend`). Two places,
 * one function: in the result stage for a call that ran (after settle), in the end stage for a call that
 * ended before the tool (denied, sent to approval). A replay records nothing (it is not a new call).
 * Guarantees:
 * - Once per call, whatever the stages run again (a settle retried after a store fault).
 * - Fail closed: when a call that ran cannot be recorded (no session operations, store down), its result
 *   is withheld (the host passes on an `isError` result): labels the session should carry are never lost
 *   while the content they mark reaches the agent. A denied call that cannot be recorded stays denied.
 * - Nothing happens for a policy that reads no session fact and gives no label.
 */
import type { CallEffect, CallOutcome } from "../../contract/index.js";
import { withheldResult } from "../../eval/result-apply.js";
import { eventOf, sessionKeyOf, sessionNeedsOf } from "../session-facts.js";
import { afterOf } from "./settle.js";
import { LIMITS } from "../../source/limits.js";
import type { CallContext, EngineEnv, Phase } from "./context.js";


function record(ctx: CallContext, env: EngineEnv, ran: boolean): void | Promise<void> {
  if (ctx.sessionRecorded) return;
  const policy = ctx.loaded.policy;
  const needs = sessionNeedsOf(policy);
  if (!needs.record) return;
  const effect = ctx.outcome?.effect;
  if (effect === undefined || effect === "replay") return;
  const a = ran ? afterOf(ctx) : undefined;
  if (ran && a?.action === undefined) return;
  ctx.sessionRecorded = true;
  const inspected = a?.inspected;
  const outcome: CallOutcome | undefined = a === undefined ? undefined : a.action === "rollback" || (a.result as { isError?: unknown } | undefined)?.isError === true ? "error" : "ok";
  const labels = inspected?.verdict.labels ?? [];
  const store = env.store;
  const fail = (why: string): void => {
    if (a !== undefined) {
      const message = `the session could not record this call (${why}), so its result is withheld`;
      a.inspected = { verdict: inspected?.verdict ?? { labels: [], redact: [], errors: [message] }, applied: { result: withheldResult(message), changed: true, withheld: { id: "session_unavailable", message } } };
    }
    throw new Error(`the session could not record this call: ${why}`);
  };
  if (typeof store.sessionAppend !== "function") return fail("the store keeps no session state (it has no `sessionAppend`)");
  const event = eventOf(ctx.input, effect as CallEffect, outcome, labels);
  let out: unknown;
  try {
    out = env.timeout(
      store.sessionAppend({
        key: ctx.sessionState?.key ?? sessionKeyOf(ctx.input),
        event,
        labels,
        provenance: inspected?.fingerprints ?? {},
        ttlMs: needs.ttlMs,
        maxEntries: needs.maxEntries,
        maxFingerprintsPerLabel: LIMITS.maxSessionFingerprintsPerLabel,
      }),
    );
  } catch (err) {
    return fail((err as Error)?.message ?? String(err));
  }
  if (out instanceof Promise) return out.then(() => undefined, (err: unknown) => fail((err as Error)?.message ?? String(err)));
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
