/**
 * The client side of one gateway session over Streamable HTTP: where each message bound for the client goes.
 * GUARANTEES:
 * - The answer to a request goes to the POST that carried it: as one `application/json` body when nothing
 *   else came for that request first (the fast path), else as the last event of that POST's SSE stream, which
 *   then ends. A message related to a request (progress, logging, a sampling or elicitation request sent while
 *   it runs) switches that POST to an SSE stream (priming event first: an id and empty data, with `retry`),
 *   when the client accepts `text/event-stream`.
 * - Any other message goes to the session's standalone GET stream; while none is open, up to `maxBacklog`
 *   wait for one (the oldest dropped first, and reported).
 * - Every SSE event has an id (`STREAM_SEQ`) and is kept (at most `replayEvents` events, `replayBytes` bytes)
 *   so a client that lost a stream resumes it with GET + `Last-Event-ID`: the events after that id are sent
 *   again and the stream continues on the new response (SEP-1699). An id the channel does not know is refused.
 * - A client that went away loses nothing it can resume; a JSON answer to a client that went away is dropped.
 * - Never throws: a response that cannot be written is treated as a client that went away.
 */
import type { ServerResponse } from "node:http";
import { idKey } from "../adapters/ids.js";
import type { JsonRpcId, JsonRpcMessage } from "../mcp/index.js";
import { eventId, KEEP_ALIVE_COMMENT, messageEvent, parseEventId, primingEvent, SSE_HEADERS } from "./sse.js";

export interface ClientChannelOptions {
  readonly sessionId: string;
  /** SSE events kept for resumption. Default 1000. */
  readonly replayEvents?: number;
  /** Bytes of SSE events kept for resumption. Default 16 MiB. */
  readonly replayBytes?: number;
  /** The `retry` hint sent on every stream (ms). Default 1000. */
  readonly retryMs?: number;
  /** Messages kept for the standalone stream while none is open. Default 1000. */
  readonly maxBacklog?: number;
  /** A keep-alive comment on open SSE streams this often (ms). Default 25000; 0: none. */
  readonly keepAliveMs?: number;
  /** Something was dropped (a stray answer, a full backlog). */
  readonly onDrop?: (what: string) => void;
}

interface Stream {
  readonly id: string;
  res: ServerResponse | undefined;
  seq: number;
  done: boolean;
}

interface Exchange {
  readonly res: ServerResponse;
  readonly sse: boolean;
  stream?: Stream;
}

interface Logged {
  readonly stream: string;
  readonly seq: number;
  readonly text: string;
}

const isResponse = (m: JsonRpcMessage): boolean => "id" in m && ("result" in m || "error" in m);

