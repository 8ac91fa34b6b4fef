/**
 * Phase `load session facts` (before the tool, issue 14): when the policy reads session facts (labels,
 * history, provenance: runtime/session-facts.ts), read them from the store in one atomic operation
 * (`sessionLoad`, store/store.ts) and decide on a copy of the request that carries them
 * (`ctx.request.session`); remember the session's version for reserve's check-then-act. A MemoryStore
 * whose session reads are its class's own lends its window instead of copying it (`sessionLend`,
 * eval/lent-history.ts): the policy reads the same events in place.
 * Guarantees (fail closed): facts that cannot be loaded (a store without session operations, down, late,
 * a record that does not parse) deny the call with `session_unavailable`, never decide it as if the
 * session were new. A policy that reads no session fact: nothing happens, `ctx.request` is the input.
 */
import type { Reason } from "../../contract/index.js";
import { sessionKeyOf, sessionNeedsOf, withSessionFacts, type LoadedSession } from "../session-facts.js";
import type { CallContext, Phase } from "./context.js";
import { MemoryStore } from "../store/memory.js";

export const loadSession: Phase = {
  name: "load-session",
  stage: "call",
  run(ctx, env) {
    const needs = sessionNeedsOf(ctx.loaded.policy);
    if (!needs.load) return;
    const store = env.store;
    if (typeof store.sessionLoad !== "function") return unavailable(ctx, "the store keeps no session state (it has no `sessionLoad`)");
    const key = sessionKeyOf(ctx.input);
    let out: LoadedSession | Promise<LoadedSession>;
    let lending = false;
    try {
      // A MemoryStore of its own class lends its window (O(1)) instead of copying it per call.
      const query = { key, maxEntries: needs.maxEntries };
      lending = lends(store);
      out = env.timeout(lending ? (store as MemoryStore).sessionLend(query) : store.sessionLoad(query));
    } catch (err) {
      return unavailable(ctx, (err as Error)?.message ?? String(err));
    }
    if (out instanceof Promise) return out.then((l) => loaded(ctx, key, l, lending), (err: unknown) => unavailable(ctx, (err as Error)?.message ?? String(err)));
    loaded(ctx, key, out, lending);
  },
};

/**
 * Whether the store is a MemoryStore whose session reads are MemoryStore's own: a subclass that
 * overrides `sessionLoad` (to log, to filter) is asked through it, as before.
 */
const lends = (store: object): boolean =>
  store instanceof MemoryStore && store.sessionLoad === MemoryStore.prototype.sessionLoad && store.sessionLend === MemoryStore.prototype.sessionLend;

function loaded(ctx: CallContext, key: string, l: LoadedSession, lending: boolean): void {
  const { request, facts } = withSessionFacts(ctx.input, l, lending);
  ctx.request = request;
  ctx.session = facts;
  ctx.sessionState = { key, version: l.version };
}

function unavailable(ctx: CallContext, why: string): void {
  const reason: Reason = { code: "session_unavailable", message: `the session's facts cannot be loaded, so the call is denied: ${why}` };
  ctx.outcome = { effect: "deny", reasons: [reason], decision: { effect: "deny", reasons: [reason], roles: [], errors: [], budgets: [] } };
  ctx.ended = true;
}
