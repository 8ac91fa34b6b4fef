/**
 * Approvals asked through the client: when a call needs an approval that its own caller may give
 * (`approval required by caller`) and the client declared the elicitation capability, the relay asks
 * the human at the client with `elicitation/create`: the tool, its arguments as the audit shows them
 * (redacted keys and secret-looking values hidden), and the policy's reason.
 * Guarantees: the call goes through only on an explicit accept with `approve: true`; it then goes
 * through once (the engine's approval, bound to the call, is consumed by the second authorization).
 * A decline, a cancel, a malformed answer, an error or no answer in time never approves: decline and
 * cancel reject the approval, the rest leave it pending (it can still be decided out of band), and the
 * call is answered as `require_approval`. Never throws.
 */
import type { Engine } from "../runtime/engine.js";
import type { Authorization } from "../runtime/authorization.js";
import type { PolicyRequest } from "../contract/index.js";
import type { Caller, JsonRpcErrorResponse, JsonRpcResult } from "../mcp/index.js";
import { redactedArguments } from "../audit/index.js";
import type { RelayOutcome } from "./audit-trail.js";

/** Whether the client can answer a form elicitation (it declared `elicitation`, with `form` or as an empty object). */
export function clientCanElicit(capabilities: Record<string, unknown> | undefined): boolean {
  const e = capabilities?.elicitation;
  if (typeof e !== "object" || e === null) return false;
  const keys = Object.keys(e);
  return keys.length === 0 || Object.prototype.hasOwnProperty.call(e, "form");
}

export interface AskInput {
  engine: Engine;
  authorization: Authorization;
  request: PolicyRequest;
  caller: Caller;
  ask(params: Record<string, unknown>): Promise<JsonRpcResult | JsonRpcErrorResponse>;
  estimate?: { inputTokens: number };
}

/** The longest argument text shown to the human; the rest is cut with a note. */
const MAX_SHOWN = 4000;

export async function askCallerToApprove(input: AskInput): Promise<RelayOutcome> {
  const { engine, authorization: auth, request, caller } = input;
  const approval = auth.approval;
  const approvers = auth.decision.approvers;
  if (approval === undefined || approvers?.kind !== "caller") return auth;
  let shown: string;
  try {
    shown = JSON.stringify(redactedArguments(engine.policy, request.arguments ?? {}), null, 2) ?? "{}";
  } catch {
    shown = "(the arguments could not be shown)";
  }
  if (shown.length > MAX_SHOWN) shown = `${shown.slice(0, MAX_SHOWN)}\n… (${shown.length - MAX_SHOWN} more characters not shown)`;
  const why = auth.reasons.find((r) => r.code === "approval_required")?.message ?? auth.reasons[0]?.message ?? "this call needs an approval";
  const message = `${why}.\n\nTool: ${request.tool}${request.server?.name !== undefined ? ` (server ${request.server.name})` : ""}\nArguments:\n${shown}\n\nApprove this call once?`;
  let answer: JsonRpcResult | JsonRpcErrorResponse;
  try {
    answer = await input.ask({
      message,
      requestedSchema: {
        type: "object",
        properties: { approve: { type: "boolean", title: "Approve this call?", description: `Lets this one call to ${request.tool} run` } },
        required: ["approve"],
      },
    });
  } catch {
    return auth; // no answer in time: the approval stays pending, to be decided out of band
  }
  if (!("result" in answer)) return auth;
  const r = answer.result as { action?: unknown; content?: { approve?: unknown } };
  const approver = caller.principal.id ?? "caller";
  if (r.action === "accept" && r.content?.approve === true) {
    try {
      await engine.approve(approval.id, { approver, principal: caller.principal });
    } catch (err) {
      return { effect: "deny", reasons: [{ code: "approval_invalid", message: `the approval given at the client could not be recorded: ${(err as Error)?.message ?? String(err)}` }] };
    }
    return engine.authorize(request, input.estimate !== undefined ? { estimate: input.estimate } : undefined);
  }
  if (r.action === "accept" || r.action === "decline" || r.action === "cancel") {
    try {
      await engine.reject(approval.id, { approver, principal: caller.principal });
    } catch {
      // the approval stays pending and expires
    }
    return { effect: "deny", reasons: [{ code: "approval_rejected", message: `the approval of this call to \`${request.tool}\` was declined at the client` }] };
  }
  return auth;
}
