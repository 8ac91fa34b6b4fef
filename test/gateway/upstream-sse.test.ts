// The SSE parser of the HTTP upstream link: the event-stream format as servers write it, fed whole, byte by
// byte and in random splits (the same events must come out), with CRLF, multi-line data, comments, other
// event types, priming events, bad ids and retries, UTF-8 split across chunks, and events over the cap.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SseParser } from "../../src/gateway/upstream/sse-parser.js";

type Out = Array<["event", string] | ["id", string] | ["retry", number] | ["oversize", number]>;

function parse(chunks: Buffer[], max = 1 << 20): Out {
  const out: Out = [];
  const p = new SseParser(max, {
    onEvent: (d) => out.push(["event", d]),
    onId: (i) => out.push(["id", i]),
    onRetry: (ms) => out.push(["retry", ms]),
    onOversize: (b) => out.push(["oversize", b]),
  });
  for (const c of chunks) p.push(c);
  return out;
}

const STREAM = [
  "id: s_1\nretry: 500\ndata: \n\n", // priming event (SDK / SEP-1699)
  ": keepalive\n\n",
  'event: message\nid: s_2\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"data":"héllo ✓ 😀"}}\n\n',
  "data: line one\r\ndata: line two\r\n\r\n",
  "event: ping\ndata: not for us\n\n",
  "id: bad\u0000id\ndata: {}\n\n",
  "retry: soon\ndata: 1\n\n",
  "data:no-space\n\n",
  "data: unterminated at the end",
].join("");

const EXPECTED: Out = [
  ["retry", 500],
  ["id", "s_1"],
  ["id", "s_2"],
  ["event", '{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"héllo ✓ 😀"}}'],
  ["event", "line one\nline two"],
  ["event", "{}"],
  ["event", "1"],
  ["event", "no-space"],
];

describe("SseParser", () => {
  it("reads the fields MCP servers write; skips comments, other event types, empty data, bad ids and retries", () => {
    expect(parse([Buffer.from(STREAM)])).toEqual(EXPECTED);
  });

  it("gives the same events fed byte by byte (UTF-8 characters split across chunks included)", () => {
    const buf = Buffer.from(STREAM);
    expect(parse([...buf].map((b) => Buffer.from([b])))).toEqual(EXPECTED);
  });

  it("gives the same events for any split of the input", () => {
    const buf = Buffer.from(STREAM);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: buf.length - 1 }), { maxLength: 30 }), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), buf.length];
        const chunks = at.slice(1).map((end, i) => buf.subarray(at[i], end));
        expect(parse(chunks)).toEqual(EXPECTED);
      }),
    );
  });

  it("an event over the cap is reported once (its id still counts) and the next event is read", () => {
    const big = "x".repeat(5000);
    const text = `id: e1\ndata: ${big}\n\nid: e2\ndata: {"ok":true}\n\n`;
    const expected: Out = [["id", "e1"], ["oversize", 5000], ["id", "e2"], ["event", '{"ok":true}']];
    expect(parse([Buffer.from(text)], 1000)).toEqual(expected);
    // Split in small chunks: the long line is dropped while it arrives, never held whole.
    const buf = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < buf.length; i += 64) chunks.push(buf.subarray(i, i + 64));
    const out = parse(chunks, 1000);
    expect(out.map((o) => o[0])).toEqual(["id", "oversize", "id", "event"]);
    expect(out[3]).toEqual(["event", '{"ok":true}']);
  });

  it("data spread over several lines counts toward the cap together", () => {
    const line = `data: ${"y".repeat(400)}\n`;
    expect(parse([Buffer.from(`${line}${line}${line}\ndata: z\n\n`)], 1000)).toEqual([["oversize", 1202], ["event", "z"]]);
  });
});
