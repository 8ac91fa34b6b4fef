/**
 * Rule ids, the one definition both the checker (which assigns them) and the tools that read ids back
 * (policy test files, explain) use. A named rule's id is its name; an unnamed rule's id is positional:
 * `ROLE/N` for the N-th rule of a role, `policy/N` for the N-th top-level deny (imports first), where N
 * counts EVERY rule of that role or of the top level, named or not, in source order. So naming or
 * renaming a rule never changes another rule's id, and a named rule keeps its id wherever it moves.
 * A name matches RULE_NAME: it never holds `/` or `:`, so it can never equal a positional id or the id
 * of a tool's checks (`tool:NAME/args`) or of a budget (`ROLE/limit/N`).
 */
import type { IrPolicy, IrRule } from "./ir.js";

/** What a rule name may be: 1 to 128 of `[A-Za-z0-9._-]`, starting with a letter or digit. */
export const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The positional id of the `n`-th rule (1-based) of `role`, or of the top level when `role` is undefined. */
export function positionalRuleId(role: string | undefined, n: number): string {
  return `${role ?? "policy"}/${n}`;
}

/** Every rule of a policy with its positional id (what its id is, or would be without its name), in policy order. */
export function rulesWithPositions(ir: Pick<IrPolicy, "topDenies" | "roles">): { rule: IrRule; positional: string }[] {
  const out = ir.topDenies.map((rule, i) => ({ rule, positional: positionalRuleId(undefined, i + 1) }));
  for (const role of ir.roles.values()) role.rules.forEach((rule, i) => out.push({ rule, positional: positionalRuleId(role.name, i + 1) }));
  return out;
}
