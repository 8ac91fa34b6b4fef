// The HTTP upstream link against REAL peers: an SDK McpServer behind the SDK's StreamableHTTPServerTransport
// (stateful; SSE mode with an event store, and JSON-response mode), plus small node:http servers for the
// answers the SDK never gives (a non-JSON 500, a JSON-RPC error body on a 500). Proves: session id and
// protocol version learned and sent, `related` = the POST's request id for everything on its stream,
// progress/logging/sampling related to a call, SEP-1699 resumption (GET + Last-Event-ID) after a tool closes
// its stream mid-call, the standalone GET stream, DELETE on close, 404 -> onClose, refused -> onClose, and
// per-request failures (500, over the size cap, timeout) answered for their id while the link lives on.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a JavaScript fixture without types
import { startHttpUpstream } from "../fixtures/servers/http-upstream.mjs";
import { MCP_ERROR_CODES } from "../../src/mcp/index.js";
import { errorOf, Peer, textOf, upstreamConfig, type Seen } from "./upstream-helpers.js";

type Fixture = { url: string; port: number; seen: Array<{ method: string; headers: Record<string, string> }>; sessions: Map<string, unknown>; started: unknown[]; aborted: unknown[]; forgetSessions(): Promise<void>; close(): Promise<void> };

const peers: Peer[] = [];
function peer(...args: ConstructorParameters<typeof Peer>): Peer {
  const p = new Peer(...args);
  peers.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.link.close()));
});

