/**
 * The names telemetry.ts emits, in one place: OpenTelemetry semantic conventions where they exist (MCP and
 * GenAI conventions, open-telemetry/semantic-conventions-genai docs/gen-ai/mcp.md; error and RPC registry),
 * `mcppolicy.*` for ours. docs/telemetry.md documents each; change both together.
 */
import type { Attributes } from "@opentelemetry/api";

export const A = {
  // MCP semantic conventions
  method: "mcp.method.name",
  sessionId: "mcp.session.id",
  protocolVersion: "mcp.protocol.version",
  resourceUri: "mcp.resource.uri",
  // GenAI semantic conventions
  toolName: "gen_ai.tool.name",
  promptName: "gen_ai.prompt.name",
  operationName: "gen_ai.operation.name",
  tokenType: "gen_ai.token.type",
  // JSON-RPC / RPC / general registry
  requestId: "jsonrpc.request.id",
  statusCode: "rpc.response.status_code",
  errorType: "error.type",
  transport: "network.transport",
  // ours
  effect: "mcppolicy.effect",
  shadow: "mcppolicy.shadow",
  rules: "mcppolicy.rules",
  reasonCodes: "mcppolicy.reason_codes",
  server: "mcppolicy.server",
  direction: "mcppolicy.direction",
  error: "mcppolicy.error",
  tokensInput: "mcppolicy.tokens.input",
  tokensOutput: "mcppolicy.tokens.output",
} as const;

export const M = {
  operationDuration: "mcp.server.operation.duration",
  decisions: "mcppolicy.decisions",
  decisionDuration: "mcppolicy.decision.duration",
  tokens: "mcppolicy.tokens",
} as const;

/** The MCP conventions' advice for mcp.server.operation.duration (seconds). */
export const OPERATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
/** A decision takes microseconds to milliseconds (seconds). */
export const DECISION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

interface TargetInfo {
  method: string;
  target?: string;
  tool?: string;
  prompt?: string;
  resourceUri?: string;
  protocolVersion?: string;
  transport?: string;
}

const RESOURCE_METHODS = new Set(["resources/read", "resources/subscribe", "resources/unsubscribe", "notifications/resources/updated"]);

function toolOf(i: TargetInfo): string | undefined {
  return i.tool ?? (i.method === "tools/call" ? i.target : undefined);
}
function promptOf(i: TargetInfo): string | undefined {
  return i.prompt ?? (i.method === "prompts/get" ? i.target : undefined);
}

/**
 * The low-cardinality target of the span name (`{mcp.method.name} {target}`): the tool or prompt name; a
 * resource URI is never in the name (the conventions advise against it by default).
 */
export function spanTarget(i: TargetInfo): string | undefined {
  return toolOf(i) ?? promptOf(i);
}

/**
 * Adds the attributes of the request's target, shared by the span and the operation metric (no URI: see
 * `uriOf`), to `a`. Fills a fresh object rather than being spread: in V8 a property added to a spread
 * object takes the slow path (~3 us per object, measured), and this runs on every request.
 */
export function addTargetAttributes(a: Attributes, i: TargetInfo): Attributes {
  a[A.method] = i.method;
  const tool = toolOf(i);
  const prompt = promptOf(i);
  if (tool !== undefined) a[A.toolName] = tool;
  if (prompt !== undefined) a[A.promptName] = prompt;
  if (i.method === "tools/call") a[A.operationName] = "execute_tool";
  if (i.protocolVersion !== undefined) a[A.protocolVersion] = i.protocolVersion;
  if (i.transport !== undefined) a[A.transport] = i.transport;
  return a;
}

/** The resource URI, a span attribute only (opt-in on the metric in the conventions: high cardinality). */
export function uriOf(i: TargetInfo): string | undefined {
  return i.resourceUri ?? (RESOURCE_METHODS.has(i.method) ? i.target : undefined);
}
