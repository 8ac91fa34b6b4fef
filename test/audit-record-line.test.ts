// The record line is assembled from members canonicalized once; it must be exactly the canonical JSON of
// the record (what `verify` recomputes), and its hash the hash of the record without `hash`.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildRecordLine, GENESIS, recordHash, recordLine, verifyAuditLog, type AuditEntry } from "../src/audit/index.js";

const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)));

const entry: fc.Arbitrary<AuditEntry> = fc.record(
  {
    time: fc.constant("2026-12-05T07:00:00.000Z"),
    type: fc.constantFrom("decision", "completion"),
    callId: fc.string({ minLength: 1, maxLength: 8 }),
    method: fc.constantFrom("tools/call", "resources/read", "tools/list"),
    tool: fc.string({ minLength: 1, maxLength: 8 }),
    arguments: fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 4 }),
    effect: fc.constantFrom("allow", "deny", "require_approval", "replay"),
    enforced: fc.boolean(),
    reasons: fc.array(fc.record({ code: fc.constantFrom("allow_rule", "deny_rule"), message: fc.string({ maxLength: 10 }) }), { maxLength: 2 }),
    rules: fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 2 }),
    durationMs: fc.nat(),
  },
  { requiredKeys: ["time", "type", "callId", "method", "effect", "enforced", "reasons", "rules"] },
) as fc.Arbitrary<AuditEntry>;

describe("buildRecordLine", () => {
  it("gives the canonical line of the record and a chain that verifies", () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 5 }), (entries) => {
        let prev = GENESIS;
        const lines: string[] = [];
        entries.forEach((e, i) => {
          const { record, line } = buildRecordLine(e, i + 1, prev);
          expect(line).toBe(recordLine(record));
          expect(record.hash).toBe(recordHash(record));
          lines.push(line);
          prev = record.hash;
        });
        expect(verifyAuditLog(lines.join("\n") + "\n")).toMatchObject({ ok: true, records: entries.length });
      }),
      { numRuns: 200 },
    );
  });
});
