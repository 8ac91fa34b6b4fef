// The floor of any Node HTTP gateway, for bench/gateway.mjs: a process that relays each HTTP request to the
// upstream and its answer back on node:http (server) and node:http (client, one keep-alive agent), parsing
// nothing: no JSON, no auth, no policy. What the gateway costs above this is its own work.
//
// GUARANTEES: method, path, body and the MCP headers (content-type, accept, mcp-session-id,
// mcp-protocol-version) go through unchanged, and the answer's status, content-type, mcp-session-id and body
// come back; one upstream URL; loopback only.
//
//   node bench/lib/gateway-relay.mjs --upstream URL   // prints {"url": "...", "pid": N} once it listens
import http from "node:http";

const at = process.argv.indexOf("--upstream");
const upstream = new URL(process.argv[at + 1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
const PASS = ["content-type", "accept", "mcp-session-id", "mcp-protocol-version"];

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const headers = {};
    for (const h of PASS) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    if (body.length) headers["content-length"] = body.length;
    const up = http.request({ host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers, agent }, (ur) => {
      const out = [];
      ur.on("data", (c) => out.push(c));
      ur.on("end", () => {
        const h = {};
        for (const k of ["content-type", "mcp-session-id", "allow"]) if (ur.headers[k] !== undefined) h[k] = ur.headers[k];
        res.writeHead(ur.statusCode ?? 502, h).end(Buffer.concat(out));
      });
    });
    up.on("error", () => res.writeHead(502).end());
    up.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}${upstream.pathname}`, pid: process.pid }) + "\n");
});
for (const sig of ["SIGTERM", "SIGINT"]) process.once(sig, () => process.exit(0));
