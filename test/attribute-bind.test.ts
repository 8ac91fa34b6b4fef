/**
 * Issue 16: the compiled function reads attributes through each row's `bind(path, text)` (a reader made
 * once per condition node, straight-line for free paths of one or two keys) and compares with literals
 * inline. This holds both to the generic forms they replace:
 * - `bind(path, text)(req)` gives the same value as `read(req, path, text)`, or throws an EvalError with
 *   the same message, and touches the same properties in the same order (a logging Proxy), for every row,
 *   on generated values holding prototype keys (`__proto__`, `constructor`, ...), inherited keys, arrays,
 *   null, NaN and null-prototype objects;
 * - `has` and `bindHas(path)` (tested without throwing) are "the read gives a value", with the same property reads;
 * - prototype keys and inherited values read as missing;
 * - `decide` (the inline comparisons) equals `interpret` (the shared operators) field for field, errors
 *   included, for every comparison with a literal on values of every type.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ATTRIBUTE_ROWS, ATTRIBUTES, type AttributeRow } from "../src/contract/attributes.js";
import { EvalError } from "../src/contract/errors.js";
import type { PolicyRequest } from "../src/contract/index.js";
import { compilePolicy } from "mcppolicy";

const KEYS = ["a", "b", "x", "0", "length", "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"] as const;

/** An object whose own keys are exactly `entries` (defineProperty, so `__proto__` is an own key too). */
function own(entries: readonly (readonly [string, unknown])[], proto: object | null = Object.prototype): Record<string, unknown> {
  const o = Object.create(proto) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const leaf = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, Number.NaN, 0, -0, 1, Infinity, true, false, "", "v", [], ["v"], {}),
  fc.string({ maxLength: 3 }),
  fc.integer(),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 2 }),
    fc
      .tuple(fc.array(fc.tuple(fc.constantFrom(...KEYS), tie("value")), { maxLength: 4 }), fc.constantFrom<"plain" | "null" | "inherits">("plain", "null", "inherits"), tie("value"))
      .map(([entries, kind, inherited]) => own(entries, kind === "plain" ? Object.prototype : kind === "null" ? null : own(KEYS.map((k) => [k, inherited] as const)))),
  ),
}));

/** The request holding `raw` where the row reads it. */
function put(row: AttributeRow, raw: unknown): PolicyRequest {
  const [field, key] = row.at;
  return (key === undefined ? { [field]: raw } : { [field]: { [key]: raw } }) as PolicyRequest;
}

type Outcome = { value: unknown } | { error: string };
function outcome(f: () => unknown): Outcome {
  try {
    return { value: f() };
  } catch (err) {
    if (!(err instanceof EvalError)) throw err;
    return { error: err.message };
  }
}

/** `v` behind a Proxy that logs every trap V8 runs on it (and on the objects it returns), into `log`. */
function logged(v: unknown, log: string[], at = "$"): unknown {
  if (typeof v !== "object" || v === null) return v;
  return new Proxy(v, {
    get: (t, k, r) => (log.push(`get ${at}.${String(k)}`), logged(Reflect.get(t, k, r), log, `${at}.${String(k)}`)),
    has: (t, k) => (log.push(`has ${at}.${String(k)}`), Reflect.has(t, k)),
    getOwnPropertyDescriptor: (t, k) => (log.push(`own ${at}.${String(k)}`), Reflect.getOwnPropertyDescriptor(t, k)),
    getPrototypeOf: (t) => (log.push(`proto ${at}`), Reflect.getPrototypeOf(t)),
  });
}

