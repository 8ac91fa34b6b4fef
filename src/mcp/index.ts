/**
 * mcp/: the MCP protocol mapping, without I/O. JSON-RPC framing (jsonrpc.ts), the stable error codes
 * (errors.ts), the pinned tool catalog (catalog.ts), message → policy request (to-request.ts),
 * decision → answer (answer.ts), list filtering (lists.ts). Every function here is total: it never
 * throws, and what it cannot read it refuses.
 */
export * from "./errors.js";
export * from "./jsonrpc.js";
export * from "./catalog.js";
export * from "./to-request.js";
export * from "./answer.js";
export * from "./lists.js";
export * from "./versions.js";
