/**
 * A watch over the LSP byte stream, beside the JSON-RPC reader: it follows the framing (headers up
 * to a blank line, then Content-Length bytes of body) only to bound what the reader would buffer.
 * GUARANTEE: `onBroken` is called once, with a reason, as soon as a header block grows past
 * MAX_HEADER_BYTES without its blank line or a Content-Length announces more than MAX_MESSAGE_BYTES;
 * a well-framed stream of messages within the limits never triggers it, however it is chunked.
 * (A missing or non-numeric Content-Length is left to the reader, which reports it.)
 */

/** The largest message body accepted: far above a didOpen of a policy at the compiler's 4 MiB limit. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** The largest header block (Content-Length and Content-Type fit in well under 100 bytes). */
export const MAX_HEADER_BYTES = 8 * 1024;

const END = Buffer.from("\r\n\r\n");

export function watchFraming(onBroken: (reason: string) => void): (chunk: Buffer | string) => void {
  let header = Buffer.alloc(0);
  let bodyLeft = 0;
  let broken = false;
  const fail = (reason: string) => {
    broken = true;
    header = Buffer.alloc(0);
    onBroken(reason);
  };
  return (chunk) => {
    let data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    while (!broken && data.length > 0) {
      if (bodyLeft > 0) {
        const n = Math.min(bodyLeft, data.length);
        bodyLeft -= n;
        data = data.subarray(n);
        continue;
      }
      const joined = Buffer.concat([header, data]);
      const end = joined.indexOf(END);
      if (end < 0) {
        if (joined.length > MAX_HEADER_BYTES) return fail(`a message header longer than ${MAX_HEADER_BYTES} bytes`);
        header = joined;
        return;
      }
      if (end > MAX_HEADER_BYTES) return fail(`a message header longer than ${MAX_HEADER_BYTES} bytes`);
      const m = /(?:^|\r\n)content-length:\s*(\d+)\s*(?:\r\n|$)/i.exec(joined.subarray(0, end).toString("latin1"));
      if (!m) return; // the reader reports a header without a numeric Content-Length
      const length = Number(m[1]);
      if (length > MAX_MESSAGE_BYTES) return fail(`a message of ${m[1]} bytes, over the limit of ${MAX_MESSAGE_BYTES}`);
      header = Buffer.alloc(0);
      bodyLeft = length;
      data = joined.subarray(end + END.length);
    }
  };
}