describe("bound readers equal the generic reader", () => {
  it("on every row, generated values and paths (prototype keys, inherited values, arrays, NaN): same value or same EvalError", () => {
    const rows = ATTRIBUTE_ROWS.filter((r) => r.gen.kind !== "clock"); // clock rows: bindAny(read), the time is the clock's
    fc.assert(
      fc.property(fc.constantFrom(...rows), value, fc.array(fc.constantFrom(...KEYS), { maxLength: 4 }), (row, raw, keys) => {
        const path = row.open ? keys : [];
        const text = [row.path, ...path].join(".");
        const req = put(row, raw);
        const bound = row.bind(path, text);
        const read = outcome(() => row.read(req, path, text));
        expect(outcome(() => bound(req))).toEqual(read);
        if (row.default === undefined) expect(row.has(req, path)).toBe("value" in read);
        expect(row.bindHas(path)(req)).toBe(row.has(req, path));
      }),
      { numRuns: 3000 },
    );
  });

  it("read the same properties in the same order (a getter or proxy trap runs as often, in the same order)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ATTRIBUTE_ROWS.filter((r) => r.open)), value, fc.array(fc.constantFrom(...KEYS), { maxLength: 4 }), (row, raw, path) => {
        const text = [row.path, ...path].join(".");
        const a: string[] = [];
        const b: string[] = [];
        const ra = outcome(() => row.bind(path, text)(logged(put(row, raw), a) as PolicyRequest));
        const rb = outcome(() => row.read(logged(put(row, raw), b) as PolicyRequest, path, text));
        expect("error" in ra ? ra : "value").toEqual("error" in rb ? rb : "value");
        expect(a).toEqual(b);
        const c: string[] = [];
        expect(row.has(logged(put(row, raw), c) as PolicyRequest, path)).toBe(!("error" in rb));
        expect(c).toEqual(b);
        const d: string[] = [];
        expect(row.bindHas(path)(logged(put(row, raw), d) as PolicyRequest)).toBe(!("error" in rb));
        expect(d).toEqual(b);
      }),
      { numRuns: 1500 },
    );
  });

  it("prototype keys and inherited values are missing, at each path length; own ones are read", () => {
    const args = ATTRIBUTES.args;
    const read = (raw: unknown, path: string[]) => outcome(() => args.bind(path, ["args", ...path].join("."))({ arguments: raw } as PolicyRequest));
    const missing = (path: string[]) => ({ error: `\`${["args", ...path].join(".")}\` is missing` });
    for (const k of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(read({}, [k])).toEqual(missing([k]));
      expect(read({ a: {} }, ["a", k])).toEqual(missing(["a", k]));
      expect(read({ a: { b: {} } }, ["a", "b", k])).toEqual(missing(["a", "b", k]));
      expect(read(JSON.parse(`{"${k}": 7}`), [k])).toEqual({ value: 7 });
      expect(read({ a: JSON.parse(`{"${k}": 8}`) }, ["a", k])).toEqual({ value: 8 });
    }
    // A value on the prototype (a polluted one, a class instance's) is not the request's own.
    const inherits = Object.create({ x: 1, a: { b: 2 } });
    expect(read(inherits, ["x"])).toEqual(missing(["x"]));
    expect(read(inherits, ["a", "b"])).toEqual(missing(["a", "b"]));
    expect(read({ a: inherits }, ["a", "x"])).toEqual(missing(["a", "x"]));
    // Not an object at some level, or an array, or null: missing. Own null is missing too.
    expect(read({ a: [1] }, ["a", "0"])).toEqual(missing(["a", "0"]));
    expect(read({ a: "s" }, ["a", "length"])).toEqual(missing(["a", "length"]));
    expect(read({ x: null }, ["x"])).toEqual(missing(["x"]));
    expect(read(undefined, ["x"])).toEqual(missing(["x"]));
    expect(read(Object.assign(Object.create(null), { x: 3 }), ["x"])).toEqual({ value: 3 });
  });
});

describe("comparisons with a literal: decide equals interpret", () => {
  const ops = ["==", "!=", "<", "<=", ">", ">="];
  const lits = ['"v"', "3", "true", "-1.5"];
  const conds: string[] = [];
  for (const op of ops) for (const lit of lits) if (!("<<=>>=".includes(op) && (lit === '"v"' || lit === "true"))) conds.push(`args.x ${op} ${lit}`, `${lit} ${op} args.x`);
  conds.push('args.x contains "v"', 'args.x.y contains ".."', "args.x.y == 2", "args.x.y.z > 2", 'principal.claims.org == "v"', 'not (args.x == "v")', 'args.x == "v" or args.x > 2', 'args.x matches "v*"', "has args.x", "has args.x.y", "args.x ?? 3 > 2", 'args.x.y ?? "v" == "v"');
  const text = `policy "bind"\nrole agent { allow tool "*" }\n${conds.map((c, i) => `deny "r${i}" tool t${i} when ${c}`).join("\n")}\n`;
  const policy = compilePolicy(text, { readFile: null });
  const x = fc.oneof(value, fc.constantFrom<unknown>("v", "vv", "x..y", 3, 2, -1.5, 4, Number.NaN, true, false, ["v"], { y: 2 }, { y: { z: 3 } }, { y: "a..b" }));

  it("on values of every type (NaN, lists, objects, absent), errors included", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: conds.length - 1 }), x, (i, v) => {
        const req = { principal: { roles: ["agent"], claims: { org: v } }, tool: `t${i}`, arguments: { x: v } } as PolicyRequest;
        expect(policy.decide(req)).toEqual(policy.interpret(req));
      }),
      { numRuns: 3000 },
    );
  });
});
