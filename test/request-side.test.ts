/**
 * The request side (issue 9, points 3 and 7), on both evaluators: names that could collide or look like
 * other names are invalid requests, and the role-set cache cannot be confused by them; `time` has two
 * accepted forms; decide is safe to re-enter from a getter; redaction copies `__proto__` keys as data;
 * parseRequestJson refuses duplicate keys at any depth and otherwise equals JSON.parse.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, parseRequestJson, RequestJsonError, type Decision, type Policy, type PolicyRequest } from "mcppolicy";

const both = (p: Policy, r: unknown): Decision[] => [p.decide(r as PolicyRequest), p.interpret(r as PolicyRequest)];

/**
 * Deep equality of JSON values, strict where toStrictEqual cannot be (it reads `.constructor`, which an
 * own "constructor" key shadows): same prototype, same own keys in order, own data properties, -0 vs 0.
 */
function expectSameJson(a: unknown, b: unknown, path = "$"): void {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    expect(Object.is(a, b), `${path}: ${String(a)} vs ${String(b)}`).toBe(true);
    return;
  }
  expect(Object.getPrototypeOf(a) === Object.getPrototypeOf(b), `${path}: prototype`).toBe(true);
  expect(Object.keys(a), `${path}: keys`).toEqual(Object.keys(b));
  for (const k of Object.keys(a)) {
    const da = Object.getOwnPropertyDescriptor(a, k)!;
    const db = Object.getOwnPropertyDescriptor(b, k)!;
    expect("value" in da && "value" in db, `${path}.${k}: data property`).toBe(true);
    expectSameJson(da.value, db.value, `${path}.${k}`);
  }
}

describe("names in requests (point 3)", () => {
  const p = compilePolicy('policy "t"\nrole reader { allow tool read_file }\nrole admin { allow tool "*" }\nrole x { allow tool x_tool }', { readFile: null });

  it("the role-set cache does not collide: roles joined by NUL never reach another role set", () => {
    // Warm the cache with ["admin", "x"] (two roles), then ask with one role whose name holds NUL, and
    // with two roles whose names join to the same text.
    expect(p.decide({ principal: { roles: ["admin", "x"] }, tool: "delete_all" }).effect).toBe("allow");
    for (const roles of [["admin\u0000x"], ["reader", "admin\u0000x"], ["admin\u0000", "x"], ["reader\u0000admin", "x"]]) {
      for (const d of both(p, { principal: { roles }, tool: "delete_all" })) {
        expect(d.effect).toBe("deny");
        expect(d.reasons[0]?.code).toBe("invalid_request");
      }
    }
    // And the other way round: the NUL name first, then the two roles.
    const q = compilePolicy('policy "t"\nrole admin { allow tool "*" }\nrole x { allow tool x_tool }', { readFile: null });
    expect(q.decide({ principal: { roles: ["admin\u0000x", "ghost"] }, tool: "delete_all" }).reasons[0]?.code).toBe("invalid_request");
    expect(q.decide({ principal: { roles: ["ghost", "x"] }, tool: "delete_all" }).effect).toBe("deny");
  });

  it("unknown role names that join to a known list do not share its cache entry", () => {
    const q = compilePolicy('policy "t"\nrole a { allow tool "*" }\nrole b { allow tool b_tool }', { readFile: null });
    // ["a,b"]-style and ["a","b"] must stay apart under any separator (JSON keys).
    expect(q.decide({ principal: { roles: ["a", "b"] }, tool: "t" }).effect).toBe("allow");
    for (const roles of [['a","b'], ["a,b"], ["a|b"], ['["a"', '"b"]']]) expect(q.decide({ principal: { roles }, tool: "t" }).effect).toBe("deny");
  });

  const BAD = ["", " read_file", "read_file ", "read_file\n", "read\u0000file", "read_file\u0000", "read\u200bfile", "read_file\u202e", "\ufeffread_file", "read_file\u00a0", "read\u0085file", "read_file\u2028", "\ud800read"];

  it("tool, prompt, resource and role names with controls, NUL, invisible characters or edge spaces are invalid_request", () => {
    for (const name of BAD) {
      for (const r of [
        { principal: { roles: ["admin"] }, tool: name },
        { principal: { roles: ["admin"] }, method: "tools/list", tool: name },
        { principal: { roles: ["admin"] }, method: "prompts/get", prompt: name },
        { principal: { roles: ["admin"] }, method: "resources/read", resource: name },
        { principal: { roles: ["admin", name] }, tool: "read_file" },
      ]) {
        for (const d of both(p, r)) expect({ name, r: JSON.stringify(r), code: d.reasons[0]?.code }).toMatchObject({ code: "invalid_request" });
      }
    }
  });

  it("ordinary names are fine: inner spaces, non-ASCII letters, dots, slashes", () => {
    for (const name of ["read_file", "read file", "lire_fichier_é", "ns.tool", "a/b", "日本"]) {
      for (const d of both(p, { principal: { roles: ["admin"] }, tool: name })) expect(d.effect).toBe("allow");
    }
  });
});

