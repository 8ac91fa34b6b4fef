/**
 * The MCP protocol versions this project speaks, newest first (the revisions of the specification whose
 * transports and methods it implements). Data only.
 */
export const LATEST_PROTOCOL_VERSION = "2025-11-25";
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = Object.freeze(["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]);
/** What a Streamable HTTP server assumes when a request carries no `MCP-Protocol-Version` header (spec 2025-06-18). */
export const DEFAULT_HTTP_PROTOCOL_VERSION = "2025-03-26";

export function isSupportedProtocolVersion(v: unknown): v is string {
  return typeof v === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(v);
}
