/**
 * Phase `settle and record` (after the tool, when the host commits or rolls back): corrects what the
 * call reserved to what it used (commit) or gives it all back (rollback), in ONE atomic store operation
 * (`store.settle`). Issue 14 adds the session record (history, labels) to that same operation: when the
 * call leaves a session record (record-session.ts) and the store keeps session state, the settlement
 * carries it (`s.session`), so settle and record are one atomic step; a settlement the store refused as
 * already applied was applied by an earlier attempt of this call, which carried the same record.
 * A record that fails the store's bounds (checkSessionAppend) is not sent: the settlement goes alone and
 * the record's failure withholds the result (record-session.ts).
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
import { notSent, type Adjustment, type CounterShape, type SessionAppendRequest, type SettleResult } from "../store/store.js";
import { checkSessionAppend } from "../store/session.js";
import { sessionAppendFor } from "./record-session.js";
import type { SettleOutcome, Usage } from "../authorization.js";
import type { PlannedCounter } from "../budget-plan.js";
import { afterOf, type AfterTool, type CallContext, type EngineEnv, type Phase, type Reserved } from "./context.js";

const NO_USAGE: Usage = Object.freeze({});

export const settle: Phase = {
  name: "settle",
  stage: "result",
  run(ctx, env) {
    const a = afterOf(ctx);
    a.sessionError = undefined; // this attempt's own
    const r = ctx.reserved;
    if (r === undefined) {
      a.settled = NOTHING_RESERVED();
      return;
    }
    const action = a.action;
    if (action === undefined) throw new Error("nothing to settle: the host did not commit or roll back");
    const adjustments = adjustmentsFor(r, action, a.usage ?? NO_USAGE);
    if (adjustments.length === 0 && r.idempotency === undefined) return done(a, action, APPLIED());
    const session = sessionRecordOf(ctx, env);
    a.sent = true;
    let out: SettleResult | Promise<SettleResult>;
    try {
      out = env.timeout(env.store.settle({ adjustments, ...(r.idempotency && { idempotency: { key: r.idempotency.key, token: r.idempotency.token, action } }), ...(session && { session }) }));
    } catch (err) {
      return storeFailed(a, r, err, session);
    }
    if (out instanceof Promise) {
      return out.then(
        (o) => settledWith(ctx, a, action, o, session),
        (err: unknown) => storeFailed(a, r, err, session),
      );
    }
    return settledWith(ctx, a, action, out, session);
  },
};

/** The session record to send with the settlement, or undefined (none, the store keeps no session, or it fails the bounds). */
function sessionRecordOf(ctx: CallContext, env: EngineEnv): SessionAppendRequest | undefined {
  const a = afterOf(ctx);
  if (typeof env.store.sessionAppend !== "function") return undefined; // record-session denies: no session operations
  const session = sessionAppendFor(ctx, true);
  if (session === undefined) return undefined;
  try {
    checkSessionAppend(session);
  } catch (err) {
    a.sessionError = (err as Error)?.message ?? String(err);
    return undefined;
  }
  return session;
}

function settledWith(ctx: CallContext, a: AfterTool, action: "commit" | "rollback", o: SettleResult, session: SessionAppendRequest | undefined): void {
  // Applied with a session answer: recorded. Not applied: an earlier attempt of this call (the token's
  // owner) applied it, carrying the same record. Applied without one: the store ignored `s.session`
  // (a host's own store): record-session appends it alone.
  if (session !== undefined && (!o.applied || o.session !== undefined)) ctx.sessionRecorded = true;
  done(a, action, o.applied ? APPLIED() : ALREADY());
}

// Answers are fresh objects: the host owns what it gets back.
const APPLIED = (): SettleOutcome => ({ applied: true });
const ALREADY = (): SettleOutcome => ({ applied: false, reason: "already settled by an earlier attempt with the same idempotency key" });
const NOTHING_RESERVED = (): SettleOutcome => ({ applied: false, reason: "nothing was reserved" });

function done(a: AfterTool, action: "commit" | "rollback", outcome: SettleOutcome): void {
  a.settledAs = action;
  a.settling = undefined;
  a.settled = outcome;
}

function storeFailed(a: AfterTool, r: Reserved, err: unknown, session?: SessionAppendRequest): void {
  // The record rode in this settlement: it may not have been made, so the result is withheld
  // (record-session); a retried settlement carries it again.
  if (session !== undefined) a.sessionError = `the store failed: ${(err as Error)?.message ?? String(err)}`;
  // Certainly not applied, or the store refuses a second settle itself (idempotency token): it may be
  // tried again. Otherwise it may have been applied late, and a second one would refund twice.
  a.settling = notSent(err) || r.idempotency !== undefined ? undefined : "unknown";
  a.settled = { applied: false, reason: `the budget store is unavailable: ${(err as Error)?.message ?? String(err)}` };
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
