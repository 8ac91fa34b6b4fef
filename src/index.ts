/**
 * mcppolicy's public API. Everything a host needs is exported from here; nothing else is a contract.
 */
export { compilePolicy, checkPolicy, Policy, PolicyCompileError } from "./policy.js";
export type { CompileOptions, CheckResult, Budget, VisibilityContext, VisibleItem } from "./policy.js";
export type { Diagnostic, Severity } from "./diagnostics/diagnostic.js";
export type { JsonDiagnostic } from "./diagnostics/render.js";
export { CATALOG } from "./diagnostics/catalog.js";
export type {
  Approvers,
  Decision,
  Effect,
  Explanation,
  ExplainedRule,
  Method,
  PolicyRequest,
  Principal,
  Reason,
  ReasonCode,
  ToolAnnotations,
  Visibility,
  ClientInfo,
  ServerInfo,
  SessionFacts,
  ToolResult,
  ListKind,
  MethodRow,
  TargetKind,
} from "./contract/index.js";
export { METHODS } from "./contract/index.js";
export type { Resolver, ResolveOptions, ResolvedUrl } from "./eval/resolve.js";
export { createEngine, Engine, ApprovalError } from "./runtime/engine.js";
export type { EngineOptions, AuthorizeOptions, ApprovalHookAnswer, ApproveBy } from "./runtime/engine.js";
export { Authorization } from "./runtime/authorization.js";
export type { Usage, SettleOutcome, BudgetDenial, PendingApproval, AuthorizationEffect, ReplayOf } from "./runtime/authorization.js";
export type { Estimate } from "./runtime/budget-plan.js";
export { MemoryStore } from "./runtime/store/memory.js";
export type { MemoryStoreOptions } from "./runtime/store/memory.js";
export type { Store, ApprovalRecord, ApprovalList, CounterShape, CounterSpec, ReserveRequest, ReserveResult, SettleRequest, Adjustment, ApproveOutcome, IdempotencyState } from "./runtime/store/store.js";
// RedisStore is exported from `mcppolicy/redis` (src/redis.ts), so this entry never loads ioredis.
export { runPolicyTests, loadPolicyTests, formatText as formatPolicyTestReport } from "./policytest/index.js";
export type { PolicyTestReport, PolicyTestFile, PolicyTestCase, TestExpectation, TestFileError, CaseResult, FileResult, PolicyCoverage, CoverageItem, RunOptions as PolicyTestOptions } from "./policytest/index.js";
export { analyzePolicy, canRoleCall, canRoleReach, rolesReaching, whatMay } from "./analysis/index.js";
export type { AnalysisReport, Answer, Finding, FindingKind, PatternVerdict, PrincipalReport, RequestContext, RoleVerdict, Verdict, Witnesses } from "./analysis/index.js";
export { parseRequestJson, RequestJsonError } from "./eval/request-json.js";
export type { ParseRequestJsonOptions } from "./eval/request-json.js";
export { applyResultVerdict, withheldResult } from "./eval/result-apply.js";
export type { AppliedResult } from "./eval/result-apply.js";
export type { ResultVerdict } from "./eval/core/results.js";
export { DETECTOR_NAMES, detect, redactText } from "./builtins/detect/index.js";
export type { DetectorName } from "./builtins/detect/index.js";
