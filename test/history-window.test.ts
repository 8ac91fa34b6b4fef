/**
 * Store windows (eval/history-window.ts): the arrays a store's EventLog answers are recognised in O(1)
 * by the request check (eval/history-check.ts) and the compiled index (codegen/history.ts), which then
 * skip the pointer compares over the whole history. These tests try to abuse that: a host array posing as
 * a window (a copy), a mutated copy, a fork that extends the shared index, an old window reused after the
 * log slid on, malformed and out-of-order events inside a store's log, and a gap of positions never
 * checked. Each must decide as a deep copy of the same events and as the interpreter (fail closed).
 * Everything comes from src/ (one registry: the window, the check and the index must be the same modules).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/index.js";
import type { PolicyRequest } from "../src/contract/index.js";
import { EventLog, sealedJson, windowOf } from "../src/eval/history-window.js";
import { eventOf } from "../src/runtime/session-facts.js";
import { checkSessionAppend } from "../src/runtime/store/session.js";
import { MemoryStore } from "../src/runtime/store/memory.js";

const policy = compilePolicy(`policy "w"
session retain 1000 events for 2 hours
role dev {
  allow tool "*"
}
deny tool "*" when after completed tool wire within 1 hour
deny tool "*" when count completed tool send where event.args.to == args.to within 1 hour > 4
`);
const T = 10_000_000;
const req = (history: unknown, to = "a"): PolicyRequest =>
  ({ principal: { roles: ["dev"] }, tool: "send", arguments: { to }, time: T, session: { history } }) as unknown as PolicyRequest;
const deepCopy = <V>(v: V): V => JSON.parse(JSON.stringify(v)) as V;
const json = (target: string, to = "b", extra: Record<string, unknown> = {}) => JSON.stringify({ method: "tools/call", target, effect: "allow", outcome: "ok", args: { to }, ...extra });

/** decide on `h` equals decide on a deep copy of it (the slow, full path) and the interpreter; answers the effect. */
function agrees(h: readonly unknown[], to = "a"): string {
  const d = policy.decide(req(h, to));
  expect(d).toEqual(policy.decide(req(deepCopy(h), to)));
  expect(d).toEqual(policy.interpret(req(h, to)));
  return d.effect;
}

/** A log of `n` completed `send`s to `to`, one a second from `t0`. */
const filled = (n: number, to = "b", t0 = T - 3_000_000): EventLog => {
  const log = new EventLog();
  for (let i = 0; i < n; i++) log.append(t0 + i * 1000, json("send", to));
  return log;
};