describe("time (point 7)", () => {
  const p = compilePolicy('policy "t"\nrole r { allow tool "*" }\nrole s { allow tool morning when time.hour < 12 }', { readFile: null });
  const at = (time: unknown, roles = ["r"], tool = "t") => both(p, { principal: { roles }, tool, time });

  it("accepts whole epoch milliseconds and RFC 3339 date-times with Z or an offset", () => {
    for (const t of [0, Date.UTC(2026, 0, 5, 10), 8.64e15, "2026-01-05T10:00:00Z", "2026-01-05T10:00:00.5Z", "2026-01-05T10:00:00.123456789+02:00", "2024-02-29T23:59:59-00:30"]) {
      for (const d of at(t)) expect({ t, effect: d.effect }).toEqual({ t, effect: "allow" });
    }
    // The offset counts: 11:00+02:00 is 09:00 UTC.
    for (const d of at("2026-01-05T11:00:00+02:00", ["s"], "morning")) expect(d.effect).toBe("allow");
    for (const d of at("2026-01-05T11:00:00-02:00", ["s"], "morning")) expect(d.effect).toBe("deny");
  });

  it("anything else is invalid_request, even when no condition reads the time", () => {
    const bad: unknown[] = [
      -1, 1.5, NaN, Infinity, -Infinity, 8.64e15 + 1, 1e300, "", "now", "1736935200000", "2026-01-05", "2026-01-05T10:00:00", "2026-01-05 10:00:00Z", "2026-01-05t10:00:00z",
      "2026-02-30T10:00:00Z", "2025-02-29T10:00:00Z", "2026-13-01T00:00:00Z", "2026-01-05T24:00:00Z", "2026-01-05T10:60:00Z", "2026-01-05T10:00:60Z", "2026-01-05T10:00:00+24:00",
      "2026-01-05T10:00:00+0200", "2026-01-05T10:00:00.Z", "2026-01-05T10:00:00.1234567890Z", "Mon, 05 Jan 2026 10:00:00 GMT", "+002026-01-05T10:00:00Z", "1969-12-31T23:59:59Z",
      " 2026-01-05T10:00:00Z", "2026-01-05T10:00:00Z\n", null, true, {}, [], new Date(0), { valueOf: () => 0 }, { toString: () => "2026-01-05T10:00:00Z" }, 10n,
    ];
    for (const t of bad) {
      for (const d of at(t)) expect({ t: String(t), code: d.reasons[0]?.code }).toEqual({ t: String(t), code: "invalid_request" });
    }
  });

  it("no time means now", () => {
    for (const d of both(p, { principal: { roles: ["r"] }, tool: "t" })) expect(d.effect).toBe("allow");
  });
});

