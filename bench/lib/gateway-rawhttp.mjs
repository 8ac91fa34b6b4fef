// A minimal HTTP/1.1 client on one keep-alive TCP connection, for the gateway benchmark's load loops: the
// node:http client costs ~60-80 µs of CPU per request on this machine, as much as the trivial upstream, and it
// runs on the same 2 cores as the gateway it measures; this one costs a fraction of that.
//
// GUARANTEES
// - One connection, one request at a time (requests queue; no pipelining); the connection is opened on first
//   use and again after the server closed it (`Connection: close`, idle timeout), never while a request waits.
// - Responses framed by Content-Length, by chunked transfer encoding, or (without either) by the end of the
//   connection; 1xx, 204 and 304 carry no body. Header names are lower-cased; repeated headers keep the last.
// - A socket error, an early close or no complete response within `timeoutMs` rejects that request and
//   destroys the connection (the next request opens a new one). Only when a reused connection fails before
//   any byte of the answer came back (the server closed it while idle) is the request sent again, once, on a
//   new connection.
// - Not a general client: no TLS, no redirects, no request streaming; bodies are strings.
import net from "node:net";

const CRLF2 = Buffer.from("\r\n\r\n");

export class RawHttpConnection {
  constructor(host, port, { timeoutMs = 30_000 } = {}) {
    this.host = host;
    this.port = port;
    this.timeoutMs = timeoutMs;
    this.sock = undefined;
    this.queue = Promise.resolve();
  }

  /** @returns {Promise<{status: number, headers: Record<string, string>, body: string}>} */
  request(method, path, headers, body) {
    // A reused connection the server closed while idle fails before any byte of the answer: once, on a new one.
    const run = () => {
      const reused = this.sock !== undefined && !this.sock.destroyed;
      return this.#once(method, path, headers, body).catch((e) => {
        if (reused && e?.beforeAnswer) return this.#once(method, path, headers, body);
        throw e;
      });
    };
    const p = this.queue.then(run, run);
    this.queue = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  close() {
    this.sock?.destroy();
    this.sock = undefined;
  }

  #connect() {
    const sock = net.connect({ host: this.host, port: this.port });
    sock.setNoDelay(true);
    this.sock = sock;
    sock.on("close", () => {
      if (this.sock === sock) this.sock = undefined;
    });
    return sock;
  }

  #once(method, path, headers, body) {
    const sock = this.sock && !this.sock.destroyed ? this.sock : this.#connect();
    const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
    if (payload) head += `content-length: ${payload.length}\r\n`;
    head += "\r\n";
    return new Promise((resolve, reject) => {
      let buf = Buffer.alloc(0);
      let parsed; // { status, headers, bodyStart, length?, chunked, untilClose }
      const done = (err, value) => {
        if (err && !err.timeout && !parsed && buf.length === 0) err.beforeAnswer = true;
        clearTimeout(timer);
        sock.off("data", onData);
        sock.off("error", onError);
        sock.off("close", onClose);
        if (err) {
          sock.destroy();
          reject(err);
        } else {
          if (value.headers.connection === "close") sock.end();
          resolve(value);
        }
      };
      const timer = setTimeout(() => done(Object.assign(new Error(`no complete answer within ${this.timeoutMs} ms: ${method} ${path}`), { timeout: true })), this.timeoutMs);
      const tryParse = (ended) => {
        if (!parsed) {
          const at = buf.indexOf(CRLF2);
          if (at < 0) return ended ? done(new Error("connection closed before the response headers")) : undefined;
          const lines = buf.subarray(0, at).toString("latin1").split("\r\n");
          const status = Number(lines[0].split(" ")[1]);
          const hs = {};
          for (let i = 1; i < lines.length; i++) {
            const c = lines[i].indexOf(":");
            if (c > 0) hs[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
          }
          const noBody = method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200);
          const chunked = /chunked/i.test(hs["transfer-encoding"] ?? "");
          const length = noBody ? 0 : chunked ? undefined : hs["content-length"] !== undefined ? Number(hs["content-length"]) : undefined;
          parsed = { status, headers: hs, chunked, length, untilClose: !noBody && !chunked && length === undefined };
          buf = buf.subarray(at + 4);
        }
        if (parsed.length !== undefined) {
          if (buf.length >= parsed.length) return done(undefined, { status: parsed.status, headers: parsed.headers, body: buf.subarray(0, parsed.length).toString("utf8") });
          return ended ? done(new Error("connection closed inside the response body")) : undefined;
        }
        if (parsed.chunked) {
          const parts = [];
          let pos = 0;
          for (;;) {
            const nl = buf.indexOf("\r\n", pos);
            if (nl < 0) break;
            const size = parseInt(buf.subarray(pos, nl).toString("latin1"), 16);
            if (Number.isNaN(size)) return done(new Error("bad chunk size"));
            if (size === 0) {
              // last chunk; trailers (none expected) end with an empty line
              const end = buf.indexOf("\r\n", nl + 2);
              if (end < 0) break;
              return done(undefined, { status: parsed.status, headers: parsed.headers, body: Buffer.concat(parts).toString("utf8") });
            }
            if (buf.length < nl + 2 + size + 2) break;
            parts.push(buf.subarray(nl + 2, nl + 2 + size));
            pos = nl + 2 + size + 2;
          }
          return ended ? done(new Error("connection closed inside a chunked body")) : undefined;
        }
        if (ended) return done(undefined, { status: parsed.status, headers: parsed.headers, body: buf.toString("utf8") });
      };
      const onData = (d) => {
        buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
        tryParse(false);
      };
      const onError = (e) => done(e);
      const onClose = () => tryParse(true);
      sock.on("data", onData);
      sock.on("error", onError);
      sock.on("close", onClose);
      sock.write(payload ? Buffer.concat([Buffer.from(head, "latin1"), payload]) : head);
    });
  }
}
