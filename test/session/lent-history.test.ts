/**
 * Lent histories (issue 14, the engine's hot path): on a MemoryStore of its own class the engine decides
 * on the store's window read in place (eval/history-window.ts `LentWindow`, eval/lent-history.ts)
 * instead of a copy of it per call. These tests prove that it decides exactly as the reference does on
 * the copied window, that nothing but a lent window can stand for a history, and that a reader that does
 * not know the placeholder fails closed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, createEngine, MemoryStore, type PolicyRequest } from "../../src/index.js";
import { Engine } from "../../src/runtime/engine.js";
import { PHASES } from "../../src/runtime/phases/pipeline.js";
import type { Phase } from "../../src/runtime/phases/context.js";
import { sessionKeyOf, withSessionFacts } from "../../src/runtime/session-facts.js";
import { EventLog, LentWindow, windowOf } from "../../src/eval/history-window.js";
import { LENT_HISTORY, lendHistory, lentOf } from "../../src/eval/lent-history.js";
import { historyOf } from "../../src/eval/history.js";
import type { IrHistory } from "../../src/ir/ir.js";
import type { SessionEvent } from "../../src/contract/session.js";

const POLICY = `policy "lent" version "1"
session retain 40 events for 24 hours
role agent { allow tool "*" }
deny tool pay when count allowed tool pay where event.args.to == args.to within 30 seconds > 2
deny tool pay when after failed tool fetch within 20 seconds
deny tool send unless no denied tool "*" since completed tool reset
deny tool send when (sum event.args.n of completed tool send within 1 minute) > 50
deny tool fetch when previous denied tool pay
deny tool reset when (max event.args.n of attempted tool "s*" within 45 seconds) > 8
`;

const principal = { id: "agent-1", roles: ["agent"] };
const TOOLS = ["pay", "fetch", "send", "reset", "search"] as const;
const step = fc.record({ tool: fc.constantFrom(...TOOLS), to: fc.constantFrom("a", "b", "c"), n: fc.integer({ min: 0, max: 12 }), fail: fc.boolean(), gap: fc.integer({ min: 0, max: 15_000 }) });

/** An engine whose phase list has a probe after `load-session`: it hands the request the engine decides on to `seen`. */
function probed(store: MemoryStore, now: () => number, seen: (req: PolicyRequest) => void): Engine {
  const policy = compilePolicy(POLICY, { filename: "lent.mcppolicy", readFile: null });
  const probe: Phase = { name: "probe", stage: "call", run: (ctx) => void seen(ctx.request) };
  const at = PHASES.findIndex((p) => p.name === "load-session");
  return new Engine(policy, { store }, [...PHASES.slice(0, at + 1), probe, ...PHASES.slice(at + 1)]);
}

describe("lent histories in the engine", () => {
  it("every decision on the lent window equals the reference's on the copied window, over random sessions past retention", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 70 }), async (steps) => {
        let clock = 1_800_000_000_000;
        const store = new MemoryStore({ now: () => clock });
        const policy = compilePolicy(POLICY, { filename: "lent.mcppolicy", readFile: null });
        let decided: PolicyRequest | undefined;
        const engine = probed(store, () => clock, (req) => (decided = req));
        for (const s of steps) {
          clock += s.gap;
          const input: PolicyRequest = { principal, method: "tools/call", tool: s.tool, arguments: { to: s.to, n: s.n }, session: { id: "s" }, time: clock };
          // The reference: the interpreter on the request with the store's window copied (sessionLoad).
          const copied = withSessionFacts(input, store.sessionLoad({ key: sessionKeyOf(input), maxEntries: 40 })).request;
          const expected = policy.interpret(copied);
          decided = undefined;
          const a = await engine.authorize(input);
          expect(decided!.session!.history).toBe(LENT_HISTORY);
          expect(lentOf(decided!.session)!.window()).toEqual(copied.session!.history);
          expect({ effect: a.decision.effect, reasons: a.decision.reasons }).toEqual({ effect: expected.effect, reasons: expected.reasons });
          if (a.effect === "allow") await a.commit({}, { content: [{ type: "text", text: "ok" }], ...(s.fail && { isError: true }) });
        }
      }),
      { numRuns: 60 },
    );
  });

  it("a MemoryStore subclass that overrides sessionLoad is asked through it (nothing lent)", async () => {
    let loads = 0;
    class Logged extends MemoryStore {
      override sessionLoad(q: Parameters<MemoryStore["sessionLoad"]>[0]) {
        loads++;
        return super.sessionLoad(q);
      }
    }
    let decided: PolicyRequest | undefined;
    const engine = probed(new Logged(), Date.now, (req) => (decided = req));
    const a = await engine.authorize({ principal, method: "tools/call", tool: "pay", arguments: { to: "a", n: 1 }, session: { id: "s" } });
    expect(a.effect).toBe("allow");
    expect(loads).toBe(1);
    expect(Array.isArray(decided!.session!.history) && decided!.session!.history !== LENT_HISTORY).toBe(true);
    expect(lentOf(decided!.session)).toBeUndefined();
  });

  it("the engine's own MemoryStore lends: the decision is the same, and the store's public sessionLoad still answers a copy", async () => {
    const store = new MemoryStore();
    const engine = createEngine(compilePolicy(POLICY, { filename: "lent.mcppolicy", readFile: null }), { store });
    const input: PolicyRequest = { principal, method: "tools/call", tool: "send", arguments: { to: "a", n: 3 }, session: { id: "s" } };
    const a = await engine.authorize(input);
    await a.commit({}, { content: [] });
    const facts = store.sessionLoad({ key: sessionKeyOf(input), maxEntries: 40 });
    expect(Array.isArray(facts.events) && Object.isFrozen(facts.events) && facts.events.length === 1).toBe(true);
    expect(facts.events[0]).toMatchObject({ method: "tools/call", target: "send", effect: "allow", outcome: "ok", args: { to: "a", n: 3 } });
  });
});

