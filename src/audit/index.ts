/**
 * The audit layer: versioned records (record.ts), the hash chain (chain.ts), sinks (sink.ts), log
 * verification (verify.ts), secret-looking values (redact-values.ts) and the entries of a governed
 * request (events.ts). Re-exports only; each file states its own guarantees.
 */
export { AUDIT_SCHEMA, AuditEntryError, GENESIS, buildRecord, buildRecordLine, entryProblem, recordHash, recordLine, recordProblem } from "./record.js";
export type { AuditEffect, AuditEntry, AuditOutcome, AuditRecord } from "./record.js";
export { AuditChain, readRecordLine } from "./chain.js";
export { AuditUnavailableError, JsonlAuditSink, MemoryAuditSink } from "./sink.js";
export type { AuditSink, JsonlAuditSinkOptions } from "./sink.js";
export { AuditLogVerifier, verifyAuditLog } from "./verify.js";
export type { VerifyResult } from "./verify.js";
export { MAX_TOTAL_CHARS, redactSecrets, redactSecretString } from "./redact-values.js";
export type { RedactSecretsOptions, SecretKind } from "./redact-values.js";
export { completionEntry, decisionEntry, jsonBytes, redactedArguments } from "./events.js";
export type { AuditedPolicy, CompletionEventInput, Decided, DecisionEventInput } from "./events.js";
