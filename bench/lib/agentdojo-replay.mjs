// Replaying an AgentDojo trace (bench/lib/agentdojo-data.mjs) call by call through mcppolicy's ENGINE:
// for each call, `engine.authorize` (the policy's decision, then budgets and approvals on the engine's
// store), then, when the call is allowed, the recorded result is handed to the engine's result stage
// (`commit` with the tool's result), so the session's facts (labels, history, provenance) accumulate in
// the engine's own session state, one session per trace. Nothing here decides anything: every effect is the
// engine's.
// Guarantees:
// - One outcome per call, in order: `allow`, `deny` or `require_approval` (the effect of the FIRST
//   authorization of the call), with the reason codes and the rule ids the engine gave.
// - A call sent to approval is then approved the way its approvers allow (the caller through the client,
//   or a reviewer) and authorized again, so the session goes on as the ground truth did (the human said
//   yes); the second authorization must allow, else the call counts as denied.
// - A denied call never "runs": its result is not given to the engine (the tool never answered).
// - A result the engine withholds or changes (result rules: deny, redact, cap) is recorded per call, and so
//   is a fault the engine reports while settling (`fault`): the scores count them, so a run whose session
//   state failed is visible, never silently scored as if the session had worked.

/** The principal every trace runs as: the suite's single user, through their agent. */
export const PRINCIPAL = Object.freeze({ id: "emma", roles: ["assistant"] });

/** The annotations a server for `tool` (from the suite's `tools`) declares: reads are read-only. */
export function annotationsOf(tool) {
  return { readOnlyHint: tool.sideEffects !== true };
}

/** The MCP result the tool returned: the recorded text as one text content. */
export function toolResult(text) {
  return { content: [{ type: "text", text }] };
}

function outcomeOf(auth) {
  return {
    effect: auth.effect,
    codes: [...new Set(auth.reasons.map((r) => r.code))],
    // The rules that stopped the call (an allow rule's id says nothing about why a call was stopped).
    rules: [...new Set(auth.reasons.filter((r) => r.code !== "allow_rule").map((r) => r.rule).filter((r) => typeof r === "string"))],
  };
}

/** How a reviewer answers an approval: as the caller when the caller may, else as someone holding a role. */
export function approverFor(approvers, principal = PRINCIPAL) {
  if (approvers?.kind === "caller") return { approver: principal.id };
  if (approvers?.kind === "roles") return { approver: "reviewer", principal: { id: "reviewer", roles: [...approvers.roles] } };
  return { approver: "reviewer" };
}

/**
 * Settles an allowed call with the tool's result, through the engine's result stage (`commit(usage,
 * result)`). Returns whether the engine withheld the result (a result rule denied it, or the session could
 * not record it) or changed it (redaction, cap), and any fault the engine reported while settling.
 */
export async function settleWithResult(auth, result) {
  const out = await auth.commit({}, result);
  const withheld = out?.withheld !== undefined;
  const changed = !withheld && out?.result !== undefined && JSON.stringify(out.result) !== JSON.stringify(result);
  const fault = out?.applied !== true || (typeof out?.reason === "string" && out.reason !== "") ? (out?.reason ?? "not applied") : undefined;
  return { withheld, changed, fault };
}

/**
 * Replays `trace` through `engine` as session `sessionId`. `tools`: the suite's tools by name (for the
 * annotations). Returns the per-call outcomes.
 */
export async function replayEngine(engine, trace, { tools, sessionId, principal = PRINCIPAL }) {
  const outcomes = [];
  for (const call of trace.calls) {
    const tool = tools.get(call.tool);
    const request = {
      principal,
      method: "tools/call",
      tool: call.tool,
      arguments: call.args,
      annotations: annotationsOf(tool),
      session: { id: sessionId },
    };
    let auth = await engine.authorize(request);
    const outcome = outcomeOf(auth);
    if (auth.effect === "require_approval" && auth.approval) {
      await engine.approve(auth.approval.id, approverFor(auth.decision.approvers, principal));
      auth = await engine.authorize(request);
      if (auth.effect !== "allow") {
        outcome.effect = "deny";
        outcome.codes.push(...auth.reasons.map((r) => r.code));
      }
    }
    if (auth.effect === "allow") {
      const { withheld, changed, fault } = await settleWithResult(auth, toolResult(call.result));
      if (withheld) outcome.withheld = true;
      if (changed) outcome.changed = true;
      if (fault) outcome.fault = fault;
    }
    outcomes.push(outcome);
  }
  return outcomes;
}
