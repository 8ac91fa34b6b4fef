/**
 * Stage `policy-rules`: lowers the top-level denies (imports first, then the main file) to IR rules
 * under the ids the `rule-ids` stage gave (a name, or `policy/1`, `policy/2`, ...; see ../rules.ts for
 * what each rule's lowering checks).
 * Guarantees: one IR rule per top-level deny, in declaration order.
 */
import { positionalRuleId } from "../../ir/rule-ids.js";
import { lowerRule } from "../rules.js";
import { defineStage } from "../state.js";

export const policyRulesStage = defineStage({
  name: "policy-rules",
  needs: ["declarations", "sets", "ruleCount", "ruleIds"],
  produces: ["topDenies"],
  input: "any",
  run({ sym, declarations, ruleIds }) {
    return { topDenies: declarations.topRules.map((r, i) => lowerRule(sym, r, ruleIds.get(r) ?? positionalRuleId(undefined, i + 1), undefined)) };
  },
});
