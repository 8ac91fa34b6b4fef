/**
 * What the reserve phase binds a call to, besides its budgets: the approval it needs and its
 * idempotency key. Guarantees:
 * - An approval is bound to the principal, the tool, the canonical arguments, the policy version and, when
 *   the request names one, the upstream server (`server.name`: an approval for a tool on one upstream is
 *   never one for the same tool on another); a
 *   request without principal.id, or whose arguments have no canonical form, cannot be bound (an error
 *   reason: the call is denied). The approver reads the arguments redacted by the policy.
 * - An idempotency key is scoped by principal and session (hashed with them) and bound to the request's
 *   fingerprint (principal, session, method, target, arguments, annotations, policy version, and the
 *   upstream server when named: a replay never answers for a call to another upstream); a request
 *   that has no canonical form cannot be bound (an error reason).
 */
import { randomBytes } from "node:crypto";
import { canonicalHash, CanonicalError } from "../../contract/canonical.js";
import type { Reason } from "../../contract/index.js";
import type { ReserveRequest } from "../store/store.js";
import type { CallContext, EngineEnv } from "./context.js";

type Approval = NonNullable<ReserveRequest["approval"]>;
type Idempotency = NonNullable<ReserveRequest["idempotency"]>;

export function approvalFor(ctx: CallContext, env: EngineEnv): { approval: Approval } | { error: Reason } {
  const request = ctx.request;
  const version = ctx.loaded.version;
  const principal = request.principal?.id;
  const tool = request.tool ?? "";
  if (typeof principal !== "string" || principal === "") {
    return { error: { code: "approval_invalid", rule: `tool:${tool}/approval`, message: `\`${tool}\` needs approval, and an approval is bound to a principal: the request has no principal.id` } };
  }
  let binding: string;
  try {
    const server = request.server?.name;
    // Without a server the binding is the one it always was (approvals already stored keep matching).
    binding = canonicalHash(server === undefined ? [principal, tool, request.arguments ?? {}, version] : [principal, tool, request.arguments ?? {}, version, { server }]);
  } catch (err) {
    const msg = err instanceof CanonicalError ? err.message : String(err);
    return { error: { code: "invalid_request", message: `the arguments cannot be bound to an approval: ${msg}` } };
  }
  // A letter first: an id that began with `-` would read as a flag on a command line (`mcppolicy approvals approve ID`).
  const id = `ap_${randomBytes(16).toString("base64url")}`;
  return {
    approval: {
      binding,
      ttlMs: env.settings.approvalTtlMs,
      create: {
        id,
        binding,
        principal,
        tool,
        ...(request.server?.name !== undefined && { server: request.server.name }),
        policyVersion: version,
        arguments: ctx.loaded.policy.redact(request.arguments ?? {}),
        // Who may approve: the policy's `by ...` (engine.approve checks it); `others` when not said.
        approvers: ctx.decision?.approvers ?? { kind: "others" },
      },
    },
  };
}

export function idempotencyFor(ctx: CallContext, env: EngineEnv, idemKey: string): { idempotency: Idempotency } | { error: Reason } {
  const request = ctx.request;
  try {
    const p = request.principal?.id ?? null;
    const session = request.session?.id ?? null;
    return {
      idempotency: {
        key: canonicalHash(["idempotency", p, session, idemKey]),
        fingerprint: canonicalHash(fingerprintOf(p, session, ctx, request)),
        token: env.newId(),
        ttlMs: env.settings.idempotencyTtlMs,
      },
    };
  } catch (err) {
    return { error: { code: "invalid_request", message: `the request cannot be bound to an idempotency key: ${(err as Error).message}` } };
  }
}

/** What an idempotency key is bound to; the upstream server only when named (older fingerprints keep matching). */
function fingerprintOf(p: string | null, session: string | null, ctx: CallContext, request: CallContext["request"]): unknown[] {
  const parts: unknown[] = [p, session, ctx.method, ctx.target ?? null, request.arguments ?? {}, request.annotations ?? {}, ctx.loaded.version];
  const server = request.server?.name;
  if (server !== undefined) parts.push({ server });
  return parts;
}
