// The detector corpus (test/detect/corpus/*.json): real-looking, fake, checksum-valid secrets and personal data,
// injection-shaped texts and URLs that carry data out, with benign look-alikes. Every case states which
// detectors fire on it; every detector is asserted on every case (a stray `pii` on a secret case fails too).
// `accepted` lists a deviation from the truth that we keep, with the reason: a false positive (`expect` has the
// detector, the truth does not) or a miss (the truth has it, `expect` does not). The summary prints precision
// and recall per detector and fails on any unaccepted miss or false positive.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detect, DETECTOR_NAMES, type DetectorName, findSpans, redactText } from "../../src/builtins/detect/index.js";

interface Case {
  id: string;
  value: unknown;
  expect: DetectorName[];
  note?: string;
  accepted?: Partial<Record<DetectorName, string>>;
}

const dir = path.join(import.meta.dirname, "corpus");
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
const corpus: { file: string; c: Case }[] = files.flatMap((file) =>
  (JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Case[]).map((c) => ({ file, c })),
);

/** What the case truly carries: `expect` corrected by its accepted deviations. */
function truth(c: Case, name: DetectorName): boolean {
  const acc = c.accepted?.[name];
  const expected = c.expect.includes(name);
  if (acc === undefined) return expected;
  if (acc.startsWith("false-positive")) return false;
  if (acc.startsWith("miss")) return true;
  throw new Error(`${c.id}: accepted.${name} must start with "false-positive" or "miss"`);
}

describe("detector corpus", () => {
  it("has unique ids, known detector names and a good size", () => {
    const ids = corpus.map(({ c }) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { c } of corpus) for (const n of c.expect) expect(DETECTOR_NAMES).toContain(n);
    expect(corpus.length).toBeGreaterThan(150);
  });

  for (const { file, c } of corpus) {
    it(`${file} ${c.id}`, () => {
      for (const name of DETECTOR_NAMES) expect({ name, got: detect(name, c.value) }).toEqual({ name, got: c.expect.includes(name) });
      if (typeof c.value !== "string") return;
      for (const name of c.expect) {
        const spans = findSpans(name, c.value);
        expect(spans.length).toBeGreaterThan(0);
        for (let i = 0; i < spans.length; i++) {
          const s = spans[i]!;
          expect(s.start).toBeGreaterThanOrEqual(i > 0 ? spans[i - 1]!.end : 0);
          expect(s.end).toBeGreaterThan(s.start);
          expect(s.end).toBeLessThanOrEqual(c.value.length);
        }
        const red = redactText(c.value, [name]);
        expect(red).toContain("[REDACTED:");
        expect(detect(name, red)).toBe(false);
      }
    });
  }

  it("summary: precision and recall per detector (0 unaccepted misses, 0 unaccepted false positives)", () => {
    const rows: string[] = [];
    for (const name of DETECTOR_NAMES) {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      let tn = 0;
      for (const { c } of corpus) {
        const got = detect(name, c.value);
        const real = truth(c, name);
        if (got && real) tp++;
        else if (got) fp++;
        else if (real) fn++;
        else tn++;
      }
      const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
      const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
      rows.push(`${name.padEnd(12)} tp ${tp} fp ${fp} fn ${fn} tn ${tn}  precision ${precision.toFixed(3)} recall ${recall.toFixed(3)}`);
    }
    const accepted = corpus.flatMap(({ c }) => Object.entries(c.accepted ?? {}).map(([n, why]) => `  ${c.id} (${n}): ${why}`));
    console.log(`detector corpus: ${corpus.length} cases\n${rows.join("\n")}\naccepted deviations:\n${accepted.join("\n")}`);
    // every deviation from the truth is an accepted one
    for (const { c } of corpus)
      for (const name of DETECTOR_NAMES)
        if (detect(name, c.value) !== truth(c, name)) expect(c.accepted?.[name], `${c.id}/${name}`).toBeDefined();
  });
});
