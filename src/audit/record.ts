/**
 * The audit record, schema version 1 (`mcppolicy.audit/1`, documented field by field in
 * docs/audit-schema.md), its validation, and the builder that chains and hashes it.
 * Guarantees: `buildRecord` returns a record whose line (`recordLine`) is its canonical JSON
 * (contract/canonical.ts: keys sorted, no white space), and whose `hash` is the SHA-256 (hex) of the
 * canonical JSON of the record without `hash`; so a line is valid exactly when it is byte for byte the
 * canonical JSON of a record that passes `recordProblem` and whose hash recomputes. An entry that is not a
 * valid v1 entry is refused (AuditEntryError) before anything is written: a v1 record holds the fields
 * below and no others.
 * INVARIANT: the field checks here are the schema: docs/audit-schema.md and `AuditRecord` change with them
 * (and a change of meaning is a new schema version).
 */
import { createHash } from "node:crypto";
import { canonicalJson, canonicalJsonAt } from "../contract/canonical.js";

export const AUDIT_SCHEMA = "mcppolicy.audit/1";

/** The `prev` of the first record of a chain. */
export const GENESIS = "0".repeat(64);

export type AuditEffect = "allow" | "deny" | "require_approval" | "replay";
export type AuditOutcome = "ok" | "tool_error" | "error" | "upstream_unavailable" | "cancelled";

export interface AuditRecord {
  schema: typeof AUDIT_SCHEMA;
  /** 1 for the first record of a file, then +1 per record. */
  seq: number;
  /** The `hash` of the record before; GENESIS for the first. */
  prev: string;
  /** RFC 3339 (UTC, `toISOString`). */
  time: string;
  type: "decision" | "completion";
  /** Ties a completion record to its decision record. */
  callId: string;
  principal?: { id?: string; roles?: string[] };
  session?: string;
  server?: string;
  client?: { ip?: string };
  method: string;
  tool?: string;
  resource?: string;
  prompt?: string;
  /** Redacted (policy keys, then secret-looking values). */
  arguments?: unknown;
  effect: AuditEffect;
  /** False in shadow mode: the call was forwarded whatever `effect` says. */
  enforced: boolean;
  reasons: { code: string; rule?: string; message: string }[];
  /** Ids or names of the rules that decided. */
  rules: string[];
  /** The budgets the call was charged to. */
  budgets?: string[];
  approval?: { id: string; status?: string };
  policy?: { name: string; version: string; fingerprint: string };
  /** Decision time (decision record) or call time (completion record), milliseconds. */
  durationMs?: number;
  outcome?: AuditOutcome;
  /** Bytes of the result's JSON (its content is never recorded). */
  resultBytes?: number;
  tokens?: { input?: number; output?: number };
  /** SHA-256 hex of the canonical JSON of the record without `hash`. */
  hash: string;
}

export type AuditEntry = Omit<AuditRecord, "schema" | "seq" | "prev" | "hash">;

/** An entry that is not a valid v1 entry (a bug in the caller, not a write failure). */
export class AuditEntryError extends TypeError {
  override name = "AuditEntryError";
}

const HEX64 = /^[0-9a-f]{64}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const EFFECTS: ReadonlySet<string> = new Set(["allow", "deny", "require_approval", "replay"]);
const OUTCOMES: ReadonlySet<string> = new Set(["ok", "tool_error", "error", "upstream_unavailable", "cancelled"]);
const TYPES: ReadonlySet<string> = new Set(["decision", "completion"]);

type Check = (v: unknown) => string | undefined;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str: Check = (v) => (typeof v === "string" ? undefined : "must be a string");
const nonEmpty: Check = (v) => (typeof v === "string" && v.length > 0 ? undefined : "must be a non-empty string");
const strList: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === "string") ? undefined : "must be a list of strings");
const bool: Check = (v) => (typeof v === "boolean" ? undefined : "must be true or false");
const count: Check = (v) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? undefined : "must be an integer >= 0");
const amount: Check = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? undefined : "must be a number >= 0");
const oneOf = (set: ReadonlySet<string>): Check => (v) => (typeof v === "string" && set.has(v) ? undefined : `must be one of ${[...set].join(", ")}`);
const any: Check = () => undefined;

/** An object with exactly these fields (`?` in the name: optional). */
function shape(fields: Record<string, Check>): Check {
  const specs = Object.entries(fields).map(([k, c]) => ({ key: k.replace(/\?$/, ""), optional: k.endsWith("?"), check: c }));
  const known = new Set(specs.map((s) => s.key));
  return (v) => {
    if (!isObj(v)) return "must be an object";
    for (const k of Object.keys(v)) if (!known.has(k)) return `has an unknown field ${JSON.stringify(k)}`;
    for (const s of specs) {
      if (!Object.prototype.hasOwnProperty.call(v, s.key) || v[s.key] === undefined) {
        if (s.optional) continue;
        return `lacks \`${s.key}\``;
      }
      const p = s.check(v[s.key]);
      if (p) return `\`${s.key}\` ${p}`;
    }
    return undefined;
  };
}

