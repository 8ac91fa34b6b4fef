// Tracing and metrics (src/adapters/telemetry.ts) against the real OpenTelemetry SDK: a BasicTracerProvider
// with an InMemorySpanExporter and a MeterProvider with a reader collected on demand, registered globally for
// each test and disabled after. Also: a no-op without an SDK, and faulty providers never reach the caller.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  metrics,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Context,
  type MeterProvider as ApiMeterProvider,
  type TextMapGetter,
  type TextMapPropagator,
  type TracerProvider,
} from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from "@opentelemetry/sdk-metrics";
import { createTelemetry, type SpanInfo } from "../src/adapters/telemetry.js";
import type { Reason } from "../src/contract/decision.js";

class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

let spans: InMemorySpanExporter;
let reader: OnDemandReader;

function register(): void {
  spans = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  reader = new OnDemandReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
}

afterEach(() => {
  trace.disable();
  metrics.disable();
  propagation.disable();
});

async function collected(): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const out = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out.set(m.descriptor.name, m);
  return out;
}

function points(m: MetricData | undefined): DataPoint<unknown>[] {
  expect(m).toBeDefined();
  return m!.dataPoints as DataPoint<unknown>[];
}

const ALLOW: Reason[] = [{ code: "allow_rule", rule: "developer/1", message: "allowed by role `developer`" }];
const DENY: Reason[] = [
  { code: "deny_rule", rule: "no-secrets", message: "secrets are off limits" },
  { code: "deny_rule", rule: "no-etc", message: "no /etc" },
];
const CALL: SpanInfo = { method: "tools/call", target: "read_file", sessionId: "s-1", requestId: 7, protocolVersion: "2025-06-18", direction: "to-server", transport: "pipe", server: "fs" };

