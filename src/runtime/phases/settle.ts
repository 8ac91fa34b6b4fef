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
import { notSent, type Adjustment, type CounterShape } from "../store/store.js";
import type { SettleOutcome, Usage } from "../authorization.js";
import type { PlannedCounter } from "../budget-plan.js";
import type { AfterTool, CallContext, EngineEnv, Phase, Reserved } from "./context.js";

const NO_USAGE: Usage = Object.freeze({});

export const settle: Phase = {
  name: "settle",
  stage: "result",
  run(ctx, env) {
    const a = afterOf(ctx);
    const r = ctx.reserved;
    if (r === undefined) {
      a.settled = NOTHING_RESERVED();
      return;
    }
    const action = a.action;
    if (action === undefined) throw new Error("nothing to settle: the host did not commit or roll back");
    const adjustments = adjustmentsFor(r, action, a.usage ?? NO_USAGE);
    if (adjustments.length === 0 && r.idempotency === undefined) return done(a, action, APPLIED());
    a.sent = true;
    let out: { applied: boolean } | Promise<{ applied: boolean }>;
    try {
      out = env.timeout(env.store.settle({ adjustments, ...(r.idempotency && { idempotency: { key: r.idempotency.key, token: r.idempotency.token, action } }) }));
    } catch (err) {
      return storeFailed(a, r, err);
    }
    if (out instanceof Promise) {
      return out.then(
        (o) => done(a, action, o.applied ? APPLIED() : ALREADY()),
        (err: unknown) => storeFailed(a, r, err),
      );
    }
    return done(a, action, out.applied ? APPLIED() : ALREADY());
  },
};

// Answers are fresh objects: the host owns what it gets back.
const APPLIED = (): SettleOutcome => ({ applied: true });
const ALREADY = (): SettleOutcome => ({ applied: false, reason: "already settled by an earlier attempt with the same idempotency key" });
const NOTHING_RESERVED = (): SettleOutcome => ({ applied: false, reason: "nothing was reserved" });

function done(a: AfterTool, action: "commit" | "rollback", outcome: SettleOutcome): void {
  a.settledAs = action;
  a.settling = undefined;
  a.settled = outcome;
}

function storeFailed(a: AfterTool, r: Reserved, err: unknown): void {
  // Certainly not applied, or the store refuses a second settle itself (idempotency token): it may be
  // tried again. Otherwise it may have been applied late, and a second one would refund twice.
  a.settling = notSent(err) || r.idempotency !== undefined ? undefined : "unknown";
  a.settled = { applied: false, reason: `the budget store is unavailable: ${(err as Error)?.message ?? String(err)}` };
}

/** The call's state after the tool, made on first use. */
export function afterOf(ctx: CallContext): AfterTool {
  return (ctx.after ??= { action: undefined, usage: undefined, result: undefined, settled: undefined, settledAs: undefined, settling: undefined, sent: false, ran: false });
}

/**
 * Whether a settle may start now, claiming the reservation if so (undefined), or why not. A call that
 * reserved nothing runs the phases after the tool once, and answers `nothing was reserved` after that.
 */
export function claim(ctx: CallContext): SettleOutcome | undefined {
  const a = afterOf(ctx);
  if (ctx.reserved === undefined) {
    if (a.ran) return NOTHING_RESERVED();
    a.ran = true;
    return undefined;
  }
  if (a.settledAs !== undefined) return { applied: false, reason: `already ${a.settledAs === "commit" ? "committed" : "rolled back"}` };
  if (a.settling === "in-flight") return { applied: false, reason: "another commit or rollback of this reservation is in progress" };
  if (a.settling === "unknown") return { applied: false, reason: "an earlier commit or rollback may have been applied (the store did not answer), so it is not sent again" };
  a.settling = "in-flight";
  a.sent = false;
  a.ran = true;
  return undefined;
}

/**
 * After the phases of one settle attempt: a claim no settle phase released (it threw, or is missing)
 * stays closed if the store may have applied it, and opens again if it certainly did not.
 */
export function release(ctx: CallContext): void {
  const a = afterOf(ctx);
  if (a.settling === "in-flight") a.settling = a.sent && ctx.reserved?.idempotency === undefined ? "unknown" : undefined;
}

/**
 * The corrections of one settlement: commit replaces what was reserved for token counts and cost with
 * what `usage` reports (fields left out keep the reservation); rollback gives every counter's amount back.
 */
export function adjustmentsFor(r: Reserved, action: "commit" | "rollback", usage: Usage): Adjustment[] {
  const adjustments: Adjustment[] = [];
  const counters = r.counters;
  for (let i = 0; i < counters.length; i++) {
    const c = counters[i]!;
    const d = action === "rollback" ? -c.spec.amount : commitDelta(c, usage);
    if (d !== 0) adjustments.push(adjustment(c.spec, r.windows[i] ?? 0, d));
  }
  return adjustments;
}

/** `counterShape(s)` with the window and delta, written out (an object spread costs more on this path). */
function adjustment(s: CounterShape, window: number, delta: number): Adjustment {
  return s.rate === undefined
    ? s.windowOriginMs === undefined
      ? { key: s.key, mode: s.mode, limit: s.limit, windowMs: s.windowMs, ttlMs: s.ttlMs, window, delta }
      : { key: s.key, mode: s.mode, limit: s.limit, windowMs: s.windowMs, windowOriginMs: s.windowOriginMs, ttlMs: s.ttlMs, window, delta }
    : { key: s.key, mode: s.mode, limit: s.limit, rate: s.rate, windowMs: s.windowMs, ttlMs: s.ttlMs, window, delta };
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
  const a = afterOf(ctx);
  if (r === undefined || a.settledAs !== undefined || a.settling !== undefined) return;
  a.settling = "in-flight";
  try {
    const adjustments = adjustmentsFor(r, "rollback", NO_USAGE);
    if (adjustments.length > 0 || r.idempotency !== undefined) {
      a.sent = true;
      await env.timeout(env.store.settle({ adjustments, ...(r.idempotency && { idempotency: { key: r.idempotency.key, token: r.idempotency.token, action: "rollback" as const } }) }));
    }
    a.settledAs = "rollback";
    a.settling = undefined;
  } catch (err) {
    a.settling = notSent(err) ? undefined : "unknown";
  }
}
