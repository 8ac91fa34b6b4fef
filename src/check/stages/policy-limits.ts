/**
 * Stage `policy-limits`: lowers the policy-level `limit` declarations (see ../limits.ts) to budgets
 * with ids `policy/limit/1`, `policy/limit/2`, ... Guarantees: `budgets` keeps declaration order.
 */
import { lowerLimits } from "../limits.js";
import { defineStage } from "../state.js";

export const policyLimitsStage = defineStage({
  name: "policy-limits",
  needs: ["declarations"],
  produces: ["budgets"],
  input: "any",
  run({ sym, declarations }) {
    return { budgets: lowerLimits(sym, declarations.topLimits, "policy", { level: "policy" }) };
  },
});