export class ClientChannel {
  readonly #o: Required<Omit<ClientChannelOptions, "onDrop">> & Pick<ClientChannelOptions, "onDrop">;
  readonly #exchanges = new Map<string, Exchange>();
  readonly #streams = new Map<string, Stream>();
  readonly #log: Logged[] = [];
  #logBytes = 0;
  #standalone: Stream | undefined;
  #backlog: string[] = [];
  #streamCount = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ClientChannelOptions) {
    this.#o = {
      sessionId: options.sessionId,
      replayEvents: options.replayEvents ?? 1000,
      replayBytes: options.replayBytes ?? 16 * 1024 * 1024,
      retryMs: options.retryMs ?? 1000,
      maxBacklog: options.maxBacklog ?? 1000,
      keepAliveMs: options.keepAliveMs ?? 25_000,
      onDrop: options.onDrop,
    };
  }

  /** Requests whose answer the client still waits for. */
  get pending(): number {
    return this.#exchanges.size;
  }

  has(id: JsonRpcId): boolean {
    return this.#exchanges.has(idKey(id));
  }

  /** A POST carried request `id`: its answer (and what relates to it) goes to `res`. */
  expect(id: JsonRpcId, res: ServerResponse, acceptsSse: boolean): void {
    this.#exchanges.set(idKey(id), { res, sse: acceptsSse });
  }

  /** A message for the client; `related`: the client request it belongs to. */
  deliver(message: JsonRpcMessage, related?: JsonRpcId): void {
    if (this.#closed) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch {
      this.#o.onDrop?.("a message that is not JSON");
      return;
    }
    if (isResponse(message)) {
      const id = (message as { id: JsonRpcId | null }).id;
      const ex = id === null ? undefined : this.#exchanges.get(idKey(id));
      if (!ex) {
        this.#o.onDrop?.(`an answer to a request no client waits for (id ${JSON.stringify(id)})`);
        return;
      }
      this.#exchanges.delete(idKey(id as JsonRpcId));
      if (ex.stream) {
        this.#emit(ex.stream, text);
        this.#finish(ex.stream);
      } else this.#json(ex.res, text);
      return;
    }
    if (related !== undefined) {
      const ex = this.#exchanges.get(idKey(related));
      if (ex && ex.sse) {
        ex.stream ??= this.#openPostStream(ex.res);
        this.#emit(ex.stream, text);
        return;
      }
    }
    this.#toStandalone(text);
  }

  /**
   * GET: the standalone stream, or (with a `Last-Event-ID` of a POST stream) that stream resumed.
   * Returns false when the id is unknown or the standalone stream is already open (the caller answers 409/400).
   */
  openGet(res: ServerResponse, lastEventId?: string): "ok" | "conflict" | "unknown-event" {
    if (this.#closed) return "unknown-event";
    if (lastEventId !== undefined) {
      const at = parseEventId(lastEventId);
      const stream = at && this.#streams.get(at.stream);
      if (!at || !stream) return "unknown-event";
      if (stream === this.#standalone && stream.res && !stream.res.destroyed) return "conflict";
      this.#attach(stream, res);
      for (const e of this.#log) if (e.stream === stream.id && e.seq > at.seq) this.#write(stream, messageEvent(eventId(e.stream, e.seq), e.text));
      if (stream.done) this.#end(stream);
      else if (stream === this.#standalone) this.#flushBacklog();
      return "ok";
    }
    if (this.#standalone?.res && !this.#standalone.res.destroyed) return "conflict";
    if (this.#standalone) this.#standalone.done = true; // the lost one: resumable while its events are kept
    const stream = this.#newStream("g");
    this.#standalone = stream;
    this.#attach(stream, res);
    this.#write(stream, primingEvent(eventId(stream.id, 0), this.#o.retryMs));
    this.#flushBacklog();
    return "ok";
  }

  /** Ends every open response; later messages are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const ex of this.#exchanges.values()) {
      if (ex.stream) this.#end(ex.stream);
      else if (!ex.res.headersSent && !ex.res.destroyed) {
        try {
          ex.res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "the session ended" } }));
        } catch {
          // the client went away
        }
      }
    }
    this.#exchanges.clear();
    for (const s of this.#streams.values()) this.#end(s);
    this.#streams.clear();
    this.#log.length = 0;
    this.#backlog = [];
  }

  #json(res: ServerResponse, text: string): void {
    if (res.destroyed || res.writableEnded) {
      this.#o.onDrop?.("an answer to a client that went away");
      return;
    }
    try {
      res.writeHead(200, { "content-type": "application/json", "mcp-session-id": this.#o.sessionId, "content-length": Buffer.byteLength(text) });
      res.end(text);
    } catch {
      this.#o.onDrop?.("an answer to a client that went away");
    }
  }

  #newStream(kind: "p" | "g"): Stream {
    const stream: Stream = { id: `${kind}${(this.#streamCount++).toString(36)}`, res: undefined, seq: 0, done: false };
    this.#streams.set(stream.id, stream);
    return stream;
  }

  #openPostStream(res: ServerResponse): Stream {
    const stream = this.#newStream("p");
    this.#attach(stream, res);
    this.#write(stream, primingEvent(eventId(stream.id, 0), this.#o.retryMs));
    return stream;
  }

  #attach(stream: Stream, res: ServerResponse): void {
    stream.res = res;
    try {
      if (!res.headersSent) res.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": this.#o.sessionId });
      res.flushHeaders?.();
    } catch {
      stream.res = undefined;
      return;
    }
    res.once("close", () => {
      if (stream.res === res) stream.res = undefined;
    });
    this.#keepAlive();
  }

  #emit(stream: Stream, text: string): void {
    stream.seq++;
    this.#remember({ stream: stream.id, seq: stream.seq, text });
    this.#write(stream, messageEvent(eventId(stream.id, stream.seq), text));
  }

  #write(stream: Stream, chunk: string): void {
    const res = stream.res;
    if (!res || res.destroyed || res.writableEnded) {
      stream.res = undefined;
      return;
    }
    try {
      res.write(chunk);
    } catch {
      stream.res = undefined;
    }
  }

  #finish(stream: Stream): void {
    stream.done = true;
    this.#end(stream);
  }

  #end(stream: Stream): void {
    const res = stream.res;
    stream.res = undefined;
    if (res && !res.destroyed && !res.writableEnded) {
      try {
        res.end();
      } catch {
        // gone already
      }
    }
  }

  #toStandalone(text: string): void {
    const s = this.#standalone;
    if (s?.res && !s.res.destroyed) {
      this.#emit(s, text);
      return;
    }
    if (s) {
      // A standalone stream the client lost: keep the event under its id, so a resume with Last-Event-ID gets it.
      this.#emit(s, text);
      return;
    }
    this.#backlog.push(text);
    if (this.#backlog.length > this.#o.maxBacklog) {
      this.#backlog.shift();
      this.#o.onDrop?.("the oldest message waiting for a GET stream (backlog full)");
    }
  }

  #flushBacklog(): void {
    const s = this.#standalone;
    if (!s) return;
    const waiting = this.#backlog;
    this.#backlog = [];
    for (const text of waiting) this.#emit(s, text);
  }

  #remember(e: Logged): void {
    this.#log.push(e);
    this.#logBytes += e.text.length;
    while (this.#log.length > this.#o.replayEvents || (this.#logBytes > this.#o.replayBytes && this.#log.length > 1)) {
      const old = this.#log.shift() as Logged;
      this.#logBytes -= old.text.length;
      const s = this.#streams.get(old.stream);
      // A finished stream with nothing left to replay is forgotten.
      if (s && s.done && !s.res && !this.#log.some((l) => l.stream === s.id)) this.#streams.delete(s.id);
    }
  }

  #keepAlive(): void {
    if (this.#timer || this.#o.keepAliveMs <= 0) return;
    this.#timer = setInterval(() => {
      let open = 0;
      for (const s of this.#streams.values()) {
        if (s.res && !s.res.destroyed) {
          open++;
          this.#write(s, KEEP_ALIVE_COMMENT);
        }
      }
      if (open === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, this.#o.keepAliveMs);
    this.#timer.unref();
  }
}
