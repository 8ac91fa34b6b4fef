/**
 * Phase `settle and record` (after the tool, when the host commits or rolls back): corrects what the
 * call reserved to what it used (commit) or gives it all back (rollback), in ONE atomic store operation
 * (`store.settle`). Issue 14 adds the session record (history, labels) to that same operation.
 * Guarantees:
 * - A reservation is settled at most once between commit and rollback, even called at once: `claim`
 *   takes it before any phase after the tool runs (so before anything is awaited). A settle whose store
 *   failed without saying it did not run is not sent again without an idempotency key, since it may have
 *   been applied late; with a key the store itself refuses a second settle, so it may be retried.
 * - With an idempotency key, only the reservation that wrote the key's record settles it (its token).
 * - Never throws for a store fault: it answers `{ applied: false, reason }`.
 * - `giveBack` returns a reservation whose call was denied after the store charged it (a fault in a
 *   later phase before the tool): only allowed calls are charged.
 */
import { counterShape, notSent, type Adjustment } from "../store/store.js";
import type { SettleOutcome, Usage } from "../authorization.js";
import type { PlannedCounter } from "../budget-plan.js";
import type { CallContext, EngineEnv, Phase, Reserved } from "./context.js";

const NO_USAGE: Usage = Object.freeze({});

export const settle: Phase = {
  name: "settle",
  stage: "result",
  run(ctx, env) {
    const r = ctx.reserved;
    if (r === undefined) {
      ctx.settled = NOTHING_RESERVED();
      return;
    }
    const action = ctx.action;
    if (action === undefined) throw new Error("nothing to settle: the host did not commit or roll back");
    const adjustments = adjustmentsFor(r, action, ctx.usage ?? NO_USAGE);
    if (adjustments.length === 0 && r.idempotency === undefined) return done(ctx, action, APPLIED());
    ctx.settleSent = true;
    let out: { applied: boolean } | Promise<{ applied: boolean }>;
    try {
      out = env.timeout(env.store.settle({ adjustments, ...(r.idempotency && { idempotency: { key: r.idempotency.key, token: r.idempotency.token, action } }) }));
    } catch (err) {
      return storeFailed(ctx, r, err);
    }
    if (out instanceof Promise) {
      return out.then(
        (o) => done(ctx, action, o.applied ? APPLIED() : ALREADY()),
        (err: unknown) => storeFailed(ctx, r, err),
      );
    }
    return done(ctx, action, out.applied ? APPLIED() : ALREADY());
  },
};

// Answers are fresh objects: the host owns what it gets back.
const APPLIED = (): SettleOutcome => ({ applied: true });
const ALREADY = (): SettleOutcome => ({ applied: false, reason: "already settled by an earlier attempt with the same idempotency key" });
const NOTHING_RESERVED = (): SettleOutcome => ({ applied: false, reason: "nothing was reserved" });

function done(ctx: CallContext, action: "commit" | "rollback", outcome: SettleOutcome): void {
  ctx.settledAs = action;
  ctx.settling = undefined;
  ctx.settled = outcome;
  ctx.timings.settledAt = Date.now();
}

function storeFailed(ctx: CallContext, r: Reserved, err: unknown): void {
  // Certainly not applied, or the store refuses a second settle itself (idempotency token): it may be
  // tried again. Otherwise it may have been applied late, and a second one would refund twice.
  ctx.settling = notSent(err) || r.idempotency !== undefined ? undefined : "unknown";
  ctx.settled = { applied: false, reason: `the budget store is unavailable: ${(err as Error)?.message ?? String(err)}` };
}

/**
 * Whether a settle may start now, claiming the reservation if so (undefined), or why not. A call that
 * reserved nothing runs the phases after the tool once, and answers `nothing was reserved` after that.
 */
export function claim(ctx: CallContext): SettleOutcome | undefined {
  if (ctx.reserved === undefined) {
    if (ctx.resultStageRan) return NOTHING_RESERVED();
    ctx.resultStageRan = true;
    return undefined;
  }
  if (ctx.settledAs !== undefined) return { applied: false, reason: `already ${ctx.settledAs === "commit" ? "committed" : "rolled back"}` };
  if (ctx.settling === "in-flight") return { applied: false, reason: "another commit or rollback of this reservation is in progress" };
  if (ctx.settling === "unknown") return { applied: false, reason: "an earlier commit or rollback may have been applied (the store did not answer), so it is not sent again" };
  ctx.settling = "in-flight";
  ctx.settleSent = false;
  return undefined;
}

/**
 * After the phases of one settle attempt: a claim no settle phase released (it threw, or is missing)
 * stays closed if the store may have applied it, and opens again if it certainly did not.
 */
export function release(ctx: CallContext): void {
  if (ctx.settling === "in-flight") ctx.settling = ctx.settleSent && ctx.reserved?.idempotency === undefined ? "unknown" : undefined;
}

/**
 * The corrections of one settlement: commit replaces what was reserved for token counts and cost with
 * what `usage` reports (fields left out keep the reservation); rollback gives every counter's amount back.
 */
export function adjustmentsFor(r: Reserved, action: "commit" | "rollback", usage: Usage): Adjustment[] {
  const adjustments: Adjustment[] = [];
  r.counters.forEach((c, i) => {
    const d = action === "rollback" ? -c.spec.amount : commitDelta(c, usage);
    if (d === 0) return;
    adjustments.push({ ...counterShape(c.spec), window: r.windows[i] ?? 0, delta: d });
  });
  return adjustments;
}

function commitDelta(c: PlannedCounter, usage: Usage): number {
  const m = c.counter.measure;
  const actual =
    m === "input" ? usage.inputTokens
    : m === "output" ? usage.outputTokens
    : m === "total" ? (usage.inputTokens === undefined && usage.outputTokens === undefined ? undefined : (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0))
    : m === "cost" ? usage.cost
    : undefined;
  return actual === undefined ? 0 : actual - c.spec.amount;
}

/**
 * Give back what a call that will not run reserved (a fault after the store charged it). Best effort,
 * bounded by the engine's timeout; never throws. Through `settle` (rollback), not `cancel`: a store that
 * answers synchronously keeps no reservation record to cancel.
 */
export async function giveBack(ctx: CallContext, env: EngineEnv): Promise<void> {
  const r = ctx.reserved;
  if (r === undefined || ctx.settledAs !== undefined || ctx.settling !== undefined) return;
  ctx.settling = "in-flight";
  try {
    const adjustments = adjustmentsFor(r, "rollback", NO_USAGE);
    if (adjustments.length > 0 || r.idempotency !== undefined) {
      ctx.settleSent = true;
      await env.timeout(env.store.settle({ adjustments, ...(r.idempotency && { idempotency: { key: r.idempotency.key, token: r.idempotency.token, action: "rollback" as const } }) }));
    }
    ctx.settledAs = "rollback";
    ctx.settling = undefined;
  } catch (err) {
    ctx.settling = notSent(err) ? undefined : "unknown";
  }
}
