// Test helpers for the upstream-link tests (test/gateway/upstream-*.test.ts): an upstream config with
// test-sized defaults, a `Peer` that plays the gateway's side of one link (sends requests, collects every
// message with its `related` id, and resolves a request with its response or with the link's close), and
// the fixture server as a child process that a test can kill and start again on the same port.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { UpstreamConfig } from "../../src/gateway/config/types.js";
import { openLink, type LinkOptions, type UpstreamLink } from "../../src/gateway/upstream/index.js";
import type { JsonRpcId } from "../../src/mcp/index.js";

export const HTTP_FIXTURE = fileURLToPath(new URL("../fixtures/servers/http-upstream.mjs", import.meta.url));
export const ECHO_FIXTURE = fileURLToPath(new URL("../fixtures/servers/echo-server.mjs", import.meta.url));

export function upstreamConfig(over: Partial<UpstreamConfig> & { name?: string }): UpstreamConfig {
  return { name: "up", prefix: "", connectTimeoutMs: 5000, requestTimeoutMs: 30000, backoff: { initialMs: 100, maxMs: 1000 }, ...over };
}

export interface Seen {
  message: any;
  related: string | number | undefined;
}

export type Outcome = { response: any } | { closed: string };

export class Peer {
  readonly link: UpstreamLink;
  readonly messages: Seen[] = [];
  closeReasons: string[] = [];
  readonly closed: Promise<string>;
  #onClosed!: (reason: string) => void;
  #nextId = 1;
  #waiting = new Map<JsonRpcId, (o: Outcome) => void>();
  #watchers: Array<() => void> = [];
  /** Answers server-to-client requests (sampling ...) when set. */
  answer?: (request: any) => unknown;

  constructor(upstream: UpstreamConfig, options?: LinkOptions) {
    this.closed = new Promise((resolve) => (this.#onClosed = resolve));
    this.link = openLink(
      upstream,
      {
        onMessage: (message, related) => {
          this.messages.push({ message, related });
          const m = message as any;
          if (m && m.method === undefined && (typeof m.id === "string" || typeof m.id === "number")) {
            const w = this.#waiting.get(m.id);
            this.#waiting.delete(m.id);
            w?.({ response: m });
          } else if (m && typeof m.method === "string" && m.id !== undefined && this.answer) {
            void this.link.send({ jsonrpc: "2.0", id: m.id, result: this.answer(m) as Record<string, unknown> });
          }
          for (const w of this.#watchers) w();
        },
        onClose: (reason) => {
          this.closeReasons.push(reason);
          this.#onClosed(reason);
          for (const w of this.#waiting.values()) w({ closed: reason });
          this.#waiting.clear();
        },
      },
      options,
    );
  }

  /** Sends a request; resolves with its response, or with the link's close reason. */
  request(method: string, params: Record<string, unknown> = {}, id: JsonRpcId = this.#nextId++): Promise<Outcome> {
    const p = new Promise<Outcome>((resolve) => this.#waiting.set(id, resolve));
    void this.link.send({ jsonrpc: "2.0", id, method, params });
    return p;
  }

  notify(method: string, params: Record<string, unknown> = {}): Promise<void> {
    return this.link.send({ jsonrpc: "2.0", method, params });
  }

  async initialize(options: { initialized?: boolean } = {}): Promise<any> {
    const out = await this.request("initialize", { protocolVersion: "2025-11-25", capabilities: { sampling: {} }, clientInfo: { name: "upstream-test", version: "1.0.0" } });
    if (!("response" in out)) throw new Error(`initialize: link closed: ${out.closed}`);
    if (options.initialized !== false) await this.notify("notifications/initialized");
    return out.response;
  }

  /** Resolves with the first message (seen so far or later) that satisfies `pred`. */
  waitFor(pred: (s: Seen) => boolean): Promise<Seen> {
    return new Promise((resolve) => {
      const check = () => {
        const hit = this.messages.find(pred);
        if (hit === undefined) return false;
        this.#watchers = this.#watchers.filter((w) => w !== watcher);
        resolve(hit);
        return true;
      };
      const watcher = () => void check();
      if (!check()) this.#watchers.push(watcher);
    });
  }
}

export function textOf(outcome: Outcome): string {
  if (!("response" in outcome)) throw new Error(`link closed: ${outcome.closed}`);
  const r = outcome.response;
  if (r.error) throw new Error(`error ${r.error.code}: ${r.error.message}`);
  return r.result.content[0].text;
}

export function errorOf(outcome: Outcome): { code: number; message: string; data?: unknown } {
  if (!("response" in outcome)) throw new Error(`link closed: ${outcome.closed}`);
  if (!outcome.response.error) throw new Error(`expected an error, got ${JSON.stringify(outcome.response)}`);
  return outcome.response.error;
}

/** The fixture server as a process (it can be killed, and started again on the same port). */
export interface FixtureProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startFixtureProcess(args: string[] = []): Promise<FixtureProcess> {
  const child = spawn(process.execPath, [HTTP_FIXTURE, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once("exit", (code) => reject(new Error(`fixture exited with ${code} before listening`)));
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
