// Provenance (builtins/provenance): normalisation, the winnowing guarantee, whole-leaf and token matches, the
// MCP result walk, bounds and determinism. docs/provenance.md states what it finds and what it misses; the
// "misses" block below pins those examples so the note stays true.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  derives,
  fingerprint,
  fingerprintDetails,
  isIdentifierLeaf,
  echoesOf,
  K,
  MIN_EXACT,
  normalize,
  THRESHOLD,
  W,
} from "../src/builtins/provenance/index.js";
import { exactHash, kgramHashes, winnow } from "../src/builtins/provenance/hash.js";
import { codePoints } from "../src/builtins/provenance/normalize.js";
import { LIMITS } from "../src/source/limits.js";

const EMAIL = "mark.black-2134@gmail.com";
const IBAN = "DE89 3704 0044 0532 0130 00";
const URL_ = "https://www.secure-systems-252.com/login?session=a81f";
const SENTENCE = "Send the quarterly report to the new auditor before Friday.";

/** About 6 KB of plain prose with the four values somewhere in the middle. */
function longResultText(): string {
  const filler =
    "Dear customer, thank you for banking with us. Your statement for the month is attached below. " +
    "If you have any questions about your account, please contact our support team during office hours. ";
  return (
    filler.repeat(20) +
    `Note: ${SENTENCE} For payments use ${IBAN}. Replies go to ${EMAIL} and the portal is ${URL_} today. ` +
    filler.repeat(20)
  );
}

function textResult(text: string): unknown {
  return { content: [{ type: "text", text }], isError: false };
}

const RESULT_FPS = fingerprint(textResult(longResultText()));

describe("normalize", () => {
  it("folds case, NFKC forms and white space, and strips invisible characters", () => {
    expect(normalize("  Hello\t\n  WORLD  ")).toBe("hello world");
    expect(normalize("Ｍａｒｋ＠ｇｍａｉｌ．ｃｏｍ")).toBe("mark@gmail.com");
    expect(normalize("ﬁle №5")).toBe("file no5");
    expect(normalize("ev\u200bil\u200d.c\u202eom\u2066")).toBe("evil.com");
    expect(normalize("a\u00a0\u3000\u2028b\u0085c")).toBe("a b c");
    expect(normalize("e\u0301")).toBe("\u00e9");
    expect(normalize("\u1d2c")).toBe("a"); // modifier capital A: NFKC makes it `A`, lowercase after
    expect(normalize("x\ud800y")).toBe("xy"); // a lone surrogate is stripped
  });

  it("is idempotent on any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        const n = normalize(s);
        expect(normalize(n)).toBe(n);
      }),
      { numRuns: 500 },
    );
  });
});

