/**
 * The stdio framing (src/adapters/line-reader.ts): lines split on LF, CRLF stripped, UTF-8 split
 * across chunks kept whole, a last line without a newline delivered at end, over-long lines reported
 * once and discarded up to their newline with bounded memory; and, as a property, any chunking of the
 * same bytes gives the same lines.
 */
import { PassThrough } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineReader, readLines } from "../src/adapters/line-reader.js";

function collect(chunks: (string | Buffer)[], maxLineBytes = 1024) {
  const lines: string[] = [];
  const oversize: { bytes: number; limit: number }[] = [];
  const r = new LineReader({ maxLineBytes, onLine: (l) => lines.push(l), onOversize: (o) => oversize.push(o) });
  for (const c of chunks) r.push(c);
  r.end();
  return { lines, oversize };
}

describe("line reader", () => {
  it("splits on LF and strips a CR before it", () => {
    expect(collect(['{"a":1}\n{"b":2}\r\n', '{"c":3}\n']).lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it("delivers a final line without a newline at end of input", () => {
    expect(collect(['{"a":1}\n{"b"', ":2}"]).lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it("skips empty and whitespace-only lines", () => {
    expect(collect(["\n\r\n  \t \n{}\n\n"]).lines).toEqual(["{}"]);
  });

  it("keeps a UTF-8 character split across chunks whole", () => {
    const bytes = Buffer.from('{"t":"é€😀"}\n', "utf8");
    const chunks = [...bytes].map((b) => Buffer.from([b])); // one byte per chunk
    expect(collect(chunks).lines).toEqual(['{"t":"é€😀"}']);
  });

  it("reports an over-long line once, discards it to its newline, and goes on", () => {
    const huge = "x".repeat(5000);
    const { lines, oversize } = collect(["{}\n", huge.slice(0, 2000), huge.slice(2000), "\n", '{"after":1}\n'], 100);
    expect(lines).toEqual(["{}", '{"after":1}']);
    expect(oversize).toHaveLength(1);
    expect(oversize[0]!.limit).toBe(100);
    expect(oversize[0]!.bytes).toBeGreaterThan(100);
  });

  it("counts the limit without the line ending: exactly maxLineBytes passes, with LF or CRLF", () => {
    const at = "y".repeat(10);
    expect(collect([`${at}\n${at}\r\n${at}`], 10).lines).toEqual([at, at, at]);
    const r = collect([`${at}z\n${at}\rz\n`], 10);
    expect(r.lines).toEqual([]);
    expect(r.oversize).toHaveLength(2);
  });

  it("reports an over-long last line that never ends", () => {
    const r = collect(["{}\n", "z".repeat(300)], 100);
    expect(r.lines).toEqual(["{}"]);
    expect(r.oversize).toHaveLength(1);
  });

  it("drops every byte of a 16 MiB line without a newline, then reads the next line", () => {
    const lines: string[] = [];
    let reports = 0;
    const r = new LineReader({ maxLineBytes: 64, onLine: (l) => lines.push(l), onOversize: () => reports++ });
    const chunk = Buffer.alloc(1 << 16, 0x61);
    for (let i = 0; i < 256; i++) r.push(chunk);
    r.push('\n{"ok":true}\n');
    r.end();
    expect(lines).toEqual(['{"ok":true}']);
    expect(reports).toBe(1);
  });

  it("a callback that throws does not break the framing", () => {
    const lines: string[] = [];
    const errors: unknown[] = [];
    const r = new LineReader({
      maxLineBytes: 100,
      onLine: (l) => {
        if (l === "bad") throw new Error("boom");
        lines.push(l);
      },
      onError: (e) => errors.push(e),
    });
    r.push("a\nbad\nb\n");
    r.end();
    expect(lines).toEqual(["a", "b"]);
    expect(errors).toHaveLength(1);
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => new LineReader({ maxLineBytes: 0, onLine: () => {} })).toThrow(TypeError);
    expect(() => new LineReader({ maxLineBytes: 1.5, onLine: () => {} })).toThrow(TypeError);
  });

  it("reads a stream to its end (readLines)", async () => {
    const s = new PassThrough();
    const lines: string[] = [];
    const ended = new Promise<unknown>((resolve) => readLines(s, { maxLineBytes: 100, onLine: (l) => lines.push(l), onEnd: resolve }));
    s.write("one\ntw");
    s.end("o");
    await ended;
    expect(lines).toEqual(["one", "two"]);
  });

  it("property: any chunking of the same bytes gives the same lines and the same oversize reports", () => {
    const line = fc.oneof(fc.string({ maxLength: 30, unit: "grapheme" }), fc.constant("é€😀"), fc.string({ minLength: 41, maxLength: 80 }));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 10 }), (ls, crlf, cuts) => {
        const text = ls.map((l) => l.replace(/[\r\n]/g, "_")).join(crlf ? "\r\n" : "\n");
        const bytes = Buffer.from(text, "utf8");
        const whole = collect([bytes], 40);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(bytes.subarray(prev, p));
          prev = p;
        }
        chunks.push(bytes.subarray(prev));
        const split = collect(chunks, 40);
        expect(split.lines).toEqual(whole.lines);
        expect(split.oversize.length).toEqual(whole.oversize.length);
        // And the lines are what was written (short, non-blank ones).
        const expected = ls.map((l) => l.replace(/[\r\n]/g, "_")).filter((l) => l.trim() !== "" && Buffer.byteLength(l) <= 40);
        expect(whole.lines).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
