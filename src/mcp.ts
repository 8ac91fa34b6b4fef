/**
 * `mcppolicy/mcp`: enforcement in front of MCP servers. The protocol mapping without I/O (JSON-RPC
 * message → policy request, decision → MCP answer, list filtering, the pinned tool catalog), the one
 * relay both adapters use (`createEnforcer`), the SDK middleware (`protect`, `protectTransport`), the
 * stdio proxy (`runStdioProxy`), the audit trail (records, sinks, verification) and the token counter.
 * The MCP SDK is an optional peer: only its types are imported here.
 */
export * from "./mcp/index.js";
export { createEnforcer, type Enforcer, type EnforcerOptions, type SendOptions } from "./adapters/enforcer.js";
export * from "./audit/index.js";
export { tokenCounter, TOKEN_ENCODINGS, isTokenEncoding, type TokenCounter, type TokenEncoding } from "./adapters/tokens.js";
export { createTelemetry, METRIC_NAMES, ATTRIBUTE_NAMES, type Telemetry, type TelemetryOptions, type SpanInfo, type SpanHandle, type SpanOutcome } from "./adapters/telemetry.js";
