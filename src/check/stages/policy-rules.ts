/**
 * Stage `policy-rules`: lowers the top-level denies (imports first, then the main file) to IR rules
 * under the ids the `rule-ids` stage gave (a name, or `policy/1`, `policy/2`, ...; see ../rules.ts for
 * what each rule's lowering checks); the denies of a `server` block are among them, in source order,
 * scoped to their server (../server-scope.ts).
 * Guarantees: one IR rule per top-level deny, in declaration order.
 */
import { positionalRuleId } from "../../ir/rule-ids.js";
import { internExpr } from "../intern.js";
import { lowerRule } from "../rules.js";
import { scopeToServer } from "../server-scope.js";
import { defineStage } from "../state.js";

export const policyRulesStage = defineStage({
  name: "policy-rules",
  needs: ["declarations", "sets", "ruleCount", "ruleIds"],
  produces: ["topDenies"],
  input: "any",
  run({ sym, declarations, ruleIds }) {
    const scoped = (r: (typeof declarations.topRules)[number], ir: ReturnType<typeof lowerRule>) => {
      const server = declarations.ruleServers.get(r);
      if (server === undefined) return ir;
      const scopedRule = scopeToServer(ir, server);
      // Its condition shared and frozen like every rule's (../intern.ts).
      return { ...scopedRule, when: internExpr(sym, scopedRule.when!) };
    };
    return { topDenies: declarations.topRules.map((r, i) => scoped(r, lowerRule(sym, r, ruleIds.get(r) ?? positionalRuleId(undefined, i + 1), undefined, declarations.ruleServers.get(r)))) };
  },
});