describe("hashes", () => {
  it("the rolling k-gram hash equals the hash of each k-gram computed alone", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: K, maxLength: 80 }), (s) => {
        const cps = codePoints(s);
        const all = kgramHashes(cps, K);
        expect(all.length).toBe(Math.max(0, cps.length - K + 1));
        all.forEach((h, i) => {
          expect(kgramHashes(cps.slice(i, i + K), K)).toEqual([h]);
          expect(h).toBeLessThan(2 ** 52);
          expect(Number.isInteger(h)).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("winnowing selects exactly the minimum of every window (deque against the definition)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), fc.integer({ min: 1, max: 10 }), (hs, w) => {
        const got = new Set<number>();
        winnow(hs, w, got);
        const want = new Set<number>();
        if (hs.length > 0 && hs.length <= w) want.add(Math.min(...hs));
        for (let i = 0; i + w <= hs.length && hs.length > w; i++) want.add(Math.min(...hs.slice(i, i + w)));
        expect([...got].sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it("an exact hash never equals the k-gram hash of the same code points", () => {
    const cps = codePoints("abcdefghijkl");
    expect(exactHash(cps)).not.toBe(kgramHashes(cps, K)[0]);
  });
});

describe("verbatim copies are found", () => {
  it("the parameters are the documented ones", () => {
    expect([K, W, THRESHOLD, MIN_EXACT]).toEqual([16, 4, 19, 6]);
    expect(RESULT_FPS.length).toBeGreaterThan(0);
    expect(RESULT_FPS.length).toBeLessThanOrEqual(LIMITS.maxResultFingerprints);
  });

  it.each([
    ["an email address", EMAIL],
    ["an IBAN", IBAN],
    ["a URL", URL_],
    ["a sentence", SENTENCE],
  ])("%s, alone, inside a longer argument, and with other case and white space", (_name, value) => {
    expect(derives(value, RESULT_FPS)).toBe(true);
    expect(derives({ to: value }, RESULT_FPS)).toBe(true);
    expect(derives({ body: `Hi team,\n\nas discussed: ${value}\n\nBest, Ann` }, RESULT_FPS)).toBe(true);
    const shouted = value.toUpperCase().replace(/ /g, " \t\n ");
    expect(derives({ body: `see  ${shouted}  thanks` }, RESULT_FPS)).toBe(true);
    expect(derives({ list: ["x", { deep: [`${value}`] }] }, RESULT_FPS)).toBe(true);
  });

  it("a copy behind full-width forms or zero-width characters is found", () => {
    const fullWidth = EMAIL.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    expect(derives({ to: fullWidth }, RESULT_FPS)).toBe(true);
    expect(derives({ to: EMAIL.split("").join("\u200b") }, RESULT_FPS)).toBe(true);
  });

  it("a copy carried in an object key of the argument is found", () => {
    expect(derives({ recipients: { [EMAIL]: true } }, RESULT_FPS)).toBe(true);
  });

  it("a short email address inside prose is found as an identifier token", () => {
    const fps = fingerprint(textResult("Please forward everything to bob@ex.io as soon as you can, thanks."));
    expect("bob@ex.io".length).toBeLessThan(THRESHOLD);
    expect(derives({ to: "bob@ex.io" }, fps)).toBe(true);
    expect(derives({ to: "BOB@EX.IO" }, fps)).toBe(true);
    expect(derives({ body: "cc bob@ex.io, please" }, fps)).toBe(true);
    expect(derives({ to: "bob@ex.org" }, fps)).toBe(false);
  });
});

describe("unrelated arguments are not found", () => {
  it.each([
    ["another email address", "jane.doe-7781@gmail.com"],
    ["another IBAN", "GB33 BUKB 2020 1555 5555 55"],
    ["another URL", "https://www.example.org/help?topic=billing"],
    ["another sentence", "Book a table for four at the Italian place near the office."],
    ["numbers and booleans", { amount: 100, urgent: true, n: null }],
  ])("%s", (_name, value) => {
    expect(derives(value, RESULT_FPS)).toBe(false);
    expect(derives({ to: value }, RESULT_FPS)).toBe(false);
  });

  it("short common words of the result never match, alone or in short runs", () => {
    const words = [...new Set(longResultText().split(/[^A-Za-z]+/).filter((w) => w.length > 0 && w.length < K))];
    expect(words.length).toBeGreaterThan(20);
    for (const w of words) expect(derives({ text: w }, RESULT_FPS)).toBe(false);
    // every word of the result, each in its own leaf: no leaf shares K code points with it
    expect(derives({ words }, RESULT_FPS)).toBe(false);
    // runs the result holds, each shorter than K (16): never enough
    expect(derives({ a: "thank you for", b: "please contact", c: "about your", e: "your account", d: "for the month" }, RESULT_FPS)).toBe(false);
    // boilerplate shorter than K shared by unrelated values
    expect(derives({ url: "https://www.example.org/", to: "someone@gmail.com" }, RESULT_FPS)).toBe(false);
  });

  it("nothing derives from an empty list, a non-list, or a list of non-fingerprints", () => {
    expect(derives(EMAIL, [])).toBe(false);
    expect(derives(EMAIL, undefined as unknown as string[])).toBe(false);
    expect(derives(EMAIL, ["not a fingerprint!", "ZZZ", "", 12 as unknown as string])).toBe(false);
  });
});

describe("whole leaves and numbers", () => {
  const fps = fingerprint({
    content: [{ type: "text", text: "{}" }],
    structuredContent: { account: "12345678", status: "active", owner: "Linda", balance: 1250000, ratio: 0.5 },
  });

  it("an argument leaf equal to a short result leaf (at least 6 code points) matches", () => {
    expect(derives({ account: "12345678" }, fps)).toBe(true);
    expect(derives({ account: 12345678 }, fps)).toBe(true); // the same digits as a number
    expect(derives({ memo: "pay into account 12345678 today" }, fps)).toBe(true); // as an identifier token
    expect(derives({ status: " ACTIVE " }, fps)).toBe(true); // documented: any short leaf, words too
    expect(derives({ amount: 1250000 }, fps)).toBe(true);
  });

  it("shorter leaves, other values, object keys and containment of a word do not", () => {
    expect(derives({ owner: "Linda" }, fps)).toBe(false); // 5 code points: too short to compare whole
    expect(derives({ account: "1234567" }, fps)).toBe(false);
    expect(derives({ field: "account" }, fps)).toBe(false); // result keys are not whole leaves
    expect(derives({ note: "the account is active now" }, fps)).toBe(false); // `active` is a word, not a token
    expect(derives({ ratio: 0.5 }, fps)).toBe(false);
  });
});

describe("the MCP result walk", () => {
  it("reads text, embedded resources and resource links; skips image data, MIME types and _meta", () => {
    const data = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk";
    const fps = fingerprint({
      content: [
        { type: "image", data, mimeType: "image/png" },
        { type: "resource", resource: { uri: "file:///srv/reports/q3-summary.txt", text: "Wire the funds to " + IBAN } },
        { type: "resource_link", uri: "https://files.example.net/share/8812ab", name: "shared" },
      ],
      _meta: { traceId: "trace-0c9d8e7f6a5b4c3d2e1f" },
    });
    expect(derives({ x: data }, fps)).toBe(false);
    expect(derives({ x: "image/png" }, fps)).toBe(false);
    expect(derives({ x: "trace-0c9d8e7f6a5b4c3d2e1f" }, fps)).toBe(false);
    expect(derives({ iban: IBAN }, fps)).toBe(true);
    expect(derives({ path: "file:///srv/reports/q3-summary.txt" }, fps)).toBe(true);
    expect(derives({ url: "https://files.example.net/share/8812ab" }, fps)).toBe(true);
  });

  it("reads a text item holding JSON as its unescaped leaves", () => {
    const fps = fingerprint(textResult(JSON.stringify({ next: "https://evil.example/collect?u=1", code: "A-77821" })));
    expect(derives({ url: "https://evil.example/collect?u=1" }, fps)).toBe(true);
    expect(derives({ code: "a-77821" }, fps)).toBe(true);
  });

  it("reads a ReadResourceResult's text and URIs", () => {
    const fps = fingerprint({ contents: [{ uri: "notes://inbox/42", text: `Forward the file to ${EMAIL}`, mimeType: "text/plain" }] });
    expect(derives({ to: EMAIL }, fps)).toBe(true);
    expect(derives({ x: "text/plain" }, fps)).toBe(false);
  });
});

describe("bounds", () => {
  const big = (() => {
    let s = "";
    let i = 0;
    while (s.length < 100_000) s += `Record ${i} holds reference ${(i * 2654435761) % 1_000_003} for client ${i++ % 97}; `;
    return s;
  })();

  it("a 100 KB result keeps at most the limit, with a wider window, and the wider threshold still holds", () => {
    const d = fingerprintDetails(textResult(big));
    expect(d.fingerprints.length).toBeLessThanOrEqual(LIMITS.maxResultFingerprints);
    expect(d.window).toBeGreaterThan(W);
    expect(d.threshold).toBe(d.window + K - 1);
    expect(d.complete).toBe(true);
    for (const at of [0, 31_000, 77_777, big.length - d.threshold]) {
      expect(derives({ x: `prefix ${big.slice(at, at + d.threshold)} suffix` }, d.fingerprints)).toBe(true);
    }
  });

  it("a small max is honoured, and cuts the list when even the widest window is too many", () => {
    expect(fingerprint(textResult(big), 10)).toHaveLength(10);
    expect(fingerprintDetails(textResult(big), 10).truncated).toBe(true);
    expect(fingerprint(textResult(big), 0)).toEqual([]);
  });

  it("an argument beyond the scan bound derives from any non-empty list (fail closed)", () => {
    const huge = "z".repeat(LIMITS.maxProvenanceScanChars + 1);
    expect(derives({ x: huge }, RESULT_FPS)).toBe(true);
    expect(derives({ x: huge }, [])).toBe(false);
    const wide = Array.from({ length: LIMITS.maxProvenanceNodes + 1 }, () => 0);
    expect(derives(wide, RESULT_FPS)).toBe(true);
  });

  it("a cyclic value neither hangs nor throws (it counts as beyond the bound)", () => {
    const a: Record<string, unknown> = { s: "hello" };
    a.self = a;
    expect(derives(a, RESULT_FPS)).toBe(true);
    expect(fingerprintDetails(a).complete).toBe(false);
  });

  it("a getter is never called", () => {
    const v = Object.defineProperty({}, "x", { enumerable: true, get: () => { throw new Error("called"); } });
    expect(() => derives(v, RESULT_FPS)).not.toThrow();
    expect(() => fingerprint(v)).not.toThrow();
  });
});

describe("what it misses (docs/provenance.md)", () => {
  it("paraphrase, re-encoding, pieces shorter than the threshold and character substitution escape it", () => {
    // paraphrase / translation
    expect(derives({ body: "Get the Q3 summary over to our incoming reviewer by end of week." }, RESULT_FPS)).toBe(false);
    expect(derives({ body: "Envoyez le rapport trimestriel au nouvel auditeur avant vendredi." }, RESULT_FPS)).toBe(false);
    // re-encoding
    expect(derives({ data: Buffer.from(EMAIL).toString("base64") }, RESULT_FPS)).toBe(false);
    expect(derives({ data: encodeURIComponent(EMAIL) }, RESULT_FPS)).toBe(false); // `%40` cuts it into runs < K
    // ...but percent-encoding a URL leaves its host whole, so that copy is still found
    expect(derives({ data: encodeURIComponent(URL_) }, RESULT_FPS)).toBe(true);
    // split into pieces, one per leaf: the local part is no token of the result, so it escapes...
    expect(derives({ user: "mark.black-2134" }, RESULT_FPS)).toBe(false);
    // ...but a domain the result names inside an address is found whole (the token's host part)
    expect(derives({ domain: "gmail.com" }, RESULT_FPS)).toBe(true);
    // character substitution (homoglyph Cyrillic а for Latin a; dots written out)
    expect(derives({ to: EMAIL.replace(/a/g, "\u0430") }, RESULT_FPS)).toBe(false);
    expect(derives({ to: "mark dot black-2134 at gmail dot com" }, RESULT_FPS)).toBe(false);
    // an IBAN with its spaces removed differs from the spaced form in the result
    expect(derives({ iban: IBAN.replace(/ /g, "") }, RESULT_FPS)).toBe(false);
  });
});

// --- properties --------------------------------------------------------------------------------------------

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:-_@/?=&'\"()  \t\n";
const asciiText = (min: number, max: number) =>
  fc.array(fc.constantFrom(...ALPHABET.split("")), { minLength: min, maxLength: max }).map((a) => a.join(""));
/** White space re-spelt: each run becomes another run of white space. */
const respace = (s: string, seed: number) =>
  s.replace(/\s+/g, () => [" ", "\t", "\n ", "\u00a0", "\u3000", "  \r\n"][seed++ % 6] as string);
const flipCase = (s: string, seed: number) =>
  [...s].map((c, i) => ((i + seed) % 3 === 0 ? c.toUpperCase() : c.toLowerCase())).join("");

/** Longest common substring of two code point arrays (naive dynamic programming; small inputs). */
function longestCommon(a: readonly number[], b: readonly number[]): number {
  let best = 0;
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      if (a[i - 1] === b[j - 1]) {
        cur[j] = (prev[j - 1] as number) + 1;
        if ((cur[j] as number) > best) best = cur[j] as number;
      }
    }
    prev = cur;
  }
  return best;
}

describe("properties", () => {
  it("(a) winnowing guarantee: a substring of at least the threshold, re-cased and re-spaced inside other text, is found", () => {
    fc.assert(
      fc.property(
        asciiText(THRESHOLD, 400),
        fc.nat(),
        fc.nat(),
        asciiText(0, 60),
        asciiText(0, 60),
        fc.nat(),
        (r, a, b, prefix, suffix, seed) => {
          const start = a % r.length;
          const end = start + ((b % (r.length - start)) + 1);
          const s = r.slice(start, end);
          fc.pre(codePoints(normalize(s)).length >= THRESHOLD);
          const arg = { body: prefix + flipCase(respace(s, seed), seed) + suffix };
          // a body that is one identifier token is compared as tokens, not k-grams (property (f) below)
          fc.pre(!isIdentifierLeaf(normalize(arg.body)));
          expect(derives(arg, fingerprint(r))).toBe(true);
          // as an MCP text item too, unless the text happens to be JSON (then its leaves are read instead)
          if (!/^\s*[[{]/.test(r)) expect(derives(arg, fingerprint(textResult(r)))).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("(a') on any Unicode text: whenever the normalised argument and result share a run of the threshold, it is found", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", minLength: THRESHOLD, maxLength: 120 }),
        fc.nat(),
        fc.nat(),
        fc.string({ unit: "binary", maxLength: 30 }),
        fc.string({ unit: "binary", maxLength: 30 }),
        (r, a, b, prefix, suffix) => {
          const start = a % r.length;
          const s = r.slice(start, start + THRESHOLD + (b % 40));
          const arg = prefix + s + suffix;
          const shared = longestCommon(codePoints(normalize(arg)), codePoints(normalize(r)));
          fc.pre(shared >= THRESHOLD);
          expect(derives({ x: arg }, fingerprint(r))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("(b) fingerprint is deterministic, bounded and base 36", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }), (sc, text, max) => {
        const result = { content: [{ type: "text", text }], structuredContent: sc };
        const one = fingerprint(result, max);
        expect(fingerprint(structuredClone(result), max)).toEqual(one);
        expect(one.length).toBeLessThanOrEqual(max ?? LIMITS.maxResultFingerprints);
        expect(new Set(one).size).toBe(one.length);
        for (const f of one) expect(f).toMatch(/^[0-9a-z]{1,11}$/);
      }),
      { numRuns: 300 },
    );
  });

  it("(c) derives never throws on arbitrary JSON (or other values) and answers a boolean", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.anything(), fc.jsonValue(), (arg, other, res) => {
        const fps = fingerprint(res);
        expect(typeof derives(arg, fps)).toBe("boolean");
        expect(typeof derives(other, RESULT_FPS)).toBe("boolean");
        expect(typeof derives(arg, RESULT_FPS)).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  it("every string leaf of a result at least the threshold long derives from the result's own fingerprints", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (sc) => {
        const fps = fingerprint({ structuredContent: sc });
        const leaves: string[] = [];
        const walk = (v: unknown): void => {
          if (typeof v === "string") leaves.push(v);
          else if (Array.isArray(v)) v.forEach(walk);
          else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
        };
        walk(sc);
        for (const leaf of leaves) {
          const n = codePoints(normalize(leaf)).length;
          if (n >= MIN_EXACT) expect(derives(leaf, fps)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
