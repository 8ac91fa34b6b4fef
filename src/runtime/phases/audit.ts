/**
 * Phase `audit event` (the last one of every call): nothing to do here. Audit records are written by
 * the enforcement relay (adapters/enforcer.ts, audit/), which knows what the engine does not: the
 * record of a call must be on disk BEFORE the call is forwarded, and the completion record needs the
 * server's answer (outcome, size, tokens). This phase stays the engine's hook for anything that must
 * see every call's end.
 * It runs at the end of every call: at the end of `authorize` for a call that ends before the tool
 * (deny, replay, pending approval), and after the settlement for a call that ran (when the host commits
 * or rolls back; a settle that failed and is tried again ends again; an allowed call the host never
 * settles has no end yet: the audit issue decides what to emit for those).
 * Guarantees (today): changes nothing.
 * Guarantees (to keep): it runs even after a fault, and a fault in it never changes the call's
 * effect, reasons or settlement (an error never switches a deny off, nor an allow into a refund).
 */
import type { Phase } from "./context.js";

export const audit: Phase = {
  name: "audit",
  stage: "end",
  run() {},
};
