/**
 * The engine as named phases (src/runtime/phases/): the one list and its order, which phases run for
 * which calls (the call stage in `authorize`, the result and end stages once the host settles, the end
 * stage at once for a call that ends before the tool), the typed per-call context, and fail closed in
 * every phase: faults are injected by handing the engine a phase list with a throwing (or rejecting)
 * phase, on a real MemoryStore and, when redis-server is installed, a real RedisStore.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../src/index.js";
import { Engine } from "../src/runtime/engine.js";
import { MemoryStore } from "../src/runtime/store/memory.js";
import { RedisStore } from "../src/runtime/store/redis.js";
import type { Store } from "../src/runtime/store/store.js";
import type { CallContext, EngineEnv, Phase } from "../src/runtime/phases/context.js";
import { PHASES, pipeline } from "../src/runtime/phases/pipeline.js";
import { callTarget } from "../src/runtime/phases/normalize.js";
import type { PolicyRequest } from "../src/contract/index.js";
import { redisAvailable, startRedis, type RedisHandle } from "./helpers/redis-server.js";

const POLICY = `
policy "phases" version "1.0.0"
default deny

role agent {
  allow tool once, chat, free, run
  deny tool forbidden
}

tool once { limit calls 1 by session }
tool chat { limit tokens total 100 by session }
tool run {
  approval required
  limit calls 5 by session
}
`;

const CALL_STAGE = ["normalize", "load-session", "decide", "reserve"];
const AFTER_TOOL = ["inspect-result", "settle", "record-session", "record-session-ended", "audit"];
const END = ["record-session-ended", "audit"];

const call = (tool: string, session = "s1"): PolicyRequest => ({
  principal: { id: "alice", roles: ["agent"] },
  tool,
  arguments: {},
  session: { id: session },
});

/** The engine's phases, each logging its name when it runs. */
function traced(log: string[], phases: readonly Phase[] = PHASES): Phase[] {
  return phases.map((p) => ({
    ...p,
    run: (ctx: CallContext, env: EngineEnv) => {
      log.push(p.name);
      return p.run(ctx, env);
    },
  }));
}

type Mode = "throw" | "reject" | "throw after its work" | "reject after its work";
const MODES: Mode[] = ["throw", "reject", "throw after its work", "reject after its work"];

/** The phase `name` replaced by one that fails the way `mode` says. */
function failing(name: string, mode: Mode, phases: readonly Phase[] = PHASES): Phase[] {
  return phases.map((p) => {
    if (p.name !== name) return p;
    const boom = new Error(`boom in ${name}`);
    const run = (ctx: CallContext, env: EngineEnv): void | Promise<void> => {
      switch (mode) {
        case "throw":
          throw boom;
        case "reject":
          return Promise.reject(boom);
        case "throw after its work": {
          const r = p.run(ctx, env);
          if (r === undefined) throw boom;
          return r.then(() => {
            throw boom;
          });
        }
        case "reject after its work":
          return Promise.resolve(p.run(ctx, env)).then(() => Promise.reject(boom));
      }
    };
    return { ...p, run };
  });
}

const policy = compilePolicy(POLICY);
const engineOn = (store: Store, phases?: readonly Phase[], options: ConstructorParameters<typeof Engine>[1] = {}) => new Engine(policy, { store, ...options }, phases);

