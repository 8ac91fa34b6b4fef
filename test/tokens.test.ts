// Token counts for budgets (src/adapters/tokens.ts): real counts against gpt-tokenizer's own encoders (the
// ESM modules, loaded independently of the counter's CommonJS ones), the count-preserving cuts as a property
// over all four encodings, the work bound, result shapes, and "never throws" over any value.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as o200k from "gpt-tokenizer/encoding/o200k_base";
import * as cl100k from "gpt-tokenizer/encoding/cl100k_base";
import * as p50k from "gpt-tokenizer/encoding/p50k_base";
import * as r50k from "gpt-tokenizer/encoding/r50k_base";
import { tokenCounter, TOKEN_ENCODINGS, type TokenEncoding } from "../src/adapters/tokens.js";
import { forEachPiece } from "../src/adapters/tokens-chunk.js";
import { canonicalJson } from "../src/contract/canonical.js";

const AS_TEXT = { disallowedSpecial: new Set<string>() };
const REFERENCE: Record<TokenEncoding, (s: string) => number> = {
  o200k_base: (s) => o200k.encode(s, AS_TEXT).length,
  cl100k_base: (s) => cl100k.encode(s, AS_TEXT).length,
  p50k_base: (s) => p50k.encode(s, AS_TEXT).length,
  r50k_base: (s) => r50k.encode(s, AS_TEXT).length,
};
const COUNTERS = Object.fromEntries(TOKEN_ENCODINGS.map((e) => [e, tokenCounter(e)])) as Record<TokenEncoding, ReturnType<typeof tokenCounter>>;
const bytes = (s: string): number => Buffer.byteLength(s, "utf8");

const KNOWN = [
  "hello world",
  "The quick brown fox jumps over the lazy dog.",
  '{"path":"/tmp/a.txt","mode":"r","n":[1,2,3]}',
  "function f(x) {\n  return x + 1;\n}\n",
  "naïve café — 東京タワー 😀 I'm here, we'll see",
  "<|endoftext|> and <|im_start|> are plain text here",
  "",
];

describe("counts match gpt-tokenizer", () => {
  for (const enc of TOKEN_ENCODINGS) {
    test(`known strings, ${enc}`, () => {
      for (const s of KNOWN) expect(COUNTERS[enc].count(s), s).toBe(REFERENCE[enc](s));
    });
  }

  test("hello world is 2 tokens in o200k_base (a fixed point)", () => {
    expect(tokenCounter().count("hello world")).toBe(2);
    expect(tokenCounter().encoding).toBe("o200k_base");
  });

  test("a multi-piece text (longer than one piece) is counted exactly", () => {
    const text = Array.from({ length: 3000 }, (_, i) => `line ${i}: {"k${i}": [${i}, "v"]}, it's fine\n`).join("");
    for (const enc of TOKEN_ENCODINGS) expect(COUNTERS[enc].count(text)).toBe(REFERENCE[enc](text));
  });
});

describe("cuts", () => {
  const alphabet = fc.constantFrom(..."aZé9 \t\n\r/'\".,:;-_!?(){}[]<>=+*#@$%&|~`^\\東京😀\u0301\u00a0ʼ".split(/(?:)/u), "'s", "'ll", "\r\n", "  ", "123456", "<|endoftext|>");
  const texts = fc.array(alphabet, { maxLength: 60 }).map((a) => a.join(""));

  test("PROPERTY: cutting at every safe point keeps the count, in every encoding", () => {
    fc.assert(
      fc.property(texts, (s) => {
        for (const enc of TOKEN_ENCODINGS) {
          let sum = 0;
          const hard = forEachPiece(s, 0, (a, b) => ((sum += REFERENCE[enc](s.slice(a, b))), true), 1_000_000, 1);
          expect(hard).toBe(0);
          expect(sum, `${enc}: ${JSON.stringify(s)}`).toBe(REFERENCE[enc](s));
        }
      }),
      { numRuns: 400 },
    );
  });

  test("PROPERTY: pieces cover the text in order, and a hard cut never splits a surrogate pair", () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 2, max: 8 }), (s, run) => {
        let at = 0;
        forEachPiece(s, 0, (a, b) => {
          expect(a).toBe(at);
          expect(b).toBeGreaterThan(a);
          const last = s.charCodeAt(b - 1);
          if (b < s.length) expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
          at = b;
          return true;
        }, run, 4);
        expect(at).toBe(s.length);
      }),
    );
  });

  test("a long run without cut points is bounded (hard cuts) and stays close to the exact count", () => {
    const s = "a".repeat(20_000);
    const exact = REFERENCE.o200k_base(s);
    const n = COUNTERS.o200k_base.count(s);
    expect(Math.abs(n - exact)).toBeLessThanOrEqual(Math.ceil(s.length / 128));
    // 1 MiB of one pre-token: ~5 s per 100k letters unbounded; the test timeout would fail an unbounded count.
    expect(COUNTERS.o200k_base.count("a".repeat(1 << 20))).toBeLessThanOrEqual(1 << 20);
    const cjk = "東京タワー".repeat(2000);
    expect(COUNTERS.o200k_base.count(cjk)).toBeLessThanOrEqual(bytes(cjk));
  });
});

