// Types of gateway-upstream.mjs (plain JS so the benchmark needs no build), for the TypeScript tests.
export const VERSIONS: string[];
export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly stats: { calls: { echo: number; write_note: number }; sessionsOpened: number; readonly sessionsOpen: number; requests: number; connections: number };
  close(): Promise<void>;
}
export function startUpstream(options?: { host?: string; port?: number; path?: string }): Promise<Upstream>;
