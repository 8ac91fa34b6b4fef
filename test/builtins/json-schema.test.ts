import fc from "fast-check";
import Ajv2020Module from "ajv/dist/2020.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  compileJsonSchemaCheck,
  isMcpInputSchema,
  type JsonSchemaCheck,
  MAX_SCHEMA_BYTES,
  MAX_SCHEMA_DEPTH,
} from "../../src/builtins/json-schema/json-schema.js";

function checker(schema: unknown, basePath?: string): JsonSchemaCheck {
  const r = compileJsonSchemaCheck(schema, basePath);
  if (!("check" in r)) throw new Error(r.error);
  return r.check;
}

function compileError(schema: unknown): string {
  const r = compileJsonSchemaCheck(schema);
  if ("check" in r) throw new Error("expected a compile error");
  return r.error;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const toolSchema = {
  type: "object",
  properties: {
    path: { type: "string", pattern: "^[a-z0-9_./-]+$", maxLength: 256 },
    mode: { enum: ["read", "write"] },
    options: {
      type: "object",
      properties: {
        depth: { type: "integer", minimum: 0, maximum: 10 },
        tags: { type: "array", items: { type: "string", pattern: "^[a-z]+$" }, maxItems: 5 },
      },
      additionalProperties: false,
    },
  },
  required: ["path"],
  additionalProperties: false,
};

describe("compileJsonSchemaCheck: instances", () => {
  const check = checker(toolSchema, "args");

  it("accepts valid instances", () => {
    expect(check({ path: "src/index.ts" })).toBeNull();
    expect(check({ path: "a", mode: "read", options: { depth: 3, tags: ["x", "y"] } })).toBeNull();
  });

  it("reports the first fault with a path in the project's style", () => {
    expect(check({ path: "Src/Index.ts" })).toBe('args.path: must match pattern "^[a-z0-9_./-]+$"');
    expect(check({})).toBe("args.path: is required");
    expect(check({ path: "a", extra: 1 })).toBe("args.extra: is not an allowed property");
    expect(check({ path: "a", mode: "delete" })).toBe("args.mode: must be equal to one of the allowed values");
    expect(check({ path: "a", options: { depth: 11 } })).toBe("args.options.depth: must be <= 10");
    expect(check({ path: "a", options: { tags: ["ok", "NOT"] } })).toBe('args.options.tags[1]: must match pattern "^[a-z]+$"');
    expect(check("not an object")).toBe("args: must be object");
    expect(check(null)).toBe("args: must be object");
  });

  it("without a basePath, paths start at the first key, and a root fault is the bare message", () => {
    const bare = checker(toolSchema);
    expect(bare({ path: 1 })).toBe("path: must be string");
    expect(bare([])).toBe("must be object");
    const list = checker({ type: "array", items: { type: "string" } });
    expect(list(["a", 2])).toBe("[1]: must be string");
  });

  it("odd keys are quoted, and a numeric key of an object is a key, not an index", () => {
    const c = checker({ type: "object", additionalProperties: { type: "object", properties: { "a/b~c": { type: "string" } } } }, "args");
    expect(c({ "0": { "a/b~c": 1 } })).toBe('args["0"]["a/b~c"]: must be string');
    expect(c({ "my key": { "a/b~c": 1 } })).toBe('args["my key"]["a/b~c"]: must be string');
  });

  it("only own properties count: required names are not satisfied by Object.prototype", () => {
    const c = checker({ type: "object", required: ["toString", "constructor"] }, "args");
    expect(c({})).toBe("args.toString: is required");
    expect(c({ toString: 1, constructor: 2 })).toBeNull();
  });

  it("format is an annotation, not asserted", () => {
    expect(checker({ type: "string", format: "email" })("not an email")).toBeNull();
  });

  it("boolean schemas", () => {
    expect(checker(true)(123)).toBeNull();
    expect(checker(false, "args")(123)).toBe("args: boolean schema is false");
  });
});

describe("compileJsonSchemaCheck: linear-time patterns and uniqueItems", () => {
  it("a ReDoS pattern in a schema stays fast and correct", () => {
    const c = checker({ type: "object", properties: { s: { type: "string", pattern: "^(a+)+$" } } }, "args");
    const started = Date.now();
    expect(c({ s: "a".repeat(100_000) + "!" })).toBe('args.s: must match pattern "^(a+)+$"');
    expect(c({ s: "a".repeat(100_000) })).toBeNull();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("patternProperties also run in linear time", () => {
    const c = checker({ type: "object", patternProperties: { "^(\\w+\\s?)*$": { type: "number" } } }, "args");
    const key = "a".repeat(50_000);
    expect(c({ [key]: 1 })).toBeNull();
    expect(c({ [key + "!"]: "x" })).toBeNull(); // no pattern match: not checked
    expect(c({ [key]: "x" })).toMatch(/^args\.a+: must be number$/);
  });

  it("different patterns in different schemas never share a compiled regex", () => {
    const a = checker({ type: "string", pattern: "^a$" });
    const b = checker({ type: "string", pattern: "^b$" });
    expect(a("a")).toBeNull();
    expect(b("b")).toBeNull();
    expect(a("b")).toMatch(/must match pattern/);
    expect(b("a")).toMatch(/must match pattern/);
  });

  it("a pattern RE2 cannot run is a compile error", () => {
    expect(compileError({ type: "string", pattern: "(?=x)" })).toMatch(/lookahead \(\?=\.\.\.\) cannot run in linear time/);
    expect(compileError({ type: "object", patternProperties: { "(a)\\1": {} } })).toMatch(/backreference \\1/);
  });

  it("uniqueItems compares deeply, in linear time", () => {
    const c = checker({ type: "array", uniqueItems: true }, "args");
    expect(c([{ a: 1, b: [2] }, { b: [2], a: 1 }])).toBe("args: must not have duplicate items (items 0 and 1 are identical)");
    expect(c([1, "1", [1], { "1": 1 }, null, true, "true"])).toBeNull();
    expect(c([0, -0])).toMatch(/duplicate/);
    const many = Array.from({ length: 10_000 }, (_, i) => ({ id: i, tags: ["x"] }));
    const started = Date.now();
    expect(c(many)).toBeNull();
    expect(c([...many, { tags: ["x"], id: 7 }])).toBe("args: must not have duplicate items (items 7 and 10000 are identical)");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("compileJsonSchemaCheck: schema errors", () => {
  it("strict mode: an unknown keyword is a compile error", () => {
    expect(compileError({ type: "string", maxLenght: 3 })).toBe('invalid schema: unknown keyword: "maxLenght"');
  });

  it("an invalid schema is a compile error", () => {
    expect(compileError({ type: "strin" })).toMatch(/^invalid schema: /);
    expect(compileError({ type: "object", properties: { a: { minimum: "1" } } })).toMatch(/^invalid schema: /);
  });

  it("a $ref to a local $defs works", () => {
    const c = checker(
      {
        type: "object",
        properties: { from: { $ref: "#/$defs/point" }, to: { $ref: "#/$defs/point" } },
        $defs: { point: { type: "object", properties: { x: { type: "number" }, y: { type: "number" } }, required: ["x", "y"] } },
      },
      "args",
    );
    expect(c({ from: { x: 1, y: 2 }, to: { x: 3, y: 4 } })).toBeNull();
    expect(c({ from: { x: 1, y: 2 }, to: { x: 3 } })).toBe("args.to.y: is required");
  });

  it("a recursive $ref works, and a value too deep for the stack is a fault, not a throw", () => {
    const c = checker({ type: "array", items: { $ref: "#" } }, "args");
    expect(c([[[]], []])).toBeNull();
    expect(c([[["x"]]])).toBe("args[0][0][0]: must be array");
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(c(deep)).toBe("args: could not be checked against the schema");
  });

  it("a remote $ref is an error (nothing is ever fetched)", () => {
    expect(compileError({ $ref: "https://example.com/schema.json" })).toBe(
      'invalid schema: $ref "https://example.com/schema.json" does not resolve inside the schema (remote schemas are never loaded)',
    );
    expect(compileError({ type: "object", properties: { a: { $ref: "other.json#/x" } } })).toMatch(/does not resolve inside the schema/);
    expect(compileError({ $ref: "#/$defs/missing" })).toMatch(/does not resolve/);
  });

  it("a schema nested deeper than the limit is an error", () => {
    let s: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < MAX_SCHEMA_DEPTH; i++) s = { type: "array", items: s };
    expect(compileError(s)).toBe(`schema is nested deeper than ${MAX_SCHEMA_DEPTH} levels`);
    let ok: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < MAX_SCHEMA_DEPTH - 1; i++) ok = { type: "array", items: ok };
    expect("check" in compileJsonSchemaCheck(ok)).toBe(true);
  });

  it("a schema over 1 MB, a cyclic schema, a non-JSON schema are errors", () => {
    expect(compileError({ type: "string", enum: ["x".repeat(MAX_SCHEMA_BYTES)] })).toMatch(/larger than 1 MB/);
    const cyc: Record<string, unknown> = { type: "object" };
    cyc.properties = { self: cyc };
    expect(compileError(cyc)).toMatch(/cycle|deeper/);
    expect(compileError({ type: "integer", const: 10n })).toMatch(/^schema is not JSON/);
    for (const bad of [null, undefined, 1, "string", [{ type: "string" }]]) {
      expect(compileError(bad)).toBe("a JSON Schema must be an object or a boolean");
    }
  });

  it("a shared subschema (a DAG, not a cycle) is fine; a DAG exploding in size is refused quickly", () => {
    const leaf = { type: "string" };
    expect("check" in compileJsonSchemaCheck({ type: "object", properties: { a: leaf, b: leaf } })).toBe(true);
    let s: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 30; i++) s = { anyOf: [s, s] };
    const started = Date.now();
    expect(compileError(s)).toMatch(/larger than 1 MB/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("$schema selects draft-07 or 2020-12; others are refused", () => {
    const d7 = checker({ $schema: "http://json-schema.org/draft-07/schema#", type: "array", items: [{ type: "string" }, { type: "number" }] });
    expect(d7(["a", 1])).toBeNull();
    expect(d7(["a", "b"])).toBe("[1]: must be number");
    expect("check" in compileJsonSchemaCheck({ $schema: "http://json-schema.org/draft-07/schema", type: "string" })).toBe(true);
    const d2020 = checker({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "array", prefixItems: [{ type: "string" }] });
    expect(d2020([1])).toBe("[0]: must be string");
    const none = checker({ type: "array", prefixItems: [{ type: "string" }], items: false });
    expect(none(["a", "b"])).toMatch(/must NOT have more than 1 items/i);
    expect(compileError({ $schema: "http://json-schema.org/draft-04/schema#", type: "string" })).toMatch(/unsupported \$schema/);
  });

  it("a schema claiming a meta-schema's $id cannot break later compilations", () => {
    expect("check" in compileJsonSchemaCheck({ $id: "http://json-schema.org/draft-07/schema#", type: "string" })).toBe(true);
    expect("check" in compileJsonSchemaCheck({ $id: "https://json-schema.org/draft/2020-12/schema", type: "string" })).toBe(true);
    expect(checker({ $schema: "http://json-schema.org/draft-07/schema#", type: "string" })(1)).toBe("must be string");
    expect(checker({ type: "number" })("x")).toBe("must be number");
  });
});

describe("compileJsonSchemaCheck: no mutation, no coercion", () => {
  it("defaults, additionalProperties and coercible types leave the value as it was", () => {
    const schema = {
      type: "object",
      properties: {
        n: { type: "number", default: 5 },
        s: { type: "string" },
        list: { type: "array", items: { type: "integer" }, default: [] },
        nested: { type: "object", properties: { flag: { type: "boolean", default: false } }, additionalProperties: false },
      },
      additionalProperties: false,
    };
    const c = checker(schema, "args");
    const cases: unknown[] = [{}, { s: "x", nested: {} }, { n: "5" }, { s: 1 }, { nested: { flag: "true", other: 1 } }, { extra: true, n: 1 }];
    for (const v of cases) {
      const before = structuredClone(v);
      deepFreeze(v);
      c(v);
      expect(v).toEqual(before);
    }
    expect(c({ n: "5" })).toBe("args.n: must be number");
    expect(c({ nested: { flag: "true" } })).toBe("args.nested.flag: must be boolean");
    expect(c({ s: "x", nested: {} })).toBeNull();
  });

  it("random JSON values never make the check throw, and never change", () => {
    const checks = [checker(toolSchema, "args"), checker({ type: "array", uniqueItems: true, items: { $ref: "#/$defs/v" }, $defs: { v: {} } })];
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const before = structuredClone(v);
        for (const c of checks) {
          const r = c(v);
          expect(r === null || typeof r === "string").toBe(true);
        }
        expect(v).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });

  it("arbitrary non-JSON values never make the check throw", () => {
    const c = checker(toolSchema, "args");
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }), (v) => {
        const r = c(v);
        expect(r === null || typeof r === "string").toBe(true);
      }),
      { numRuns: 200 },
    );
    const hostile = {
      get path(): string {
        throw new Error("boom");
      },
    };
    expect(c(hostile)).toBe("args: could not be checked against the schema");
  });
});

describe("compileJsonSchemaCheck: caching", () => {
  afterEach(() => vi.restoreAllMocks());
  const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as { prototype: { compile: unknown } };

  it("compiles once per schema object and once per JSON text", () => {
    const spy = vi.spyOn(Ajv2020.prototype as { compile: (...a: unknown[]) => unknown }, "compile");
    const schema = { type: "object", properties: { cacheProbe: { type: "string", pattern: "^p[0-9]+$" } } };
    const a = checker(schema, "args");
    const b = checker(schema, "input");
    const c = checker(structuredClone(schema));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(a({ cacheProbe: "x" })).toBe('args.cacheProbe: must match pattern "^p[0-9]+$"');
    expect(b({ cacheProbe: "x" })).toBe('input.cacheProbe: must match pattern "^p[0-9]+$"');
    expect(c({ cacheProbe: "p1" })).toBeNull();
    checker({ ...schema, title: "another" });
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it("failures are cached too", () => {
    const spy = vi.spyOn(Ajv2020.prototype as { compile: (...a: unknown[]) => unknown }, "compile");
    const bad = { type: "string", notAKeyword: 1 };
    compileError(bad);
    compileError(structuredClone(bad));
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe("isMcpInputSchema", () => {
  it("is an object whose type is object", () => {
    expect(isMcpInputSchema({ type: "object" })).toBe(true);
    expect(isMcpInputSchema(toolSchema)).toBe(true);
    for (const x of [null, undefined, "object", [], { type: "array" }, { properties: {} }, { type: ["object"] }, true]) {
      expect(isMcpInputSchema(x)).toBe(false);
    }
  });
});