describe("the placeholder and the lent window fail closed", () => {
  const predicate = { k: "history", op: "after", text: "after completed tool x" } as unknown as IrHistory;

  it("reading the placeholder directly throws; it is a list to Array.isArray only", () => {
    expect(Array.isArray(LENT_HISTORY)).toBe(true);
    expect(() => LENT_HISTORY.length).toThrow(/read it through historyOf/);
    expect(() => LENT_HISTORY[0]).toThrow(TypeError);
    expect(() => [...LENT_HISTORY]).toThrow(TypeError);
    expect(() => JSON.stringify({ history: LENT_HISTORY })).toThrow(TypeError);
  });

  it("a session holding the placeholder without a lent window is refused by decide and by interpret; historyOf errs", () => {
    const policy = compilePolicy(POLICY, { filename: "lent.mcppolicy", readFile: null });
    const forged: PolicyRequest = { principal, method: "tools/call", tool: "pay", arguments: { to: "a", n: 1 }, session: { id: "s", history: LENT_HISTORY as SessionEvent[] }, time: 1_800_000_000_000 };
    for (const d of [policy.decide(forged), policy.interpret(forged)]) {
      expect(d.effect).toBe("deny");
      expect(d.reasons[0]?.code).toBe("invalid_request");
      expect(d.reasons[0]?.message).toMatch(/lent by a store but the session does not hold it/);
    }
    expect(() => historyOf(forged, predicate)).toThrow(/a store lent but the session does not hold/);
    // A copy of a marked session is not marked: its history is the placeholder alone.
    const log = new EventLog();
    log.append(1, '{"method":"tools/call","effect":"allow","target":"x","outcome":"ok"}');
    const session = { id: "s", history: LENT_HISTORY as SessionEvent[] };
    lendHistory(session, log.lend(0));
    expect(historyOf({ ...forged, session }, predicate)).toEqual([{ at: 1, method: "tools/call", effect: "allow", target: "x", outcome: "ok" }]);
    expect(lentOf({ ...session })).toBeUndefined();
    expect(lentOf(new Proxy(session, {}))).toBeUndefined();
    expect(() => lendHistory(session, log.lend(0))).toThrow(TypeError); // marked once
  });

  it("a lent window reads the events it was lent for ever: appends, drops and compaction of the log do not move them", () => {
    const log = new EventLog();
    const ev = (i: number) => `{"method":"tools/call","effect":"allow","target":"t${i}"}`;
    for (let i = 0; i < 10; i++) log.append(i, ev(i));
    const lent = log.lend(3);
    const copy = log.window(3);
    expect(lent.length).toBe(7);
    expect(lent.start).toBe(3);
    for (let i = 10; i < 400; i++) {
      log.append(i, ev(i));
      log.dropOldest(1); // compacts the storage several times
    }
    expect(Array.from({ length: lent.length }, (_, k) => lent.at(k))).toEqual(copy);
    const w = lent.window();
    expect(w).toEqual(copy);
    expect(lent.window()).toBe(w); // made once
    expect(Object.isFrozen(w)).toBe(true);
    expect(windowOf(w)).toEqual({ log, start: 3 });
    expect(() => new LentWindow(Symbol("lend"), log, 0, [], 0, 0)).toThrow(/EventLog.lend only/);
  });
});
