/**
 * Phase `decide` (before the tool): the policy's decision on `ctx.request`, with the policy taken when
 * the call started (`ctx.loaded`). With the engine's `dns` option, `policy.decideAsync` resolves every
 * `url(...)` argument's host and checks each address first.
 * Guarantees: a deny ends the call here with the policy's own reasons, before anything is reserved or
 * any option is judged; the decision is never changed afterwards (later phases may only deny on top of
 * it, or replace `approval_required` with what the store says of the approval).
 */
import type { Decision } from "../../contract/index.js";
import type { Phase } from "./context.js";

export const decide: Phase = {
  name: "decide",
  stage: "call",
  run(ctx, env) {
    const policy = ctx.loaded.policy;
    if (env.dns) {
      return policy.decideAsync(ctx.request, env.dns).then((d) => {
        const { resolved, ...decision } = d;
        ctx.resolved = resolved;
        record(ctx, decision);
      });
    }
    record(ctx, policy.decide(ctx.request));
  },
};

function record(ctx: Parameters<Phase["run"]>[0], decision: Decision): void {
  ctx.decision = decision;
  if (decision.effect === "deny") {
    ctx.outcome = { effect: "deny", reasons: decision.reasons, decision };
    ctx.ended = true;
  }
}