describe("decide is safe to re-enter (point 7)", () => {
  const p = compilePolicy(
    `policy "t"
role user {
  allow tool deploy when principal.claims.level > 5
  allow tool read_file
}
role admin { allow tool "*" }
role banned {
  member when principal.claims.banned == true
  deny tool "*"
}`,
    { readFile: null },
  );

  /** A principal whose claims getter decides another request (allowed, denied, erring) each time it is read. */
  function reentrant(claims: Record<string, unknown>, inner: PolicyRequest, decideInner: (r: PolicyRequest) => Decision) {
    return {
      id: "agent",
      roles: ["user"],
      get claims() {
        decideInner(inner);
        return claims;
      },
    };
  }

  const INNER: PolicyRequest[] = [
    { principal: { roles: ["admin"] }, tool: "deploy" }, // allowed
    { principal: { roles: ["user"] }, tool: "deploy" }, // erring
    { principal: { roles: ["user"], claims: { banned: "yes" } }, tool: "read_file" }, // erring membership
    { principal: { roles: ["ghost"] }, tool: "x" }, // no role, ignored role
  ];

  it("a claims getter that calls decide does not change the outer decision (compiled and interpreter)", () => {
    const claimsSets = [{ level: 1, banned: false }, { level: 9, banned: false }, { level: 9, banned: true }, { level: "9", banned: false }, { level: 1, banned: "true" }];
    for (const claims of claimsSets) {
      for (const tool of ["deploy", "read_file"]) {
        const plain: PolicyRequest = { principal: { id: "agent", roles: ["user"], claims }, tool };
        const expected = p.decide(plain);
        expect(p.interpret(plain)).toEqual(expected);
        for (const inner of INNER) {
          for (const [name, run] of [["decide", (r: PolicyRequest) => p.decide(r)], ["interpret", (r: PolicyRequest) => p.interpret(r)]] as const) {
            const req = { principal: reentrant(claims, inner, run), tool } as PolicyRequest;
            expect(p.decide(req), `${name} inside decide: ${JSON.stringify({ claims, tool, inner })}`).toEqual(expected);
            expect(p.interpret(req), `${name} inside interpret`).toEqual(expected);
          }
        }
      }
    }
  });

  it("a denied call stays denied when the nested call is allowed (the former per-call scratch)", () => {
    const req = { principal: reentrant({ level: 1, banned: false }, INNER[0]!, (r) => p.decide(r)), tool: "deploy" } as PolicyRequest;
    const d = p.decide(req);
    expect(d.effect).toBe("deny");
    expect(d.reasons).toEqual([expect.objectContaining({ code: "no_rule" })]);
  });

  it("membership errors of the outer call are kept when the nested call has none", () => {
    const req = { principal: reentrant({ level: 9, banned: "yes" }, INNER[0]!, (r) => p.decide(r)), tool: "deploy" } as PolicyRequest;
    const d = p.decide(req);
    expect(d.effect).toBe("deny");
    expect(d.errors.join("\n")).toContain("membership of role `banned`");
    expect(d.reasons[0]).toMatchObject({ code: "evaluation_error", rule: "banned/1" });
  });
});

describe("explain shows a deny in doubt (point 2)", () => {
  it("the erring membership's deny is not held, with a detail naming the erring role; the decision is evaluation_error", () => {
    const p = compilePolicy('policy "t"\nrole user { allow tool read_file }\nrole suspended {\n  member when principal.claims.suspended == true\n  deny tool "*"\n}', { readFile: null });
    const { decision, rules } = p.explain({ principal: { roles: ["user"], claims: { suspended: "true" } }, tool: "read_file" });
    expect(decision.reasons).toEqual([expect.objectContaining({ code: "evaluation_error", rule: "suspended/1" })]);
    expect(rules.find((r) => r.rule === "suspended/1")).toMatchObject({ outcome: "not-held", detail: expect.stringContaining("membership condition of role `suspended`") });
  });
});

