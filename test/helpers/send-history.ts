/**
 * The fixture of the history request-check tests (history-check-cache, history-seek): a policy whose one
 * rule counts completed `send` calls over the last hour, requests of `send` at a fixed time over a given
 * history, and `send` events.
 */
import { compilePolicy, type PolicyRequest } from "mcppolicy";

export const policy = compilePolicy(`policy "h"
session retain 1000 events for 2 hours
role dev {
  allow tool send when count completed tool send within 1 hour < 50
}
`);
export const deepCopy = <T,>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
export const req = (history: unknown[], extra: Record<string, unknown> = {}): PolicyRequest =>
  ({ principal: { roles: ["dev"] }, tool: "send", time: 10_000_000, session: { history }, ...extra }) as unknown as PolicyRequest;
/** A completed, allowed `send` event at `at` (not frozen). */
export const sendEvent = (at: number, extra: Record<string, unknown> = {}) => ({ at, method: "tools/call", target: "send", effect: "allow", outcome: "ok", ...extra });
