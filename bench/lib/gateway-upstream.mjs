// A trivial MCP server over Streamable HTTP, written by hand on node:http (no SDK), for the gateway's
// benchmark and its scale-out, fault and load tests: the cheapest upstream an MCP server can be, so what is
// timed in front of it is the gateway.
//
// GUARANTEES
// - Stateful: `initialize` opens a session and answers with an `Mcp-Session-Id` header; every other POST must
//   carry a known session id (missing: 400; unknown: 404, as the spec says); DELETE ends a session; GET is 405
//   (no standalone SSE stream).
// - Every answer is one `application/json` body; notifications and client responses get 202 and no body.
// - Methods: `initialize` (the client's protocol version when it is one of VERSIONS, else the newest;
//   capabilities `tools`), `ping` ({}), `tools/list` (echo, write_note, with annotations), `tools/call`
//   (`echo` {text} -> one text item holding text; `write_note` {title, body} -> "saved note <title>"; another
//   name -> JSON-RPC error -32602), anything else -> -32601. A body that is not one JSON-RPC object -> 400.
// - `stats` counts the tools that ran (`calls.echo`, `calls.write_note`), sessions opened and open, HTTP
//   requests and TCP connections accepted (keep-alive reuse shows as few connections): the tests
//   read them to prove the gateway forwarded exactly what the policy allowed.
// - Loopback only by default; keep-alive on; no logging.
//
//   import { startUpstream } from "./gateway-upstream.mjs";
//   const up = await startUpstream();           // { url, port, stats, close() }
//   node bench/lib/gateway-upstream.mjs [--port N]   // prints {"url": "...", "pid": N} on stdout once it listens;
//                                                   // GET /stats gives the counters as JSON; exits on SIGTERM
import http from "node:http";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";

export const VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

const TOOLS = [
  {
    name: "echo",
    description: "Returns its text unchanged",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
    annotations: { title: "Echo", readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  },
  {
    name: "write_note",
    description: "Saves a note (nowhere: it only counts)",
    inputSchema: { type: "object", properties: { title: { type: "string" }, body: { type: "string" } }, required: ["title", "body"], additionalProperties: false },
    annotations: { title: "Write a note", readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  },
];

const JSON_HEADERS = { "content-type": "application/json" };

/** Start the upstream on host:port (port 0: a free one). */
export function startUpstream({ host = "127.0.0.1", port = 0, path = "/mcp" } = {}) {
  const sessions = new Set();
  const stats = { calls: { echo: 0, write_note: 0 }, sessionsOpened: 0, get sessionsOpen() { return sessions.size; }, requests: 0, connections: 0 };

  function answer(msg) {
    const { id, method, params } = msg;
    switch (method) {
      case "initialize": {
        const asked = params?.protocolVersion;
        return {
          jsonrpc: "2.0",
          id,
          result: {
            protocolVersion: VERSIONS.includes(asked) ? asked : VERSIONS[0],
            capabilities: { tools: { listChanged: false } },
            serverInfo: { name: "bench-upstream", version: "1.0.0" },
          },
        };
      }
      case "ping":
        return { jsonrpc: "2.0", id, result: {} };
      case "tools/list":
        return { jsonrpc: "2.0", id, result: { tools: TOOLS } };
      case "tools/call": {
        const name = params?.name;
        const args = params?.arguments ?? {};
        if (name === "echo") {
          stats.calls.echo++;
          return { jsonrpc: "2.0", id, result: { content: [{ type: "text", text: String(args.text) }] } };
        }
        if (name === "write_note") {
          stats.calls.write_note++;
          return { jsonrpc: "2.0", id, result: { content: [{ type: "text", text: `saved note ${args.title}` }] } };
        }
        return { jsonrpc: "2.0", id, error: { code: -32602, message: `no such tool: ${String(name)}` } };
      }
      default:
        return { jsonrpc: "2.0", id, error: { code: -32601, message: `method not found: ${String(method)}` } };
    }
  }

  const server = http.createServer((req, res) => {
    stats.requests++;
    const url = req.url ?? "";
    if (req.method === "GET" && url === "/stats") {
      res.writeHead(200, JSON_HEADERS).end(JSON.stringify({ calls: stats.calls, sessionsOpened: stats.sessionsOpened, sessionsOpen: sessions.size, requests: stats.requests, connections: stats.connections }));
      return;
    }
    if (url !== path) return void res.writeHead(404).end();
    const sid = req.headers["mcp-session-id"];
    if (req.method === "DELETE") {
      if (typeof sid !== "string" || !sessions.delete(sid)) return void res.writeHead(404).end();
      return void res.writeHead(200).end();
    }
    if (req.method === "GET") return void res.writeHead(405, { allow: "POST, DELETE" }).end();
    if (req.method !== "POST") return void res.writeHead(405, { allow: "POST, DELETE" }).end();
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let msg;
      try {
        msg = JSON.parse(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8"));
      } catch {
        return void res.writeHead(400, JSON_HEADERS).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}');
      }
      if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
        return void res.writeHead(400, JSON_HEADERS).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"not one JSON-RPC object"}}');
      }
      if (msg.method === "initialize") {
        const id = randomUUID();
        sessions.add(id);
        stats.sessionsOpened++;
        res.writeHead(200, { "content-type": "application/json", "mcp-session-id": id }).end(JSON.stringify(answer(msg)));
        return;
      }
      if (typeof sid !== "string") return void res.writeHead(400, JSON_HEADERS).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"missing Mcp-Session-Id"}}');
      if (!sessions.has(sid)) return void res.writeHead(404, JSON_HEADERS).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"session not found"}}');
      // A notification or a response to a server request: accepted, nothing to say.
      if (msg.id === undefined || msg.method === undefined) return void res.writeHead(202).end();
      res.writeHead(200, JSON_HEADERS).end(JSON.stringify(answer(msg)));
    });
  });
  server.on("connection", () => stats.connections++);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address();
      const bound = typeof addr === "object" && addr ? addr.port : port;
      resolve({
        url: `http://${host}:${bound}${path}`,
        port: bound,
        stats,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf("--port");
  const up = await startUpstream({ port: at > 0 ? Number(process.argv[at + 1]) : 0 });
  process.stdout.write(JSON.stringify({ url: up.url, pid: process.pid }) + "\n");
  for (const sig of ["SIGTERM", "SIGINT"]) process.once(sig, () => void up.close().then(() => process.exit(0)));
}