describe("with an SDK registered", () => {
  beforeEach(register);

  test("an allowed tool call: one SERVER span named after the method and tool, semconv attributes, no error status", async () => {
    const h = createTelemetry().start(CALL);
    h.decided("allow", ALLOW, false);
    h.end({ tokens: { input: 12, output: 40 } });
    const [span, ...rest] = spans.getFinishedSpans();
    expect(rest).toEqual([]);
    expect(span!.name).toBe("tools/call read_file");
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.instrumentationScope.name).toBe("mcppolicy");
    expect(span!.attributes).toEqual({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "read_file",
      "gen_ai.operation.name": "execute_tool",
      "mcp.protocol.version": "2025-06-18",
      "network.transport": "pipe",
      "mcp.session.id": "s-1",
      "jsonrpc.request.id": "7",
      "mcppolicy.server": "fs",
      "mcppolicy.direction": "to-server",
      "mcppolicy.effect": "allow",
      "mcppolicy.shadow": false,
      "mcppolicy.reason_codes": ["allow_rule"],
      "mcppolicy.rules": ["developer/1"],
      "mcppolicy.tokens.input": 12,
      "mcppolicy.tokens.output": 40,
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  test("counters and histograms: decisions by effect, decision and operation durations in seconds, tokens", async () => {
    const t = createTelemetry();
    for (const [effect, reasons, shadow] of [["allow", ALLOW, false], ["deny", DENY, false], ["deny", DENY, true]] as const) {
      const h = t.start(CALL);
      h.decided(effect, reasons, shadow);
      h.end(effect === "deny" && !shadow ? { errorCode: -32010, message: "denied by policy: secrets are off limits" } : { tokens: { input: 5, output: 9 } });
    }
    const m = await collected();
    const decisions = points(m.get("mcppolicy.decisions"));
    expect(m.get("mcppolicy.decisions")!.descriptor.unit).toBe("{decision}");
    const byKey = new Map(decisions.map((p) => [`${p.attributes["mcppolicy.effect"]}/${p.attributes["mcppolicy.shadow"]}`, p]));
    expect(byKey.get("allow/false")!.value).toBe(1);
    expect(byKey.get("deny/false")!.value).toBe(1);
    expect(byKey.get("deny/true")!.value).toBe(1);
    for (const p of decisions) expect(Object.keys(p.attributes).sort()).toEqual(["mcp.method.name", "mcppolicy.effect", "mcppolicy.shadow"]);

    const dd = m.get("mcppolicy.decision.duration")!;
    expect(dd.descriptor.unit).toBe("s");
    expect(points(dd).reduce((n, p) => n + (p.value as Histogram).count, 0)).toBe(3);

    const op = m.get("mcp.server.operation.duration")!;
    expect(op.descriptor.unit).toBe("s");
    const ops = points(op);
    expect(ops.reduce((n, p) => n + (p.value as Histogram).count, 0)).toBe(3);
    expect((ops[0]!.value as Histogram).buckets.boundaries).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
    const denied = ops.find((p) => p.attributes["error.type"] !== undefined)!;
    expect(denied.attributes).toMatchObject({ "mcp.method.name": "tools/call", "gen_ai.tool.name": "read_file", "error.type": "-32010", "rpc.response.status_code": "-32010", "mcppolicy.effect": "deny" });
    expect(denied.attributes["mcp.session.id"]).toBeUndefined(); // high cardinality: spans only

    const tokens = points(m.get("mcppolicy.tokens"));
    expect(tokens.find((p) => p.attributes["gen_ai.token.type"] === "input")!.value).toBe(10);
    expect(tokens.find((p) => p.attributes["gen_ai.token.type"] === "output")!.value).toBe(18);
  });

  test("a denial ends with ERROR status, the JSON-RPC message, error.type and rpc.response.status_code; rules and codes deduplicated", () => {
    const h = createTelemetry().start(CALL);
    h.decided("deny", DENY, false);
    h.end({ error: "denied", errorCode: -32010, message: "denied by policy: secrets are off limits" });
    const span = spans.getFinishedSpans()[0]!;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "denied by policy: secrets are off limits" });
    expect(span.attributes["error.type"]).toBe("-32010"); // the code wins over the class, as the conventions ask
    expect(span.attributes["mcppolicy.error"]).toBe("denied");
    expect(span.attributes["rpc.response.status_code"]).toBe("-32010");
    expect(span.attributes["mcppolicy.reason_codes"]).toEqual(["deny_rule"]);
    expect(span.attributes["mcppolicy.rules"]).toEqual(["no-secrets", "no-etc"]);
  });

  test("a tool result with isError: error.type tool_error, ERROR status, no status code", () => {
    const h = createTelemetry().start(CALL);
    h.decided("allow", ALLOW, false);
    h.end({ error: "tool_error", tokens: { input: 1, output: 2 } });
    const span = spans.getFinishedSpans()[0]!;
    expect(span.attributes["error.type"]).toBe("tool_error");
    expect(span.attributes["rpc.response.status_code"]).toBeUndefined();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "tool_error" });
  });

  test("an upstream gone without a message: the class is the status description", () => {
    const h = createTelemetry().start(CALL);
    h.end({ error: "upstream_unavailable", errorCode: -32013 });
    const span = spans.getFinishedSpans()[0]!;
    expect(span.attributes).toMatchObject({ "error.type": "-32013", "rpc.response.status_code": "-32013", "mcppolicy.error": "upstream_unavailable" });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "upstream_unavailable" });
  });

  test("resources keep the URI out of the span name and the metric; prompts name the prompt", async () => {
    const t = createTelemetry();
    const r = t.start({ method: "resources/read", target: "file:///etc/passwd", direction: "to-server" });
    r.end({});
    const p = t.start({ method: "prompts/get", target: "greet", direction: "to-server" });
    p.end({});
    const l = t.start({ method: "tools/list", direction: "to-server" });
    l.end({});
    const s = t.start({ method: "sampling/createMessage", requestId: "srv-1", direction: "to-client" });
    s.end({});
    const [read, prompt, list, sampling] = spans.getFinishedSpans();
    expect(read!.name).toBe("resources/read");
    expect(read!.attributes["mcp.resource.uri"]).toBe("file:///etc/passwd");
    expect(read!.attributes["gen_ai.operation.name"]).toBeUndefined();
    expect(prompt!.name).toBe("prompts/get greet");
    expect(prompt!.attributes["gen_ai.prompt.name"]).toBe("greet");
    expect(list!.name).toBe("tools/list");
    expect(sampling!.name).toBe("sampling/createMessage");
    expect(sampling!.attributes["mcppolicy.direction"]).toBe("to-client");
    expect(sampling!.attributes["jsonrpc.request.id"]).toBe("srv-1");
    for (const point of points((await collected()).get("mcp.server.operation.duration"))) expect(point.attributes["mcp.resource.uri"]).toBeUndefined();
  });

  test("end is idempotent; a decision after the end is ignored; a second decision is counted and kept", async () => {
    const t = createTelemetry();
    const h = t.start(CALL);
    h.decided("require_approval", [{ code: "approval_required", message: "needs approval" }], false);
    h.decided("allow", [{ code: "approval_granted", message: "approved" }], false);
    h.end({});
    h.end({ errorCode: -32013 });
    h.decided("deny", DENY, false);
    const finished = spans.getFinishedSpans();
    expect(finished).toHaveLength(1);
    expect(finished[0]!.attributes["mcppolicy.effect"]).toBe("allow");
    expect(finished[0]!.attributes["error.type"]).toBeUndefined();
    const decisions = points((await collected()).get("mcppolicy.decisions"));
    expect(decisions.map((p) => p.attributes["mcppolicy.effect"]).sort()).toEqual(["allow", "require_approval"]);
  });

  test("the parent comes from params._meta.traceparent through the registered propagator", () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const spanId = "00f067aa0ba902b7";
    const metaPropagator: TextMapPropagator = {
      inject() {},
      extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
        const tp = getter.get(carrier, "traceparent");
        if (typeof tp !== "string") return ctx;
        const [, tid, sid] = tp.split("-");
        return trace.setSpanContext(ctx, { traceId: tid!, spanId: sid!, traceFlags: TraceFlags.SAMPLED, isRemote: true });
      },
      fields: () => ["traceparent"],
    };
    propagation.setGlobalPropagator(metaPropagator);
    const h = createTelemetry().start({ ...CALL, meta: { traceparent: `00-${traceId}-${spanId}-01`, "io.example/x": 1 } });
    h.end({});
    const span = spans.getFinishedSpans()[0]!;
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(spanId);
  });

  test("a Telemetry created before the SDK was registered records once it is", async () => {
    trace.disable();
    metrics.disable();
    const t = createTelemetry();
    t.start(CALL).end({});
    register();
    const h = t.start(CALL);
    h.decided("allow", ALLOW, false);
    h.end({});
    expect(spans.getFinishedSpans()).toHaveLength(1);
    expect(points((await collected()).get("mcppolicy.decisions"))[0]!.value).toBe(1);
  });
});

