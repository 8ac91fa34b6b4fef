// Properties of the detectors over generated input (fast-check): `detect` never throws on any JSON value (nor on
// any value at all), `findSpans` returns sorted, non-overlapping spans inside the text, and `redactText` leaves
// nothing its detectors find, so redacting twice changes nothing. Texts are built from corpus fragments (real
// detections) glued with random strings, so the properties meet real spans, not only noise.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detect, DETECTOR_NAMES, type DetectorName, findSpans, redactText } from "../../src/builtins/detect/index.js";

const dir = path.join(import.meta.dirname, "corpus");
const fragments: string[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .flatMap((f) => (JSON.parse(readFileSync(path.join(dir, f), "utf8")) as { value: unknown }[]).map((c) => c.value))
  .filter((v): v is string => typeof v === "string" && v.length < 4000);

const glue = fc.oneof(fc.constantFrom("", " ", "\n", "=", ":", "@", ".", "/", "%", "&x=", "-", "\"", "<", ">"), fc.string({ maxLength: 12 }));
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...fragments) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...fragments).chain((f) =>
      fc.tuple(fc.nat(f.length), fc.nat(f.length)).map(([a, b]) => f.slice(Math.min(a, b), Math.max(a, b))),
    ),
  },
);
const text = fc.array(fc.tuple(piece, glue), { maxLength: 5 }).map((xs) => xs.map(([p, g]) => p + g).join(""));
const names = fc.subarray([...DETECTOR_NAMES] as DetectorName[], { minLength: 1 });

describe("detector properties", () => {
  it("detect never throws on JSON values", () => {
    fc.assert(
      fc.property(fc.constantFrom(...DETECTOR_NAMES), fc.jsonValue(), (name, v) => {
        expect(typeof detect(name, v)).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  it("detect never throws on any value (symbols, functions, odd prototypes)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...DETECTOR_NAMES), fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withObjectString: true }), (name, v) => {
        expect(typeof detect(name, v)).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  it("findSpans: sorted, non-overlapping, inside the text", () => {
    fc.assert(
      fc.property(fc.constantFrom(...DETECTOR_NAMES), text, (name, t) => {
        const spans = findSpans(name, t);
        let last = 0;
        for (const s of spans) {
          expect(s.start).toBeGreaterThanOrEqual(last);
          expect(s.end).toBeGreaterThan(s.start);
          expect(s.end).toBeLessThanOrEqual(t.length);
          expect(typeof s.kind).toBe("string");
          last = s.end;
        }
      }),
      { numRuns: Number(process.env.DETECT_RUNS ?? 400) },
    );
  });

  it("redactText leaves no span of its detectors, and redact(redact(x)) == redact(x)", () => {
    fc.assert(
      fc.property(names, text, (ns, t) => {
        const once = redactText(t, ns);
        for (const n of ns) expect(findSpans(n, once)).toEqual([]);
        expect(redactText(once, ns)).toBe(once);
      }),
      { numRuns: Number(process.env.DETECT_RUNS ?? 400) },
    );
  });

  it("redactText keeps text no detector finds anything in", () => {
    fc.assert(
      fc.property(names, text, (ns, t) => {
        if (ns.every((n) => findSpans(n, t).length === 0)) expect(redactText(t, ns)).toBe(t);
      }),
      { numRuns: 200 },
    );
  });

  it("detect on a string agrees with findSpans on it (below the bounds)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...DETECTOR_NAMES), text, (name, t) => {
        expect(detect(name, t)).toBe(findSpans(name, t).length > 0);
      }),
      { numRuns: 300 },
    );
  });
});
