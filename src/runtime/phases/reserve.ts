/**
 * Phase `reserve` (before the tool): for a call the policy allows (or allows with approval), judges the
 * authorize options, plans the budget counters it is charged to, binds its approval and idempotency key,
 * and asks the store for all of it in ONE atomic operation (`store.reserve`, see store/store.ts).
 * Guarantees:
 * - Only an allowed call is charged; a call denied here (options, plan, binding, budget, approval,
 *   idempotency, store) costs nothing. A call that needs nothing of the store does not touch it.
 * - A store that errs or answers later than the engine's `timeoutMs` denies (`budget_unavailable`),
 *   unless every budget the call needs is marked `fail open`; a reserve given up on that may still have
 *   run is cancelled by its reservation id, so a reservation applied after its caller was denied is
 *   given back. A reserve the store answers `cancelled` (a second delivery) is cancelled too and denied.
 * - `ctx.reserved` is set the moment the store answers `ok`, before anything else can fail, so the
 *   engine can give the reservation back if a later phase faults.
 * - A new approval request is put to the host's `onApprovalRequest` at most once per call: an approval
 *   granted there runs the call again (`ctx.again`), with the hook off.
 */
import { RESERVATION_TTL_MS, notSent, type ReserveRequest, type ReserveResult } from "../store/store.js";
import { planCounters } from "../budget-plan.js";
import type { Decision, Reason } from "../../contract/index.js";
import type { AuthorizationInit, PendingApproval } from "../authorization.js";
import { approvalFor, idempotencyFor } from "./reserve-bindings.js";
import { budgetDenial, exceededReason, storeFault } from "./reserve-answer.js";
import type { CallContext, EngineEnv, Phase } from "./context.js";

export const reserve: Phase = {
  name: "reserve",
  stage: "call",
  run(ctx, env) {
    const decision = ctx.decision;
    if (decision === undefined) throw new Error("no decision to reserve for");
    if (decision.effect === "deny") return end(ctx, { effect: "deny", reasons: decision.reasons, decision });

    if (ctx.optionsProblem !== undefined) return deny(ctx, decision, { code: "invalid_request", message: `invalid authorize options: ${ctx.optionsProblem}` });

    const plan = planCounters(ctx.loaded.prepared, decision, ctx.request, ctx.target, ctx.options?.estimate, env.settings.sessionTtlMs);
    if ("error" in plan) return deny(ctx, decision, plan.error);
    ctx.counters = plan.counters;

    if (decision.effect === "require_approval") {
      const bound = approvalFor(ctx, env);
      if ("error" in bound) return deny(ctx, decision, bound.error);
      ctx.approval = bound.approval;
    }

    const idemKey = ctx.options?.idempotencyKey;
    if (idemKey !== undefined) {
      const bound = idempotencyFor(ctx, env, idemKey);
      if ("error" in bound) return deny(ctx, decision, bound.error);
      ctx.idempotency = bound.idempotency;
    }

    const { counters, approval, idempotency, sessionState } = ctx;
    if (counters.length === 0 && !approval && !idempotency && !sessionState) {
      return allow(ctx, decision, decision.reasons);
    }

    // With session facts (issue 14): admitted only while the session is as it was when they were loaded.
    const request: ReserveRequest = {
      counters: counters.map((c) => c.spec),
      ...(approval && { approval }),
      ...(idempotency && { idempotency }),
      reservation: { id: env.newId(), ttlMs: RESERVATION_TTL_MS },
      ...(sessionState && { session: { key: sessionState.key, version: sessionState.version } }),
    };
    let answer: ReserveResult | Promise<ReserveResult>;
    try {
      answer = env.timeout(env.store.reserve(request));
    } catch (err) {
      return failed(ctx, env, request, decision, err);
    }
    if (answer instanceof Promise) {
      return answer.then(
        (r) => answered(ctx, env, request, decision, r),
        (err: unknown) => failed(ctx, env, request, decision, err),
      );
    }
    return answered(ctx, env, request, decision, answer);
  },
};

function end(ctx: CallContext, outcome: AuthorizationInit): void {
  ctx.outcome = outcome;
  ctx.ended = outcome.effect !== "allow";
}

function allow(ctx: CallContext, decision: Decision, reasons: readonly Reason[]): void {
  const resolved = ctx.resolved;
  // Written out, not spread (`...(resolved && { resolved })`): the hot path.
  ctx.outcome = resolved ? { effect: "allow", reasons, decision, charged: decision.budgets, resolved } : { effect: "allow", reasons, decision, charged: decision.budgets };
  ctx.ended = false;
}

