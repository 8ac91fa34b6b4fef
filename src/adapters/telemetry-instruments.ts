/**
 * The metric instruments of telemetry.ts, created once per global MeterProvider.
 * Why per provider: `metrics.getMeter()` called before a host registers its SDK returns a no-op meter for
 * good (it is not a proxy, unlike the tracer), so instruments are re-created when the global provider
 * changes (registered, replaced or disabled); otherwise they are reused (one identity check per use).
 */
import { createNoopMeter, metrics, type Counter, type Histogram, type MeterProvider } from "@opentelemetry/api";
import { DECISION_BUCKETS, M, OPERATION_BUCKETS } from "./telemetry-names.js";

export interface Instruments {
  decisions: Counter;
  decisionDuration: Histogram;
  operationDuration: Histogram;
  tokens: Counter;
}

const cache = new Map<string, { provider: MeterProvider; instruments: Instruments | undefined }>();

/** The instruments of the current global provider; undefined when it is the API's no-op (nothing to record). */
export function instrumentsFor(meterName: string): Instruments | undefined {
  const provider = metrics.getMeterProvider();
  const hit = cache.get(meterName);
  if (hit && hit.provider === provider) return hit.instruments;
  const meter = provider.getMeter(meterName);
  if (meter === createNoopMeter()) {
    cache.set(meterName, { provider, instruments: undefined });
    return undefined;
  }
  const instruments: Instruments = {
    decisions: meter.createCounter(M.decisions, { description: "Policy decisions on MCP requests, by method, effect and shadow mode", unit: "{decision}" }),
    decisionDuration: meter.createHistogram(M.decisionDuration, {
      description: "Time from receiving an MCP request to its policy decision (budgets and approvals included)",
      unit: "s",
      advice: { explicitBucketBoundaries: DECISION_BUCKETS },
    }),
    operationDuration: meter.createHistogram(M.operationDuration, {
      description: "MCP request duration as observed on the receiver from the time it was received until the result or error is sent",
      unit: "s",
      advice: { explicitBucketBoundaries: OPERATION_BUCKETS },
    }),
    tokens: meter.createCounter(M.tokens, { description: "Tokens of governed tool arguments (input) and results (output), as budgets count them", unit: "{token}" }),
  };
  cache.set(meterName, { provider, instruments });
  return instruments;
}
