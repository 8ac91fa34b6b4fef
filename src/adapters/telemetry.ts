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
import { A, M, OPERATION_BUCKETS, DECISION_BUCKETS, spanTarget, addTargetAttributes, uriOf } from "./telemetry-names.js";
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

type Fail = (e: unknown) => void;

/**
 * One request's span and measurements. Hot path (every governed request, SDK or not): attributes are built
 * only for a recording span and for a real meter (instrumentsFor gives undefined for the no-op one).
 */
class Handle implements SpanHandle {
  #ended = false;
  #mark: number;
  #effect: string | undefined;
  #shadow = false;
  constructor(
    private readonly info: SpanInfo,
    private readonly span: Span | undefined,
    private readonly started: number,
    private readonly meterName: string,
    private readonly fail: Fail,
  ) {
    this.#mark = started;
  }

  decided(effect: string, reasons: readonly Reason[], shadow: boolean): void {
    if (this.#ended) return;
    const now = performance.now();
    const seconds = (now - this.#mark) / 1000;
    this.#mark = now;
    this.#effect = effect;
    this.#shadow = shadow;
    try {
      if (this.span?.isRecording()) {
        const codes = [...new Set(reasons.map((r) => r.code))];
        const rules = [...new Set(reasons.flatMap((r) => (r.rule === undefined ? [] : [r.rule])))];
        this.span.setAttributes({ [A.effect]: effect, [A.shadow]: shadow, [A.reasonCodes]: codes, [A.rules]: rules });
      }
    } catch (e) {
      this.fail(e);
    }
    try {
      const ins = instrumentsFor(this.meterName);
      if (ins) {
        const attrs = { [A.method]: this.info.method, [A.effect]: effect, [A.shadow]: shadow };
        ins.decisions.add(1, attrs);
        ins.decisionDuration.record(seconds, attrs);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  end(outcome: SpanOutcome): void {
    if (this.#ended) return;
    this.#ended = true;
    const seconds = (performance.now() - this.started) / 1000;
    // The conventions: error.type is the JSON-RPC code when the answer carries one, else a low-cardinality class.
    const code = typeof outcome.errorCode === "number" ? String(outcome.errorCode) : undefined;
    const errorType = code ?? outcome.error;
    const result: Attributes = {};
    if (errorType !== undefined) result[A.errorType] = errorType;
    if (code !== undefined) result[A.statusCode] = code;
    if (outcome.error !== undefined) result[A.error] = outcome.error;
    const t = outcome.tokens;
    const span = this.span;
    try {
      if (span?.isRecording()) {
        span.setAttributes(result);
        if (t?.input !== undefined) span.setAttribute(A.tokensInput, t.input);
        if (t?.output !== undefined) span.setAttribute(A.tokensOutput, t.output);
        if (errorType !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message ?? outcome.error ?? errorType });
      }
    } catch (e) {
      this.fail(e);
    }
    try {
      span?.end();
    } catch (e) {
      this.fail(e);
    }
    try {
      const ins = instrumentsFor(this.meterName);
      if (!ins) return;
      const attrs = addTargetAttributes({}, this.info);
      for (const k in result) attrs[k] = result[k];
      if (this.#effect !== undefined) {
        attrs[A.effect] = this.#effect;
        attrs[A.shadow] = this.#shadow;
      }
      ins.operationDuration.record(seconds, attrs);
      const tool = attrs[A.toolName];
      const tokenAttrs = (type: string): Attributes => {
        const a: Attributes = { [A.method]: this.info.method, [A.tokenType]: type };
        if (tool !== undefined) a[A.toolName] = tool;
        return a;
      };
      if (t?.input !== undefined && t.input > 0) ins.tokens.add(t.input, tokenAttrs("input"));
      if (t?.output !== undefined && t.output > 0) ins.tokens.add(t.output, tokenAttrs("output"));
    } catch (e) {
      this.fail(e);
    }
  }
}

export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const tracerName = options.tracerName ?? "mcppolicy";
  const meterName = options.meterName ?? "mcppolicy";
  const fail: Fail = (e) => {
    try {
      options.onError?.(e);
    } catch {
      // the hook itself failed: nothing more to do
    }
  };

  function start(info: SpanInfo): SpanHandle {
    const started = performance.now();
    let span: Span | undefined;
    try {
      const attributes = addTargetAttributes({}, info);
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
    return new Handle(info, span, started, meterName, fail);
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