describe("the work bound", () => {
  test("past maxExactBytes, text is charged its UTF-8 bytes: more than exact, never less", () => {
    const prose = "the quick brown fox jumps over the lazy dog ".repeat(500);
    const small = tokenCounter("o200k_base", { maxExactBytes: 1000 });
    const exact = REFERENCE.o200k_base(prose);
    const n = small.count(prose);
    expect(n).toBeGreaterThan(exact);
    expect(n).toBeLessThanOrEqual(bytes(prose));
    expect(tokenCounter("o200k_base", { maxExactBytes: 0 }).count(prose)).toBe(bytes(prose));
  });

  test("the bound is shared by all the texts of one result", () => {
    const item = { type: "text", text: "word ".repeat(400) }; // 2000 bytes
    const small = tokenCounter("o200k_base", { maxExactBytes: 2000 });
    const one = small.countResult({ content: [item] });
    expect(one).toBe(REFERENCE.o200k_base(item.text));
    expect(small.countResult({ content: [item, item] })).toBe(one + 2000);
  });

  test("a 1 MiB argument string is counted exactly (under the default bound)", () => {
    const big = "lorem ipsum dolor sit amet ".repeat(38_000);
    expect(COUNTERS.o200k_base.countArguments({ text: big })).toBe(REFERENCE.o200k_base(canonicalJson({ text: big })));
  });

  test("bad options and unknown encodings are TypeErrors naming the allowed encodings", () => {
    for (const bad of ["gpt2", "", "__proto__", "constructor", "O200K_BASE", 42, null]) {
      expect(() => tokenCounter(bad as TokenEncoding)).toThrow(TypeError);
      expect(() => tokenCounter(bad as TokenEncoding)).toThrow(/expected one of o200k_base, cl100k_base, p50k_base, r50k_base/);
    }
    expect(() => tokenCounter("o200k_base", { maxExactBytes: -1 })).toThrow(TypeError);
  });
});

