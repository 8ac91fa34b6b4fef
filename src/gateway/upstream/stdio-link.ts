/**
 * The link to an upstream MCP server spawned as a child process, speaking newline-delimited JSON on its
 * stdin/stdout (one process per link, i.e. per client session).
 * GUARANTEES (with link.ts's):
 * - Spawned without a shell: `command[0]` with the rest as arguments, in `cwd`, with our environment plus
 *   the configured `env`.
 * - Its stdout is framed by adapters/line-reader.ts with `maxMessageBytes` per line: a line over the limit
 *   is discarded without being buffered and reported on stderr, as is a line that is not JSON; every other
 *   line is emitted as parsed (`related` undefined: stdio has no streams).
 * - Its stderr is copied to ours line by line, each prefixed `[upstream NAME] ` (a line over 64 KiB is dropped, with a note).
 * - A request not answered within `requestTimeoutMs` is answered -32013 (and cancelled upstream);
 *   `initialize` not answered within `connectTimeoutMs` ends the link (onClose) and stops the process.
 * - The process exits or cannot be started: onClose, once its output has been read to the end.
 * - close(): its stdin is ended; SIGTERM after 2 s, SIGKILL after 5 s; resolves once it has exited.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import type { UpstreamConfig } from "../config/types.js";
import { readLines } from "../../adapters/line-reader.js";
import { DEFAULT_MAX_SERVER_MESSAGE_BYTES, errorResponse, MCP_ERROR_CODES, type JsonRpcMessage } from "../../mcp/index.js";
import { Deadlines, type Deadlined } from "./deadlines.js";
import { requestIdOf, responseIdOf, type LinkEvents, type LinkOptions, type UpstreamLink } from "./link.js";

const SIGTERM_AFTER_MS = 2000;
const SIGKILL_AFTER_MS = 5000;
const STDERR_LINE_BYTES = 64 * 1024;
const RESOLVED: Promise<void> = Promise.resolve();

interface Waiting extends Deadlined {
  readonly init: boolean;
}

export function openStdioLink(upstream: UpstreamConfig, events: LinkEvents, options?: LinkOptions): UpstreamLink {
  return new StdioLink(upstream, events, options);
}

class StdioLink implements UpstreamLink {
  readonly kind = "stdio" as const;
  readonly #up: UpstreamConfig;
  readonly #events: LinkEvents;
  readonly #stderr: Writable;
  readonly #child: ChildProcess;
  readonly #pending: Deadlines<Waiting>;
  readonly #exited: Promise<void>;
  /** close() was called: no onClose, no more writes. */
  #closing: Promise<void> | undefined;
  /** The process is gone (or could not start). */
  #gone = false;
  #exit = "";

  constructor(upstream: UpstreamConfig, events: LinkEvents, options?: LinkOptions) {
    const argv = upstream.command;
    if (argv === undefined || argv.length === 0 || argv[0] === "") throw new TypeError(`upstream \`${upstream.name}\` has no command`);
    this.#up = upstream;
    this.#events = events;
    this.#stderr = options?.stderr ?? process.stderr;
    const max = options?.maxMessageBytes;
    const maxLine = typeof max === "number" && Number.isSafeInteger(max) && max > 0 ? max : DEFAULT_MAX_SERVER_MESSAGE_BYTES;
    this.#pending = new Deadlines<Waiting>(Math.min(upstream.requestTimeoutMs, upstream.connectTimeoutMs), (p) => this.#expired(p));

    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: upstream.cwd,
      env: { ...process.env, ...upstream.env },
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
      windowsHide: true,
    });
    this.#child = child;
    // A write to a process that died fails with EPIPE: its exit is what counts.
    child.stdin!.on("error", () => {});

    let resolveExited!: () => void;
    this.#exited = new Promise<void>((resolve) => (resolveExited = resolve));
    let outputDone = false;
    let processDone = false;
    const maybeGone = () => {
      if (!outputDone || !processDone) return;
      resolveExited();
      this.#ended(this.#exit);
    };
    readLines(child.stdout!, {
      maxLineBytes: maxLine,
      onLine: (line) => this.#line(line),
      onOversize: ({ bytes, limit }) => this.#note(`dropped a message over the size limit (${bytes}+ bytes, limit ${limit})`),
      onEnd: () => {
        outputDone = true;
        maybeGone();
      },
    });
    readLines(child.stderr!, {
      maxLineBytes: STDERR_LINE_BYTES,
      onLine: (line) => this.#note(line),
      onOversize: ({ limit }) => this.#note(`(a stderr line over ${limit} bytes was dropped)`),
    });
    child.once("error", (err: NodeJS.ErrnoException) => {
      // Not started (ENOENT, EACCES, ...): no output will come; `exit` may not follow.
      if (child.pid === undefined) {
        this.#exit = `cannot start the upstream \`${argv[0]}\`: ${err.code === "ENOENT" ? "no such file or command" : err.message}`;
        outputDone = true;
        processDone = true;
        maybeGone();
      }
    });
    child.once("exit", (code, signal) => {
      this.#exit = signal !== null ? `the upstream process was killed by ${signal}` : `the upstream process exited with code ${code}`;
      processDone = true;
      maybeGone();
    });
  }

  send(message: JsonRpcMessage): Promise<void> {
    const id = requestIdOf(message);
    if (this.#gone || this.#closing !== undefined) {
      if (id !== undefined) queueMicrotask(() => this.#emit(errorResponse(id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, `upstream \`${this.#up.name}\`: the link is closed`)));
      return RESOLVED;
    }
    let line: string;
    try {
      line = `${JSON.stringify(message)}\n`;
    } catch (err) {
      if (id !== undefined) queueMicrotask(() => this.#emit(errorResponse(id, MCP_ERROR_CODES.INTERNAL_ERROR, `cannot serialise the request: ${(err as Error).message}`)));
      return RESOLVED;
    }
    if (id !== undefined) {
      const init = (message as { method?: unknown }).method === "initialize";
      this.#pending.add({ id, deadline: Date.now() + (init ? this.#up.connectTimeoutMs : this.#up.requestTimeoutMs), init });
    } else if ((message as { method?: unknown }).method === "notifications/cancelled") {
      const rid = (message as { params?: { requestId?: unknown } }).params?.requestId;
      if (typeof rid === "string" || typeof rid === "number") this.#pending.take(rid);
    }
    this.#child.stdin!.write(line);
    return RESOLVED;
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#pending.drain();
    const child = this.#child;
    this.#closing = (async () => {
      if (this.#gone) return;
      child.stdin!.end();
      const term = setTimeout(() => child.kill("SIGTERM"), SIGTERM_AFTER_MS);
      const kill = setTimeout(() => child.kill("SIGKILL"), SIGKILL_AFTER_MS);
      await this.#exited;
      clearTimeout(term);
      clearTimeout(kill);
    })();
    return this.#closing;
  }

  #line(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.#note(`dropped a line that is not JSON (${line.length} characters)`);
      return;
    }
    const rid = responseIdOf(message);
    if (rid !== undefined) this.#pending.take(rid);
    if (this.#closing === undefined) this.#emit(message);
  }

  #emit(message: unknown): void {
    try {
      this.#events.onMessage(message, undefined);
    } catch {
      // The receiver's fault must not break the framing.
    }
  }

  #expired(p: Waiting): void {
    if (this.#gone || this.#closing !== undefined) return;
    if (p.init) {
      // A server that does not initialize is of no use: stop it (as close() does) and report the link gone.
      void this.close();
      try {
        this.#events.onClose(`the upstream did not answer initialize within ${this.#up.connectTimeoutMs} ms`);
      } catch {
        // nothing left to tell
      }
      return;
    }
    this.#emit(errorResponse(p.id, MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE, `upstream \`${this.#up.name}\` did not answer within ${this.#up.requestTimeoutMs} ms`));
    this.#child.stdin!.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: p.id, reason: "timed out in the gateway" } })}\n`);
  }

  #ended(reason: string): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#pending.drain();
    if (this.#closing !== undefined) return;
    try {
      this.#events.onClose(reason);
    } catch {
      // nothing left to tell
    }
  }

  #note(text: string): void {
    try {
      this.#stderr.write(`[upstream ${this.#up.name}] ${text}\n`);
    } catch {
      // stderr gone: nothing left to tell
    }
  }
}
