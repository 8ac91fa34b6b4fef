/**
 * The JSON-RPC error codes the enforcer answers with: the five of JSON-RPC 2.0 and mcppolicy's own, in
 * the range JSON-RPC leaves to implementations (-32000 to -32099). GUARANTEE: the table is frozen and its
 * codes are stable (documented in docs/enforcement.md); a host or client may switch on them.
 */
export const MCP_ERROR_CODES = Object.freeze({
  /** The text is not JSON (JSON-RPC). */
  PARSE_ERROR: -32700,
  /** Not a valid JSON-RPC 2.0 message for MCP: a batch, a duplicate key, a bad `jsonrpc`, `id`, `method` or `params`. */
  INVALID_REQUEST: -32600,
  /** JSON-RPC's "method not found" (the enforcer answers an ungoverned method with POLICY_DENIED instead). */
  METHOD_NOT_FOUND: -32601,
  /** A governed method whose params cannot name what the policy decides on (no tool name, `arguments` not an object, ...). */
  INVALID_PARAMS: -32602,
  /** A fault of the enforcer itself. */
  INTERNAL_ERROR: -32603,
  /** The policy denied the request (or the method is not governed and not allowed by the host). */
  POLICY_DENIED: -32010,
  /** A budget of the policy is used up; `data.retryAfterMs` says when a call could go through. */
  BUDGET_EXCEEDED: -32011,
  /** The message is over the size limit (bytes of UTF-8). */
  MESSAGE_TOO_LARGE: -32012,
  /** The upstream server exited or crashed before it answered. */
  UPSTREAM_UNAVAILABLE: -32013,
  /** The audit sink could not record the decision, so the request was not forwarded. */
  AUDIT_UNAVAILABLE: -32014,
} as const);

export type McpErrorName = keyof typeof MCP_ERROR_CODES;
export type McpErrorCode = (typeof MCP_ERROR_CODES)[McpErrorName];
