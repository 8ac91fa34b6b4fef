/**
 * mcppolicy's public API. Everything a host needs is exported from here; nothing else is a contract.
 */
export { compilePolicy, checkPolicy, Policy, PolicyCompileError } from "./policy.js";
export type { CompileOptions, CheckResult, Budget } from "./policy.js";
export type { Diagnostic, Severity } from "./diagnostics/diagnostic.js";
export type { JsonDiagnostic } from "./diagnostics/render.js";
export { CATALOG } from "./diagnostics/catalog.js";
export type {
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
} from "./runtime/types.js";
export { METHODS } from "./runtime/types.js";
export type { Resolver, ResolveOptions, ResolvedUrl } from "./runtime/resolve.js";
