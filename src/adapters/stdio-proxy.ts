/**
 * The stdio proxy: one MCP client on our stdin/stdout, one upstream MCP server as a child process, and
 * one enforcer (adapters/enforcer.ts) between them. This file is only the I/O shell: framing, the
 * child's lifetime, exit codes; every decision is the enforcer's.
 * GUARANTEES:
 * - The upstream is spawned without a shell (the command and its arguments are passed as they are).
 *   When it cannot be started, a clear message goes to stderr and the proxy resolves 127 (not found)
 *   or 126 (not executable), having read nothing from stdin.
 * - Both directions are newline-delimited JSON (line-reader.ts) with a byte limit per line (the
 *   enforcer's `maxMessageBytes`, default 4 MiB, for the client's lines; its `maxServerMessageBytes`,
 *   default 64 MiB, for the upstream's). An
 *   over-long line from the client is discarded without being buffered and answered -32012
 *   (MESSAGE_TOO_LARGE) with id null; one from the upstream is discarded and reported on stderr.
 * - Nothing but protocol messages is written to `stdout`; the upstream's stderr is copied to `stderr`.
 * - Client messages are handed to the enforcer as they arrive, without waiting for earlier ones to be
 *   decided (a call waiting for the client's answer to an elicitation must not block that answer).
 * - The upstream exits or crashes: its remaining output is relayed, every pending client request is
 *   answered by `enforcer.upstreamClosed` (-32013), and the proxy resolves with the upstream's exit code
 *   (a signal n gives 128 + n).
 * - Our stdin ends (or our stdout fails, e.g. EPIPE: the client went away): the client's messages
 *   still being decided are finished, the upstream's stdin is ended, and the upstream gets
 *   `exitTimeoutMs` to exit before SIGTERM, then as long again before SIGKILL. Answers keep flowing to
 *   stdout meanwhile (a client may close its side and still read).
 * - Signals listed in `forwardSignals` are passed on to the upstream while it runs (a host stopping the
 *   proxy stops the server, which then ends the proxy with 128 + n as above).
 * - Never rejects: a fault in the enforcer is reported on stderr and the proxy keeps running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Readable, Writable } from "node:stream";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_SERVER_MESSAGE_BYTES, errorResponse, MCP_ERROR_CODES, type JsonRpcMessage } from "../mcp/index.js";
import { createEnforcer as realCreateEnforcer, originalTextOf, type Enforcer, type EnforcerOptions } from "./enforcer.js";
import { readLines } from "./line-reader.js";


export interface StdioProxyOptions {
  /** The upstream server's executable (looked up on PATH; no shell). */
  readonly command: string;
  readonly args?: readonly string[];
  /** The upstream's environment. Default: ours. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Everything the enforcer needs but its two outputs, which the proxy supplies. */
  readonly enforcer: Omit<EnforcerOptions, "toClient" | "toServer">;
  /** The client side. Default: process.stdin / process.stdout. */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Where the upstream's stderr and the proxy's own messages go. Default: process.stderr. */
  readonly stderr?: Writable;
  /** How long the upstream may take to exit once its stdin is closed (then SIGTERM, then SIGKILL). Default 5000 ms. */
  readonly exitTimeoutMs?: number;
  /**
   * Signals that, sent to this process, are passed on to the upstream (whose exit then ends the proxy
   * as usual). The CLI passes SIGINT, SIGTERM and SIGHUP. Default none.
   */
  readonly forwardSignals?: readonly NodeJS.Signals[];
  /** The enforcer factory (tests may pass another). Default: adapters/enforcer.ts createEnforcer. */
  readonly createEnforcer?: (options: EnforcerOptions) => Enforcer;
}