describe("SSE mode (event store): the SDK server streams every answer", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startHttpUpstream({ retry: 50 });
  });
  afterAll(async () => fx.close());

  it("initialize: the session id and the negotiated protocol version are sent on every later request", async () => {
    const p = peer(upstreamConfig({ url: fx.url, headers: { "X-Api-Token": "secret-1" } }));
    const init = await p.initialize();
    expect(init.result.protocolVersion).toBe("2025-11-25");
    const before = fx.seen.length;
    expect(textOf(await p.request("tools/call", { name: "echo", arguments: { text: "hi" } }))).toBe("hi");
    const post = fx.seen.slice(before).find((s) => s.method === "POST")!;
    expect(post.headers["mcp-session-id"]).toBe([...fx.sessions.keys()].at(-1));
    expect(post.headers["mcp-protocol-version"]).toBe("2025-11-25");
    expect(post.headers["x-api-token"]).toBe("secret-1");
    expect(post.headers.accept).toBe("application/json, text/event-stream");
    expect(p.link.kind).toBe("http");
  });

  it("every message of a call's stream is related to the call: progress, logging, a sampling request (answered back)", async () => {
    const p = peer(upstreamConfig({ url: fx.url }));
    p.answer = () => ({ role: "assistant", content: { type: "text", text: "hi there" }, model: "test-model" });
    await p.initialize();
    const out = await p.request("tools/call", { name: "notify", arguments: {}, _meta: { progressToken: "tok-1" } }, "call-7");
    expect(textOf(out)).toBe("sampled: hi there");
    const related = p.messages.filter((m) => m.related === "call-7").map((m) => m.message.method ?? "response");
    expect(related).toEqual(["notifications/progress", "notifications/message", "sampling/createMessage", "response"]);
  });

  it("a tool that closes its SSE stream mid-call is resumed with GET + Last-Event-ID; the rest arrives related to the call", async () => {
    const p = peer(upstreamConfig({ url: fx.url }));
    await p.initialize({ initialized: false });
    const before = fx.seen.length;
    const out = await p.request("tools/call", { name: "reconnect", arguments: {} }, 41);
    expect(textOf(out)).toBe("resumed");
    const logs = p.messages.filter((m) => m.message.method === "notifications/message");
    expect(logs.map((m) => [m.message.params.data, m.related])).toEqual([
      ["before", 41],
      ["after", 41],
    ]);
    const resumes = fx.seen.slice(before).filter((s) => s.method === "GET");
    expect(resumes.length).toBe(1);
    expect(resumes[0]!.headers["last-event-id"]).toMatch(/_\d+$/);
    expect(resumes[0]!.headers["mcp-session-id"]).toBeDefined();
  });

  it("after notifications/initialized a standalone GET stream carries unrelated server messages (related undefined)", async () => {
    const p = peer(upstreamConfig({ url: fx.url }));
    await p.initialize();
    // The GET stream opens once the initialized notification was accepted; a notification sent before the
    // server registered it is not delivered (the SDK writes no priming event on GET), so broadcast until one arrives.
    const sid = () => [...fx.sessions.keys()].at(-1);
    await until(() => fx.seen.some((s) => s.method === "GET" && s.headers["mcp-session-id"] === sid() && !s.headers["last-event-id"]));
    let hit: Seen | undefined;
    while ((hit = p.messages.find((m) => m.message.method === "notifications/tools/list_changed")) === undefined) {
      expect(textOf(await p.request("tools/call", { name: "broadcast", arguments: {} }))).toBe("sent");
      await sleep(20);
    }
    expect(hit.related).toBeUndefined();
  });

  it("the standalone GET stream closed by the server is reopened with Last-Event-ID; what was sent meanwhile is replayed", async () => {
    const p = peer(upstreamConfig({ url: fx.url }));
    await p.initialize();
    const sid = () => [...fx.sessions.keys()].at(-1);
    await until(() => fx.seen.some((s) => s.method === "GET" && s.headers["mcp-session-id"] === sid()));
    const changes = () => p.messages.filter((m) => m.message.method === "notifications/tools/list_changed").length;
    while (changes() === 0) {
      await p.request("tools/call", { name: "broadcast", arguments: {} });
      await sleep(20);
    }
    expect(textOf(await p.request("tools/call", { name: "drop-get", arguments: {} }))).toBe("dropped");
    await until(() => changes() === 2);
    const reopened = fx.seen.filter((s) => s.method === "GET" && s.headers["mcp-session-id"] === sid() && s.headers["last-event-id"]);
    expect(reopened.length).toBeGreaterThanOrEqual(1);
    expect(reopened[0]!.headers["last-event-id"]).toMatch(/^_GET_stream_/);
    expect(p.messages.filter((m) => m.message.method === "notifications/tools/list_changed").every((m) => m.related === undefined)).toBe(true);
  });

  it("close(): DELETE with the session id ends the upstream session", async () => {
    const p = peer(upstreamConfig({ url: fx.url }));
    await p.initialize();
    const sid = [...fx.sessions.keys()].at(-1)!;
    await p.link.close();
    expect(fx.seen.some((s) => s.method === "DELETE" && s.headers["mcp-session-id"] === sid)).toBe(true);
    expect(fx.sessions.has(sid)).toBe(false);
    expect(p.closeReasons).toEqual([]);
    // A request to a closed link is answered at once, never lost.
    expect(errorOf(await p.request("ping")).code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
  });

  it("an event over the size cap answers its call -32012; the link goes on", async () => {
    const p = peer(upstreamConfig({ url: fx.url }), { maxMessageBytes: 20_000 });
    await p.initialize();
    const e = errorOf(await p.request("tools/call", { name: "big", arguments: { bytes: 50_000 } }));
    expect(e.code).toBe(MCP_ERROR_CODES.MESSAGE_TOO_LARGE);
    expect(textOf(await p.request("tools/call", { name: "big", arguments: { bytes: 1000 } }))).toHaveLength(1000);
    expect(p.closeReasons).toEqual([]);
  });

  it("a call past requestTimeoutMs is answered -32013 for its id; the link goes on", async () => {
    const p = peer(upstreamConfig({ url: fx.url, requestTimeoutMs: 200 }));
    await p.initialize();
    const e = errorOf(await p.request("tools/call", { name: "slow", arguments: { ms: 3000 } }, "late"));
    expect(e.code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
    expect(e.message).toMatch(/did not answer within 200 ms/);
    expect(textOf(await p.request("tools/call", { name: "echo", arguments: { text: "still here" } }))).toBe("still here");
  });

  it("a client's notifications/cancelled reaches the upstream (the tool is aborted) and the link stops waiting for that call", async () => {
    const p = peer(upstreamConfig({ url: fx.url }));
    await p.initialize();
    void p.request("tools/call", { name: "slow", arguments: { ms: 60_000 } }, "c-1");
    await until(() => fx.started.includes("c-1"));
    await p.notify("notifications/cancelled", { requestId: "c-1", reason: "user stopped it" });
    await until(() => fx.aborted.includes("c-1"));
    // Nothing answers a cancelled call, and the link is fine.
    expect(textOf(await p.request("tools/call", { name: "echo", arguments: { text: "next" } }))).toBe("next");
    expect(p.messages.some((m) => m.message.id === "c-1")).toBe(false);
    expect(p.closeReasons).toEqual([]);
  });

  it("the upstream session is lost (the server forgot it): the next request gets 404 and the link closes", async () => {
    const p = peer(upstreamConfig({ url: fx.url }));
    await p.initialize({ initialized: false });
    await fx.forgetSessions();
    const out = await p.request("tools/call", { name: "echo", arguments: { text: "x" } });
    expect(out).toEqual({ closed: expect.stringMatching(/session is gone \(HTTP 404\)/) });
    expect(p.closeReasons).toHaveLength(1);
  });
});

describe("JSON-response mode", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startHttpUpstream({ json: true });
  });
  afterAll(async () => fx.close());

  it("each call is one application/json answer, related to its id; many in flight at once", async () => {
    const p = peer(upstreamConfig({ url: fx.url }));
    await p.initialize();
    const outs = await Promise.all(Array.from({ length: 50 }, (_, i) => p.request("tools/call", { name: "echo", arguments: { text: `m${i}` } })));
    expect(outs.map(textOf)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    for (const m of p.messages.filter((x) => x.message.result?.content)) expect(m.related).toBe(m.message.id);
  });

  it("a JSON body over the size cap answers -32012 without reading it whole", async () => {
    const p = peer(upstreamConfig({ url: fx.url }), { maxMessageBytes: 10_000 });
    await p.initialize();
    expect(errorOf(await p.request("tools/call", { name: "big", arguments: { bytes: 200_000 } })).code).toBe(MCP_ERROR_CODES.MESSAGE_TOO_LARGE);
    expect(textOf(await p.request("tools/call", { name: "echo", arguments: { text: "ok" } }))).toBe("ok");
  });
});

