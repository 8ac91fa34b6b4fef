/** A decision as plain text lines, the one rendering the CLI and the policy test reports share. */
import type { Decision } from "./decision.js";

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