/** Runs the proxy until the upstream is gone; resolves with the exit code the proxy should exit with. */
export async function runStdioProxy(options: StdioProxyOptions): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const maxClient = options.enforcer.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxServer = options.enforcer.maxServerMessageBytes ?? DEFAULT_MAX_SERVER_MESSAGE_BYTES;
  const exitTimeoutMs = options.exitTimeoutMs ?? 5000;
  const note = (text: string) => {
    try {
      stderr.write(`mcppolicy proxy: ${text}\n`);
    } catch {
      // stderr gone: nothing left to tell
    }
  };

  const child = spawn(options.command, [...(options.args ?? [])], {
    stdio: ["pipe", "pipe", "pipe"],
    env: options.env ?? process.env,
    cwd: options.cwd,
    shell: false,
    windowsHide: true,
  });
  const started = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (e) => resolve(e));
  });
  if (started) {
    note(`cannot start the upstream server \`${options.command}\`: ${spawnProblem(started)}`);
    return started.code === "EACCES" || started.code === "EPERM" ? 126 : 127;
  }
  return new ProxyRun(options, child, stdin, stdout, stderr, note, maxClient, maxServer, exitTimeoutMs).run();
}

function spawnProblem(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ENOENT":
      return "no such file or command (is it installed and on PATH?)";
    case "EACCES":
    case "EPERM":
      return "permission denied (is it executable?)";
    default:
      return e.message;
  }
}

class ProxyRun {
  readonly #enforcer: Enforcer;
  /** Enforcer calls not yet settled, by direction. */
  readonly #fromClient = new Set<Promise<void>>();
  readonly #fromServer = new Set<Promise<void>>();
  #clientGone = false;
  #upstreamGone = false;
  #stdinDone = false;
  #onDrain: (() => void)[] = [];