describe("store windows", () => {
  it("are frozen arrays only a log makes: a copy, or an array posing as one, is not a window", () => {
    const log = filled(10);
    const w = log.window(2);
    expect(Object.isFrozen(w)).toBe(true);
    expect(Object.isFrozen(w[0])).toBe(true);
    expect(Object.isFrozen((w[0] as { args: object }).args)).toBe(true);
    expect(() => (w as unknown[]).push(w[0])).toThrow(TypeError);
    expect(windowOf(w)).toEqual({ log, start: 2 });
    expect(windowOf(w.slice())).toBeUndefined();
    expect(windowOf(Object.freeze([...w]))).toBeUndefined();
    expect(windowOf([])).toBeUndefined();
    // The brand is a private field of the window itself: a Proxy of a window, an object whose prototype is
    // one, or a value that is no object is not a window.
    expect(windowOf(new Proxy(w, {}))).toBeUndefined();
    expect(windowOf(Object.create(w) as unknown[])).toBeUndefined();
    expect(windowOf(7 as unknown as unknown[])).toBeUndefined();
    expect(windowOf(null as unknown as unknown[])).toBeUndefined();
    expect(Object.isFrozen(windowOf(w))).toBe(true);
    // A subclass cannot move positions: the log reads its own storage, never an overridden getter.
    class Liar extends EventLog {
      override get length(): number {
        return 1_000_000;
      }
    }
    const liar = new Liar();
    for (let i = 0; i < 5; i++) liar.append(T - 3_000_000 + i * 1000, json("send"));
    liar.dropOldest(Number.NaN);
    expect(liar.window(Number.NaN).length).toBe(5);
    expect(windowOf(liar.window(2))).toEqual({ log: liar, start: 2 });
  });

  it("a host copy, a mutated copy and a fork are checked in full and indexed on their own", () => {
    const log = filled(10);
    const w = log.window(0);
    expect(agrees(w)).toBe("allow");
    // A copy with one event replaced by a malformed one, and one replaced by an event out of order.
    const bad = [...w];
    bad[4] = Object.freeze({ at: w[4]!.at, method: "tools/call", target: "send", effect: "maybe" }) as never;
    expect(agrees(bad)).toBe("deny");
    expect(policy.decide(req(bad)).reasons[0]!.message).toContain("`session.history[4]` needs `effect`");
    const early = [...w];
    early[6] = w[1]!;
    expect(policy.decide(req(early)).reasons[0]!.message).toContain("`session.history[6]` is older than the event before it");
    // A fork: the window's events and a forged `wire` event after them (it extends the index the store's
    // windows built, by pointer compares). The store's next window must not see the forged event.
    const fork = [...w, Object.freeze({ at: T - 1000, method: "tools/call", target: "wire", effect: "allow", outcome: "ok" })];
    expect(agrees(fork)).toBe("deny");
    log.append(T - 1000, json("send"));
    expect(agrees(log.window(1))).toBe("allow");
    // And the other way round: the fork again, after the store's window (a fresh index for it).
    expect(agrees(fork)).toBe("deny");
    log.append(T - 500, json("send"));
    expect(agrees(log.window(2))).toBe("allow");
  });

  it("an old window reused after the log slid on, and a window over positions never checked, decide as copies", () => {
    const log = filled(20, "a");
    const old = log.window(5);
    const older = log.window(0);
    for (let i = 0; i < 300; i++) {
      log.append(T - 2_000_000 + i * 1000, json(i === 150 ? "wire" : "send", "b"));
      log.dropOldest(Math.max(0, log.length - 50));
    }
    const now = log.window(0);
    expect(agrees(now)).toBe("allow");
    expect(agrees(old)).toBe("deny"); // five or more sends to `a` within the hour
    expect(agrees(older)).toBe("deny");
    expect(agrees(now, "b")).toBe("deny");
    expect(agrees(log.window(10))).toBe("allow");
    // Past the compactions of its storage, a bad event appended is still checked (positions never move back).
    log.append(T - 1000, JSON.stringify({ method: "tools/call", effect: "maybe" }));
    expect(policy.decide(req(log.window(10))).reasons[0]!.message).toContain("needs `effect`");
    expect(agrees(log.window(10))).toBe("deny");
    expect(windowOf(log.window(10))!.start).toBe(20 + 300 - 50 + 10); // 320 appended, 50 live before the bad one
  });

  it("a malformed or out-of-order event inside a store's log denies every window that holds it, and only those", () => {
    const log = filled(5);
    log.append(T - 2_000_000, JSON.stringify({ method: 7, effect: "allow" }));
    for (let i = 0; i < 4; i++) log.append(T - 1_000_000 + i, json("send"));
    const all = log.window(0);
    expect(agrees(all)).toBe("deny");
    expect(policy.decide(req(all)).reasons[0]!.message).toContain("`session.history[5]` needs `method` as a string");
    expect(agrees(log.window(6))).toBe("allow");
    expect(agrees(log.window(5))).toBe("deny");
    // An event older than the one before it: windows holding both deny; one starting at it is fine.
    log.append(T - 5_000_000, json("send"));
    log.append(T - 4_000_000, json("send"));
    expect(policy.decide(req(log.window(6))).reasons[0]!.message).toContain("`session.history[4]` is older than the event before it");
    expect(agrees(log.window(6))).toBe("deny");
    expect(agrees(log.window(10))).toBe("allow");
  });

  it("MemoryStore answers windows, and the engine's view of them decides as the interpreter", () => {
    let now = T - 100_000;
    const store = new MemoryStore({ now: () => now });
    const key = "k".repeat(64);
    const append = (target: string) =>
      store.sessionAppend({ key, event: { method: "tools/call", target, effect: "allow", outcome: "ok", args: { to: "a" } }, labels: [], provenance: {}, ttlMs: 3_600_000, maxEntries: 8, maxFingerprintsPerLabel: 4 });
    for (let i = 0; i < 30; i++) {
      now += 1000;
      append(i === 3 ? "wire" : "send");
      const facts = store.sessionLoad({ key, maxEntries: i % 2 ? 8 : 3 });
      expect(windowOf(facts.events)).toBeDefined();
      expect(Object.isFrozen(facts.events)).toBe(true);
      agrees(facts.events);
    }
  });

  it("on random sequences of appends (fine, malformed, early), drops, windows old and new, copies and forks: decides as deep copies and as the interpreter", () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant("append" as const), kind: fc.constantFrom("send", "send", "wire", "bad", "early"), to: fc.constantFrom("a", "b") }),
      fc.record({ k: fc.constant("drop" as const), n: fc.nat({ max: 6 }) }),
      // Many appends, keeping the newest 20: the log compacts its storage (positions must not move).
      fc.record({ k: fc.constant("slide" as const), n: fc.integer({ min: 50, max: 150 }) }),
      fc.record({ k: fc.constant("window" as const), from: fc.nat({ max: 12 }) }),
      fc.record({ k: fc.constant("old" as const), i: fc.nat() }),
      fc.record({ k: fc.constant("fork" as const), i: fc.nat(), wire: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), fc.constantFrom("a", "b"), (ops, to) => {
        const log = new EventLog();
        const seen: (readonly unknown[])[] = [];
        let t = T - 3_000_000;
        for (const o of ops) {
          if (o.k === "append") {
            t += 1000;
            if (o.kind === "bad") log.append(t, JSON.stringify({ method: "tools/call", effect: 3 }));
            else if (o.kind === "early") log.append(t - 5000, json("send", o.to));
            else log.append(t, json(o.kind, o.to));
          } else if (o.k === "drop") log.dropOldest(o.n);
          else if (o.k === "slide") {
            for (let i = 0; i < o.n; i++) {
              t += 1000;
              log.append(t, json("send", i % 2 ? "a" : "b"));
              log.dropOldest(log.length - 20);
            }
          }
          else if (o.k === "window") {
            const w = log.window(o.from);
            seen.push(w);
            agrees(w, to);
          } else if (seen.length > 0) {
            const w = seen[o.i % seen.length]!;
            if (o.k === "old") agrees(w, to);
            else agrees([...w, Object.freeze({ at: t + 1, method: "tools/call", target: o.wire ? "wire" : "send", effect: "allow", outcome: "ok", args: { to } })], to);
          }
        }
        agrees(log.window(0), to);
      }),
      { numRuns: 300 },
    );
  });
});

