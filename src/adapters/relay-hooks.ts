/**
 * What the relay needs of a token counter and of a tracer: the shapes `tokenCounter` (tokens.ts) and
 * `createTelemetry` (telemetry.ts) fill, kept here so the relay does not depend on how they work.
 */
import type { Reason } from "../contract/index.js";

export interface TokenCounter {
  countArguments(args: unknown): number;
  countResult(result: unknown): number;
}

export interface SpanInfo {
  method: string;
  target?: string;
  tool?: string;
  sessionId?: string;
  requestId?: string | number;
  server?: string;
  protocolVersion?: string;
  direction: "to-server" | "to-client";
}

export interface SpanHandle {
  decided(effect: string, reasons: readonly Reason[], shadow: boolean): void;
  end(outcome: { error?: string; errorCode?: number; tokens?: { input?: number; output?: number } }): void;
}

export interface Telemetry {
  start(info: SpanInfo): SpanHandle;
}