describe("redact copies __proto__ keys as data (point 7)", () => {
  const p = compilePolicy('policy "t"\naudit { redact token, password }\nrole r { allow tool "*" }', { readFile: null });

  it("own __proto__, constructor and prototype keys are kept as own data, redacted when their name says so", () => {
    const args = JSON.parse('{"__proto__": {"path": "/etc/shadow", "token": "t1"}, "constructor": {"prototype": 1}, "a": [{"__proto__": 2}], "password": "p"}');
    const out = p.redact(args) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__", "constructor", "a", "password"]);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toEqual({ path: "/etc/shadow", token: "[REDACTED]" });
    expect((out as { path?: unknown }).path).toBeUndefined(); // not inherited through a prototype
    expect(JSON.stringify(out)).toBe('{"__proto__":{"path":"/etc/shadow","token":"[REDACTED]"},"constructor":{"prototype":1},"a":[{"__proto__":2}],"password":"[REDACTED]"}');
  });

  const KEYS = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "a", "b", "valueOf", "__defineGetter__");
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(KEYS, tie("v"), { maxKeys: 4 })),
  })).v;

  it("property: without redaction keys, the copy has the same JSON as the input, parsed from text with __proto__ keys", () => {
    const none = compilePolicy('policy "t"\nrole r { allow tool "*" }', { readFile: null });
    fc.assert(
      fc.property(value, (v) => {
        const text = JSON.stringify(v);
        const input = JSON.parse(text);
        const out = none.redact(input);
        expect(JSON.stringify(out)).toBe(text);
        expectSameJson(out, input);
      }),
      { numRuns: 300 },
    );
  });
});

describe("redact is bounded on host-built objects (point 7)", () => {
  const p = compilePolicy('policy "t"\naudit { redact token }\nrole r { allow tool "*" }', { readFile: null });

  it("a DAG of shared objects 60 levels deep is copied once per object, not once per path (no exponential walk)", () => {
    let o: Record<string, unknown> = { token: "t", leaf: 1 };
    for (let i = 0; i < 60; i++) o = { a: o, b: o };
    const out = p.redact(o) as Record<string, Record<string, unknown>>;
    // 2^60 paths: without sharing the copy this would not return. The copy keeps the sharing.
    expect(out.a).toBe(out.b);
    let x: Record<string, unknown> = out;
    for (let i = 0; i < 60; i++) x = x.a as Record<string, unknown>;
    expect(x).toEqual({ token: "[REDACTED]", leaf: 1 });
  });

  it("keys are compared after NFKC and without invisible characters: fullwidth or zero-width spellings are redacted too", () => {
    const out = p.redact({ "ＴＯＫＥＮ": 1, "to\u200bken": 2, "TO\ufe0fKEN_x": 3, "Token": 4, tokn: 5, "__proto__x": 6 }) as Record<string, unknown>;
    expect(out).toEqual({ "ＴＯＫＥＮ": "[REDACTED]", "to\u200bken": "[REDACTED]", "TO\ufe0fKEN_x": "[REDACTED]", Token: "[REDACTED]", tokn: 5, "__proto__x": 6 });
  });

  it("a cycle becomes [CIRCULAR] at the back edge, and the copy is plain JSON", () => {
    const c: Record<string, unknown> = { token: "t", n: 1 };
    c.self = c;
    c.list = [c, { c }];
    const out = p.redact(c);
    expect(JSON.stringify(out)).toBe('{"token":"[REDACTED]","n":1,"self":"[CIRCULAR]","list":["[CIRCULAR]",{"c":"[CIRCULAR]"}]}');
  });
});