describe("the phase list", () => {
  it("is one named list, in order: normalize, load-session, decide, reserve | the tool | inspect-result, settle | audit", () => {
    expect(PHASES.map((p) => p.name)).toEqual([...CALL_STAGE, ...AFTER_TOOL]);
    expect(PHASES.map((p) => p.stage)).toEqual(["call", "call", "call", "call", "result", "result", "result", "end", "end"]);
    const p = pipeline(PHASES);
    expect(p.call.map((x) => x.name)).toEqual(CALL_STAGE);
    expect(p.result.map((x) => x.name)).toEqual(["inspect-result", "settle", "record-session"]);
    expect(p.end.map((x) => x.name)).toEqual(END);
  });

  it("is checked when an engine is given one: stages in order, unique names, a run function each", () => {
    const [normalize, , , , inspect, settle, , , audit] = PHASES;
    expect(() => pipeline([inspect!, normalize!])).toThrow(/comes after a phase of a later stage/);
    expect(() => pipeline([normalize!, audit!, settle!])).toThrow(/comes after a phase of a later stage/);
    expect(() => pipeline([normalize!, normalize!])).toThrow(/two phases are named `normalize`/);
    expect(() => pipeline([{ name: "x", stage: "later" as "call", run() {} }])).toThrow(/unknown stage/);
    expect(() => pipeline([{ name: "", stage: "call", run() {} }])).toThrow(/a name and a run function/);
    expect(() => engineOn(new MemoryStore(), [audit!, normalize!])).toThrow(TypeError);
  });
});

describe("which phases run, in order", () => {
  it("an allowed call: the call stage in authorize; inspect-result, settle and audit once, when it is settled", async () => {
    const log: string[] = [];
    const engine = engineOn(new MemoryStore(), traced(log));
    const a = await engine.authorize(call("chat"));
    expect(a.effect).toBe("allow");
    expect(log).toEqual(CALL_STAGE);
    expect(await a.commit({ inputTokens: 10 })).toEqual({ applied: true });
    expect(log).toEqual([...CALL_STAGE, ...AFTER_TOOL]);
    expect(await a.commit({ inputTokens: 10 })).toEqual({ applied: false, reason: "already committed" });
    expect(await a.rollback()).toEqual({ applied: false, reason: "already committed" });
    expect(log).toEqual([...CALL_STAGE, ...AFTER_TOOL]);
  });

  it("a call that ends before the tool runs the end stage at once, never the result stage", async () => {
    const store = new MemoryStore();
    const cases: [string, () => Promise<unknown>, string[]][] = [];
    const log: string[] = [];
    const engine = engineOn(store, traced(log));
    await engineOn(store).authorize(call("once", "used"));
    cases.push(["denied by the policy", () => engine.authorize(call("forbidden")), ["normalize", "load-session", "decide", ...END]]);
    cases.push(["denied by its budget", () => engine.authorize(call("once", "used")), [...CALL_STAGE, ...END]]);
    cases.push(["denied for its options", () => engine.authorize(call("once"), { idempotencyKey: "" }), [...CALL_STAGE, ...END]]);
    cases.push(["pending approval", () => engine.authorize(call("run")), [...CALL_STAGE, ...END]]);
    for (const [what, run, phases] of cases) {
      log.length = 0;
      const a = (await run()) as { effect: string; rollback(): Promise<unknown> };
      expect(a.effect, what).not.toBe("allow");
      expect(await a.rollback(), what).toMatchObject({ applied: false });
      expect(log, what).toEqual(phases);
    }
  });

  it("a replay runs the end stage at once; the first call's settlement runs the phases after the tool", async () => {
    const log: string[] = [];
    const engine = engineOn(new MemoryStore(), traced(log));
    const first = await engine.authorize(call("chat"), { idempotencyKey: "k" });
    log.length = 0;
    const again = await engine.authorize(call("chat"), { idempotencyKey: "k" });
    expect(again.effect).toBe("replay");
    expect(log).toEqual([...CALL_STAGE, ...END]);
    log.length = 0;
    expect(await first.commit()).toEqual({ applied: true });
    expect(log).toEqual(AFTER_TOOL);
  });

  it("an allowed call that reserved nothing runs the phases after the tool once, and answers as before", async () => {
    const log: string[] = [];
    const engine = engineOn(new MemoryStore(), traced(log));
    const a = await engine.authorize(call("free"));
    expect(a.effect).toBe("allow");
    expect(await a.commit()).toEqual({ applied: false, reason: "nothing was reserved" });
    expect(await a.rollback()).toEqual({ applied: false, reason: "nothing was reserved" });
    expect(log).toEqual([...CALL_STAGE, ...AFTER_TOOL]);
  });

  it("an approval granted by onApprovalRequest runs the call stage again (hook off), and the end stage once", async () => {
    const log: string[] = [];
    const engine = engineOn(new MemoryStore(), traced(log), { onApprovalRequest: () => ({ approver: "bob" }) });
    const a = await engine.authorize(call("run"));
    expect(a.effect).toBe("allow");
    expect(a.reasons.map((r) => r.code)).toContain("approval_granted");
    expect(log).toEqual([...CALL_STAGE, ...CALL_STAGE]);
    await a.rollback();
    expect(log).toEqual([...CALL_STAGE, ...CALL_STAGE, ...AFTER_TOOL]);
  });
});

