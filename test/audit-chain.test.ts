/**
 * The audit record and its hash chain (src/audit/record.ts, chain.ts, verify.ts): a log verifies when
 * untouched; an edited line, a deleted middle line, a reordered pair, a cut head, a partial last line
 * are each reported at the line where the chain breaks; a cut tail leaves a valid, shorter chain whose
 * count and last hash differ from the anchor. Properties: verify(serialize(records)) holds for any
 * generated entries, and any single-byte change in any line is detected.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AUDIT_SCHEMA, AuditEntryError, GENESIS, buildRecord, recordHash, recordLine, type AuditEntry } from "../src/audit/record.js";
import { MemoryAuditSink } from "../src/audit/sink.js";
import { verifyAuditLog } from "../src/audit/verify.js";

const entry = (n: number, extra?: Partial<AuditEntry>): AuditEntry => ({
  time: `2026-01-01T00:00:0${n % 10}.000Z`,
  type: "decision",
  callId: `call-${n}`,
  principal: { id: "alice", roles: ["dev"] },
  session: "s-1",
  method: "tools/call",
  tool: "read_file",
  arguments: { path: `/w/${n}.txt` },
  effect: "allow",
  enforced: true,
  reasons: [{ code: "allowed", rule: "dev/1", message: "allowed by dev/1" }],
  rules: ["dev/1"],
  ...extra,
});

function log(n: number): string {
  const sink = new MemoryAuditSink();
  for (let i = 1; i <= n; i++) sink.append(entry(i));
  return sink.text();
}
const lines = (text: string) => text.split("\n").slice(0, -1);
const join = (ls: string[]) => ls.map((l) => `${l}\n`).join("");

describe("records", () => {
  it("a record carries the schema, seq from 1, prev = GENESIS then the hash before, and the sha256 hex of its canonical JSON without hash", () => {
    const sink = new MemoryAuditSink();
    sink.append(entry(1));
    sink.append(entry(2));
    const [a, b] = sink.records;
    expect(a).toMatchObject({ schema: AUDIT_SCHEMA, seq: 1, prev: GENESIS });
    expect(b).toMatchObject({ seq: 2, prev: a!.hash });
    expect(a!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(recordHash(a!)).toBe(a!.hash);
    // The line is the canonical JSON: keys sorted, no white space.
    const line = lines(sink.text())[0]!;
    expect(line.startsWith('{"arguments":{"path":"/w/1.txt"},"callId":"call-1",')).toBe(true);
    expect(line).not.toMatch(/\s"/);
  });

  it("undefined fields are left out; an invalid entry is refused before it is chained", () => {
    const r = buildRecord({ ...entry(1), tool: undefined }, 1, GENESIS);
    expect("tool" in r).toBe(false);
    expect(() => buildRecord({ ...entry(1), effect: "maybe" as never }, 1, GENESIS)).toThrow(AuditEntryError);
    expect(() => buildRecord({ ...entry(1), extra: 1 } as never, 1, GENESIS)).toThrow(/unknown field "extra"/);
    expect(() => buildRecord({ ...entry(1), time: "yesterday" }, 1, GENESIS)).toThrow(/RFC 3339/);
    expect(() => buildRecord({ ...entry(1), arguments: { n: Number.NaN } }, 1, GENESIS)).toThrow(AuditEntryError);
    const sink = new MemoryAuditSink();
    expect(() => sink.append({ ...entry(1), reasons: [{ code: "", message: "x" }] })).toThrow(AuditEntryError);
    sink.append(entry(1));
    expect(sink.records[0]!.seq).toBe(1);
  });
});

describe("arguments with own __proto__ keys", () => {
  it("are recorded as data and the log verifies", () => {
    const sink = new MemoryAuditSink();
    sink.append(entry(1, { arguments: JSON.parse('{"__proto__":{"polluted":true},"a":1}') }));
    const line = lines(sink.text())[0]!;
    expect(line).toContain('"arguments":{"__proto__":{"polluted":true},"a":1}');
    expect(verifyAuditLog(sink.text())).toMatchObject({ ok: true, records: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("verifyAuditLog", () => {
  it("an untouched log verifies: record count and last hash", () => {
    const text = log(5);
    const last = JSON.parse(lines(text)[4]!) as { hash: string };
    expect(verifyAuditLog(text)).toEqual({ ok: true, records: 5, lastHash: last.hash });
    expect(verifyAuditLog("")).toEqual({ ok: true, records: 0, lastHash: GENESIS });
  });

  it("an edited line is a hash mismatch at that line", () => {
    const ls = lines(log(5));
    ls[2] = ls[2]!.replace('"effect":"allow"', '"effect":"deny"');
    expect(verifyAuditLog(join(ls))).toMatchObject({ ok: false, records: 2, line: 3, problem: expect.stringMatching(/^hash mismatch/) });
  });

  it("an edited line whose hash was recomputed breaks the next line's prev", () => {
    const ls = lines(log(5));
    const r = JSON.parse(ls[2]!);
    r.effect = "deny";
    const forged = buildRecord((({ schema, seq, prev, hash, ...e }) => e)(r), r.seq, r.prev);
    ls[2] = recordLine(forged);
    const out = verifyAuditLog(join(ls));
    expect(out).toMatchObject({ ok: false, records: 3, line: 4, problem: expect.stringMatching(/^prev mismatch/) });
  });

  it("a deleted middle line is a seq gap at the line after it", () => {
    const ls = lines(log(5));
    ls.splice(2, 1);
    expect(verifyAuditLog(join(ls))).toMatchObject({ ok: false, records: 2, line: 3, problem: expect.stringMatching(/^seq gap: expected seq 3, found 4/) });
  });

  it("a reordered pair is a seq gap at the first of them", () => {
    const ls = lines(log(5));
    [ls[1], ls[2]] = [ls[2]!, ls[1]!];
    expect(verifyAuditLog(join(ls))).toMatchObject({ ok: false, records: 1, line: 2, problem: expect.stringMatching(/^seq gap: expected seq 2, found 3/) });
  });

  it("a cut head is refused: the first record must be seq 1", () => {
    const ls = lines(log(5));
    expect(verifyAuditLog(join(ls.slice(2)))).toMatchObject({ ok: false, records: 0, line: 1, problem: expect.stringMatching(/^seq gap/) });
  });

  it("a cut tail leaves a valid shorter chain: only the count and last hash, held elsewhere, show it", () => {
    const full = verifyAuditLog(log(5));
    const cut = verifyAuditLog(join(lines(log(5)).slice(0, 3)));
    expect(cut.ok).toBe(true);
    expect(full.ok && cut.ok && [cut.records, cut.lastHash]).not.toEqual(full.ok && [full.records, full.lastHash]);
    expect(cut).toMatchObject({ records: 3 });
  });

  it("a last line without its newline, an empty line, a line that is not JSON, a record of another schema", () => {
    const text = log(3);
    expect(verifyAuditLog(text.slice(0, -1))).toMatchObject({ ok: false, records: 2, line: 3, problem: expect.stringMatching(/no newline/) });
    expect(verifyAuditLog(text.slice(0, -40))).toMatchObject({ ok: false, records: 2, line: 3 });
    expect(verifyAuditLog(`${text}\n`)).toMatchObject({ ok: false, records: 3, line: 4, problem: "empty line" });
    expect(verifyAuditLog(`${text}not json\n`)).toMatchObject({ ok: false, line: 4, problem: expect.stringMatching(/^bad JSON/) });
    const other = lines(text)[0]!.replace(AUDIT_SCHEMA, "mcppolicy.audit/2");
    expect(verifyAuditLog(`${other}\n`)).toMatchObject({ ok: false, line: 1, problem: expect.stringMatching(/schema/) });
  });

  it("the same record with different bytes (white space, an escape spelled otherwise) is not canonical", () => {
    const [first] = lines(log(1));
    expect(verifyAuditLog(`${first!.replace('"callId":', '"callId": ')}\n`)).toMatchObject({ ok: false, problem: expect.stringMatching(/canonical/) });
    expect(verifyAuditLog(`${first!.replace('"call-1"', '"call\\u002d1"')}\n`)).toMatchObject({ ok: false, problem: expect.stringMatching(/canonical/) });
    expect(verifyAuditLog(`${first}\r\n`)).toMatchObject({ ok: false });
  });
});

// ---- properties ----

const text = fc.string({ maxLength: 12 });
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const entryArb: fc.Arbitrary<AuditEntry> = fc.record({
  time: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  type: fc.constantFrom("decision" as const, "completion" as const),
  callId: fc.string({ minLength: 1, maxLength: 20 }),
  principal: opt(fc.record({ id: opt(text), roles: opt(fc.array(text, { maxLength: 3 })) })),
  session: opt(text),
  server: opt(text),
  client: opt(fc.record({ ip: opt(text) })),
  method: fc.constantFrom("tools/call", "resources/read", "prompts/get", "tools/list"),
  tool: opt(fc.string({ unit: "grapheme", maxLength: 10 })),
  resource: opt(text),
  prompt: opt(text),
  arguments: opt(json),
  effect: fc.constantFrom("allow" as const, "deny" as const, "require_approval" as const, "replay" as const),
  enforced: fc.boolean(),
  reasons: fc.array(fc.record({ code: fc.string({ minLength: 1, maxLength: 10 }), rule: opt(text), message: fc.string() }), { maxLength: 3 }),
  rules: fc.array(text, { maxLength: 3 }),
  budgets: opt(fc.array(text, { maxLength: 2 })),
  approval: opt(fc.record({ id: fc.string({ minLength: 1, maxLength: 10 }), status: opt(text) })),
  policy: opt(fc.record({ name: text, version: text, fingerprint: text })),
  durationMs: opt(fc.double({ min: 0, max: 1e6, noNaN: true })),
  outcome: opt(fc.constantFrom("ok" as const, "tool_error" as const, "error" as const, "upstream_unavailable" as const, "cancelled" as const)),
  resultBytes: opt(fc.nat()),
  tokens: opt(fc.record({ input: opt(fc.nat()), output: opt(fc.nat()) })),
});

describe("properties", () => {
  it("verify(serialize(records)) is ok for any entries, with their count and the last record's hash", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 8 }), (entries) => {
        const sink = new MemoryAuditSink();
        for (const e of entries) sink.append(e);
        const out = verifyAuditLog(sink.text());
        expect(out).toEqual({ ok: true, records: entries.length, lastHash: sink.records.at(-1)?.hash ?? GENESIS });
      }),
      { numRuns: 200 },
    );
  });

  it("any single-byte change in any line is detected", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (entries, which, at, delta) => {
        const sink = new MemoryAuditSink();
        for (const e of entries) sink.append(e);
        const bytes = Buffer.from(sink.text(), "utf8");
        // Any byte of any line, its newline included (the last newline too).
        const i = (which * 7919 + at) % bytes.length;
        bytes[i] = (bytes[i]! + delta) % 256;
        const changed = bytes.toString("utf8");
        expect(verifyAuditLog(changed).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
