/** A decision and its explained rules as plain text lines, the one rendering the CLI, the policy test reports and the playground share. */
import type { Decision, ExplainedRule } from "./decision.js";

/** The decision as text lines: effect, reasons, roles, risk, budgets, visibility, approvers, errors. */
export function formatDecision(d: Decision): string[] {
  const lines = [`effect: ${d.effect}`];
  for (const r of d.reasons) lines.push(`  - [${r.code}] ${r.rule !== undefined ? `${r.rule}: ` : ""}${r.message}`);
  lines.push(`roles: ${d.roles.length > 0 ? d.roles.join(", ") : "(none)"}`);
  if (d.risk !== undefined) lines.push(`risk: ${d.risk}`);
  lines.push(`budgets: ${d.budgets.length > 0 ? d.budgets.join(", ") : "(none)"}`);
  if (d.visibility !== undefined) lines.push(`visibility: ${d.visibility}`);
  if (d.approvers !== undefined) lines.push(`approvers: ${d.approvers.kind === "roles" ? `role ${d.approvers.roles.length > 0 ? d.approvers.roles.join(", ") : "(none can approve)"}` : d.approvers.kind}`);
  if (d.errors.length > 0) {
    lines.push("errors:");
    for (const e of d.errors) lines.push(`  - ${e}`);
  }
  return lines;
}

/** One aligned row per rule: `  developer/1  allow  line 7   matched  (detail)`. */
export function formatRules(rules: readonly ExplainedRule[]): string[] {
  if (rules.length === 0) return ["  (no rule was considered)"];
  const idWidth = Math.max(...rules.map((r) => r.rule.length));
  const lineWidth = Math.max(...rules.map((r) => String(r.line).length));
  const outcomeWidth = Math.max(...rules.map((r) => r.outcome.length));
  return rules.map((r) => {
    const row = `  ${r.rule.padEnd(idWidth)}  ${r.effect.padEnd(5)}  line ${String(r.line).padEnd(lineWidth)}  ${r.outcome}`;
    return r.detail ? `${row.padEnd(row.length - r.outcome.length + outcomeWidth)}  ${r.detail}` : row;
  });
}
