/**
 * Server-sent events as the Streamable HTTP transport uses them: one JSON-RPC message per `message` event,
 * each with an id (`STREAM_SEQ`) a client can resume after (`Last-Event-ID`), a priming event (an id and
 * empty data) first, and a `retry` telling the client how long to wait before reconnecting.
 * GUARANTEES: `data` lines never contain a raw newline (JSON text has none: JSON.stringify escapes them);
 * event ids are `[A-Za-z0-9_-]` only, so a hostile Last-Event-ID is parsed, never echoed into a header.
 */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
});

export function eventId(stream: string, seq: number): string {
  return `${stream}_${seq}`;
}

/** `STREAM_SEQ` → its parts; anything else → undefined. */
export function parseEventId(text: unknown): { stream: string; seq: number } | undefined {
  if (typeof text !== "string" || text.length > 64) return undefined;
  const m = /^([A-Za-z0-9-]{1,40})_(\d{1,15})$/.exec(text);
  if (!m) return undefined;
  return { stream: m[1] as string, seq: Number(m[2]) };
}

export function primingEvent(id: string, retryMs: number): string {
  return `id: ${id}\nretry: ${Math.max(0, Math.floor(retryMs))}\ndata: \n\n`;
}

export function messageEvent(id: string, json: string): string {
  return `event: message\nid: ${id}\ndata: ${json}\n\n`;
}

/** A comment line: keeps intermediaries from closing an idle stream. */
export const KEEP_ALIVE_COMMENT = ": keep-alive\n\n";
