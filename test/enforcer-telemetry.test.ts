// The relay traced through OpenTelemetry's API with the real SDK's in-memory exporter: one SERVER span per
// governed request, named and attributed per the MCP semantic conventions, with the decision on it, and
// the decision counter by effect.
import { afterEach, describe, expect, it } from "vitest";
import { metrics, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { createTelemetry, METRIC_NAMES } from "../src/adapters/telemetry.js";
import { handshake, relay } from "./helpers/relay-harness.js";

class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

afterEach(() => {
  trace.disable();
  metrics.disable();
});

const SRC = `
policy "t" version "1"
default deny
role dev { allow tool echo }
`;

describe("the relay's spans and metrics", () => {
  it("traces every governed request with its method, tool, session and decision", async () => {
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    const reader = new OnDemandReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const r = relay(SRC, { telemetry: createTelemetry(), transport: "pipe" });
    await handshake(r, [{ name: "echo" }]);
    await r.call(1, "echo", { text: "a" });
    await r.answer(1, { content: [{ type: "text", text: "a" }] });
    await r.call(2, "rm", {});
    const done = spans.getFinishedSpans();
    expect(done.map((s) => s.name)).toEqual(["tools/call echo", "tools/call rm"]);
    const [ok, denied] = done;
    expect(ok!.kind).toBe(SpanKind.SERVER);
    expect(ok!.attributes).toMatchObject({ "mcp.method.name": "tools/call", "gen_ai.tool.name": "echo", "mcp.session.id": "s1", "mcppolicy.effect": "allow" });
    expect(ok!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(denied!.attributes).toMatchObject({ "mcppolicy.effect": "deny" });
    expect(denied!.status.code).toBe(SpanStatusCode.ERROR);
    const { resourceMetrics } = await reader.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toContain(METRIC_NAMES.decisions);
  });

  it("costs nothing and breaks nothing without an SDK", async () => {
    const r = relay(SRC, { telemetry: createTelemetry() });
    await handshake(r, [{ name: "echo" }]);
    await r.call(1, "echo", { text: "a" });
    expect(r.toServer.map((m) => m.id)).toEqual([1]);
  });
});
