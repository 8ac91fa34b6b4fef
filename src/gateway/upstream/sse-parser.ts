/**
 * A push parser for `text/event-stream` (the WHATWG server-sent events format) as MCP's Streamable HTTP
 * uses it: bytes in, one callback per dispatched event out.
 * GUARANTEES:
 * - Lines end at LF (a CR before it is removed); a lone CR is not a line end (MCP servers write LF or
 *   CRLF). A line split across chunks is joined once (one Buffer.concat per line, never per chunk), and
 *   decoded as UTF-8 only when whole.
 * - Fields `data` (several lines joined with "\n"), `id` (ignored when it holds NUL), `retry` (digits only)
 *   and `event` are read; comments (`:`) and other fields are skipped. An event is dispatched at a blank
 *   line: `onId` first when it carried an id, then `onEvent` when it carried data and its type is empty or
 *   `message` (the SDK's rule). An event without data or with empty data (a priming event) dispatches no `onEvent`. An event
 *   unterminated at end of input is dropped (as the standard says).
 * - Memory is bounded: an event whose data passes `maxDataBytes` is discarded as it grows (its lines are
 *   not kept) and reported once through `onOversize` when it ends; its id still counts.
 */
export interface SseHandlers {
  onEvent(data: string): void;
  onId(id: string): void;
  onRetry(ms: number): void;
  onOversize(bytes: number): void;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

export class SseParser {
  readonly #max: number;
  readonly #h: SseHandlers;
  /** Pieces of the current, unfinished line. */
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** The current line is over the limit: drop it up to its LF. */
  #skipping = false;
  #data: string | undefined;
  #dataBytes = 0;
  #oversize = false;
  #id: string | undefined;
  #type = "";

  constructor(maxDataBytes: number, handlers: SseHandlers) {
    this.#max = maxDataBytes;
    this.#h = handlers;
  }

  push(chunk: Buffer): void {
    let start = 0;
    const n = chunk.length;
    while (start < n) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        this.#hold(chunk.subarray(start));
        return;
      }
      if (this.#skipping) {
        this.#skipping = false;
      } else if (this.#parts.length === 0) {
        this.#line(chunk, start, lf);
      } else {
        this.#parts.push(chunk.subarray(start, lf));
        const line = Buffer.concat(this.#parts, this.#partBytes + (lf - start));
        this.#parts = [];
        this.#partBytes = 0;
        this.#line(line, 0, line.length);
      }
      start = lf + 1;
    }
  }

  #hold(piece: Buffer): void {
    if (this.#skipping) return;
    if (this.#partBytes + piece.length > this.#max + 16) {
      // Longer than any field we keep may be (`data: ` + the limit): drop the line, the event is oversize.
      this.#parts = [];
      this.#partBytes = 0;
      this.#skipping = true;
      this.#oversize = true;
      this.#dataBytes += piece.length;
      this.#data = undefined;
      return;
    }
    // Copied: a part outlives the chunk it came in.
    this.#parts.push(Buffer.from(piece));
    this.#partBytes += piece.length;
  }

  #line(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) return this.#dispatch();
    if (buf[start] === COLON) return; // comment (keep-alive)
    let colon = buf.indexOf(COLON, start);
    if (colon < 0 || colon > end) colon = end;
    let value = colon + 1;
    if (value < end && buf[value] === SPACE) value++;
    if (value > end) value = end;
    const nameLen = colon - start;
    // Field names compared as bytes: `data` is the hot one (its value may be megabytes: decoded once).
    if (nameLen === 4 && buf[start] === 0x64 && buf[start + 1] === 0x61 && buf[start + 2] === 0x74 && buf[start + 3] === 0x61) {
      this.#addData(buf, value, end);
      return;
    }
    const name = buf.toString("latin1", start, colon);
    if (name === "id") {
      const id = buf.toString("utf8", value, end);
      if (!id.includes("\0")) this.#id = id;
    } else if (name === "retry") {
      const text = buf.toString("latin1", value, end);
      if (/^\d+$/.test(text)) this.#h.onRetry(Number(text));
    } else if (name === "event") {
      this.#type = buf.toString("utf8", value, end);
    }
  }

  #addData(buf: Buffer, start: number, end: number): void {
    this.#dataBytes += end - start + (this.#data === undefined ? 0 : 1);
    if (this.#oversize || this.#dataBytes > this.#max) {
      this.#oversize = true;
      this.#data = undefined;
      return;
    }
    const text = buf.toString("utf8", start, end);
    this.#data = this.#data === undefined ? text : `${this.#data}\n${text}`;
  }

  #dispatch(): void {
    const h = this.#h;
    const id = this.#id;
    const data = this.#data;
    const oversize = this.#oversize;
    const bytes = this.#dataBytes;
    const type = this.#type;
    this.#id = undefined;
    this.#data = undefined;
    this.#dataBytes = 0;
    this.#oversize = false;
    this.#type = "";
    if (id !== undefined) h.onId(id);
    if (type !== "" && type !== "message") return;
    if (oversize) h.onOversize(bytes);
    else if (data !== undefined && data !== "") h.onEvent(data); // empty data dispatches nothing (the standard)
  }
}