describe("parseRequestJson (point 7)", () => {
  it("refuses duplicate keys at any depth, after unescaping, __proto__ included", () => {
    for (const [text, key] of [
      ['{"a":1,"a":2}', "a"],
      ['{"a":1,"\\u0061":2}', "a"],
      ['{"x":{"y":[{"p":1,"q":{"p":0,"p":1}}]}}', "p"],
      ['{"__proto__":1,"__proto__":2}', "__proto__"],
      ['{"__proto__":{},"\\u005f_proto__":[]}', "__proto__"],
      ['{"path":"/ok","path":"/etc/shadow"}', "path"],
      ['{"\\ud800":1,"\\uD800":2}', "\ud800"],
      ['{"a\\/b":1,"a/b":2}', "a/b"],
    ] as const) {
      expect(() => parseRequestJson(text), text).toThrow(RequestJsonError);
      expect(() => parseRequestJson(text)).toThrow(`duplicate key ${JSON.stringify(key)}`);
    }
  });

  it("options that are not whole numbers in range are refused, never read as no bound (NaN, huge, negative)", () => {
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    for (const o of [{ maxDepth: NaN }, { maxDepth: 1e9 }, { maxDepth: -1 }, { maxDepth: 2.5 }, { maxLength: NaN }, { maxLength: -1 }]) {
      expect(() => parseRequestJson(deep, o), JSON.stringify(o)).toThrow(RangeError);
    }
    expect(() => parseRequestJson(deep, { maxDepth: 1024 })).toThrow("nesting deeper than 1024 levels");
  });

  it("the deepest allowed nesting parses, and a stack overflow under a deep caller is a RequestJsonError", () => {
    const text = '{"a":'.repeat(1024) + "1" + "}".repeat(1024);
    expect(() => parseRequestJson(text, { maxDepth: 1024 })).not.toThrow();
    const parseAt = (n: number): unknown => {
      if (n > 0) return parseAt(n - 1);
      try {
        parseRequestJson(text, { maxDepth: 1024 });
        return undefined;
      } catch (e) {
        return e;
      }
    };
    // Whichever caller depth leaves too little stack, it is refused as input: never a bare RangeError.
    for (const depth of [2000, 4000, 6000]) {
      const err = parseAt(depth);
      if (err !== undefined) expect(err).toBeInstanceOf(RequestJsonError);
    }
  });

  it("gives the position, line and column of the fault", () => {
    let err: RequestJsonError | undefined;
    try {
      parseRequestJson('{\n  "a": 1,\n  "a": 2\n}');
    } catch (e) {
      err = e as RequestJsonError;
    }
    expect(err).toBeInstanceOf(SyntaxError);
    expect([err?.position, err?.line, err?.column]).toEqual([14, 3, 3]);
    expect(err?.message).toBe('duplicate key "a" at position 14 (line 3, column 3)');
  });

  it("refuses what JSON.parse refuses", () => {
    for (const text of ["", " ", "{", "[1,]", '{"a":1,}', "01", "1.", ".5", "+1", "NaN", "'a'", '"\t"', '"\\x41"', '"\\u12"', "[1] [2]", "\ufeff{}", "{a:1}", "tru", "nul", '"abc', "[", "1e", "-"]) {
      expect(() => JSON.parse(text), text).toThrow(SyntaxError);
      expect(() => parseRequestJson(text), text).toThrow(RequestJsonError);
    }
  });

  it("is bounded in depth and size, without exhausting the stack", () => {
    expect(() => parseRequestJson("[".repeat(100_000))).toThrow(/nesting deeper than 128 levels/);
    expect(() => parseRequestJson('{"a":'.repeat(200) + "1" + "}".repeat(200))).toThrow(/nesting deeper/);
    expect(parseRequestJson("[".repeat(128) + "]".repeat(128))).toBeDefined();
    expect(() => parseRequestJson("[".repeat(5) + "]".repeat(5), { maxDepth: 4 })).toThrow(/nesting deeper than 4 levels/);
    expect(() => parseRequestJson(`"${"x".repeat(100)}"`, { maxLength: 50 })).toThrow(/longer than 50 characters/);
    expect(() => parseRequestJson(42 as unknown as string)).toThrow(TypeError);
  });

  it("makes __proto__ an own data property, as JSON.parse does", () => {
    const v = parseRequestJson('{"__proto__":{"admin":true},"b":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect((v as { admin?: unknown }).admin).toBeUndefined();
    expect(Object.keys(v)).toEqual(["__proto__", "b"]);
    expectSameJson(v, JSON.parse('{"__proto__":{"admin":true},"b":1}'));
  });

  /** JSON text of a value, with random whitespace and random \u escapes in strings. */
  const KEYS = fc.oneof(fc.constantFrom("__proto__", "constructor", "a", "b", "\u0000", "é", "\ud83d\ude00"), fc.string({ maxLength: 4 }), fc.string({ unit: "binary", maxLength: 3 }));
  const jsonish = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.oneof(fc.string({ unit: "binary", maxLength: 6 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(-0)),
      fc.array(tie("v"), { maxLength: 4 }),
      fc.dictionary(KEYS, tie("v"), { maxKeys: 5 }),
    ),
  })).v;
  /** A JSON string literal of `s`, each UTF-16 unit whose bit in `mask` is set written as a `\u` escape. */
  const escapeSome = (s: string, mask: number) => {
    let out = "";
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      out += (mask >> i % 31) & 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : JSON.stringify(c).slice(1, -1);
    }
    return `"${out}"`;
  };

  function render(v: unknown, ws: string, mask: number): string {
    if (Array.isArray(v)) return `[${ws}${v.map((x) => render(x, ws, mask)).join(`${ws},${ws}`)}${ws}]`;
    if (typeof v === "string") return escapeSome(v, mask);
    if (v !== null && typeof v === "object") return `{${ws}${Object.keys(v).map((k) => `${escapeSome(k, mask >> 3)}${ws}:${ws}${render((v as Record<string, unknown>)[k], ws, mask)}`).join(`${ws},${ws}`)}${ws}}`;
    return JSON.stringify(v);
  }

  it("property: on duplicate-free JSON, the same value as JSON.parse (own __proto__ keys, escapes, whitespace, -0)", () => {
    fc.assert(
      fc.property(jsonish, fc.constantFrom("", " ", "\n\t", "\r\n  "), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (v, ws, mask) => {
        const obj = JSON.parse(JSON.stringify(v)); // own __proto__ keys, as a host would have them
        const text = render(obj, ws, mask);
        const expected = JSON.parse(text);
        const got = parseRequestJson(text);
        expectSameJson(got, expected);
      }),
      { numRuns: 600 },
    );
  });

  it("property: a duplicated key anywhere (as written or escaped) is refused", () => {
    fc.assert(
      fc.property(jsonish, KEYS, fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(), fc.nat({ max: 2 }), (v, key, mask, pick, wrap) => {
        // An object with a duplicated key (the second spelled with random escapes), wrapped in an object
        // or not, put inside some array of the value.
        const dup = `{${JSON.stringify(key)}:1,${escapeSome(key, mask)}:2}`;
        const inner = [dup, `{"k":${dup}}`, `{"k":[0,${dup}]}`][wrap]!;
        const text = JSON.stringify([JSON.parse(JSON.stringify(v))]);
        const slots = [...text.matchAll(/\[/g)].map((m) => (m.index ?? 0) + 1);
        const at = slots[pick % slots.length]!;
        const withDup = `${text.slice(0, at)}${inner}${text[at] === "]" ? "" : ","}${text.slice(at)}`;
        // A `[` inside a string is no slot: skip the (rare) texts the insertion broke.
        let valid = true;
        try {
          JSON.parse(withDup);
        } catch {
          valid = false;
        }
        fc.pre(valid);
        expect(() => parseRequestJson(withDup)).toThrow(/duplicate key/);
      }),
      { numRuns: 400 },
    );
  });
});
