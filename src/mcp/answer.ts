/**
 * A decision (or the engine's authorization) → the MCP answer to the request it was about. No I/O.
 * GUARANTEES (never throws; an outcome it cannot read is answered as a denial, never forwarded):
 *  - allow → undefined (forward the request);
 *  - deny of a tools/call for its arguments: some reason is `invalid_argument` and every other one is an
 *    `evaluation_error` (a rule that could not read the faulty argument: `any path arg` of a path outside
 *    its root), or a call whose approval a human declined (`approval_rejected`) → a tool result with
 *    `isError: true`
 *    whose text is the reasons' messages (the model can correct its call);
 *  - deny whose reasons are ALL `budget_exceeded` → JSON-RPC error BUDGET_EXCEEDED (-32011) with
 *    `data.retryAfterMs` when known;
 *  - any other deny, a replay, and `require_approval` of a request that is not a tools/call → POLICY_DENIED
 *    (-32010), message "denied by policy: " + the first reason's message, `data: { effect, reasons, ... }`;
 *  - require_approval of a tools/call → a tool result with `isError: true` naming the approval id and the
 *    command that decides it (`mcppolicy approvals approve <id>`), and
 *    `_meta: { "mcppolicy/approval": { id, expiresAt } }`;
 *  - reasons in answers hold only `code`, `rule` (when given) and `message`.
 */
import type { Reason } from "../contract/decision.js";
import { MCP_ERROR_CODES } from "./errors.js";
import { faultText } from "./fault.js";
import { errorResponse, isJsonRpcId, type JsonRpcErrorResponse, type JsonRpcRequest, type JsonRpcResult } from "./jsonrpc.js";

export interface Outcome {
  effect: "allow" | "deny" | "require_approval" | "replay";
  reasons: readonly Reason[];
  retryAfterMs?: number;
  approval?: { id: string; expiresAt: number };
  budget?: unknown;
}

/** The `_meta` key of an approval's id and expiry on the isError result. */
export const APPROVAL_META_KEY = "mcppolicy/approval";

interface PlainReason {
  code: string;
  rule?: string;
  message: string;
}

function plainReasons(reasons: unknown): PlainReason[] {
  if (!Array.isArray(reasons)) return [];
  const out: PlainReason[] = [];
  for (const r of reasons) {
    if (typeof r !== "object" || r === null) continue;
    const code = typeof r.code === "string" ? r.code : "internal_error";
    const message = typeof r.message === "string" ? r.message : code;
    out.push(typeof r.rule === "string" ? { code, rule: r.rule, message } : { code, message });
  }
  return out;
}

const toolResult = (id: JsonRpcRequest["id"], text: string, meta?: Record<string, unknown>): JsonRpcResult => ({
  jsonrpc: "2.0",
  id,
  result: { content: [{ type: "text", text }], isError: true, ...(meta && { _meta: meta }) },
});

/** The answer to `message` for this outcome; undefined: allowed, forward it. */
export function answerFor(message: JsonRpcRequest, outcome: Outcome): JsonRpcResult | JsonRpcErrorResponse | undefined {
  let id: JsonRpcRequest["id"] | null = null;
  try {
    id = isJsonRpcId(message?.id) ? message.id : null;
    const effect = outcome?.effect;
    if (effect === "allow") return undefined;
    const reasons = plainReasons(outcome?.reasons);
    const isCall = message?.method === "tools/call";
    const retryAfterMs = typeof outcome?.retryAfterMs === "number" && Number.isFinite(outcome.retryAfterMs) && outcome.retryAfterMs >= 0 ? outcome.retryAfterMs : undefined;
    const approval = readApproval(outcome?.approval);

    if (effect === "require_approval" && isCall && id !== null) return approvalResult(id, reasons, approval);
    if (effect === "deny" && isCall && id !== null && (isArgumentFault(reasons) || isDeclined(reasons))) {
      return toolResult(id, reasons.map((r) => r.message).join("\n"));
    }
    const known = effect === "deny" || effect === "replay" || effect === "require_approval";
    const data: Record<string, unknown> = { effect: known ? effect : "deny", reasons };
    if (retryAfterMs !== undefined) data.retryAfterMs = retryAfterMs;
    if (outcome?.budget !== undefined) data.budget = outcome.budget;
    if (approval) data.approval = approval;
    if (!known) {
      const text = `the outcome's effect ${JSON.stringify(String(effect)).slice(0, 80)} is unknown`;
      data.reasons = [{ code: "internal_error", message: text }];
      return errorResponse(id, MCP_ERROR_CODES.POLICY_DENIED, `denied by policy: ${text}`, data);
    }
    const first = reasons[0]?.message;
    const text = first === undefined ? "denied by policy" : `denied by policy: ${first}`;
    const budget = effect === "deny" && reasons.length > 0 && reasons.every((r) => r.code === "budget_exceeded");
    return errorResponse(id, budget ? MCP_ERROR_CODES.BUDGET_EXCEEDED : MCP_ERROR_CODES.POLICY_DENIED, text, data);
  } catch (err) {
    const text = `the decision could not be read: ${faultText(err)}`;
    return errorResponse(id, MCP_ERROR_CODES.POLICY_DENIED, `denied by policy: ${text}`, { effect: "deny", reasons: [{ code: "internal_error", message: text }] });
  }
}

function readApproval(a: unknown): { id: string; expiresAt: number } | undefined {
  if (typeof a !== "object" || a === null) return undefined;
  const { id, expiresAt } = a as { id?: unknown; expiresAt?: unknown };
  if (typeof id !== "string" || id === "" || typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) return undefined;
  return { id, expiresAt };
}

function approvalResult(id: JsonRpcRequest["id"], reasons: PlainReason[], approval: { id: string; expiresAt: number } | undefined): JsonRpcResult {
  const why = reasons.map((r) => r.message).join("; ") || "this call needs a human's approval";
  if (!approval) return toolResult(id, `${why}. No approval request was created for it, so it cannot be approved; the call was not made.`);
  let expires: string;
  try {
    expires = new Date(approval.expiresAt).toISOString();
  } catch {
    expires = String(approval.expiresAt);
  }
  const text =
    `${why}. The call was not made: approval request \`${approval.id}\` is pending until ${expires}. ` +
    `An approver can decide it with \`mcppolicy approvals approve ${approval.id}\` (or \`mcppolicy approvals reject ${approval.id}\`); ` +
    `once approved, make the same call again.`;
  return toolResult(id, text, { [APPROVAL_META_KEY]: { id: approval.id, expiresAt: approval.expiresAt } });
}

/** A denial the caller can fix by changing the arguments: an argument fault, and nothing else but rules that erred on it. */
function isArgumentFault(reasons: readonly PlainReason[]): boolean {
  return reasons.some((r) => r.code === "invalid_argument") && reasons.every((r) => r.code === "invalid_argument" || r.code === "evaluation_error");
}

/** A call a human declined (its approval was rejected): the model is told so, as a tool result, rather than a protocol error. */
function isDeclined(reasons: readonly PlainReason[]): boolean {
  return reasons.length > 0 && reasons.every((r) => r.code === "approval_rejected");
}
