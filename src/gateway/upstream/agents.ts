/**
 * One keep-alive HTTP agent per upstream, shared by every session's link to it (sockets are reused across
 * sessions: HTTP requests carry their session in a header, not in the connection).
 * GUARANTEES: an agent lives while at least one link holds it; the last `release` destroys it and its
 * sockets. Long-lived standalone GET streams do not use it (they would hold pooled sockets forever).
 */
import http from "node:http";
import https from "node:https";

interface Held {
  readonly agent: http.Agent;
  refs: number;
}

const agents = new Map<string, Held>();

/** Generous: calls in flight are bounded by the gateway's per-session limit, not here. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: "lifo" } as const;

export function acquireAgent(key: string, secure: boolean): http.Agent {
  let held = agents.get(key);
  if (held === undefined) {
    held = { agent: secure ? new https.Agent(AGENT_OPTIONS) : new http.Agent(AGENT_OPTIONS), refs: 0 };
    agents.set(key, held);
  }
  held.refs++;
  return held.agent;
}

export function releaseAgent(key: string): void {
  const held = agents.get(key);
  if (held === undefined) return;
  if (--held.refs > 0) return;
  agents.delete(key);
  held.agent.destroy();
}
