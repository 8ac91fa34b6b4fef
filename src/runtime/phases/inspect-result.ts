/**
 * Phase `inspect result` (after the tool, when the host settles the call): nothing to do yet. Result
 * rules fill it: read `ctx.after.result` (the tool's result, once the host gives it) and decide what the host
 * may pass on, and which labels the session gains.
 * Guarantees (today): changes nothing.
 * Guarantees (to keep): a fault here never skips the settlement (the tool ran: it is charged), and a
 * result that cannot be inspected is withheld, never passed on unchecked.
 */
import type { Phase } from "./context.js";

export const inspectResult: Phase = {
  name: "inspect-result",
  stage: "result",
  run() {},
};
