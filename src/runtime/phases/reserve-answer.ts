/**
 * How the reserve phase words what the store answered, or why it could not ask it: budget denials with
 * the budget and when to retry, and the fail-open / fail-closed rule for a store fault.
 * Guarantees: a store fault denies (`budget_unavailable`) unless the call needs the store only for
 * budgets that are all marked `fail open` (then it is allowed, uncounted, and says so); a call that needs
 * the store for an approval or an idempotency key is always denied when the store is at fault.
 */
import type { Decision, Reason } from "../../contract/index.js";
import type { AuthorizationInit, BudgetDenial } from "../authorization.js";
import type { PlannedCounter } from "../budget-plan.js";

/** The answer when the store erred or did not answer in time. */
export function storeFault(err: unknown, decision: Decision, counters: readonly PlannedCounter[], needsStore: boolean): AuthorizationInit {
  const why = (err as Error)?.message ?? String(err);
  const closed = [...new Set(counters.filter((c) => !c.budget.budget.failOpen).map((c) => c.budget.budget.id))];
  if (!needsStore && closed.length === 0) {
    const open = [...new Set(counters.map((c) => c.budget.budget.id))];
    return {
      effect: "allow",
      reasons: [...decision.reasons, { code: "budget_fail_open", message: `the budget store is unavailable (${why}); ${open.map((i) => `\`${i}\``).join(", ")} ${open.length === 1 ? "is" : "are"} marked \`fail open\`, so the call was not counted` }],
      decision,
    };
  }
  const what = closed.length > 0 ? `budget${closed.length === 1 ? "" : "s"} ${closed.map((i) => `\`${i}\``).join(", ")} cannot be checked` : "the approval or idempotency key cannot be checked";
  return { effect: "deny", reasons: [{ code: "budget_unavailable", message: `the budget store is unavailable (${why}): ${what}, so the call is denied (fail closed)` }], decision };
}

export function budgetDenial(c: PlannedCounter, used: number, retryAfterMs: number | undefined): BudgetDenial {
  const b = c.budget.budget;
  const m = c.counter.measure;
  return {
    id: b.id,
    kind: b.kind,
    ...((m === "input" || m === "output" || m === "total") && { measure: m }),
    limit: c.counter.limit,
    used,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

export function exceededReason(c: PlannedCounter, used: number, retryAfterMs: number | undefined): Reason {
  const b = c.budget.budget;
  const m = c.counter.measure;
  const what = m === "input" || m === "output" || m === "total" ? ` (${m} tokens)` : "";
  const when = retryAfterMs !== undefined ? `; retry in ${formatMs(retryAfterMs)}` : b.window === "session" ? " for this session" : "";
  return { code: "budget_exceeded", rule: b.id, message: `the ${c.budget.text}${what} (\`${b.id}\`) is used up${when}` };
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.ceil(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