describe("the per-call context", () => {
  it("carries the request, the policy version, the decision, the reservation, the settlement and the store's time, to the end", async () => {
    const seen: CallContext[] = [];
    const spy: Phase = { name: "spy", stage: "end", run: (ctx) => void seen.push(ctx) };
    const now = Date.UTC(2026, 5, 1);
    const engine = engineOn(new MemoryStore({ now: () => now }), [...PHASES, spy]);
    const request = call("chat");
    const a = await engine.authorize(request, { estimate: { inputTokens: 5 } });
    expect(seen).toHaveLength(0);
    await a.commit({ inputTokens: 7 });
    const ctx = seen[0]!;
    expect(ctx.input).toBe(request);
    expect(ctx.request).toBe(request);
    expect(ctx.loaded.version).toBe(engine.policyVersion);
    expect(ctx.method).toBe("tools/call");
    expect(ctx.target).toBe("chat");
    expect(ctx.decision?.effect).toBe("allow");
    expect(ctx.reserved?.counters.map((c) => c.budget.budget.kind)).toEqual(["tokens"]);
    expect(ctx.timings?.reservedAt).toBe(now);
    expect(ctx.outcome?.effect).toBe("allow");
    expect(ctx.after).toMatchObject({ action: "commit", usage: { inputTokens: 7 }, settledAs: "commit", settled: { applied: true } });
    expect(ctx.faults).toBeUndefined();
  });

  it("the method → target relation is one function: the target field each method names", () => {
    expect(callTarget({ tool: "t", resource: "r", prompt: "p" }, "tools/call")).toBe("t");
    expect(callTarget({ tool: "t" }, "tools/list")).toBe("t");
    expect(callTarget({ tool: "t", resource: "r" }, "resources/read")).toBe("r");
    expect(callTarget({ tool: "t", prompt: "p" }, "prompts/get")).toBe("p");
    expect(callTarget({ resource: "r" }, "completion/complete")).toBe("r");
    expect(callTarget({ prompt: "p", resource: "r" }, "completion/complete")).toBe("p");
    expect(callTarget({ tool: "t" }, "sampling/createMessage")).toBeUndefined();
    expect(callTarget({ tool: "t" }, "no/such")).toBeUndefined();
    expect(callTarget({ tool: 5 as unknown as string }, "tools/call")).toBeUndefined();
  });
});

