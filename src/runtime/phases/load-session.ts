/**
 * Phase `load session facts` (before the tool): nothing to do yet. Issue 14 (session history, taint
 * labels) fills it: read the session's facts from the store in one atomic operation (see the "new
 * operations" section of store/store.ts) and set `ctx.session` and `ctx.request` (a copy of the input
 * whose `session` carries them), so the policy decides on them.
 * Guarantees (today): changes nothing; `ctx.request` is the host's input.
 * Guarantees (to keep): facts that cannot be loaded (store down, late, malformed) deny the call
 * (`budget_unavailable`-like, fail closed), never decide it as if the session were new.
 */
import type { Phase } from "./context.js";

export const loadSession: Phase = {
  name: "load-session",
  stage: "call",
  run() {},
};
