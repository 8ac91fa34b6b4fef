/**
 * Stage `rule-count`: counts the rules of the whole policy (top-level denies and every role's rules)
 * before any is lowered. More than LIMITS.maxRules is E0302 and halts the check here, so a huge policy
 * costs a count, never a lowering. Guarantees: every later stage sees at most LIMITS.maxRules rules.
 */
import { tooManyRules } from "../../diagnostics/catalog.js";
import { LIMITS } from "../../source/limits.js";
import { span } from "../../source/source.js";
import { defineStage } from "../state.js";

export const ruleCountStage = defineStage({
  name: "rule-count",
  needs: ["declarations"],
  produces: ["ruleCount"],
  input: "any",
  haltsOnError: true,
  run({ main, sym, declarations }) {
    let ruleCount = declarations.topRules.length;
    for (const r of sym.roles.values()) ruleCount += r.rules.length;
    if (ruleCount > LIMITS.maxRules) sym.diagnostics.push(tooManyRules(span(main.file, 0, 0), LIMITS.maxRules));
    return { ruleCount };
  },
});
