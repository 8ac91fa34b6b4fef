/**
 * The config as it may be logged: a copy with every value that can hold a secret replaced by
 * `[redacted]` (upstream `headers` and `env` values, a password in the Redis URL). types.ts's INVARIANT
 * ("secrets it holds never reach logs") holds for anything logged through this.
 */
import type { GatewayConfig } from "./types.js";

export const REDACTED = "[redacted]";

export function configForLog(config: GatewayConfig): GatewayConfig {
  const hide = (m: Readonly<Record<string, string>> | undefined) => m && Object.fromEntries(Object.keys(m).map((k) => [k, REDACTED]));
  const store =
    config.store.kind === "redis" ? { ...config.store, url: redisUrlForLog(config.store.url) } : config.store;
  return {
    ...config,
    store,
    upstreams: config.upstreams.map((u) => ({ ...u, ...(u.headers && { headers: hide(u.headers)! }), ...(u.env && { env: hide(u.env)! }) })),
  };
}

function redisUrlForLog(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = REDACTED;
    return u.toString();
  } catch {
    return REDACTED;
  }
}
