/**
 * Stage `roles`: lowers each role, in declaration order: its membership conditions, its rules (under
 * the ids the `rule-ids` stage gave: a name, or `ROLE/1`, `ROLE/2`, ...; see ../rules.ts) and its limits (ids `ROLE/limit/N`). Guarantees: every
 * declared role is in `roles` with its direct includes (known roles only) and its closure from the
 * `role-includes` stage.
 */
import type { IrRole } from "../../ir/ir.js";
import { positionalRuleId } from "../../ir/rule-ids.js";
import { lowerCondition } from "../expressions.js";
import { lowerLimits } from "../limits.js";
import { exactRecord } from "../intern.js";
import { lowerRule } from "../rules.js";
import { defineStage } from "../state.js";

export const rolesStage = defineStage({
  name: "roles",
  needs: ["declarations", "sets", "closures", "ruleCount", "ruleIds"],
  produces: ["roles"],
  input: "any",
  run({ sym, closures, ruleIds }) {
    const roles = new Map<string, IrRole>();
    // INVARIANT: per role, members then rules then limits (diagnostics keep this order on ties).
    for (const r of sym.roles.values()) {
      const members = r.members.map((m) => lowerCondition(sym, m.when).ir);
      const rules = r.rules.map((rule, i) => lowerRule(sym, rule, ruleIds.get(rule) ?? positionalRuleId(r.name.text, i + 1), r.name.text));
      const budgets = lowerLimits(sym, r.limits, r.name.text, { level: "role", role: r.name.text });
      // An object of exactly these fields (intern.ts; the literal took 104 bytes, not 80: issue 16).
      roles.set(
        r.name.text,
        exactRecord<IrRole>([
          ["name", r.name.text],
          // Most roles have no members, includes or limits: those share one frozen empty list (issue 16).
          ["members", orNone(members)],
          ["includes", orNone(r.includes.filter((i) => sym.roles.has(i.text)).map((i) => i.text))],
          ["closure", closures.get(r.name.text) ?? [r.name.text]],
          ["rules", rules],
          ["budgets", orNone(budgets)],
          ["span", r.name.span],
        ]),
      );
    }
    return { roles };
  },
});

const NONE: readonly never[] = Object.freeze([]);
const orNone = <T>(xs: readonly T[]): readonly T[] => (xs.length === 0 ? NONE : xs);
