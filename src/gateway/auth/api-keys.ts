/**
 * API key verification against the key file, which is re-read when it changes.
 * A presented key is parsed (`mcpp_<id>_<secret>`), its record looked up by id, and sha256(key) compared with
 * the stored hash in constant time; then expiry. The file is stat'ed at most once per second (by the injected
 * clock) and re-read when its mtime, size or inode changed (`keys` commands replace it by rename).
 * GUARANTEES: fail closed. A key file that becomes unreadable or invalid makes every key fail (`unavailable`)
 * until it is valid again (a half-edited file never keeps a removed key alive); the first load throws instead,
 * so a gateway does not start on a broken file. Verdicts carry the record (id, principal), never the key.
 * A key that verified is remembered (at most VERIFIED_MAX keys, forgotten whenever the file is re-read or
 * breaks) so its next requests skip the hash; a remembered key is still checked against the record loaded
 * now and its expiry on every request. Only keys that verified are remembered: a wrong key always pays the
 * hash and the constant-time comparison.
 */
import { statSync, type Stats } from "node:fs";
import { FileRefusal, readRegularFile } from "../../source/files.js";
import { hashApiKey, parseApiKey, sameHash } from "./api-key-format.js";
import { parseKeyFile, type KeyRecord } from "./key-file.js";

export type ApiKeyVerdict =
  | { ok: true; record: KeyRecord }
  | { ok: false; reason: "malformed" | "unknown" | "mismatch" | "expired" | "unavailable"; id?: string };

const STAT_INTERVAL_MS = 1000;
/** Compared against when the id is unknown, so an unknown id costs what a wrong secret costs. */
const DUMMY_HASH = `sha256:${"0".repeat(64)}`;
/** How many verified keys are remembered; past it the oldest is forgotten. */
const VERIFIED_MAX = 1024;

export class ApiKeyStore {
  private keys = new Map<string, KeyRecord>();
  private broken = false;
  private lastStatAt = -Infinity;
  private stamp = "";
  /** Presented key → the record it verified against (in the current file). */
  private verified = new Map<string, KeyRecord>();

  constructor(
    readonly file: string,
    private readonly now: () => number,
    private readonly warn: (message: string) => void = () => {},
  ) {
    const first = this.load();
    if (first !== undefined) throw new Error(first);
    this.lastStatAt = now();
  }

  /** How many keys are loaded (0 while the file is broken). */
  get size(): number {
    return this.broken ? 0 : this.keys.size;
  }

  verify(credential: string): ApiKeyVerdict {
    this.refresh();
    const known = this.broken ? undefined : this.verified.get(credential);
    if (known !== undefined && this.keys.get(known.id) === known) {
      if (known.expires !== undefined && Date.parse(known.expires) <= this.now()) return { ok: false, reason: "expired", id: known.id };
      return { ok: true, record: known };
    }
    const parsed = parseApiKey(credential);
    if (parsed === undefined) return { ok: false, reason: "malformed" };
    if (this.broken) return { ok: false, reason: "unavailable", id: parsed.id };
    const record = this.keys.get(parsed.id);
    const match = sameHash(hashApiKey(credential), record?.hash ?? DUMMY_HASH);
    if (record === undefined) return { ok: false, reason: "unknown", id: parsed.id };
    if (!match) return { ok: false, reason: "mismatch", id: parsed.id };
    if (record.expires !== undefined && Date.parse(record.expires) <= this.now()) return { ok: false, reason: "expired", id: parsed.id };
    if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(credential, record);
    return { ok: true, record };
  }

  /** Re-read the file if it changed (checked at most once per second). */
  refresh(): void {
    const t = this.now();
    if (t - this.lastStatAt < STAT_INTERVAL_MS) return;
    this.lastStatAt = t;
    let st: Stats;
    try {
      st = statSync(this.file);
    } catch (e) {
      this.fail(`the API key file ${this.file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; every API key is refused until it can`);
      this.stamp = "";
      return;
    }
    if (stampOf(st) === this.stamp && !this.broken) return;
    const error = this.load();
    if (error !== undefined) this.fail(`${error}; every API key is refused until the file is valid`);
  }

  private fail(message: string): void {
    if (!this.broken) this.warn(message);
    this.broken = true;
    this.verified.clear();
  }

  /** Load the file; an error message, or undefined when loaded. */
  private load(): string | undefined {
    let text: string;
    let st: Stats;
    try {
      st = statSync(this.file);
      text = readRegularFile(this.file);
    } catch (e) {
      return `the API key file ${this.file} cannot be read: ${e instanceof FileRefusal ? e.message : ((e as NodeJS.ErrnoException).code ?? (e as Error).message)}`;
    }
    const parsed = parseKeyFile(text, this.file);
    if (!parsed.ok) return parsed.error;
    this.keys = new Map(parsed.keys.map((k) => [k.id, k]));
    this.verified.clear();
    this.stamp = stampOf(st);
    this.broken = false;
    return undefined;
  }
}

function stampOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}