const reason = shape({ code: nonEmpty, "rule?": str, message: str });
const ENTRY_FIELDS: Record<string, Check> = {
  time: (v) => (typeof v === "string" && RFC3339.test(v) ? undefined : "must be an RFC 3339 time"),
  type: oneOf(TYPES),
  callId: nonEmpty,
  "principal?": shape({ "id?": str, "roles?": strList }),
  "session?": str,
  "server?": str,
  "client?": shape({ "ip?": str }),
  method: nonEmpty,
  "tool?": str,
  "resource?": str,
  "prompt?": str,
  "arguments?": any,
  effect: oneOf(EFFECTS),
  enforced: bool,
  reasons: (v) => {
    if (!Array.isArray(v)) return "must be a list";
    for (const [i, r] of v.entries()) {
      const p = reason(r);
      if (p) return `[${i}] ${p}`;
    }
    return undefined;
  },
  rules: strList,
  "budgets?": strList,
  "approval?": shape({ id: nonEmpty, "status?": str }),
  "policy?": shape({ name: str, version: str, fingerprint: str }),
  "durationMs?": amount,
  "outcome?": oneOf(OUTCOMES),
  "resultBytes?": count,
  "tokens?": shape({ "input?": amount, "output?": amount }),
};
const entryShape = shape(ENTRY_FIELDS);
const recordShape = shape({
  schema: (v) => (v === AUDIT_SCHEMA ? undefined : `must be ${JSON.stringify(AUDIT_SCHEMA)}`),
  seq: (v) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 1 ? undefined : "must be an integer >= 1"),
  prev: (v) => (typeof v === "string" && HEX64.test(v) ? undefined : "must be 64 lowercase hex digits"),
  hash: (v) => (typeof v === "string" && HEX64.test(v) ? undefined : "must be 64 lowercase hex digits"),
  ...ENTRY_FIELDS,
});

/** What makes a value not a v1 record (schema only: not the hash or the chain), or undefined. */
export function recordProblem(value: unknown): string | undefined {
  return recordShape(value);
}

/** What makes a value not a v1 entry, or undefined. */
export function entryProblem(value: unknown): string | undefined {
  return entryShape(value);
}

/** SHA-256, hex, of the canonical JSON of the record without its `hash`. */
export function recordHash(record: Omit<AuditRecord, "hash"> | AuditRecord): string {
  const { hash: _ignored, ...body } = record as AuditRecord;
  return createHash("sha256").update(canonicalJson(body), "utf8").digest("hex");
}

/** The record's line in a JSONL file, without the newline: its canonical JSON. */
export function recordLine(record: AuditRecord): string {
  return canonicalJson(record);
}

/**
 * The record that follows `prev` at `seq`: the entry's fields (undefined ones left out), chained and
 * hashed. Throws AuditEntryError when the entry is not a valid v1 entry or is not JSON (a cycle, NaN,
 * a non-plain object, nesting past canonical JSON's limit).
 */
export function buildRecord(entry: AuditEntry, seq: number, prev: string): AuditRecord {
  return buildRecordLine(entry, seq, prev).record;
}

/**
 * The record that follows `prev` at `seq`, and its line (without the newline), canonicalized ONCE: each
 * member's canonical text is made once, the hash-free text (what is hashed) and the line (the same members
 * with `"hash"` at its sorted place) are both assembled from them. The line equals `recordLine(record)`.
 * Throws AuditEntryError like `buildRecord`.
 */
export function buildRecordLine(entry: AuditEntry, seq: number, prev: string): { record: AuditRecord; line: string } {
  const problem = entryProblem(entry);
  if (problem) throw new AuditEntryError(`invalid audit entry: ${problem}`);
  const body: Omit<AuditRecord, "hash"> = { ...entry, schema: AUDIT_SCHEMA, seq, prev };
  for (const k of Object.keys(body) as (keyof typeof body)[]) if (body[k] === undefined) delete body[k];
  const keys = Object.keys(body).sort();
  const members: string[] = [];
  try {
    for (const k of keys) members.push(`${JSON.stringify(k)}:${canonicalJsonAt((body as Record<string, unknown>)[k], 1)}`);
  } catch (e) {
    throw new AuditEntryError(`invalid audit entry: ${(e as Error).message}`);
  }
  const hash = createHash("sha256").update(`{${members.join(",")}}`, "utf8").digest("hex");
  // "hash" among the sorted keys (the body has no `hash` of its own: entries cannot carry one).
  let at = 0;
  while (at < keys.length && keys[at]! < "hash") at++;
  members.splice(at, 0, `"hash":${JSON.stringify(hash)}`);
  return { record: { ...body, hash }, line: `{${members.join(",")}}` };
}
