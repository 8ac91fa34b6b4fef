/**
 * Stage `rule-ids`: gives every rule its id before any is lowered. A named rule's id is its name; an
 * unnamed rule's is positional (`policy/N` for the N-th top-level deny, imports first; `ROLE/N` for the
 * N-th rule of a role), N counting every rule, named or not (ir/rule-ids.ts). Reports a malformed name
 * (E0131), a name shaped like a positional id (E0132) and a name used twice anywhere in the policy,
 * imports included (E0130, pointing at the first use in policy order).
 * Guarantees: every rule the later stages lower has an id here; once the check is error-free, the ids
 * are unique, and naming or renaming a rule changes no other rule's id.
 */
import type * as A from "../../ast/nodes.js";
import { duplicateRuleName, invalidRuleName, positionalRuleName } from "../../diagnostics/catalog.js";
import { positionalRuleId } from "../../ir/rule-ids.js";
import { ruleNameFault, shownRuleName } from "../rule-names.js";
import { defineStage } from "../state.js";

export const ruleIdsStage = defineStage({
  name: "rule-ids",
  needs: ["declarations", "ruleCount"],
  produces: ["ruleIds"],
  input: "any",
  run({ files, main, sym, declarations }) {
    const ruleIds = new Map<A.RuleDecl, string>();
    const named: A.RuleDecl[] = [];
    const assign = (rules: readonly A.RuleDecl[], role: string | undefined) => {
      for (const [i, r] of rules.entries()) {
        const positional = positionalRuleId(role, i + 1);
        if (!r.name) {
          ruleIds.set(r, positional);
          continue;
        }
        const fault = ruleNameFault(r.name.text);
        if (fault?.kind === "positional") sym.diagnostics.push(positionalRuleName(r.name.span, shownRuleName(r.name.text), fault.fixed));
        else if (fault) sym.diagnostics.push(invalidRuleName(r.name.span, shownRuleName(r.name.text), fault.why, fault.fixed));
        else named.push(r);
        // A refused name still gets an id (the check fails anyway): the positional one.
        ruleIds.set(r, fault ? positional : r.name.text);
      }
    };
    assign(declarations.topRules, undefined);
    for (const role of sym.roles.values()) assign(role.rules, role.name.text);
    // Duplicates, reported at every use after the first in policy order (imports first, then the main file).
    const rank = new Map([...files.slice(1), main].map((f, i) => [f.file, i]));
    const at = (r: A.RuleDecl) => [rank.get(r.span.file) ?? rank.size, r.span.start] as const;
    named.sort((a, b) => at(a)[0] - at(b)[0] || at(a)[1] - at(b)[1]);
    const first = new Map<string, A.Name>();
    for (const r of named) {
      const name = r.name!;
      const seen = first.get(name.text);
      if (seen) sym.diagnostics.push(duplicateRuleName(name.span, name.text, seen.span));
      else first.set(name.text, name);
    }
    return { ruleIds };
  },
});