describe("arguments and results", () => {
  const c = COUNTERS.o200k_base;
  const n = (s: string): number => REFERENCE.o200k_base(s);

  test("arguments: tokens of their canonical JSON (sorted keys, no spaces)", () => {
    const args = { z: [1, 2.5, -0], path: "/tmp/ä.txt", nested: { b: true, a: null } };
    expect(c.countArguments(args)).toBe(n('{"nested":{"a":null,"b":true},"path":"/tmp/ä.txt","z":[1,2.5,0]}'));
    expect(c.countArguments({})).toBe(n("{}"));
    expect(c.countArguments(undefined)).toBe(0);
  });

  test("a tool result: text items, structuredContent; images and audio count 0; _meta ignored", () => {
    const result = {
      content: [
        { type: "text", text: "the answer is 42" },
        { type: "image", data: "iVBORw0KGgo".repeat(1000), mimeType: "image/png" },
        { type: "audio", data: "UklGR".repeat(1000), mimeType: "audio/wav" },
      ],
      structuredContent: { answer: 42 },
      isError: false,
      _meta: { trace: "x".repeat(500) },
    };
    expect(c.countResult(result)).toBe(n("the answer is 42") + n('{"answer":42}'));
    expect(c.countResult({ content: [{ type: "image", data: "AAAA", mimeType: "image/png" }] })).toBe(0);
  });

  test("embedded resources count their text (a blob counts 0); other items count their JSON without binary", () => {
    const result = {
      content: [
        { type: "resource", resource: { uri: "file:///a", mimeType: "text/plain", text: "file body" } },
        { type: "resource", resource: { uri: "file:///b", blob: "AAAA".repeat(100) } },
        { type: "resource_link", uri: "file:///c", name: "c", _meta: { x: 1 } },
        { type: "future", data: "QUJD", label: "x" },
      ],
    };
    expect(c.countResult(result)).toBe(
      n("file body") + n('{"name":"c","type":"resource_link","uri":"file:///c"}') + n('{"label":"x","type":"future"}'),
    );
  });

  test("resources/read and prompts/get results", () => {
    expect(c.countResult({ contents: [{ uri: "file:///a", text: "alpha beta" }, { uri: "file:///b", blob: "AAAA" }] })).toBe(n("alpha beta"));
    const prompt = {
      description: "not read by the model",
      messages: [
        { role: "user", content: { type: "text", text: "review this code" } },
        { role: "assistant", content: [{ type: "text", text: "sure" }, { type: "image", data: "AAAA", mimeType: "image/png" }] },
      ],
    };
    expect(c.countResult(prompt)).toBe(n("review this code") + n("sure"));
  });

  test("any other result counts its JSON without _meta", () => {
    const completion = { completion: { values: ["alpha", "beta"], hasMore: false }, _meta: { a: 1 } };
    expect(c.countResult(completion)).toBe(n('{"completion":{"hasMore":false,"values":["alpha","beta"]}}'));
    expect(c.countResult(null)).toBe(n("null"));
    expect(c.countResult("plain")).toBe(n('"plain"'));
  });
});

describe("never throws", () => {
  const c = COUNTERS.o200k_base;
  const ok = (v: number): void => {
    expect(Number.isSafeInteger(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0);
  };

  function hostile(): unknown[] {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const arr: unknown[] = [1];
    arr.push(arr);
    const getter = { ok: "yes", get bad(): never { throw new Error("boom"); } };
    const trap = new Proxy({}, { ownKeys() { throw new Error("keys"); }, get() { throw new Error("get"); } });
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const shared = { s: "x".repeat(1000) };
    let dag: unknown = shared;
    for (let i = 0; i < 12; i++) dag = { l: dag, r: dag };
    let deep: unknown = "bottom";
    for (let i = 0; i < 5000; i++) deep = [deep];
    return [cyclic, arr, getter, trap, revocable.proxy, dag, deep, 10n, Symbol("s"), () => 1, NaN, new Map([[1, 2]]), new Date(0), new Uint8Array(10)];
  }

  test("hostile values as arguments, as results and inside result parts", () => {
    for (const v of hostile()) {
      ok(c.count(v as string));
      ok(c.countArguments(v));
      ok(c.countResult(v));
      ok(c.countResult({ content: [v, { type: "text", text: v }, { type: "resource", resource: v }], structuredContent: v }));
      ok(c.countResult({ contents: v, messages: [v, { content: v }] }));
    }
    const getter = hostile()[2];
    expect(c.countArguments(getter)).toBe(REFERENCE.o200k_base('{"ok":"yes"}'));
  });

  test("a DAG sharing one 1000-character string 2^40 times: the text is capped, the rest over-charged", () => {
    let dag: unknown = { s: "x".repeat(1000) };
    for (let i = 0; i < 40; i++) dag = { l: dag, r: dag };
    const n = c.countArguments(dag);
    ok(n);
    expect(n).toBeGreaterThan(16 * 1024 * 1024);
  });

  test("PROPERTY: any value, also with cycles spliced in, counts to a finite integer >= 0", () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), fc.boolean(), (v, cycle) => {
        if (cycle && typeof v === "object" && v !== null && !Object.isFrozen(v)) {
          try {
            (v as Record<string, unknown>).again = v;
          } catch {
            // not extensible
          }
        }
        ok(c.countArguments(v));
        ok(c.countResult(v));
        ok(c.countResult({ content: [v], structuredContent: v }));
      }),
      { numRuns: 300 },
    );
  });
});

describe("JSON text", () => {
  test("PROPERTY: for JSON values the counted text is exactly canonicalJson", async () => {
    const { jsonText } = await import("../src/adapters/tokens-json.js");
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(jsonText(v)).toEqual({ text: canonicalJson(v), overflowBytes: 0 });
    }), { numRuns: 500 });
  });
});