describe("sealed events (one JSON pass for a recorded event)", () => {
  const reqOf = (args: unknown): PolicyRequest => ({ principal: { roles: ["dev"] }, tool: "send", arguments: args, server: { name: "up" } }) as unknown as PolicyRequest;

  it("eventOf answers a deep-frozen event whose sealed JSON is its own JSON, and a log keeps its fields without parsing again", () => {
    const args = { to: "x", n: [1, { y: "z" }] };
    const ev = eventOf(reqOf(args), "allow", "ok", ["untrusted"]);
    expect(Object.isFrozen(ev) && Object.isFrozen(ev.args) && Object.isFrozen((ev.args as { n: object }).n)).toBe(true);
    expect(sealedJson(ev)).toBe(JSON.stringify(ev));
    expect(ev.args).not.toBe(args); // a copy: the host's later changes do not reach the history
    args.to = "changed";
    expect(ev.args).toEqual({ to: "x", n: [1, { y: "z" }] });
    const log = new EventLog();
    const stored = log.append(5, sealedJson(ev)!, ev);
    expect(stored).toEqual({ at: 5, ...ev });
    expect(Object.keys(stored)[0]).toBe("at");
    expect(stored.args).toBe(ev.args); // taken as it is (deep-frozen), not parsed again
    expect(Object.isFrozen(stored)).toBe(true);
  });

  it("JSON.parse of a sealed event's JSON deep-equals it, for any arguments, strings and labels (a `__proto__` key included)", () => {
    const str = fc.string({ unit: "binary", maxLength: 12 });
    const args = fc.oneof(fc.dictionary(str, fc.jsonValue({ maxDepth: 3 })), fc.constant(JSON.parse('{"__proto__":{"x":1},"a":[1,-0,1e21]}') as unknown));
    fc.assert(
      fc.property(args, str, fc.option(str, { nil: undefined }), fc.option(fc.constantFrom("ok", "error"), { nil: undefined }), fc.array(str, { maxLength: 3 }), (a, tool, server, outcome, labels) => {
        const req = { method: "tools/call", tool, arguments: a, ...(server === undefined ? {} : { server: { name: server } }) } as unknown as PolicyRequest;
        const ev = eventOf(req, "deny", outcome as "ok" | "error" | undefined, labels);
        const text = sealedJson(ev)!;
        expect(JSON.parse(text)).toStrictEqual(JSON.parse(JSON.stringify(ev)));
        expect(JSON.stringify(ev)).toBe(text);
        const stored = new EventLog().append(7, text, ev);
        const parsed = new EventLog().append(7, text);
        expect(stored).toStrictEqual(parsed);
        expect(Object.keys(stored)).toEqual(Object.keys(parsed)); // the same key order as `{ at, ...JSON.parse(text) }`
        expect(Object.isFrozen(stored) && (stored.args === undefined || Object.isFrozen(stored.args)) && (stored.labels === undefined || Object.isFrozen(stored.labels))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("events recording the same arguments text share one deep-frozen value; other texts, and long ones, get their own", () => {
    const a = eventOf(reqOf({ to: "x", n: [1] }), "allow", "ok", []);
    const b = eventOf(reqOf({ to: "x", n: [1] }), "deny", undefined, []);
    expect(b.args).toBe(a.args);
    expect(Object.isFrozen(a.args) && Object.isFrozen((a.args as { n: object }).n)).toBe(true);
    expect(() => {
      "use strict";
      (a.args as { to: string }).to = "y";
    }).toThrow(TypeError);
    expect(eventOf(reqOf({ to: "y", n: [1] }), "allow", "ok", []).args).not.toBe(a.args);
    const long = { text: "z".repeat(2000) };
    const l1 = eventOf(reqOf(long), "allow", "ok", []);
    const l2 = eventOf(reqOf(long), "allow", "ok", []);
    expect(l1.args).toEqual(l2.args);
    expect(l1.args).not.toBe(l2.args);
    expect(Object.isFrozen(l1.args)).toBe(true);
  });

  it("a polluted Object.prototype adds nothing to a recorded event, its stored copy or the provenance a store takes", () => {
    const proto = Object.prototype as Record<string, unknown>;
    const ev = eventOf(reqOf({ to: "x" }), "deny", undefined, []);
    try {
      for (const k of ["outcome", "labels", "argsDropped", "polluted"]) proto[k] = k === "labels" ? ["evil"] : "evil";
      const stored = new EventLog().append(3, sealedJson(ev)!, ev);
      expect(Object.keys(stored)).toEqual(["at", "method", "effect", "target", "server", "args"]);
    } finally {
      for (const k of ["outcome", "labels", "argsDropped", "polluted"]) delete proto[k];
    }
    // The store's check reads the event's fields as they read (an inherited outcome fails it: closed);
    // the provenance it takes is the request's own keys only.
    try {
      proto.polluted = ["fp"];
      const checked = checkSessionAppend({ key: "k", event: ev, labels: [], provenance: { own: ["a"] }, ttlMs: 1000, maxEntries: 10, maxFingerprintsPerLabel: 4 });
      expect(checked.provenance).toEqual([["own", ["a"]]]);
    } finally {
      delete proto.polluted;
    }
  });

  it("a store parses JSON it was not sealed with: an equal object posing as sealed, or a sealed event with other JSON", () => {
    const ev = eventOf(reqOf({ to: "x" }), "allow", "ok", []);
    const posing = { ...ev };
    expect(sealedJson(posing)).toBeUndefined();
    expect(sealedJson(new Proxy(ev, {}))).toBeUndefined();
    expect(sealedJson(Object.create(ev) as object)).toBeUndefined();
    // Each brand is its own: a window is not a sealed event, nor a sealed event a window.
    const w = new EventLog().window(0);
    expect(sealedJson(w)).toBeUndefined();
    expect(windowOf(ev as unknown as unknown[])).toBeUndefined();
    const log = new EventLog();
    const a = log.append(1, JSON.stringify(posing), posing);
    expect(a.args).not.toBe(ev.args);
    const b = log.append(2, JSON.stringify({ ...ev, target: "other" }), ev);
    expect(b.target).toBe("other");
    expect(b.args).not.toBe(ev.args);
    // checkSessionAppend takes a sealed event's JSON; an unsealed one's is stringified (same text here).
    const base = { key: "k", labels: [], provenance: {}, ttlMs: 1000, maxEntries: 10, maxFingerprintsPerLabel: 4 };
    expect(checkSessionAppend({ ...base, event: ev }).sealed).toBe(ev);
    const plain = checkSessionAppend({ ...base, event: posing });
    expect(plain.sealed).toBeUndefined();
    expect(plain.eventJson).toBe(sealedJson(ev));
  });

  it("the engine's MemoryStore history holds what eventOf sealed, and a host cannot change it afterwards", () => {
    const store = new MemoryStore();
    const ev = eventOf(reqOf({ to: "x" }), "allow", "ok", []);
    const base = { key: "k", labels: [], provenance: {}, ttlMs: 60_000, maxEntries: 10, maxFingerprintsPerLabel: 4 };
    store.sessionAppend({ ...base, event: ev });
    expect(() => {
      (ev.args as Record<string, unknown>).to = "y";
    }).toThrow(TypeError);
    const loaded = store.sessionLoad({ key: "k", maxEntries: 10 }) as { events: readonly { args?: unknown }[] };
    expect(loaded.events[0]!.args).toEqual({ to: "x" });
  });
});
