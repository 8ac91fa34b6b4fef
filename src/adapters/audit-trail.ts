/**
 * The enforcer's audit trail: turns what the relay knows of a request (caller, policy request, outcome,
 * timings) into audit entries and appends them to the host's sink.
 * Guarantees: `decision` resolves to false when the sink could not write (the relay then does not
 * forward the call unless the host chose `auditFailOpen`); it never throws. A completion that cannot be
 * written is reported through `onProblem` (the call already ran: there is nothing left to deny).
 * Without a sink both are no-ops that report success.
 */
import type { Policy } from "../policy.js";
import type { Decision, Method, PolicyRequest, Reason } from "../contract/index.js";
import type { Caller } from "../mcp/index.js";
import { completionEntry, decisionEntry, type AuditSink } from "../audit/index.js";

/** What was decided: a Decision (shadow mode), an engine Authorization, or the relay's own answer. */
export interface RelayOutcome {
  readonly effect: "allow" | "deny" | "require_approval" | "replay";
  readonly reasons: readonly Reason[];
  readonly decision?: Decision;
  readonly charged?: readonly string[];
  readonly approval?: { readonly id: string; readonly expiresAt: number };
  readonly retryAfterMs?: number;
}

export interface DecisionFacts {
  callId: string;
  caller: Caller;
  method: string;
  request: PolicyRequest | undefined;
  outcome: RelayOutcome;
  shadow: boolean;
  durationMs: number;
  policy: Policy;
}

export interface CompletionFacts {
  callId: string;
  caller: Caller;
  method: string;
  request: PolicyRequest | undefined;
  outcome: "ok" | "tool_error" | "error" | "upstream_unavailable" | "cancelled";
  durationMs: number;
  shadow: boolean;
  policy: Policy;
  errorCode?: number;
  resultBytes?: number;
  tokens?: { input?: number; output?: number };
}

export class AuditTrail {
  constructor(
    readonly sink: AuditSink | undefined,
    readonly failOpen: boolean,
    readonly onProblem: (text: string) => void,
  ) {}

  /** Whether the call may be forwarded as far as the audit goes. */
  async decision(f: DecisionFacts): Promise<boolean> {
    if (this.sink === undefined) return true;
    try {
      await this.sink.append(decisionEntry({ callId: f.callId, request: requestOf(f), decided: f.outcome, policy: f.policy, shadow: f.shadow, durationMs: f.durationMs }));
      return true;
    } catch (err) {
      this.onProblem(`the audit sink could not write a decision record: ${(err as Error)?.message ?? String(err)}`);
      return this.failOpen;
    }
  }

  async completion(f: CompletionFacts): Promise<void> {
    if (this.sink === undefined) return;
    try {
      await this.sink.append(
        completionEntry({ callId: f.callId, request: requestOf(f), decided: { effect: "allow", reasons: [] }, policy: f.policy, shadow: f.shadow, durationMs: f.durationMs, outcome: f.outcome, resultBytes: f.resultBytes, tokens: f.tokens }),
      );
    } catch (err) {
      this.onProblem(`the audit sink could not write a completion record: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}

/** The request an entry describes: the policy request, or for a request refused before it became one, who asked for which method. */
function requestOf(f: { caller: Caller; method: string; request: PolicyRequest | undefined }): PolicyRequest {
  if (f.request !== undefined) return f.request;
  const { principal, session, server, client } = f.caller;
  return { principal, method: f.method as Method, ...(session && { session }), ...(server && { server }), ...(client && { client }) };
}
