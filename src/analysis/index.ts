/**
 * The analysis API: `analyzePolicy` (findings), `canRoleCall`, `rolesReaching`, `whatMay`.
 * What is exact: roles (a role question holds exactly the role and what it includes), tool names,
 * and the attributes with a finite domain in the registry (contract/attributes.ts: the four MCP
 * annotations and client.tls / client.mtls; each true, false, or absent where a `has` tests it) are
 * enumerated, never approximated; `never`, `always` and `with-approval` are proven, for
 * well-formed requests whose annotations and tls flags are booleans as MCP defines them. What is not:
 * other attributes (scopes, claims, client.ip, certSubject, session, server, time, arguments) are unknown to
 * the enumeration (a small solver rules out contradictions among them); where they matter the answer
 * is `depends` (proven by two witnesses) or `unknown` (no witness found). Every witness has been run
 * through `policy.decide`.
 */
import type { Policy } from "../policy.js";
import { findings } from "./findings.js";
import type { AnalysisReport } from "./types.js";

export { canRoleCall, canRoleReach, rolesReaching, whatMay } from "./questions.js";
export { canRoleCallAfterLabel } from "./after-label.js";
export type { AfterLabelAnswer, AfterLabelStep } from "./after-label.js";
export { findings } from "./findings.js";
export type { AnalysisReport, Answer, Finding, FindingKind, PatternVerdict, PrincipalReport, RequestContext, RoleVerdict, Verdict, Witnesses } from "./types.js";

/** The findings of a compiled policy (see findings.ts for the kinds), in source order. */
export function analyzePolicy(policy: Policy): AnalysisReport {
  return { policy: policy.name, findings: findings(policy) };
}