describe("answers the SDK never gives", () => {
  let server: Server;
  let url: string;
  const cancelled: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const msg = JSON.parse(body);
        if (msg.method === "notifications/cancelled") cancelled.push(msg.params.requestId);
        if (msg.id === undefined) return void res.writeHead(202).end();
        const json = (status: number, value: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
        switch (msg.method) {
          case "initialize":
            return json(200, { jsonrpc: "2.0", id: msg.id, result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "odd", version: "1" } } });
          case "boom":
            return res.writeHead(500, { "content-type": "text/plain" }).end("Internal Server Error: oops");
          case "rpc-error":
            return json(500, { jsonrpc: "2.0", id: null, error: { code: -32603, message: "upstream broke" } });
          case "html":
            return res.writeHead(200, { "content-type": "text/html" }).end("<html>not json</html>");
          case "accepted":
            return res.writeHead(202).end();
          case "empty-stream":
            return res.writeHead(200, { "content-type": "text/event-stream" }).end(": nothing\n\n");
          default:
            return json(200, { jsonrpc: "2.0", id: msg.id, result: {} });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("a non-JSON 500 answers -32013 for that id; the link goes on", async () => {
    const p = peer(upstreamConfig({ url }));
    await p.initialize({ initialized: false });
    const e = errorOf(await p.request("boom", {}, 5));
    expect(e.code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
    expect(e.message).toMatch(/HTTP 500 with a body that is not JSON/);
    expect(await p.request("ping", {}, 6)).toEqual({ response: { jsonrpc: "2.0", id: 6, result: {} } });
    expect(p.closeReasons).toEqual([]);
  });

  it("a 500 with a JSON-RPC error body passes that error, with the request's id", async () => {
    const p = peer(upstreamConfig({ url }));
    await p.initialize({ initialized: false });
    expect(await p.request("rpc-error", {}, "r1")).toEqual({ response: { jsonrpc: "2.0", id: "r1", error: { code: -32603, message: "upstream broke" } } });
  });

  it("a 200 that is not JSON, a 202 to a request, a stream that ends without the answer: -32013 each", async () => {
    const p = peer(upstreamConfig({ url }));
    await p.initialize({ initialized: false });
    for (const method of ["html", "accepted", "empty-stream"]) expect(errorOf(await p.request(method)).code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
    expect(p.closeReasons).toEqual([]);
  });

  it("a request that times out is cancelled upstream; an initialize that times out closes the link", async () => {
    const silent = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const msg = JSON.parse(body);
        if (msg.method === "notifications/cancelled") cancelled.push(msg.params.requestId);
        if (msg.id === undefined) res.writeHead(202).end();
        // requests: never answered
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const p = peer(upstreamConfig({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`, requestTimeoutMs: 150 }));
      expect(errorOf(await p.request("tools/call", { name: "x" }, "t-1")).code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);
      await until(() => cancelled.includes("t-1"));
      await p.link.close();
      // initialize gets connectTimeoutMs, and a server that does not initialize closes the link.
      const q = peer(upstreamConfig({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`, connectTimeoutMs: 150 }));
      expect(await q.request("initialize", {})).toEqual({ closed: "the upstream did not answer initialize within 150 ms" });
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it("a reused keep-alive socket the server closed is retried once on a new connection (the link stays up)", async () => {
    // Answers the first request of each connection; the second one on a connection is cut off unanswered.
    const flaky = createServer((req, res) => {
      const sock = req.socket as typeof req.socket & { served?: number };
      sock.served = (sock.served ?? 0) + 1;
      if (sock.served > 1) return void sock.destroy();
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const msg = JSON.parse(body);
        if (msg.id === undefined) return void res.writeHead(202).end();
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { n: msg.id } }));
      });
    });
    flaky.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    try {
      const p = peer(upstreamConfig({ url: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/mcp` }));
      for (let i = 1; i <= 5; i++) expect(await p.request("ping", {}, i)).toEqual({ response: { jsonrpc: "2.0", id: i, result: { n: i } } });
      expect(p.closeReasons).toEqual([]);
      await p.link.close();
    } finally {
      flaky.closeAllConnections();
      await new Promise((r) => flaky.close(r));
    }
  });

  it("a refused connection closes the link (the pending request is left to the caller, never hung)", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const p = peer(upstreamConfig({ url: `http://127.0.0.1:${port}/mcp` }));
    const out = await p.request("initialize", {});
    expect(out).toEqual({ closed: expect.stringMatching(/ECONNREFUSED/) });
    expect(p.closeReasons).toHaveLength(1);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(10);
}
