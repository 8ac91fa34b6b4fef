/**
 * Tracing and metrics of the enforcer through `@opentelemetry/api` only: one SERVER span per governed
 * request and the decision/latency instruments, named after OpenTelemetry's MCP and GenAI semantic
 * conventions where they exist (docs/telemetry.md lists every name; telemetry-names.ts holds them).
 *
 * Guarantees:
 * - A no-op unless the host registers an OpenTelemetry SDK (the API's globals); nothing is bound at
 *   creation: the tracer and the instruments follow the global providers, re-read when they change (a host
 *   may register its SDK after creating the enforcer; metrics.getMeter() before registration is not a proxy).
 * - Never throws into the caller: a faulty provider, exporter, sampler or meter is caught at every call, and
 *   reported to `onError` if given (itself guarded). Enforcement never depends on telemetry.
 * - `end` is idempotent (the first call wins); `decided` may be called again (an approval resolved in-line:
 *   the span keeps the last decision, each decision is counted).
 * - The span's parent is the trace context in the request's `params._meta` (`traceparent`, as the MCP
 *   conventions ask) when the host registered a propagator, else the active context.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import type { Reason } from "../contract/decision.js";
import { A, M, OPERATION_BUCKETS, DECISION_BUCKETS, spanTarget, targetAttributes, uriOf } from "./telemetry-names.js";
import { instrumentsFor } from "./telemetry-instruments.js";

export interface SpanInfo {
  method: string;
  /** The tool (tools/call), prompt (prompts/get) or resource URI (resources/*) the request names. */
  target?: string;
  tool?: string;
  prompt?: string;
  resourceUri?: string;
  sessionId?: string;
  requestId?: string | number;
  /** The upstream's name (`serverName`). */
  server?: string;
  protocolVersion?: string;
  direction: "to-server" | "to-client";
  /** `pipe` for stdio, `tcp` for HTTP (`network.transport`). */
  transport?: "pipe" | "tcp" | "quic" | "unix";
  /** The request's `params._meta`, read for W3C trace context (`traceparent`, `tracestate`, `baggage`). */
  meta?: unknown;
}

export interface SpanOutcome {
  /**
   * The enforcer's low-cardinality error class (`denied`, `tool_error`, `upstream_unavailable`, `cancelled`,
   * ...): `mcppolicy.error`, and `error.type` when there is no `errorCode`.
   */
  error?: string;
  /** The JSON-RPC error code of the answer: `rpc.response.status_code` and `error.type` (as the conventions ask). */
  errorCode?: number;
  /** The JSON-RPC error message: the span status description. */
  message?: string;
  tokens?: { input?: number; output?: number };
}

export interface SpanHandle {
  decided(effect: string, reasons: readonly Reason[], shadow: boolean): void;
  end(outcome: SpanOutcome): void;
}

export interface Telemetry {
  start(info: SpanInfo): SpanHandle;
}

export interface TelemetryOptions {
  tracerName?: string;
  meterName?: string;
  onError?(error: unknown): void;
}

const metaGetter = {
  keys: (carrier: unknown): string[] => (typeof carrier === "object" && carrier !== null ? Object.keys(carrier) : []),
  get: (carrier: unknown, key: string): string | undefined => {
    const v = typeof carrier === "object" && carrier !== null ? (carrier as Record<string, unknown>)[key] : undefined;
    return typeof v === "string" ? v : undefined;
  },
};

const NOOP_HANDLE: SpanHandle = Object.freeze({ decided() {}, end() {} });

