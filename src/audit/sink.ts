/**
 * Where audit records go: `AuditSink`, and two sinks. `JsonlAuditSink` appends one canonical JSON line
 * per record to a file; `MemoryAuditSink` keeps them in an array (tests, hosts that ship records
 * themselves).
 * Guarantees (JsonlAuditSink):
 * - `append` returns only once the whole line was handed to the OS with `writeSync` (and `fsync`ed with
 *   `{ fsync: true }`): a record a caller saw appended is in the file even if the process dies next.
 * - Anything that keeps a record from being written throws AuditUnavailableError (opening too); the
 *   chain does not move then, and a partly written line is cut off again (ftruncate to the size before);
 *   when that fails too the sink refuses every later append, so the file never holds a line in the
 *   middle of the chain that a later record skips. An entry that is not a valid v1 entry throws
 *   AuditEntryError before anything is written.
 * - Opening an existing file continues its chain from its last line, which must be a sound record (valid
 *   JSON, schema, canonical form, hash). A last line that is not, or a file that ends without a newline (a
 *   write cut short), is refused with a message that says to verify and rotate the file: continuing would
 *   fork the chain or bury the damage. Only the last line is read (the rest: `mcppolicy audit verify`).
 * - Appends are serialised: `append` is synchronous, so two calls can never interleave their bytes.
 *   One writer per file: two sinks (or processes) on one file would fork the chain, so a second
 *   JsonlAuditSink on a file this process already has open (same device and inode, whatever the path
 *   spelling) is refused until the first is closed: share one sink between connections. Other processes
 *   are not detected (verify reports the fork).
 * - Files are created with mode 0600 (records hold arguments). A character device (`/dev/stderr`) is
 *   accepted and starts a new chain (nothing to read back); a directory, FIFO or socket is refused.
 */
import { closeSync, constants, fstatSync, ftruncateSync, fsyncSync, openSync, readSync, statSync, writeSync, type Stats } from "node:fs";
import { AuditChain, readRecordLine } from "./chain.js";
import { recordLine, type AuditEntry, type AuditRecord } from "./record.js";

