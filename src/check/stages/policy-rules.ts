/**
 * Stage `policy-rules`: lowers the top-level denies (imports first, then the main file) to IR rules
 * with ids `policy/1`, `policy/2`, ... (see ../rules.ts for what each rule's lowering checks).
 * Guarantees: one IR rule per top-level deny, in declaration order.
 */
import { lowerRule } from "../rules.js";
import { defineStage } from "../state.js";

export const policyRulesStage = defineStage({
  name: "policy-rules",
  needs: ["declarations", "sets", "ruleCount"],
  produces: ["topDenies"],
  input: "any",
  run({ sym, declarations }) {
    return { topDenies: declarations.topRules.map((r, i) => lowerRule(sym, r, `policy/${i + 1}`, undefined)) };
  },
});