export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const tracerName = options.tracerName ?? "mcppolicy";
  const meterName = options.meterName ?? "mcppolicy";
  const fail = (e: unknown): void => {
    try {
      options.onError?.(e);
    } catch {
      // the hook itself failed: nothing more to do
    }
  };
  const guard = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      fail(e);
    }
  };

  function start(info: SpanInfo): SpanHandle {
    let span: Span | undefined;
    let base: Attributes = {};
    const started = performance.now();
    let mark = started;
    try {
      base = targetAttributes(info);
      const attributes: Attributes = { ...base };
      const uri = uriOf(info);
      if (uri !== undefined) attributes[A.resourceUri] = uri;
      if (info.sessionId !== undefined) attributes[A.sessionId] = String(info.sessionId);
      if (info.requestId !== undefined && info.requestId !== null) attributes[A.requestId] = String(info.requestId);
      if (info.server !== undefined) attributes[A.server] = info.server;
      attributes[A.direction] = info.direction;
      const name = spanTarget(info);
      let parent = context.active();
      if (typeof info.meta === "object" && info.meta !== null) {
        try {
          parent = propagation.extract(parent, info.meta, metaGetter);
        } catch (e) {
          fail(e); // a hostile _meta or a faulty propagator: the active context stays the parent
        }
      }
      span = trace.getTracer(tracerName).startSpan(name ? `${info.method} ${name}` : info.method, { kind: SpanKind.SERVER, attributes }, parent);
    } catch (e) {
      fail(e);
      span = undefined;
    }
    let ended = false;
    let decision: Attributes = {};
    return {
      decided(effect, reasons, shadow) {
        if (ended) return;
        const now = performance.now();
        const seconds = (now - mark) / 1000;
        mark = now;
        guard(() => {
          const codes = [...new Set(reasons.map((r) => r.code))];
          const rules = [...new Set(reasons.flatMap((r) => (r.rule === undefined ? [] : [r.rule])))];
          decision = { [A.effect]: effect, [A.shadow]: shadow };
          span?.setAttributes({ ...decision, [A.reasonCodes]: codes, [A.rules]: rules });
        });
        guard(() => {
          const ins = instrumentsFor(meterName);
          const attrs = { [A.method]: info.method, [A.effect]: effect, [A.shadow]: shadow };
          ins.decisions.add(1, attrs);
          ins.decisionDuration.record(seconds, attrs);
        });
      },
      end(outcome) {
        if (ended) return;
        ended = true;
        const seconds = (performance.now() - started) / 1000;
        // The conventions: error.type is the JSON-RPC code when the answer carries one, else a low-cardinality class.
        const code = typeof outcome.errorCode === "number" ? String(outcome.errorCode) : undefined;
        const errorType = code ?? outcome.error;
        const result: Attributes = {};
        if (errorType !== undefined) result[A.errorType] = errorType;
        if (code !== undefined) result[A.statusCode] = code;
        if (outcome.error !== undefined) result[A.error] = outcome.error;
        guard(() => {
          if (!span) return;
          span.setAttributes(result);
          const t = outcome.tokens;
          if (t?.input !== undefined) span.setAttribute(A.tokensInput, t.input);
          if (t?.output !== undefined) span.setAttribute(A.tokensOutput, t.output);
          if (errorType !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message ?? outcome.error ?? errorType });
        });
        guard(() => span?.end());
        guard(() => {
          const ins = instrumentsFor(meterName);
          ins.operationDuration.record(seconds, { ...base, ...result, ...decision });
          const t = outcome.tokens;
          const tool = base[A.toolName];
          const tokenAttrs = (type: string): Attributes => ({ [A.method]: info.method, [A.tokenType]: type, ...(tool !== undefined && { [A.toolName]: tool }) });
          if (t?.input !== undefined && t.input > 0) ins.tokens.add(t.input, tokenAttrs("input"));
          if (t?.output !== undefined && t.output > 0) ins.tokens.add(t.output, tokenAttrs("output"));
        });
      },
    };
  }

  return {
    start(info) {
      try {
        return start(info);
      } catch (e) {
        fail(e);
        return NOOP_HANDLE;
      }
    },
  };
}

export { M as METRIC_NAMES, A as ATTRIBUTE_NAMES, OPERATION_BUCKETS, DECISION_BUCKETS };
