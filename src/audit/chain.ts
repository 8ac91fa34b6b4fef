/**
 * The hash chain every sink keeps: where the next record goes (`seq`, `prev`), and the check that a
 * line is a sound v1 record on its own (canonical form, schema, hash), shared by the sinks (reading an
 * existing file's last record) and by `verifyAuditLog`.
 * Guarantees: `AuditChain.prepare` never moves the chain; only `commit` of the record it prepared does,
 * so a record that could not be written leaves the chain where it was (the next record takes its place).
 */
import { AUDIT_SCHEMA, buildRecordLine, GENESIS, recordHash, recordLine, recordProblem, type AuditEntry, type AuditRecord } from "./record.js";

export { GENESIS };

/** The record of one line, or what is wrong with it (bad JSON, schema, canonical form, hash). */
export function readRecordLine(line: string): { record: AuditRecord } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { problem: `bad JSON: ${(e as Error).message}` };
  }
  const schema = recordProblem(value);
  if (schema) return { problem: `not a ${AUDIT_SCHEMA} record: ${schema}` };
  const record = value as AuditRecord;
  let canonical: string;
  try {
    canonical = recordLine(record);
  } catch (e) {
    return { problem: `not a JSON record: ${(e as Error).message}` };
  }
  // The hash covers the value; the canonical form pins the bytes (an escape spelled differently, white space).
  if (recordHash(record) !== record.hash) return { problem: `hash mismatch: the record's content does not match its hash (seq ${record.seq})` };
  if (canonical !== line) return { problem: "not in canonical form: the line was rewritten (white space, escapes or key order differ)" };
  return { record };
}

export class AuditChain {
  #seq: number;
  #prev: string;

  /** `after`: the last record already in the chain (absent: a new chain from GENESIS). */
  constructor(after?: { seq: number; hash: string }) {
    this.#seq = after?.seq ?? 0;
    this.#prev = after?.hash ?? GENESIS;
  }

  /** The seq of the last record (0 when none). */
  get seq(): number {
    return this.#seq;
  }

  /** The hash of the last record (GENESIS when none). */
  get lastHash(): string {
    return this.#prev;
  }

  /** The next record and its line (with the newline), without moving the chain. Throws AuditEntryError. */
  prepare(entry: AuditEntry): { record: AuditRecord; line: string } {
    const { record, line } = buildRecordLine(entry, this.#seq + 1, this.#prev);
    return { record, line: `${line}\n` };
  }

  /** The prepared record was written: it is now the last one. */
  commit(record: AuditRecord): void {
    if (record.seq !== this.#seq + 1 || record.prev !== this.#prev) throw new Error("audit chain: committed a record that does not follow the last one");
    this.#seq = record.seq;
    this.#prev = record.hash;
  }
}
