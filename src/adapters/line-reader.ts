/**
 * Newline-delimited framing for the stdio transport of MCP: bytes in, one callback per line out.
 * GUARANTEES:
 * - Lines are split on the byte 0x0A and decoded as UTF-8 only once whole, so a character split across
 *   chunks is never damaged; a `\r` before the newline is removed (CRLF); a last line without a
 *   newline is delivered at end of input. Lines holding only whitespace carry no message and are skipped.
 * - Memory is bounded: at most `maxLineBytes` bytes of the current line are held. A line that grows past
 *   the limit is reported once through `onOversize` (as soon as it crosses the limit) and discarded up to
 *   its newline; reading goes on with the next line. The limit counts the line's bytes without the
 *   newline and without a final `\r`.
 * - Callbacks run synchronously, in input order; one that throws does not break the framing (the error
 *   goes to `onError`, or is dropped).
 */
import type { Readable } from "node:stream";

export interface LineReaderOptions {
  /** The most bytes one line may hold (without its newline). */
  readonly maxLineBytes: number;
  /** One complete line, decoded, without its line ending. */
  onLine(line: string): void;
  /** A line crossed `maxLineBytes`: it is being discarded up to its newline. `bytes` = bytes seen so far. */
  onOversize?(info: { bytes: number; limit: number }): void;
  /** A callback threw. */
  onError?(error: unknown): void;
}

const NL = 0x0a;
const CR = 0x0d;

/** A push parser: feed it chunks, then `end()`. */
export class LineReader {
  readonly #options: LineReaderOptions;
  readonly #max: number;
  /** The pieces of the current line (their total is at most `#max` + 1: a held `\r` may follow the limit). */
  #parts: Buffer[] = [];
  #held = 0;
  /** The current line crossed the limit: drop bytes until its newline. */
  #discarding = false;
  #discarded = 0;
  #ended = false;

  constructor(options: LineReaderOptions) {
    if (!Number.isSafeInteger(options.maxLineBytes) || options.maxLineBytes < 1) {
      throw new TypeError("LineReader: `maxLineBytes` must be a positive integer");
    }
    this.#options = options;
    this.#max = options.maxLineBytes;
  }

  push(chunk: Buffer | Uint8Array | string): void {
    if (this.#ended) return;
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(NL, start);
      const end = nl < 0 ? buf.length : nl;
      this.#take(buf.subarray(start, end));
      if (nl < 0) break;
      this.#finishLine();
      start = nl + 1;
    }
  }

  /** End of input: a last line without a newline is delivered (or reported, if it was too long). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#held > 0 || this.#discarding) this.#finishLine();
  }

  #take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#discarding) {
      this.#discarded += piece.length;
      return;
    }
    // One byte over the limit is tolerated only if it may be the `\r` of a CRLF (checked at the newline).
    if (this.#held + piece.length > this.#max + 1 || (this.#held + piece.length === this.#max + 1 && piece[piece.length - 1] !== CR)) {
      const bytes = this.#held + piece.length;
      this.#parts = [];
      this.#held = 0;
      this.#discarding = true;
      this.#discarded = bytes;
      this.#call(() => this.#options.onOversize?.({ bytes, limit: this.#max }));
      return;
    }
    // Copy: the caller may reuse its chunk buffer.
    this.#parts.push(Buffer.from(piece));
    this.#held += piece.length;
  }

  #finishLine(): void {
    if (this.#discarding) {
      this.#discarding = false;
      this.#discarded = 0;
      return;
    }
    let line = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#held);
    this.#parts = [];
    this.#held = 0;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.#max) {
      // Only reachable when the byte past the limit was not a CR after all (a lone `\r` mid-line is data).
      const bytes = line.length;
      this.#call(() => this.#options.onOversize?.({ bytes, limit: this.#max }));
      return;
    }
    const text = line.toString("utf8");
    if (text.trim() === "") return;
    this.#call(() => this.#options.onLine(text));
  }

  #call(f: () => void): void {
    try {
      f();
    } catch (error) {
      try {
        this.#options.onError?.(error);
      } catch {
        // An error handler that throws has nowhere left to report to.
      }
    }
  }
}

/**
 * Reads lines from a stream until it ends or fails. `onEnd` runs once, after the last line, on end,
 * close or error (the error is passed).
 */
export function readLines(stream: Readable, options: LineReaderOptions & { onEnd?(error?: unknown): void }): LineReader {
  const reader = new LineReader(options);
  let done = false;
  const finish = (error?: unknown) => {
    if (done) return;
    done = true;
    reader.end();
    options.onEnd?.(error);
  };
  stream.on("data", (chunk: Buffer | string) => reader.push(chunk));
  stream.once("end", () => finish());
  stream.once("close", () => finish());
  stream.once("error", (error) => finish(error));
  return reader;
}
