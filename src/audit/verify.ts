/**
 * Verifying an audit log: every line a sound v1 record (JSON, schema, canonical form, hash), numbered
 * from 1 without gaps, each pointing at the hash of the line before (the first at GENESIS).
 * Guarantees: an edited, deleted, inserted or reordered line is reported at the first line where the
 * chain breaks, with its line number and what is wrong; so is a file whose first records were cut off (seq
 * 1 and GENESIS are required first) and a file whose last line lacks its newline (a write cut short).
 * What it cannot see on its own: records cut off the END of a file leave a shorter, valid chain.
 * `records` and `lastHash` are what an external anchor must hold to catch that (docs/audit-schema.md).
 * Linear in the size of the text; `AuditLogVerifier` takes it line by line for files of any size.
 */
import { GENESIS, readRecordLine } from "./chain.js";

export type VerifyResult = { ok: true; records: number; lastHash: string } | { ok: false; records: number; line: number; problem: string };

/** Feed lines (without their newline) in order; `result` says where the chain broke first, if it did. */
export class AuditLogVerifier {
  #records = 0;
  #prev = GENESIS;
  #line = 0;
  #failure: { line: number; problem: string } | undefined;

  /** Takes the next line; false once the chain is broken (later lines are not read). */
  line(text: string): boolean {
    if (this.#failure) return false;
    this.#line++;
    const problem = this.#check(text);
    if (problem) {
      this.#failure = { line: this.#line, problem };
      return false;
    }
    return true;
  }

  #check(text: string): string | undefined {
    if (text.length === 0) return "empty line";
    const read = readRecordLine(text);
    if ("problem" in read) return read.problem;
    const r = read.record;
    const expected = this.#records + 1;
    if (r.seq !== expected) {
      const what = r.seq > expected ? `${r.seq - expected} record(s) missing before it, or lines reordered` : "a record repeated or lines reordered";
      return `seq gap: expected seq ${expected}, found ${r.seq} (${what})`;
    }
    if (r.prev !== this.#prev) return `prev mismatch: the record does not point at the hash of the record before it (a record before it was edited or replaced)`;
    this.#records = r.seq;
    this.#prev = r.hash;
    return undefined;
  }

  /** The text ended with a partial line (no newline after it). */
  partial(text: string): void {
    if (this.#failure) return;
    this.#line++;
    this.#failure = { line: this.#line, problem: `the last line has no newline (${text.length} characters; a write was cut short?)` };
  }

  result(): VerifyResult {
    if (this.#failure) return { ok: false, records: this.#records, ...this.#failure };
    return { ok: true, records: this.#records, lastHash: this.#prev };
  }
}

/** Verify a whole log held in memory (a JSONL text: one record per line, each ended by a newline). */
export function verifyAuditLog(text: string): VerifyResult {
  const v = new AuditLogVerifier();
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) {
      v.partial(text.slice(start));
      break;
    }
    if (!v.line(text.slice(start, nl))) break;
    start = nl + 1;
  }
  return v.result();
}
