/**
 * The two audit entries of a governed request, built from what the enforcer holds: the decision entry
 * (written BEFORE the request is forwarded or answered) and the completion entry (written when the
 * upstream's answer, or its failure, comes back for a forwarded request). Same `callId` on both.
 * Guarantees: what an entry holds of the request is redacted: arguments by the policy's keys
 * (`policy.redact`) and then by value (`redactSecrets`); reason messages and the resource URI by value
 * (`redactSecretString`). Principal scopes and claims are never recorded (only id and roles); result
 * content never is (only its size, `jsonBytes`). The entries pass the v1 schema (record.ts) for any
 * request a PolicyRequest can hold: strings only where strings go, numbers finite, arguments JSON-safe
 * and shallow enough for canonical JSON.
 */
import type { PolicyRequest, Reason } from "../contract/index.js";
import type { AuditEffect, AuditEntry, AuditOutcome } from "./record.js";
import { redactSecrets, redactSecretString } from "./redact-values.js";

/** What the enforcer decided: an engine Authorization, or a policy Decision (shadow mode decides only). */
export interface Decided {
  readonly effect: AuditEffect;
  readonly reasons: readonly Reason[];
  /** Budgets charged (Authorization.charged); none for a bare Decision. */
  readonly charged?: readonly string[];
  readonly approval?: { readonly id: string };
  /** The policy's own decision (Authorization.decision), for the roles the principal held. */
  readonly decision?: { readonly roles: readonly string[] };
  /** A bare Decision's roles. */
  readonly roles?: readonly string[];
}

/** The parts of a Policy an entry needs (the facade's `redact`, name, version and fingerprint). */
export interface AuditedPolicy {
  readonly name: string;
  readonly version: string | undefined;
  readonly fingerprint: string;
  redact(value: unknown): unknown;
}

interface Common {
  /** Ties the completion to the decision: one id per governed request (e.g. `randomUUID()`). */
  callId: string;
  request: PolicyRequest;
  decided: Decided;
  policy?: AuditedPolicy;
  /** Shadow mode: the request was forwarded whatever the effect (`enforced: false`). */
  shadow?: boolean;
  /** When it happened (epoch ms or a Date); default now. */
  time?: number | Date;
  durationMs?: number;
  /** Approval status to record beside the approval id (`pending`, `approved`, `rejected`, ...). */
  approvalStatus?: string;
}

export type DecisionEventInput = Common;

export interface CompletionEventInput extends Common {
  outcome: AuditOutcome;
  /** Bytes of the result's JSON (`jsonBytes(result)`). */
  resultBytes?: number;
  tokens?: { input?: number; output?: number };
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const amount = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);

/** The UTF-8 size of a value's JSON, or undefined when it has none (a cycle, a bigint). */
export function jsonBytes(value: unknown): number | undefined {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : Buffer.byteLength(text, "utf8");
  } catch {
    return undefined;
  }
}

function common(input: Common, type: "decision" | "completion"): AuditEntry {
  const { request: r, decided: d, policy } = input;
  const time = input.time instanceof Date ? input.time : new Date(input.time ?? Date.now());
  const principalId = str(r?.principal?.id);
  const roleList = d.decision?.roles ?? d.roles ?? (Array.isArray(r?.principal?.roles) ? r.principal.roles : undefined);
  const roles = roleList?.filter((x): x is string => typeof x === "string");
  const rules = [...new Set(d.reasons.map((x) => x.rule).filter((x): x is string => typeof x === "string"))];
  const entry: AuditEntry = {
    time: Number.isNaN(time.getTime()) ? new Date().toISOString() : time.toISOString(),
    type,
    callId: input.callId,
    ...((principalId !== undefined || roles !== undefined) && { principal: { ...(principalId !== undefined && { id: principalId }), ...(roles && { roles }) } }),
    ...(str(r?.session?.id) !== undefined && { session: r.session!.id! }),
    ...(str(r?.server?.name) !== undefined && { server: r.server!.name! }),
    ...(str(r?.client?.ip) !== undefined && { client: { ip: r.client!.ip! } }),
    method: str(r?.method) ?? "tools/call",
    ...(str(r?.tool) !== undefined && { tool: r.tool! }),
    ...(str(r?.resource) !== undefined && { resource: redactSecretString(r.resource!) }),
    ...(str(r?.prompt) !== undefined && { prompt: r.prompt! }),
    effect: d.effect,
    enforced: input.shadow !== true,
    reasons: d.reasons.map((x) => ({ code: String(x.code), ...(typeof x.rule === "string" && { rule: x.rule }), message: redactSecretString(String(x.message)) })),
    rules,
    ...(d.charged && d.charged.length > 0 && { budgets: [...d.charged] }),
    ...(d.approval && { approval: { id: d.approval.id, ...(input.approvalStatus !== undefined && { status: input.approvalStatus }) } }),
    ...(policy && { policy: { name: policy.name, version: policy.version ?? "", fingerprint: policy.fingerprint } }),
    ...(amount(input.durationMs) !== undefined && { durationMs: input.durationMs! }),
  };
  return entry;
}

/**
 * Arguments as an audit record or an approver shows them: the policy's redaction keys first
 * (`policy.redact`), then secret-looking values (`redactSecrets`).
 */
export function redactedArguments(policy: Pick<AuditedPolicy, "redact"> | undefined, args: unknown): unknown {
  return redactSecrets(policy ? policy.redact(args) : args);
}

/** The entry written before the request is forwarded or answered: what was asked and what was decided. */
export function decisionEntry(input: DecisionEventInput): AuditEntry {
  const entry = common(input, "decision");
  const args = input.request?.arguments;
  if (args !== undefined) {
    entry.arguments = redactedArguments(input.policy, args);
  }
  return entry;
}

/** The entry written when a forwarded request comes back (or fails): outcome, time taken, size, tokens. */
export function completionEntry(input: CompletionEventInput): AuditEntry {
  const entry = common(input, "completion");
  entry.outcome = input.outcome;
  const bytes = input.resultBytes;
  if (typeof bytes === "number" && Number.isSafeInteger(bytes) && bytes >= 0) entry.resultBytes = bytes;
  const input_ = amount(input.tokens?.input);
  const output = amount(input.tokens?.output);
  if (input_ !== undefined || output !== undefined) entry.tokens = { ...(input_ !== undefined && { input: input_ }), ...(output !== undefined && { output }) };
  return entry;
}
