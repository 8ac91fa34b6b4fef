// Issue 16: the deny paths' prebuilt and cached reasons (no_rule per role set and target, no_role per
// undeclared role list, argument faults, invalid requests) and the reused per-call state give exactly the
// decisions the reference interpreter builds from scratch: for attacker-chosen names far beyond every
// cache's bound (so caches fill, clear and refill), for a decide() nested in a getter of the request, and
// after a caller tries to change a shared reason.
import fs from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "mcppolicy";

const seed = compilePolicy(fs.readFileSync(new URL("../policies/seed.mcppolicy", import.meta.url), "utf8"));
const same = (req: PolicyRequest) => expect(seed.decide(req), JSON.stringify(req)).toEqual(seed.interpret(req));

describe("deny paths with cached reasons", () => {
  it("decide equals interpret for thousands of distinct unknown tools, roles and role lists (caches overflow)", () => {
    for (let i = 0; i < 6000; i++) {
      same({ method: "tools/call", tool: `tool_${i}`, principal: { roles: ["developer"] }, arguments: {} });
      same({ method: "tools/call", tool: "read_file", principal: { roles: [`ghost_${i}`] }, arguments: { path: "a.txt" } });
      if (i % 3 === 0) same({ method: "tools/call", tool: "read_file", principal: { roles: [`ghost_${i}`, `ghost_${i + 1}`] }, arguments: { path: "a.txt" } });
      if (i % 5 === 0) same({ method: "tools/call", tool: "read_file", principal: { roles: ["developer"] }, arguments: { path: `../${i}` } });
      if (i % 7 === 0) same({ method: "tools/call", tool: "read_file", principal: { roles: ["developer"] }, arguments: { path: "a.txt", [`extra_${i}`]: 1 } });
    }
    // Long names are never kept, but are still decided right.
    same({ method: "tools/call", tool: "t".repeat(5000), principal: { roles: ["developer"] }, arguments: {} });
    same({ method: "tools/call", tool: "read_file", principal: { roles: ["r".repeat(5000)] }, arguments: {} });
  });

  it("decide equals interpret on random sequences of deny-path requests, each decided twice", () => {
    const roles = fc.constantFrom<string[] | undefined>(undefined, [], ["developer"], ["admin"], ["readonly-agent"], ["guest"], ["guest", "intern"], ["developer", "guest"], ["guest", "guest"]);
    const tool = fc.oneof(fc.constantFrom("read_file", "write_file", "query_database", "fetch_url", "nope"), fc.string({ maxLength: 6 }));
    const req = fc.record({ tool, roles, path: fc.constantFrom("a.txt", "../x", "/etc/passwd", 7) }).map(
      ({ tool, roles, path }): PolicyRequest => ({ method: "tools/call", tool, ...(roles !== undefined && { principal: { roles } }), arguments: { path } }),
    );
    fc.assert(
      fc.property(fc.array(req, { minLength: 1, maxLength: 20 }), (reqs) => {
        for (const r of [...reqs, ...reqs]) same(r);
      }),
      { numRuns: 150 },
    );
  });

  it("shared reasons are frozen: a caller cannot change the next decision's text", () => {
    const req: PolicyRequest = { method: "tools/call", tool: "nope", principal: { roles: ["developer"] }, arguments: {} };
    const first = seed.decide(req);
    expect(first.reasons[0]!.code).toBe("no_rule");
    expect(() => {
      (first.reasons as unknown as { message: string }[])[0]!.message = "changed";
    }).toThrow(TypeError);
    expect(() => (first.reasons as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(seed.decide(req)).toEqual(seed.interpret(req));
    // The decision object itself is the caller's own: changing it touches no other decision.
    (first as { effect: string }).effect = "allow";
    expect(seed.decide(req).effect).toBe("deny");
  });

  it("a decide() nested in a getter of the request does not disturb the outer decision's state", () => {
    let inner: unknown;
    const req = {
      method: "tools/call",
      tool: "read_file",
      arguments: { path: "a.txt" },
      get principal() {
        inner = seed.decide({ method: "tools/call", tool: "nope", principal: { roles: ["guest"] }, arguments: {} });
        return { roles: ["developer", "guest"] };
      },
    } as unknown as PolicyRequest;
    const outer = seed.decide(req);
    expect((inner as { reasons: { code: string }[] }).reasons[0]!.code).toBe("no_role");
    expect(outer).toEqual(seed.interpret({ method: "tools/call", tool: "read_file", arguments: { path: "a.txt" }, principal: { roles: ["developer", "guest"] } }));
  });
});

// The request check reads each field once, into a local (issue 16, round 2): a getter runs once per check,
// and a request whose fields are getters is decided exactly as the same request made of plain fields.
describe("request check reads each field once", () => {
  /** `obj` with every own field turned into a getter that counts its reads under `prefix`. */
  function counted(obj: Record<string, unknown>, reads: Map<string, number>, prefix = ""): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const inner = v !== null && typeof v === "object" && !Array.isArray(v) && (k === "principal" || k === "session" || k === "server") ? counted(v as Record<string, unknown>, reads, `${k}.`) : v;
      Object.defineProperty(out, k, {
        enumerable: true,
        get: () => {
          reads.set(prefix + k, (reads.get(prefix + k) ?? 0) + 1);
          return inner;
        },
      });
    }
    return out;
  }

  it("a request refused at its last check (time) has run every field's getter exactly once", () => {
    const reads = new Map<string, number>();
    const plain = {
      method: "tools/call",
      tool: "read_file",
      arguments: { path: "a.txt" },
      principal: { id: "u", roles: ["developer"], scopes: ["read"], claims: {} },
      client: { ip: "10.0.0.1" },
      session: { id: "s", labels: ["x"], history: [], historyDroppedUntil: 0, provenance: { x: ["y"] } },
      result: { content: [] },
      server: { name: "files" },
      annotations: {},
      time: "not a time",
    };
    const d = seed.decide(counted(plain, reads) as PolicyRequest);
    expect(d.effect).toBe("deny");
    expect(d.reasons[0]!.code).toBe("invalid_request");
    expect(d.reasons[0]!.message).toMatch(/`time` must be epoch milliseconds/);
    const expected = ["method", "tool", "arguments", "principal", "principal.roles", "principal.scopes", "principal.claims", "client", "session", "session.labels", "session.history", "session.historyDroppedUntil", "session.provenance", "result", "server", "server.name", "annotations", "time"];
    expect(Object.fromEntries([...reads].sort())).toEqual(Object.fromEntries(expected.map((k) => [k, 1] as const).sort()));
  });

  it("getters decide as plain fields do, on generated valid and malformed requests", () => {
    const field = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const request = fc.record(
      {
        method: fc.constantFrom("tools/call", "resources/read", "tools/list", "nope", undefined),
        tool: field(fc.constantFrom("read_file", "write_file", "nope", "bad\u0000", 5)),
        uri: field(fc.constantFrom("file:///a.txt", "file:///../x")),
        arguments: field(fc.constantFrom<unknown>({ path: "a.txt" }, { path: "../x" }, [], "x")),
        principal: field(fc.record({ roles: field(fc.constantFrom<unknown>(["developer"], ["admin", "guest"], [" x"], [1], "r")), scopes: field(fc.constantFrom<unknown>(["read"], [2])), claims: field(fc.constantFrom<unknown>({}, [])) }, { requiredKeys: [] })),
        session: field(fc.record({ labels: field(fc.constantFrom<unknown>(["a"], [1])), history: field(fc.constantFrom<unknown>([], "h", [{ at: 1, method: "tools/call", effect: "allow" }], [{ at: "x" }])), historyDroppedUntil: field(fc.constantFrom<unknown>(0, "0", Infinity)), provenance: field(fc.constantFrom<unknown>({ a: ["b"] }, { a: "b" }, [])) }, { requiredKeys: [] })),
        server: field(fc.constantFrom<unknown>({ name: "files" }, { name: 3 }, { name: "" }, "s", {})),
        result: field(fc.constantFrom<unknown>({ content: [] }, "r")),
        annotations: field(fc.constantFrom<unknown>({}, 1)),
        time: field(fc.constantFrom<unknown>("2026-01-05T10:00:00Z", 1767607200000, "bad", 1.5)),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(request, (plain) => {
        const req = plain as unknown as PolicyRequest;
        const viaGetters = counted(plain as Record<string, unknown>, new Map()) as PolicyRequest;
        expect(seed.decide(viaGetters)).toEqual(seed.decide(req));
        expect(seed.decide(req)).toEqual(seed.interpret(req));
      }),
      { numRuns: 400 },
    );
  });
});

// Names found fine are remembered in a Set and in a small table of slots picked by length, first and last
// character (contract/names.ts): a slot only ever holds a name that was found fine, and is hit only by an
// equal string. Checked here against the rule itself, on names that share slots with fine names.
describe("name checks with remembered names", () => {
  const FAULTY = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]|^\s|\s$|^$/u;
  it("a tool or role name is refused exactly when the rule refuses it, whatever was checked before", () => {
    const ch = fc.constantFrom("a", "b", "_", ".", " ", "\u0000", "\u200b", "\u00e9", "\uFE0F", "\ud800", "\u3164", "\t", "z");
    // Names of one length with the same first and last character (one slot), fine and faulty mixed.
    const name = fc.tuple(fc.constantFrom("r", "t"), fc.array(ch, { minLength: 0, maxLength: 3 }), fc.constantFrom("x", "1", " ")).map(([a, mid, z]) => a + mid.join("") + z);
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.boolean()), { minLength: 1, maxLength: 30 }), (names) => {
        for (const [n, asRole] of names) {
          const d = seed.decide(asRole ? { tool: "read_file", principal: { roles: [n] }, arguments: { path: "a.txt" } } : { tool: n, principal: { roles: ["developer"] }, arguments: {} });
          const refused = d.reasons[0]!.code === "invalid_request";
          expect(refused, JSON.stringify(n)).toBe(FAULTY.test(n));
        }
      }),
      { numRuns: 300 },
    );
  });
});