  constructor(
    readonly options: StdioProxyOptions,
    readonly child: ChildProcess,
    readonly stdin: Readable,
    readonly stdout: Writable,
    readonly stderr: Writable,
    readonly note: (text: string) => void,
    readonly maxClient: number,
    readonly maxServer: number,
    readonly exitTimeoutMs: number,
  ) {
    const create = options.createEnforcer ?? realCreateEnforcer;
    const userHook = options.enforcer.onProtocolError;
    this.#enforcer = create({
      ...options.enforcer,
      maxMessageBytes: maxClient,
      maxServerMessageBytes: maxServer,
      toClient: (m) => this.#toClient(m),
      toServer: (m) => this.#toServer(m),
      onProtocolError: (problem) => {
        if (userHook) userHook(problem);
        else note(problem);
      },
    });
  }

  async run(): Promise<number> {
    const { child } = this;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const upstreamOutputEnded = new Promise<void>((resolve) => child.stdout!.once("close", resolve).once("end", resolve));
    // A write to an upstream that died fails with EPIPE: its exit is handled below.
    child.stdin!.on("error", () => {});
    child.stderr!.on("data", (chunk: Buffer) => {
      try {
        this.stderr.write(chunk);
      } catch {
        // our stderr is gone
      }
    });
    child.stderr!.on("error", () => {});
    this.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (!this.#clientGone) this.note(`the client's side closed (${e.code ?? e.message}); stopping the upstream`);
      this.#clientGone = true;
      this.#releaseDrains();
      void this.#clientEnded();
    });
    this.stdout.on("drain", () => this.#releaseDrains());

    readLines(child.stdout!, {
      maxLineBytes: this.maxServer,
      onLine: (line) => this.#track(this.#fromServer, this.#enforcer.fromServerText(line)),
      onOversize: ({ limit }) => this.note(`dropped a message from the upstream longer than ${limit} bytes`),
      onError: (e) => this.note(`internal error on an upstream message: ${describe(e)}`),
    });
    readLines(this.stdin, {
      maxLineBytes: this.maxClient,
      onLine: (line) => this.#track(this.#fromClient, this.#enforcer.fromClientText(line)),
      onOversize: ({ limit }) => {
        // The line was not kept, so its id cannot be read: the answer's id is null.
        void this.#toClient(errorResponse(null, MCP_ERROR_CODES.MESSAGE_TOO_LARGE, `the message is larger than ${limit} bytes; it was discarded unread`, { limit }));
      },
      onError: (e) => this.note(`internal error on a client message: ${describe(e)}`),
      onEnd: () => void this.#clientEnded(),
    });

    const forward = (sig: NodeJS.Signals) => {
      this.note(`got ${sig}; passing it on to the upstream server`);
      this.child.kill(sig);
    };
    for (const sig of this.options.forwardSignals ?? []) process.on(sig, forward);
    const { code, signal } = await exited.finally(() => {
      for (const sig of this.options.forwardSignals ?? []) process.off(sig, forward);
    });
    // What the upstream wrote before it exited is still relayed (bounded: a grandchild may hold the pipe).
    await Promise.race([upstreamOutputEnded, delay(1000)]);
    this.#upstreamGone = true;
    await settleAll(this.#fromServer);
    const reason = signal ? `the upstream server was killed by ${signal}` : `the upstream server exited with code ${code}`;
    await this.#guard(this.#enforcer.upstreamClosed(reason));
    await this.#guard(this.#enforcer.close());
    this.#stopReadingClient();
    if (signal) {
      const n = (osConstants.signals as Record<string, number | undefined>)[signal];
      return 128 + (n ?? 0);
    }
    return code ?? 1;
  }

  /** The client will send nothing more: finish what it sent, then let the upstream go. */
  async #clientEnded(): Promise<void> {
    if (this.#stdinDone) return;
    this.#stdinDone = true;
    await Promise.race([settleAll(this.#fromClient), delay(this.exitTimeoutMs)]);
    this.child.stdin!.end();
    const gone = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once("exit", () => resolve());
    });
    const term = setTimeout(() => {
      this.note(`the upstream server did not exit within ${this.exitTimeoutMs} ms of its input closing; sending SIGTERM`);
      this.child.kill("SIGTERM");
      const kill = setTimeout(() => this.child.kill("SIGKILL"), this.exitTimeoutMs);
      kill.unref();
    }, this.exitTimeoutMs);
    term.unref();
    await gone;
    clearTimeout(term);
  }

  #stopReadingClient(): void {
    this.stdin.removeAllListeners("data");
    this.stdin.pause();
  }

  #track(set: Set<Promise<void>>, p: Promise<void>): void {
    // HOT PATH (every line): one promise per line; the enforcer's entry points never reject, but a
    // rejection would still be reported, never left unhandled.
    const guarded: Promise<void> = p.then(
      () => void set.delete(guarded),
      (e: unknown) => {
        set.delete(guarded);
        this.note(`internal error: ${describe(e)}`);
      },
    );
    set.add(guarded);
  }

  #guard(p: Promise<void> | void): Promise<void> {
    return Promise.resolve(p).catch((e) => this.note(`internal error: ${describe(e)}`));
  }

  async #toClient(message: JsonRpcMessage): Promise<void> {
    if (this.#clientGone) return;
    let line: string;
    try {
      line = (originalTextOf(message) ?? JSON.stringify(message)) + "\n";
    } catch (e) {
      this.note(`could not serialize a message to the client: ${describe(e)}`);
      return;
    }
    if (!this.stdout.write(line)) await new Promise<void>((resolve) => this.#onDrain.push(resolve));
  }

  async #toServer(message: JsonRpcMessage): Promise<void> {
    const input = this.child.stdin!;
    if (this.#upstreamGone || !input.writable) throw new Error("the upstream server is not running");
    if (!input.write((originalTextOf(message) ?? JSON.stringify(message)) + "\n")) {
      await new Promise<void>((resolve) => {
        const done = () => {
          input.off("drain", done);
          input.off("close", done);
          resolve();
        };
        input.on("drain", done);
        input.on("close", done);
      });
    }
  }

  #releaseDrains(): void {
    const waiting = this.#onDrain;
    this.#onDrain = [];
    for (const f of waiting) f();
  }
}

async function settleAll(set: Set<Promise<void>>): Promise<void> {
  while (set.size > 0) await Promise.allSettled([...set]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
