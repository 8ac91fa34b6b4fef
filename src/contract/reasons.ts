/**
 * Reason codes: why a decision is what it is. One list, read by both evaluators, the engine, the
 * policy test files and the CLI.
 */
/** The reason codes `decide` gives. */
export const DECISION_REASON_CODES = [
  "allow_rule",
  "deny_rule",
  "no_rule",
  "no_role",
  "default_allow",
  "invalid_request",
  "evaluation_error",
  "invalid_argument",
  "approval_required",
  "internal_error",
] as const;

export const REASON_CODES = [
  ...DECISION_REASON_CODES,
  // From the engine (budgets, approvals, idempotency), never from `decide` alone:
  "budget_exceeded",
  "budget_unavailable",
  "budget_key_missing",
  "budget_fail_open",
  "approval_granted",
  "approval_rejected",
  "approval_invalid",
  "idempotency_conflict",
  "idempotent_replay",
  // Session rules (issue 14): the session's facts could not be loaded or changed under the call.
  "session_unavailable",
  "session_changed",
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * The texts of the reasons `decide` gives, one builder per kind of reason. Both evaluators (through the
 * shared decision core, eval/core/) build every message here, so they cannot word a reason differently.
 * User text is in backticks. INVARIANT: a builder only formats; it decides nothing.
 */
/**
 * `a`, `b` for a list of names. Hot path (every `no_rule`): memoized by list identity, which helps where
 * the list is shared between decisions (the compiled function's frozen role lists); a WeakMap, so
 * lists built per call are collected with their text.
 */
function quoted(names: readonly string[]): string {
  let text = QUOTED.get(names);
  if (text === undefined) {
    text = names.map((r) => `\`${r}\``).join(", ");
    if (Object.isFrozen(names)) QUOTED.set(names, text);
  }
  return text;
}
const QUOTED = new WeakMap<readonly string[], string>();

export const REASON_TEXT = {
  allowedBy: (role: string | undefined): string => (role ? `allowed by role \`${role}\`` : "allowed"),
  deniedBy: (role: string | undefined, because: string | undefined): string => because ?? (role ? `denied by role \`${role}\`` : "denied by policy"),
  noRole: (ignored: readonly string[]): string =>
    ignored.length ? `the principal holds no role of this policy (ignored: ${ignored.join(", ")})` : "the principal holds no role of this policy",
  noRule: (kind: string, target: string, roles: readonly string[]): string => `no rule allows ${kind} \`${target}\` for ${quoted(roles)}`,
  defaultAllow: (): string => "no rule decided; the policy's default is allow",
  ruleError: (id: string, error?: string): string => (error === undefined ? `rule \`${id}\` could not be evaluated` : `rule \`${id}\` could not be evaluated: ${error}`),
  unsure: (id: string, via: string): string => `deny rule \`${id}\` may apply: the membership condition of role \`${via}\` could not be evaluated`,
  membershipError: (role: string, error?: string): string => (error === undefined ? `membership of role \`${role}\` could not be evaluated` : `membership of role \`${role}\`: ${error}`),
  approvalRequired: (tool: string): string => `calls to \`${tool}\` need a human's approval`,
  /** Server-scoped blocks (`what`: their rule id) apply, and the request names no server (tool families / server blocks). */
  serverMissing: (what: string, server: string): string =>
    `the blocks of server \`${server}\` (\`${what}\`) apply to this call, but the request names no \`server.name\`; a call that names no server is denied where server-scoped blocks apply`,
  approvalError: (tool: string, error?: string): string =>
    error === undefined ? `the approval condition of \`${tool}\` could not be evaluated` : `the approval condition of \`${tool}\` could not be evaluated: ${error}`,
  /** A list request without an item. `plural`: `tools`, `resources`, `prompts`, `resource templates`. */
  listAllowed: (plural: string): string => `listing ${plural} is allowed to principals that hold a role`,
  visibleAlways: (kind: string, item: string): string => `${kind} \`${item}\` is always allowed`,
  visibleDepends: (kind: string, item: string): string => `${kind} \`${item}\` is allowed for some arguments`,
  /** `who`: see `whoOf`. */
  neverVisible: (kind: string, item: string, who: string): string => `no call to ${kind} \`${item}\` can be allowed for ${who}`,
  templateVisible: (template: string): string => `some expansion of resource template \`${template}\` may be read`,
  templateNever: (template: string, who: string): string => `no expansion of resource template \`${template}\` can be read by ${who}`,
  toClient: (method: string, allow: boolean): string =>
    `no rule kind governs \`${method}\` (a server-to-client request) yet; the policy's default is ${allow ? "allow" : "deny"}`,
  /** The roles held, for messages; a principal with only roles that the arguments may bring holds none for sure. */
  who: (roles: readonly string[]): string => (roles.length ? quoted(roles) : "this principal (no role held for every call)"),
  internal: (error: string): string => `internal error: ${error}`,
} as const;
