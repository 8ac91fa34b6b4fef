/**
 * JSON-RPC framing (src/mcp/jsonrpc.ts): a corpus of message texts as data (test/fixtures/mcp/messages.json)
 * → kind, error code and the id answered with; the size limit in UTF-8 bytes (multi-byte characters);
 * already-parsed values from an SDK transport (getters, cycles, class instances); and the properties
 * that parseMessageText and classifyMessage never throw and agree with each other.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BATCH_MESSAGE,
  classifyMessage,
  DEFAULT_MAX_MESSAGE_BYTES,
  errorResponse,
  MCP_ERROR_CODES,
  parseMessageText,
  type Classified,
} from "../src/mcp/index.js";

interface Case {
  name: string;
  text: string;
  kind: Classified["kind"];
  code?: number;
  id?: string | number | null;
  message?: string;
}
const corpus = JSON.parse(readFileSync(new URL("./fixtures/mcp/messages.json", import.meta.url), "utf8")) as { cases: Case[] };

const idOf = (c: Classified) => (c.kind === "invalid" ? c.error.id : "id" in c.message ? c.message.id : undefined);

describe("parseMessageText: the message corpus", () => {
  it("holds cases of every kind", () => {
    const kinds = new Set(corpus.cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(["invalid", "notification", "request", "response"]);
  });
  for (const c of corpus.cases) {
    it(c.name, () => {
      const got = parseMessageText(c.text);
      expect(got.kind).toBe(c.kind);
      if (got.kind === "invalid") {
        expect(got.error.error.code).toBe(c.code);
        expect(got.error.jsonrpc).toBe("2.0");
        if (c.message !== undefined) expect(got.error.error.message).toBe(c.message);
      }
      if ("id" in c) expect(idOf(got)).toStrictEqual(c.id);
    });
  }
});

describe("parseMessageText: what comes back", () => {
  it("a request keeps exactly its members (a new object), params as parsed", () => {
    const got = parseMessageText('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","arguments":{"__proto__":{"x":1}}}}');
    expect(got.kind).toBe("request");
    if (got.kind !== "request") return;
    expect(Object.keys(got.message)).toEqual(["jsonrpc", "id", "method", "params"]);
    const args = (got.message.params as { arguments: Record<string, unknown> }).arguments;
    // `__proto__` is an own key (not the prototype): the policy sees what the server will see.
    expect(Object.keys(args)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
  });

  it("a notification has no id member", () => {
    const got = parseMessageText('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(got).toEqual({ kind: "notification", message: { jsonrpc: "2.0", method: "notifications/initialized" } });
  });

  it("a batch is refused with id null and the documented message", () => {
    const got = parseMessageText('[{"jsonrpc":"2.0","id":1,"method":"ping"}]');
    expect(got).toEqual({ kind: "invalid", error: { jsonrpc: "2.0", id: null, error: { code: -32600, message: BATCH_MESSAGE } } });
  });

  it("a duplicate key names the key and is refused with id null (no id can be trusted)", () => {
    const got = parseMessageText('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}');
    expect(got.kind).toBe("invalid");
    if (got.kind !== "invalid") return;
    expect(got.error.id).toBeNull();
    expect(got.error.error.message).toContain('duplicate key "name"');
  });
  it("an error never echoes a huge key back", () => {
    const key = "k".repeat(100_000);
    const got = parseMessageText(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"${key}":1,"${key}":2}}`);
    expect(got.kind === "invalid" && got.error.error.message.length).toBeLessThan(400);
  });
});

describe("parseMessageText: the size limit counts UTF-8 bytes", () => {
  const message = (filler: string) => `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${filler}"}}`;
  const base = Buffer.byteLength(message(""), "utf8");

  it("at the limit passes, one byte over is refused with MESSAGE_TOO_LARGE and id null", () => {
    expect(parseMessageText(message("a".repeat(10)), { maxBytes: base + 10 }).kind).toBe("request");
    const over = parseMessageText(message("a".repeat(11)), { maxBytes: base + 10 });
    expect(over.kind).toBe("invalid");
    if (over.kind === "invalid") {
      expect(over.error.error.code).toBe(MCP_ERROR_CODES.MESSAGE_TOO_LARGE);
      expect(over.error.id).toBeNull();
    }
  });

  it.each([
    ["é (2 bytes)", "é", 2],
    ["€ (3 bytes)", "€", 3],
    ["😀 (4 bytes, a surrogate pair)", "😀", 4],
  ])("a text of %s characters is measured in bytes, not characters", (_label, ch, bytes) => {
    const n = 10;
    const text = message(ch.repeat(n));
    expect(Buffer.byteLength(text, "utf8")).toBe(base + n * bytes);
    // Under a limit counted in UTF-16 units the text would fit; in bytes it does not.
    expect(text.length).toBeLessThanOrEqual(base + n * bytes - 1);
    expect(parseMessageText(text, { maxBytes: base + n * bytes - 1 }).kind).toBe("invalid");
    expect(parseMessageText(text, { maxBytes: base + n * bytes }).kind).toBe("request");
  });

  it("a lone surrogate counts 3 bytes (as U+FFFD would be written)", () => {
    const text = message("\\ud800".replace("\\ud800", "\ud800"));
    expect(parseMessageText(text, { maxBytes: base + 2 }).kind).toBe("invalid");
    expect(parseMessageText(text, { maxBytes: base + 3 }).kind).toBe("request");
  });

  it("defaults to 4 MiB; a bad maxBytes means the default", () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(4 * 1024 * 1024);
    const big = message("a".repeat(DEFAULT_MAX_MESSAGE_BYTES - base + 1));
    for (const maxBytes of [undefined, NaN, -1, 0, 1.5, Infinity]) {
      const got = parseMessageText(big, maxBytes === undefined ? undefined : { maxBytes });
      expect(got.kind === "invalid" && got.error.error.code).toBe(MCP_ERROR_CODES.MESSAGE_TOO_LARGE);
    }
    expect(parseMessageText(message("a".repeat(DEFAULT_MAX_MESSAGE_BYTES - base))).kind).toBe("request");
  });

  it("a larger limit than the parser's default length is honoured", () => {
    const text = message("a".repeat(9 * 1024 * 1024));
    expect(parseMessageText(text, { maxBytes: 10 * 1024 * 1024 }).kind).toBe("request");
  });
});

describe("classifyMessage: already-parsed values (SDK transports)", () => {
  it("classifies the same four kinds", () => {
    expect(classifyMessage({ jsonrpc: "2.0", id: 1, method: "ping" }).kind).toBe("request");
    expect(classifyMessage({ jsonrpc: "2.0", method: "notifications/initialized" }).kind).toBe("notification");
    expect(classifyMessage({ jsonrpc: "2.0", id: 1, result: {} }).kind).toBe("response");
    expect(classifyMessage([{ jsonrpc: "2.0", id: 1, method: "ping" }])).toEqual({
      kind: "invalid",
      error: { jsonrpc: "2.0", id: null, error: { code: -32600, message: BATCH_MESSAGE } },
    });
  });

  it("leaves out members that are undefined, as JSON would", () => {
    const got = classifyMessage({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "t", _meta: undefined } });
    expect(got.kind === "request" && got.message.params).toEqual({ name: "t" });
  });

  it("returns a deep copy: later changes to the input do not change what was classified", () => {
    const input = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "read", arguments: { path: "/ok" } } };
    const got = classifyMessage(input);
    input.params.arguments.path = "/etc/shadow";
    expect(got.kind === "request" && got.message.params).toEqual({ name: "read", arguments: { path: "/ok" } });
  });

  it.each([
    ["a getter", () => ({ jsonrpc: "2.0", id: 1, method: "tools/call", get params() { return { name: "t" }; } })],
    ["a throwing getter", () => ({ jsonrpc: "2.0", id: 1, method: "ping", get params(): never { throw new Error("boom"); } })],
    ["a cycle", () => { const p: Record<string, unknown> = {}; p.self = p; return { jsonrpc: "2.0", id: 1, method: "ping", params: p }; }],
    ["a Date", () => ({ jsonrpc: "2.0", id: 1, method: "ping", params: { when: new Date(0) } })],
    ["a Map", () => ({ jsonrpc: "2.0", id: 1, method: "ping", params: { m: new Map() } })],
    ["a function", () => ({ jsonrpc: "2.0", id: 1, method: "ping", params: { f: () => 1 } })],
    ["a bigint", () => ({ jsonrpc: "2.0", id: 1, method: "ping", params: { n: 1n } })],
    ["NaN", () => ({ jsonrpc: "2.0", id: 1, method: "ping", params: { n: NaN } })],
    ["an array with a hole", () => ({ jsonrpc: "2.0", id: 1, method: "ping", params: { a: [1, , 3] } })],
    ["a symbol key", () => ({ jsonrpc: "2.0", id: 1, method: "ping", params: { [Symbol("s")]: 1 } })],
    ["a revoked proxy", () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; }],
    ["a class instance", () => new (class Msg { jsonrpc = "2.0"; id = 1; method = "ping"; })()],
  ])("refuses %s with INVALID_REQUEST and id null", (_label, make) => {
    const got = classifyMessage(make());
    expect(got.kind).toBe("invalid");
    if (got.kind === "invalid") {
      expect(got.error.error.code).toBe(MCP_ERROR_CODES.INVALID_REQUEST);
      expect(got.error.id).toBeNull();
    }
  });

  it("refuses nesting deeper than 128 levels", () => {
    let v: unknown = 1;
    for (let i = 0; i < 200; i++) v = { v };
    expect(classifyMessage({ jsonrpc: "2.0", id: 1, method: "ping", params: v as Record<string, unknown> }).kind).toBe("invalid");
  });

  it("agrees with parseMessageText on every corpus case that is JSON", () => {
    for (const c of corpus.cases) {
      let value: unknown;
      try {
        value = JSON.parse(c.text);
      } catch {
        continue;
      }
      const fromText = parseMessageText(c.text);
      // Duplicate keys are a text-only fault (JSON.parse keeps the last one).
      if (fromText.kind === "invalid" && fromText.error.error.message.includes("duplicate key")) continue;
      const fromValue = classifyMessage(value);
      if (fromText.kind === "invalid" && fromValue.kind === "invalid") {
        // Same code and id; the text's message may also say where in the text.
        expect([fromValue.error.error.code, fromValue.error.id], c.name).toEqual([fromText.error.error.code, fromText.error.id]);
      } else expect(fromValue, c.name).toEqual(fromText);
    }
  });
});

describe("errorResponse", () => {
  it("builds a JSON-RPC error, data only when given", () => {
    expect(errorResponse(3, -32010, "denied")).toEqual({ jsonrpc: "2.0", id: 3, error: { code: -32010, message: "denied" } });
    expect(errorResponse(null, -32600, "bad", { a: 1 })).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "bad", data: { a: 1 } } });
  });
  it("never throws on a message that cannot be made a string", () => {
    const m = { toString(): never { throw new Error("no"); } };
    expect(errorResponse(1, -32600, m as never).error.message).toBe("an unreadable message");
  });
  it("never answers under an id that is not one", () => {
    expect(errorResponse({} as never, -32600, "bad").id).toBeNull();
    expect(errorResponse(1.5, -32600, "bad").id).toBeNull();
  });
});

describe("MCP_ERROR_CODES", () => {
  it("is frozen, with the documented codes", () => {
    expect(Object.isFrozen(MCP_ERROR_CODES)).toBe(true);
    expect(MCP_ERROR_CODES).toEqual({
      PARSE_ERROR: -32700,
      INVALID_REQUEST: -32600,
      METHOD_NOT_FOUND: -32601,
      INVALID_PARAMS: -32602,
      INTERNAL_ERROR: -32603,
      POLICY_DENIED: -32010,
      BUDGET_EXCEEDED: -32011,
      MESSAGE_TOO_LARGE: -32012,
      UPSTREAM_UNAVAILABLE: -32013,
      AUDIT_UNAVAILABLE: -32014,
    });
    expect(new Set(Object.values(MCP_ERROR_CODES)).size).toBe(10);
  });
});

describe("properties", () => {
  const validId = fc.oneof(fc.string(), fc.maxSafeInteger().map((n) => n), fc.integer());
  it("parseMessageText never throws, and always gives one of the four kinds", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: "binary" }), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        const got = parseMessageText(text, { maxBytes: 4096 });
        expect(["request", "notification", "response", "invalid"]).toContain(got.kind);
        if (got.kind === "invalid") expect(Number.isInteger(got.error.error.code)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("the size check agrees with Buffer.byteLength on any text and limit (the fast paths included)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 64 }), fc.integer({ min: 1, max: 300 }), (filler, maxBytes) => {
        const text = JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { x: filler } });
        const got = parseMessageText(text, { maxBytes });
        const tooLarge = got.kind === "invalid" && got.error.error.code === MCP_ERROR_CODES.MESSAGE_TOO_LARGE;
        expect(tooLarge).toBe(Buffer.byteLength(text, "utf8") > maxBytes);
      }),
      { numRuns: 1000 },
    );
  });

  it("classifyMessage never throws on any value", () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true }), (v) => {
        expect(["request", "notification", "response", "invalid"]).toContain(classifyMessage(v).kind);
      }),
      { numRuns: 2000 },
    );
  });

  it("any JSON value under `params` of a request is classified as parseMessageText does", () => {
    fc.assert(
      fc.property(validId, fc.string(), fc.dictionary(fc.string(), fc.jsonValue()), (id, method, params) => {
        const text = JSON.stringify({ jsonrpc: "2.0", id, method, params });
        const got = parseMessageText(text);
        expect(got).toEqual(classifyMessage(JSON.parse(text)));
        expect(got.kind).toBe("request");
      }),
    );
  });

  it("an invalid message is answered under its id only when it is request-shaped with a valid id", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const got = classifyMessage(v);
        if (got.kind !== "invalid" || got.error.id === null) return;
        const o = v as Record<string, unknown>;
        expect("method" in o && !("result" in o) && !("error" in o)).toBe(true);
        expect(o.id).toBe(got.error.id);
      }),
      { numRuns: 2000 },
    );
  });
});
