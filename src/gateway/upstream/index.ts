/**
 * The gateway's connections to its upstream MCP servers: `openLink` gives one link per (client session x
 * upstream), over Streamable HTTP for a `url` upstream and over a spawned process's stdio for a `command`
 * one; `UpstreamHealth` is shared per upstream across sessions (backoff, state for /readyz).
 * link.ts states what every link guarantees; http-link.ts and stdio-link.ts what each kind adds.
 */
import type { UpstreamConfig } from "../config/types.js";
import { openHttpLink } from "./http-link.js";
import type { LinkEvents, LinkOptions, UpstreamLink } from "./link.js";
import { openStdioLink } from "./stdio-link.js";

export type { LinkEvents, LinkOptions, UpstreamLink } from "./link.js";
export { UpstreamHealth, type UpstreamState } from "./health.js";

/** Opens a link to `upstream` (exactly one of `url` / `command`; the config loader guarantees it). */
export function openLink(upstream: UpstreamConfig, events: LinkEvents, options?: LinkOptions): UpstreamLink {
  if (upstream.url !== undefined && upstream.command === undefined) return openHttpLink(upstream, events, options);
  if (upstream.command !== undefined && upstream.url === undefined) return openStdioLink(upstream, events, options);
  throw new TypeError(`upstream \`${upstream.name}\` needs exactly one of \`url\` and \`command\``);
}