/** Fail closed in every phase, on one store (MemoryStore, and RedisStore when available). */
function failClosed(what: string, makeStore: () => Store | Promise<Store>) {
  describe(`fail closed (${what})`, () => {
    for (const name of CALL_STAGE) {
      for (const mode of MODES) {
        it(`a ${mode} in \`${name}\` denies, naming the phase, charges nothing, and still runs the end stage`, async () => {
          const store = await makeStore();
          const log: string[] = [];
          const engine = engineOn(store, traced(log, failing(name, mode)));
          const a = await engine.authorize(call("once"), { idempotencyKey: `k-${name}-${mode}` });
          expect(a.effect).toBe("deny");
          expect(a.allowed).toBe(false);
          expect(a.reasons).toHaveLength(1);
          expect(a.reasons[0]).toMatchObject({ code: "internal_error", message: expect.stringContaining(`\`${name}\` phase: boom in ${name}`) });
          expect(await a.commit()).toMatchObject({ applied: false });
          expect(log.at(-1)).toBe("audit");
          expect(log.slice(0, CALL_STAGE.indexOf(name) + 1)).toEqual(CALL_STAGE.slice(0, CALL_STAGE.indexOf(name) + 1));
          // Nothing stayed charged: the session's one call is still there for a sound engine.
          expect((await engineOn(store).authorize(call("once"))).effect).toBe("allow");
        });
      }
    }

    it("a phase added after reserve that throws denies and gives back what the store had charged", async () => {
      const store = await makeStore();
      const boom: Phase = { name: "boom", stage: "call", run: () => { throw new Error("late"); } };
      const phases = [...PHASES.slice(0, 4), boom, ...PHASES.slice(4)];
      const a = await engineOn(store, phases).authorize(call("once"));
      expect(a.effect).toBe("deny");
      expect(a.reasons[0]?.message).toContain("`boom` phase: late");
      expect((await engineOn(store).authorize(call("once"))).effect).toBe("allow");
      expect((await engineOn(store).authorize(call("once"))).effect).toBe("deny");
    });

    it("a call stage that gives no answer denies (a list without reserve)", async () => {
      const store = await makeStore();
      const a = await engineOn(store, PHASES.filter((p) => p.name !== "reserve")).authorize(call("once"));
      expect(a.effect).toBe("deny");
      expect(a.reasons[0]).toMatchObject({ code: "internal_error", message: expect.stringContaining("gave no answer") });
      expect((await engineOn(store).authorize(call("once"))).effect).toBe("allow");
    });

    for (const mode of MODES) {
      it(`after the tool: a ${mode} in \`inspect-result\` still settles as asked, and says so`, async () => {
        const store = await makeStore();
        const log: string[] = [];
        const a = await engineOn(store, traced(log, failing("inspect-result", mode))).authorize(call("chat"));
        expect(a.effect).toBe("allow");
        const out = await a.commit({ inputTokens: 100 });
        expect(out.applied).toBe(true);
        expect(out.reason).toContain("`inspect-result` phase: boom in inspect-result");
        expect(log.slice(-AFTER_TOOL.length)).toEqual(AFTER_TOOL);
        // The 100 tokens were charged: the session's token budget is used up.
        expect((await engineOn(store).authorize(call("chat"))).effect).toBe("deny");
      });
    }

    it("after the tool: a settle phase that fails before sending answers applied: false, and may be tried again", async () => {
      const store = await makeStore();
      let fail = true;
      const phases = PHASES.map((p) => (p.name === "settle" ? { ...p, run: (ctx: CallContext, env: EngineEnv) => (fail ? Promise.reject(new Error("no")) : p.run(ctx, env)) } : p));
      const a = await engineOn(store, phases).authorize(call("once"));
      expect(a.effect).toBe("allow");
      const out = await a.rollback();
      expect(out).toMatchObject({ applied: false, reason: expect.stringContaining("`settle` phase: no") });
      fail = false;
      expect(await a.rollback()).toEqual({ applied: true });
      expect((await engineOn(store).authorize(call("once"))).effect).toBe("allow");
    });

    for (const mode of MODES) {
      it(`a ${mode} in \`audit\` changes nothing: a deny keeps its reasons, a settlement its answer`, async () => {
        const store = await makeStore();
        const engine = engineOn(store, failing("audit", mode));
        const denied = await engine.authorize(call("forbidden"));
        expect(denied.effect).toBe("deny");
        expect(denied.reasons.map((r) => r.code)).toEqual(["deny_rule"]);
        const a = await engine.authorize(call("chat"));
        expect(await a.commit({ inputTokens: 5 })).toEqual({ applied: true });
        expect(await a.rollback()).toEqual({ applied: false, reason: "already committed" });
      });
    }
  });
}

failClosed("MemoryStore", () => new MemoryStore());

const redis = redisAvailable;
let server: RedisHandle | undefined;
let prefixes = 0;
const stores: RedisStore[] = [];
describe.skipIf(!redis)("on a real Redis", () => {
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await server?.stop();
  });
  failClosed("RedisStore", () => {
    const s = new RedisStore({ url: server!.url, prefix: `phases:${process.pid}:${prefixes++}:` });
    stores.push(s);
    return s;
  });
});