export interface AuditSink {
  /** Record one entry. Throws (or rejects) when it could not be recorded. */
  append(entry: AuditEntry): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** The sink could not record (or open): the caller must not go on as if it had (deny, unless fail-open). */
export class AuditUnavailableError extends Error {
  override name = "AuditUnavailableError";
  readonly code = "AUDIT_UNAVAILABLE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Regular files open in this process, by `dev:ino`: one sink per file. */
const OPEN_FILES = new Set<string>();

/** The longest last line read back when opening (a record holds at most a few MiB of arguments). */
const MAX_TAIL_BYTES = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;

const errno = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code}: ${err.message}` : String((e as Error)?.message ?? e);
};

export interface JsonlAuditSinkOptions {
  /** fsync after every record (slower; survives a power cut, not only a crash). Default false. */
  fsync?: boolean;
}

export class JsonlAuditSink implements AuditSink {
  readonly path: string;
  #fd: number | undefined;
  #chain: AuditChain;
  #fsync: boolean;
  #regular: boolean;
  /** Bytes of the file as far as this sink knows (regular files): where to cut a failed write back to. */
  #size: number;
  #broken: string | undefined;
  #identity: string | undefined;

  constructor(path: string, options?: JsonlAuditSinkOptions) {
    this.path = path;
    this.#fsync = options?.fsync === true;
    let before: Stats | undefined;
    try {
      before = statSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code !== "ENOENT") throw new AuditUnavailableError(`cannot open audit log ${path}: ${errno(e)}`, { cause: e });
    }
    if (before) refuseKind(path, before);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600);
    } catch (e) {
      throw new AuditUnavailableError(`cannot open audit log ${path}: ${errno(e)}`, { cause: e });
    }
    try {
      const st = fstatSync(fd);
      refuseKind(path, st);
      this.#regular = st.isFile();
      if (this.#regular) {
        const identity = `${st.dev}:${st.ino}`;
        if (OPEN_FILES.has(identity)) throw new AuditUnavailableError(`audit log ${path} is already open in this process: share one JsonlAuditSink (two writers would fork the chain)`);
        this.#identity = identity;
      }
      this.#size = this.#regular ? st.size : 0;
      this.#chain = new AuditChain(this.#regular ? lastRecord(fd, st.size, path) : undefined);
      if (this.#identity) OPEN_FILES.add(this.#identity);
    } catch (e) {
      closeSync(fd);
      throw e instanceof AuditUnavailableError ? e : new AuditUnavailableError(`cannot open audit log ${path}: ${errno(e)}`, { cause: e });
    }
    this.#fd = fd;
  }

  /** The seq and hash of the last record written (0 and GENESIS for an empty chain). */
  get last(): { seq: number; hash: string } {
    return { seq: this.#chain.seq, hash: this.#chain.lastHash };
  }

  append(entry: AuditEntry): void {
    const fd = this.#fd;
    if (fd === undefined) throw new AuditUnavailableError(`audit log ${this.path} is closed`);
    if (this.#broken) throw new AuditUnavailableError(`audit log ${this.path} is unusable after a failed write (${this.#broken}); verify and rotate it`);
    const { record, line } = this.#chain.prepare(entry);
    const bytes = Buffer.from(line, "utf8");
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      if (this.#fsync) fsyncSync(fd);
    } catch (e) {
      this.#undo(written, e);
      throw new AuditUnavailableError(`cannot write audit log ${this.path}: ${errno(e)}`, { cause: e });
    }
    this.#size += bytes.length;
    this.#chain.commit(record);
  }

  /** After a failed write: cut the partial line off, or mark the sink broken when that cannot be done. */
  #undo(written: number, cause: unknown): void {
    if (written === 0) return;
    if (!this.#regular) {
      this.#broken = errno(cause);
      return;
    }
    try {
      ftruncateSync(this.#fd!, this.#size);
    } catch {
      this.#broken = errno(cause);
    }
  }

  close(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (this.#identity) OPEN_FILES.delete(this.#identity);
    this.#identity = undefined;
    if (fd !== undefined) closeSync(fd);
  }
}

function refuseKind(path: string, st: Stats): void {
  if (st.isDirectory()) throw new AuditUnavailableError(`cannot open audit log ${path}: it is a directory`);
  if (!st.isFile() && !st.isCharacterDevice()) throw new AuditUnavailableError(`cannot open audit log ${path}: not a regular file (a FIFO or socket cannot hold a verifiable chain)`);
}

/** The last record of a file of `size` bytes, or undefined when it is empty. Throws AuditUnavailableError. */
function lastRecord(fd: number, size: number, path: string): { seq: number; hash: string } | undefined {
  if (size === 0) return undefined;
  const advice = `verify it (mcppolicy audit verify ${path}) and move it aside before writing a new log`;
  const lastByte = Buffer.alloc(1);
  readSync(fd, lastByte, 0, 1, size - 1);
  if (lastByte[0] !== 0x0a) throw new AuditUnavailableError(`audit log ${path} ends in a partial line (a write was cut short?); ${advice}`);
  // Scan back from before the final newline for the newline that starts the last line.
  const end = size - 1;
  let start = 0;
  const chunk = Buffer.alloc(CHUNK);
  for (let pos = end; pos > 0; ) {
    const from = Math.max(0, pos - CHUNK);
    const n = readSync(fd, chunk, 0, pos - from, from);
    const i = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (i >= 0) {
      start = from + i + 1;
      break;
    }
    pos = from;
    if (end - pos > MAX_TAIL_BYTES) throw new AuditUnavailableError(`audit log ${path}: its last line is longer than ${MAX_TAIL_BYTES} bytes; ${advice}`);
  }
  const bytes = Buffer.alloc(end - start);
  let got = 0;
  while (got < bytes.length) {
    const n = readSync(fd, bytes, got, bytes.length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, got));
  } catch {
    throw new AuditUnavailableError(`the last line of audit log ${path} is not UTF-8; ${advice}`);
  }
  const read = readRecordLine(text);
  if ("problem" in read) throw new AuditUnavailableError(`the last line of audit log ${path} is not a sound audit record (${read.problem}); continuing would fork the chain: ${advice}`);
  return { seq: read.record.seq, hash: read.record.hash };
}

/** Records kept in memory, chained like a file's. `text()` is the JSONL a file would hold. */
export class MemoryAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];
  #chain = new AuditChain();

  append(entry: AuditEntry): void {
    const { record } = this.#chain.prepare(entry);
    this.records.push(record);
    this.#chain.commit(record);
  }

  /** The records as JSONL, one canonical line each. */
  text(): string {
    return this.records.map((r) => `${recordLine(r)}\n`).join("");
  }

  close(): void {}
}