function deny(ctx: CallContext, decision: Decision, reason: Reason, budget?: AuthorizationInit["budget"]): void {
  end(ctx, budget ? { effect: "deny", reasons: [reason], decision, budget } : { effect: "deny", reasons: [reason], decision });
}

/** The store erred or did not answer in time. */
function failed(ctx: CallContext, env: EngineEnv, request: ReserveRequest, decision: Decision, err: unknown): void {
  // It may have run (sent, answer late or lost): give it back. Certainly not run: nothing to give back.
  if (!notSent(err)) env.cancel(request.reservation!.id);
  end(ctx, storeFault(err, decision, ctx.counters, ctx.approval !== undefined || ctx.idempotency !== undefined));
}

function answered(ctx: CallContext, env: EngineEnv, request: ReserveRequest, decision: Decision, result: ReserveResult): void | Promise<void> {
  ctx.timings = { reservedAt: result.now };
  switch (result.status) {
    case "ok": {
      const idempotency = ctx.idempotency;
      // INVARIANT: set before anything else can fail, so a later fault gives the reservation back.
      ctx.reserved = { id: request.reservation!.id, counters: ctx.counters, windows: result.windows, ...(idempotency && { idempotency: { key: idempotency.key, token: idempotency.token } }) };
      const reasons = result.approvalId
        ? [...decision.reasons.filter((r) => r.code !== "approval_required"), { code: "approval_granted" as const, message: `approval \`${result.approvalId}\` was used for this call` }]
        : decision.reasons;
      return allow(ctx, decision, reasons);
    }
    case "session_changed":
      // A call was recorded in the session since this call's facts were loaded: decide again on the
      // new facts, once (the engine runs the call again); a second change denies (fail closed).
      if (ctx.askHook) {
        ctx.again = true;
        ctx.ended = true;
        return;
      }
      return deny(ctx, decision, { code: "session_changed", message: "the session changed twice while this call was decided; try again" });
    case "replay": {
      const state = result.state;
      const what = state === "pending" ? "was admitted and has not been settled yet" : state === "committed" ? "ran and was committed" : "was rolled back";
      const reason: Reason = { code: "idempotent_replay", message: `a call with this idempotency key ${what}; this is a replay: do not run the tool again` };
      return end(ctx, { effect: "replay", reasons: [reason], decision, replayOf: { status: state } });
    }
    case "exceeded": {
      const c = ctx.counters[result.index];
      if (!c) return deny(ctx, decision, { code: "internal_error", message: "internal error: the store named a counter the call does not have" });
      return deny(ctx, decision, exceededReason(c, result.used, result.retryAfterMs), budgetDenial(c, result.used, result.retryAfterMs));
    }
    case "approval_pending": {
      const a = result.approval;
      const pending: PendingApproval = { id: a.id, expiresAt: a.expiresAt, created: result.created, approvers: a.approvers ?? { kind: "others" } };
      const pendingOutcome = (): void => {
        const message = `\`${a.tool}\` needs approval: approval \`${a.id}\` is pending until ${new Date(a.expiresAt).toISOString()}`;
        end(ctx, { effect: "require_approval", reasons: [...decision.reasons.filter((r) => r.code !== "approval_required"), { code: "approval_required", rule: `tool:${a.tool}/approval`, message }], decision, approval: pending });
      };
      const ask = env.askHook;
      if (ctx.askHook && result.created && ask) {
        return ask(a).then((answer) => {
          if (answer === "approved") {
            ctx.again = true;
            ctx.ended = true;
          } else if (answer === "rejected") deny(ctx, decision, { code: "approval_rejected", rule: `tool:${a.tool}/approval`, message: `approval \`${a.id}\` was rejected` });
          else pendingOutcome();
        });
      }
      return pendingOutcome();
    }
    case "approval_rejected":
      return deny(ctx, decision, { code: "approval_rejected", rule: `tool:${result.approval.tool}/approval`, message: `approval \`${result.approval.id}\` for this call was rejected by \`${result.approval.approver ?? "?"}\`` });
    case "idempotency_conflict":
      return deny(ctx, decision, { code: "idempotency_conflict", message: "this idempotency key was already used for a different request" });
    case "cancelled":
      // Also what a second delivery of this very reserve answers (a client that resends a command cut off
      // by a lost connection): the first one may have been applied, and the call is denied, so give it back.
      env.cancel(request.reservation!.id);
      return deny(ctx, decision, { code: "budget_unavailable", message: "the reservation was cancelled, or delivered to the store twice, so the call is denied (fail closed)" });
    default:
      return deny(ctx, decision, { code: "internal_error", message: "internal error: the store gave an unknown answer" });
  }
}