describe("without an SDK", () => {
  test("a no-op: nothing throws, nothing is recorded anywhere", () => {
    const exporter = new InMemorySpanExporter(); // not registered
    const t = createTelemetry();
    const h = t.start(CALL);
    h.decided("deny", DENY, true);
    h.end({ errorCode: -32010, tokens: { input: 1 } });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  test("faulty providers, spans and meters never reach the caller; onError hears of each", () => {
    const throwing = (): never => {
      throw new Error("exporter down");
    };
    const badSpan = new Proxy({}, { get: () => throwing });
    const tracerProvider: TracerProvider = { getTracer: () => ({ startSpan: () => badSpan, startActiveSpan: throwing }) as never };
    const meterProvider: ApiMeterProvider = { getMeter: throwing };
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    const errors: unknown[] = [];
    const t = createTelemetry({ onError: (e) => errors.push(e) });
    const h = t.start(CALL);
    h.decided("allow", ALLOW, false);
    h.end({ error: "tool_error", tokens: { input: 3, output: 4 } });
    expect(errors.length).toBeGreaterThanOrEqual(3);

    trace.disable();
    trace.setGlobalTracerProvider({ getTracer: throwing });
    const quiet = createTelemetry({ onError: throwing }); // a throwing hook too
    const q = quiet.start(CALL);
    q.decided("allow", ALLOW, false);
    q.end({});
  });

  test("hostile span info does not throw", () => {
    register();
    propagation.setGlobalPropagator({
      inject() {},
      extract(ctx, carrier, getter) {
        getter.keys?.(carrier); // reads the hostile _meta
        return ctx;
      },
      fields: () => [],
    });
    const errors: unknown[] = [];
    const t = createTelemetry({ onError: (e) => errors.push(e) });
    const meta = new Proxy({}, { ownKeys: () => { throw new Error("keys"); }, get: () => { throw new Error("get"); } });
    const h = t.start({ ...CALL, meta, requestId: null as unknown as string });
    h.decided("allow", [], false);
    h.end({});
    expect(spans.getFinishedSpans()).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });
});
