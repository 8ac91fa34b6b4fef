/**
 * The router in front of REAL enforcers (compiled policy, real engine, memory store), each in front of a
 * scripted in-process MCP server that answers what it is sent (a page of its tools, its prompts, its
 * resources). What the client gets is recorded; what each server got is recorded.
 */
import { compilePolicy } from "../../src/policy.js";
import { createEngine, type Engine } from "../../src/runtime/engine.js";
import { createEnforcer, type Enforcer } from "../../src/adapters/enforcer.js";
import { createRouter, type RouteTarget, type Router } from "../../src/gateway/router/index.js";
import type { JsonRpcMessage } from "../../src/mcp/index.js";

export type Msg = Record<string, any>;

export interface Script {
  name: string;
  prefix?: string;
  protocolVersion?: string;
  capabilities?: Msg;
  instructions?: string;
  /** Answer initialize with this error. */
  initError?: { code: number; message: string };
  tools?: string[];
  prompts?: string[];
  /** URIs. */
  resources?: string[];
  templates?: string[];
  /** Items per list page (default: all on one page). */
  pageSize?: number;
  /** Methods this server never answers (to test cancellation). */
  hold?: string[];
  /** Extra answers by method. */
  answer?: Record<string, (params: Msg) => Msg>;
}

export interface Upstream {
  script: Script;
  enforcer: Enforcer;
  /** Everything that reached this server. */
  seen: Msg[];
  target: RouteTarget;
}

const DEFAULT_CAPS: Msg = { tools: {}, prompts: {}, resources: { subscribe: true }, logging: {}, completions: {} };

function page(items: string[], cursor: unknown, size: number | undefined): { slice: string[]; next?: string } {
  const from = typeof cursor === "string" ? Number(cursor) : 0;
  const n = size ?? items.length;
  const slice = items.slice(from, from + n);
  return from + n < items.length ? { slice, next: String(from + n) } : { slice };
}

function serve(s: Script, m: Msg): Msg | { error: { code: number; message: string } } | undefined {
  const p = m.params ?? {};
  if (s.hold?.includes(m.method)) return undefined;
  if (s.answer?.[m.method]) return s.answer[m.method]!(p);
  switch (m.method) {
    case "initialize":
      if (s.initError) return { error: s.initError };
      return { protocolVersion: s.protocolVersion ?? p.protocolVersion, capabilities: s.capabilities ?? DEFAULT_CAPS, serverInfo: { name: s.name, version: "1" }, ...(s.instructions && { instructions: s.instructions }) };
    case "tools/list": {
      const { slice, next } = page(s.tools ?? [], p.cursor, s.pageSize);
      return { tools: slice.map((name) => ({ name, inputSchema: { type: "object" } })), ...(next && { nextCursor: next }) };
    }
    case "prompts/list": {
      const { slice, next } = page(s.prompts ?? [], p.cursor, s.pageSize);
      return { prompts: slice.map((name) => ({ name })), ...(next && { nextCursor: next }) };
    }
    case "resources/list": {
      const { slice, next } = page(s.resources ?? [], p.cursor, s.pageSize);
      return { resources: slice.map((uri) => ({ uri, name: uri.split("/").at(-1) })), ...(next && { nextCursor: next }) };
    }
    case "resources/templates/list":
      return { resourceTemplates: (s.templates ?? []).map((uriTemplate) => ({ uriTemplate, name: "t" })) };
    case "tools/call":
      return { content: [{ type: "text", text: `${s.name}:${p.name}` }] };
    case "prompts/get":
      return { messages: [{ role: "user", content: { type: "text", text: `${s.name}:${p.name}` } }] };
    case "resources/read":
      return { contents: [{ uri: p.uri, text: `${s.name}:${p.uri}` }] };
    case "resources/subscribe":
    case "resources/unsubscribe":
    case "logging/setLevel":
    case "ping":
      return {};
    case "completion/complete":
      return { completion: { values: [`${s.name}:${p.ref?.name ?? p.ref?.uri}`] } };
    default:
      return { error: { code: -32601, message: `no ${m.method}` } };
  }
}

export const settle = async (rounds = 30) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

export interface Gateway {
  router: Router;
  engine: Engine;
  upstreams: Map<string, Upstream>;
  /** Everything the client got, with the options it came with. */
  client: Msg[];
  options: Array<Msg | undefined>;
  problems: string[];
  send(m: Msg, extra?: unknown): Promise<void>;
  /** initialize + initialized, and wait for the enforcers' catalog fetches. */
  handshake(clientCaps?: Msg): Promise<Msg>;
  last(): Msg;
  /** The client's answer to the message with this id (waits for the router to settle). */
  answerTo(id: string | number): Promise<Msg | undefined>;
}

export function gateway(policySource: string, scripts: Script[], opts: { principal?: Msg; onTarget?: (name: string, t: RouteTarget) => RouteTarget } = {}): Gateway {
  const policy = compilePolicy(policySource, { filename: "gateway.mcppolicy" });
  const engine = createEngine(policy);
  const client: Msg[] = [];
  const options: Array<Msg | undefined> = [];
  const problems: string[] = [];
  const upstreams = new Map<string, Upstream>();
  let router!: Router;
  const several = scripts.length > 1;
  for (const script of scripts) {
    const seen: Msg[] = [];
    const enforcer: Enforcer = createEnforcer({
      engine,
      serverName: script.name,
      allowMethods: ["logging/setLevel"],
      identify: () => ({ principal: (opts.principal as never) ?? { id: "alice", roles: ["dev"] }, session: { id: "s1" } }),
      onProtocolError: (p) => problems.push(`${script.name}: ${p}`),
      toClient: (m, o) => router.fromUpstream(script.name, m, o),
      toServer: (m) => {
        const msg = m as Msg;
        seen.push(msg);
        if (msg.method !== undefined && msg.id !== undefined) {
          const out = serve(script, msg);
          if (out !== undefined) {
            const reply = "error" in out && Object.keys(out).length === 1 ? { jsonrpc: "2.0", id: msg.id, error: out.error } : { jsonrpc: "2.0", id: msg.id, result: out };
            setImmediate(() => void enforcer.fromServer(reply));
          }
        }
      },
    });
    let target: RouteTarget = { name: script.name, prefix: script.prefix ?? (several ? `${script.name}__` : ""), send: (m, extra) => enforcer.fromClient(m, extra) };
    if (opts.onTarget) target = opts.onTarget(script.name, target);
    upstreams.set(script.name, { script, enforcer, seen, target });
  }
  router = createRouter({
    targets: [...upstreams.values()].map((u) => u.target),
    serverInfo: { name: "mcppolicy-gateway", version: "0.0.0" },
    toClient: (m, o) => {
      client.push(m as Msg);
      options.push(o as Msg | undefined);
    },
    onProblem: (p) => problems.push(p),
  });
  const g: Gateway = {
    router,
    engine,
    upstreams,
    client,
    options,
    problems,
    send: (m, extra) => router.fromClient(m as JsonRpcMessage, extra),
    async handshake(clientCaps = {}) {
      await g.send({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: clientCaps, clientInfo: { name: "t", version: "1" } } });
      const init = await g.answerTo("init");
      await g.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      await settle();
      client.length = 0;
      options.length = 0;
      for (const u of upstreams.values()) u.seen.length = 0;
      return init!;
    },
    last: () => client.at(-1)!,
    async answerTo(id) {
      await settle();
      return client.find((m) => m.id === id && m.method === undefined);
    },
  };
  return g;
}
