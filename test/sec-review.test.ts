/**
 * Adversarial review of the issue-16 performance caches (a host that misuses the API): each case is a
 * bug found in review, failing before its fix. The compiled decision must equal the interpreter's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";
import { echoesOf, fingerprint } from "../src/builtins/provenance/index.js";

const POLICY = [
  `policy "ring"`,
  "default deny",
  "session retain 1000 events for 1 day",
  `deny tool send when (count attempted tool send within 1 hour) >= 2`,
  `role r {\n  allow tool send\n}`,
].join("\n");

const ev = (at: number, target: string) => Object.freeze({ at, method: "tools/call", target, effect: "allow" as const, outcome: "ok" as const });

describe("a history array the host changes in place (same length)", () => {
  it("a ring buffer (shift then push) is seen as changed: compiled == interpreter", () => {
    const policy = compilePolicy(POLICY);
    const now = 1_000_000_000;
    const h: object[] = [ev(now - 5000, "read"), ev(now - 4000, "read"), ev(now - 3000, "send")];
    const req = (): PolicyRequest => ({ tool: "send", principal: { roles: ["r"] }, time: now, session: { history: h as never } });
    expect(policy.decide(req()).effect).toBe("allow");
    h.shift();
    h.push(ev(now - 1000, "send")); // same length, new newest event: two sends in the hour
    expect(policy.interpret(req()).effect).toBe("deny");
    expect(policy.decide(req())).toEqual(policy.interpret(req()));
  });
  it("an event slid in place that breaks the order is refused, as in a fresh array", () => {
    const policy = compilePolicy(POLICY);
    const now = 1_000_000_000;
    const h: object[] = [ev(now - 5000, "read"), ev(now - 4000, "read")];
    const req = (): PolicyRequest => ({ tool: "send", principal: { roles: ["r"] }, time: now, session: { history: h as never } });
    expect(policy.decide(req()).effect).toBe("allow");
    h.shift();
    h.push(ev(now - 9000, "send")); // older than the event before it
    const d = policy.decide(req());
    expect(d.reasons[0]!.code).toBe("invalid_request");
    expect(d).toEqual(policy.decide({ ...req(), session: { history: [...h] as never } }));
  });
});

describe("provenance echoes in attacker text", () => {
  it("overlapping echoes (a run of one character) past the search budget: the piece is read whole, not cut", () => {
    // Before: every overlapping occurrence cost the echo's length (60000 x 6000 compares; a 1 MB result
    // with 64 such echoes took hours) and the whole run was cut out, leaving no fingerprint.
    const result = { content: [{ type: "text", text: "!".repeat(60_000) }] };
    const echoes = echoesOf({ q: "!".repeat(6_000) });
    expect(fingerprint(result, undefined, echoes)).toEqual(fingerprint(result));
    expect(fingerprint(result).length).toBeGreaterThan(0);
  });
  it("an ordinary echo is still cut out", () => {
    const result = { content: [{ type: "text", text: "results for weather in paris tomorrow: see weather in paris" }] };
    expect(fingerprint(result, undefined, echoesOf({ q: "weather in paris" }))).not.toEqual(fingerprint(result));
  });
});

describe("a role list that answers differently on each read (a Proxy or getter from a misusing host)", () => {
  const RBAC = `policy "rbac"\ndefault deny\nrole viewer {\n  allow tool read\n}\nrole admin {\n  allow tool wipe\n}\n`;
  it("never files one list's roles under another list's key: a later plain request decides as the interpreter", () => {
    for (let k = 1; k <= 8; k++) {
      for (const multi of [false, true]) {
        const policy = compilePolicy(RBAC);
        let reads = 0;
        const base = multi ? ["viewer", "viewer"] : ["viewer"];
        // Read k of index 0 answers `admin`; every other read `viewer`.
        const roles = new Proxy(base, { get: (t, p, r) => (p === "0" ? (++reads === k ? "admin" : "viewer") : Reflect.get(t, p, r)) });
        policy.decide({ tool: "wipe", principal: { roles } });
        const plain: PolicyRequest = { tool: "wipe", principal: { roles: [...base] } };
        expect(policy.decide(plain), `read ${k}${multi ? ", two roles" : ""}`).toEqual(policy.interpret(plain));
      }
    }
  });
  it("nor caches the no_role reasons of one list of undeclared names under another's key", () => {
    for (let k = 1; k <= 8; k++) {
      for (const multi of [false, true]) {
        const policy = compilePolicy(RBAC);
        let reads = 0;
        const base = multi ? ["ghost", "ghost"] : ["ghost"];
        const roles = new Proxy(base, { get: (t, p, r) => (p === "0" ? (++reads === k ? "phantom" : "ghost") : Reflect.get(t, p, r)) });
        policy.decide({ tool: "wipe", principal: { roles } });
        const plain: PolicyRequest = { tool: "wipe", principal: { roles: [...base] } };
        expect(policy.decide(plain), `read ${k}${multi ? ", two names" : ""}`).toEqual(policy.interpret(plain));
      }
    }
  });
  it("property: after any role lists that answer each read from a script, plain lists decide as the interpreter", () => {
    const NAMES = ["viewer", "admin", "ghost", "phantom"];
    const script = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), script), { minLength: 1, maxLength: 4 }), fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }), fc.constantFrom("read", "wipe"), (shifty, plainRoles, tool) => {
        const policy = compilePolicy(RBAC);
        for (const [n, answers] of shifty) {
          let reads = 0;
          const base = new Array<string>(n).fill(answers[0]!);
          const roles = new Proxy(base, { get: (t, p, r) => (typeof p === "string" && /^[0-9]+$/.test(p) ? answers[reads++ % answers.length] : Reflect.get(t, p, r)) });
          policy.decide({ tool, principal: { roles } });
        }
        const plain: PolicyRequest = { tool, principal: { roles: plainRoles } };
        expect(policy.decide(plain)).toEqual(policy.interpret(plain));
      }),
      { numRuns: 300 },
    );
  });
});


describe("attacker-sized target names", () => {
  it("are never kept by the compiled caches (1000 tool names of 64 KB retain under 8 MB)", async () => {
    const v8 = await import("node:v8");
    const vm = await import("node:vm");
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    // With and without tool families (the merged-tool cache of undeclared names is only used with them).
    for (const text of [`policy "m"\ndefault deny\nrole r {\n  allow tool read\n}\n`, `policy "m"\ndefault deny\ntool "fs.*" {\n  risk low\n}\nrole r {\n  allow tool read\n}\n`]) {
      const policy = compilePolicy(text);
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 1000; i++) expect(policy.decide({ tool: "x".repeat(65_536) + i, principal: { roles: ["r"] } }).effect).toBe("deny");
      gc();
      expect(process.memoryUsage().heapUsed - before).toBeLessThan(8e6);
      expect(policy.decide({ tool: "read", principal: { roles: ["r"] } }).effect).toBe("allow");
    }
  });
  it("nor are the host's role lists that name a long undeclared role (1000 lists retain under 8 MB)", async () => {
    const v8 = await import("node:v8");
    const vm = await import("node:vm");
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const policy = compilePolicy(`policy "m"\ndefault deny\nrole r {\n  allow tool read\n}\n`);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) expect(policy.decide({ tool: "read", principal: { roles: ["r", "x".repeat(65_536) + i] } }).effect).toBe("allow");
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8e6);
  });
});
