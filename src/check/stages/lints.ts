/**
 * Stage `lints` (warnings only; they never fail compilation): rules shadowed by an unconditional deny
 * (W0001), rules that can never fire (W0002), duplicate rules (W0003), roles that grant nothing
 * (W0005; not for a role named as approvers), argument reads some calls lack (W0010, W0011, found by check/deny-args.ts). Runs only on a policy without errors: a broken rule would lint falsely. Guarantees: it
 * reports warnings and changes nothing.
 */
import type * as A from "../../ast/nodes.js";
import { duplicateRule, neverFires, roleGrantsNothing, shadowedByDeny } from "../../diagnostics/catalog.js";
import type { IrExpr, IrPattern, IrRole, IrRule } from "../../ir/ir.js";
import { exprText } from "../../ir/queries.js";
import { patternMatches } from "../../ir/match.js";
import type { Symbols } from "../scope.js";
import { defineStage } from "../state.js";

export const lintsStage = defineStage({
  name: "lints",
  needs: ["declarations", "topDenies", "roles", "tools", "families", "servers"],
  produces: [],
  input: "error-free",
  run({ sym, declarations, topDenies, roles, tools, families, servers }) {
    // A role named by `approval required by role ...` grants the right to approve: W0005 does not apply.
    const approvers = new Set<string>();
    const blocks = [...tools.values(), ...families, ...[...servers.values()].flatMap((s) => [...s.tools.values(), ...s.families])];
    for (const t of blocks) if (t.approval?.approvers.kind === "roles") for (const r of t.approval.approvers.roles) approvers.add(r);
    runLints(sym, { topDenies, roles, defaultDecl: declarations.defaultDecl, approvers });
    // Argument reads some call may lack (W0010, W0011), found while the rules were lowered.
    for (const d of sym.pendingLints ?? []) sym.diagnostics.push(d);
    return {};
  },
});

function unconditional(r: IrRule): boolean {
  return !r.when && !r.unless;
}

/** Whether `deny` matches every name `allow` matches (conservative: false when unsure). */
function covers(deny: IrPattern, allow: IrPattern): boolean {
  if (deny.kind === "glob" && deny.text === "*" ) return true;
  if (allow.kind === "exact") return patternMatches(deny, allow.text);
  return deny.text === allow.text;
}

function isConst(e: IrExpr | undefined, v: boolean): boolean {
  return !!e && e.k === "lit" && e.value === v;
}

function signature(r: IrRule): string {
  return `${r.effect} ${r.target} ${r.patterns.map((p) => JSON.stringify(p.text)).join(",")} when ${r.when ? exprText(r.when) : "-"} unless ${r.unless ? exprText(r.unless) : "-"}`;
}

export function runLints(sym: Symbols, p: { topDenies: readonly IrRule[]; roles: ReadonlyMap<string, IrRole>; defaultDecl: A.DefaultDecl | undefined; approvers?: ReadonlySet<string> }) {
  const d = sym.diagnostics;
  for (const role of p.roles.values()) {
    const decl = sym.roles.get(role.name);
    if (decl && role.rules.every((r) => r.effect === "deny") && role.includes.length === 0 && p.defaultDecl?.effect !== "allow" && !p.approvers?.has(role.name)) {
      d.push(roleGrantsNothing(decl.name.span, role.name));
    }
    const seen = new Map<string, IrRule>();
    for (const r of role.rules) {
      const sig = signature(r);
      const first = seen.get(sig);
      if (first) d.push(duplicateRule(r.span, r.id, first.id, first.span));
      else seen.set(sig, r);
      if (isConst(r.when, false) || isConst(r.unless, true)) d.push(neverFires(r.span, r.id, "its condition is always false"));
      if (r.effect !== "allow") continue;
      const denies = [...p.topDenies, ...role.rules].filter((x) => x.effect === "deny" && x.target === r.target && unconditional(x));
      const by = denies.find((x) => r.patterns.every((ap) => x.patterns.some((dp) => covers(dp, ap))));
      if (by) d.push(shadowedByDeny(r.span, r.id, by.id, by.span));
    }
  }
  for (const r of p.topDenies) {
    if (isConst(r.when, false) || isConst(r.unless, true)) d.push(neverFires(r.span, r.id, "its condition is always false"));
  }
}
