// The approval rules of the AgentDojo policies (policies/agentdojo) that send a benign AgentDojo trace to
// approval, or did before provenance compared identifiers whole and skipped echoes (workspace's
// add_calendar_event_participants, travel's review rule on create_calendar_event: they now cost nothing and
// stay for what they buy), each as an exact text edit that removes it: bench/agentdojo-ablate.mjs replays a suite without
// one of them at a time, and test/agentdojo.test.ts checks that every edit still applies to the policies.
// Guarantees: pure; `applyAblation` returns the edited text, or throws when the edit's text is not found
// exactly once or leaves the policy unchanged (a stale edit is an error, never a silent "no effect").

/**
 * One rule removed: its suite, the rule id the engine reports when the rule sends a call to approval (for
 * `reserve_*`, the id of its call to `reserve_hotel`), a short name, and the exact text edit (`from` becomes `to`).
 */
export const ABLATIONS = Object.freeze([
  { suite: "workspace", ruleId: "tool:send_email/approval", rule: "send_email: recipients copied from untrusted text", from: "approval required when args.recipients derives from untrusted\n    or ", to: "approval required when " },
  { suite: "workspace", ruleId: "tool:create_calendar_event/approval", rule: "create_calendar_event: participants copied from untrusted text", from: "  approval required when (args.participants ?? []) derives from untrusted by caller\n", to: "" },
  { suite: "workspace", ruleId: "tool:add_calendar_event_participants/approval", rule: "add_calendar_event_participants: participants copied from untrusted text", from: "  approval required when args.participants derives from untrusted by caller\n", to: "" },
  { suite: "workspace", ruleId: "tool:share_file/approval", rule: "share_file: an address copied from untrusted text", from: "  approval required when args.email derives from untrusted by caller\n", to: "" },
  {
    suite: "workspace",
    ruleId: "tool:delete_file/approval", rule: "delete_file: once the session has read untrusted text",
    from: 'tool delete_file {\n  risk high\n  args { file_id: string(maxLength: 64) }\n  approval required when "untrusted" in session.labels by caller\n',
    to: "tool delete_file {\n  risk high\n  args { file_id: string(maxLength: 64) }\n",
  },
  { suite: "banking", ruleId: "tool:send_money/approval", rule: "send_money: an account copied from untrusted text", from: "approval required when (args.recipient derives from untrusted and not args.recipient derives from paid_before)\n    or ", to: "approval required when " },
  { suite: "banking", ruleId: "tool:schedule_transaction/approval", rule: "schedule_transaction: an account copied from untrusted text", from: "approval required when (args.recipient derives from untrusted and not args.recipient derives from paid_before) or args.amount > LARGE", to: "approval required when args.amount > LARGE" },
  { suite: "banking", ruleId: "tool:update_password/approval", rule: "update_password: always", from: "args { password: string(minLength: 1, maxLength: 256) }\n  approval required by caller\n", to: "args { password: string(minLength: 1, maxLength: 256) }\n" },
  { suite: "slack", ruleId: "tool:invite_user_to_slack/approval", rule: "invite_user_to_slack: an address copied from untrusted text", from: "  approval required when args.user_email derives from untrusted by caller\n", to: "" },
  { suite: "travel", ruleId: "tool:reserve_hotel/approval", rule: "reserve_*: always", from: "tool \"reserve_*\" {\n  risk high\n  approval required by caller\n}", to: "tool \"reserve_*\" {\n  risk high\n}" },
  {
    suite: "travel",
    ruleId: "tool:create_calendar_event/approval", rule: "create_calendar_event: a title, description or location copied from reviews",
    from: "or args.title derives from untrusted\n    or (args.description ?? \"\") derives from untrusted\n    or (args.location ?? \"\") derives from untrusted\n    ",
    to: "",
  },
]);

/** The policy `text` without the rule `ab` removes; throws when the edit does not apply exactly once. */
export function applyAblation(text, ab) {
  const hits = text.split(ab.from).length - 1;
  if (hits !== 1) throw new Error(`the edit for "${ab.rule}" (${ab.suite}) matches ${hits} times, not once: the policy changed, update bench/lib/agentdojo-ablations.mjs`);
  const out = text.replace(ab.from, () => ab.to);
  if (out === text) throw new Error(`the edit for "${ab.rule}" (${ab.suite}) changes nothing`);
  return out;
}
