// Types of gateway-procs.mjs (plain JS so the benchmark needs no build), for the TypeScript tests.
import type { ChildProcess } from "node:child_process";

export const CLI: string;
export const UPSTREAM: string;
export const HEAP_PROBE: string;

export interface UpstreamStats {
  calls: { echo: number; write_note: number };
  sessionsOpened: number;
  sessionsOpen: number;
  requests: number;
  connections: number;
}
export interface UpstreamProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  stats(): Promise<UpstreamStats>;
  stop(): Promise<void>;
}
export function spawnUpstream(options?: { nodeArgs?: string[] }): Promise<UpstreamProcess>;
export const RELAY: string;
/** The bare node:http relay in front of an upstream (its `stats()` is the upstream's only through the relay: do not use). */
export function spawnRelay(upstreamUrl: string, options?: { nodeArgs?: string[] }): Promise<UpstreamProcess>;

export function apiKey(id: string): { id: string; key: string; hash: string };
export function writeKeysFile(file: string, entries: { id: string; hash: string; principal: Record<string, unknown> }[]): string;

export function gatewayYaml(o: {
  policy: string;
  upstreams: { name: string; url: string }[];
  store?: string;
  storePrefix?: string;
  keysFile?: string;
  anonymous?: Record<string, unknown>;
  port?: number;
  logLevel?: string;
  extra?: string;
}): string;

export interface HeapSample {
  type: "heap";
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}
export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Parsed JSON log lines (the first 10,000). */
  readonly logs: Record<string, unknown>[];
  /** The last 200 stderr lines. */
  stderr(): string;
  alive(): boolean;
  heap(): Promise<HeapSample>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}
export function spawnGateway(configFile: string, options?: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; heapProbe?: boolean; readyMs?: number }): Promise<GatewayProcess>;

export function cpuMs(pid: number): number | undefined;
