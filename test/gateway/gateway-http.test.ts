/**
 * The gateway end to end on loopback: real SDK clients (StreamableHTTPClientTransport) through a gateway
 * started from YAML, in front of real upstreams (an SDK server over Streamable HTTP in its own process, and
 * the stdio echo server), and raw HTTP for the protocol's edges.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { ECHO_SERVER, JSON_HEADERS, rawRequest, rawSession, rawSocketText, startHttpUpstream, startTestGateway, type TestGateway, type Upstream } from "../helpers/gateway.js";

const POLICY = `policy "gw" version "1"
default deny
role user {
  allow tool echo, slow, whoami
}
deny tool "write_note" because "notes are read-only here"
`;
const ANON = "auth: { anonymous: { principal: { id: tester, roles: [user] } } }\n";

async function connect(url: string, onList?: () => void): Promise<Client> {
  const client = new Client({ name: "t", version: "1" }, { capabilities: {} });
  if (onList) client.setNotificationHandler(ToolListChangedNotificationSchema, () => onList());
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const waitFor = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("one HTTP upstream", () => {
  let up: Upstream;
  let gw: TestGateway;
  beforeAll(async () => {
    up = await startHttpUpstream({ name: "notes" });
    gw = await startTestGateway(
      `listen: { port: 0 }
policy: policy.mcppolicy
${ANON}upstreams:
  - name: notes
    url: ${up.url}
    backoff: { initialMs: 50, maxMs: 200 }
limits: { headersTimeoutMs: 400, shutdownGraceMs: 5000 }
`,
      POLICY,
    );
  });
  afterAll(async () => {
    await gw?.close();
    await up?.stop();
  });

  it("lists only what the policy allows, calls an allowed tool, refuses a denied one with -32010", async () => {
    const client = await connect(gw.url);
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual(["echo", "slow", "whoami"]);
    const r = await client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(r.content).toEqual([{ type: "text", text: "hi" }]);
    await expect(client.callTool({ name: "write_note", arguments: { title: "a", body: "b" } })).rejects.toMatchObject({ code: -32010 });
    await client.close();
  });

  it("relays a progress notification on the call's own SSE stream, then its result", async () => {
    const client = await connect(gw.url);
    const seen: number[] = [];
    const r = await client.callTool({ name: "slow", arguments: { ms: 50 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
    expect(r.content).toEqual([{ type: "text", text: "slept 50" }]);
    expect(seen).toEqual([1]);
    await client.close();
  });

  it("answers the protocol's edges with the right statuses", async () => {
    const url = gw.url;
    const sid = await rawSession(url);
    const bad = await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": sid }, body: "{nope" });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe(-32700);
    const batch = await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": sid }, body: "[]" });
    expect(batch.status).toBe(400);
    expect((await rawRequest(url, { headers: { ...JSON_HEADERS, "content-type": "text/plain", "mcp-session-id": sid }, body: "{}" })).status).toBe(415);
    expect((await rawRequest(url, { headers: { ...JSON_HEADERS, accept: "text/html", "mcp-session-id": sid }, body: "{}" })).status).toBe(406);
    const call = JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "echo", arguments: { text: "x" } } });
    expect((await rawRequest(url, { headers: JSON_HEADERS, body: call })).status).toBe(400);
    expect((await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": "nope" }, body: call })).status).toBe(404);
    expect((await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "1999-01-01" }, body: call })).status).toBe(400);
    expect((await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": sid, host: "evil.example.com" }, body: call })).status).toBe(403);
    expect((await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": sid, origin: "http://evil.example.com" }, body: call })).status).toBe(403);
    expect((await rawRequest(url, { method: "PUT", headers: { ...JSON_HEADERS, "mcp-session-id": sid }, body: call })).status).toBe(405);
    const big = JSON.stringify({ jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "echo", arguments: { text: "x".repeat(5 * 1024 * 1024) } } });
    expect((await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": sid }, body: big })).status).toBe(413);
    const ok = await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": sid }, body: call });
    expect(ok.status).toBe(200);
    expect(ok.headers["content-type"]).toContain("application/json");
    expect(JSON.parse(ok.body).result.content[0].text).toBe("x");
    expect((await rawRequest(url, { method: "DELETE", headers: { "mcp-session-id": sid } })).status).toBe(200);
    expect((await rawRequest(url, { headers: { ...JSON_HEADERS, "mcp-session-id": sid }, body: call })).status).toBe(404);
  });

  it("drops a client that sends its headers too slowly (408), and keeps serving others", async () => {
    const u = new URL(gw.url);
    const answer = await rawSocketText(gw.url, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect((await rawRequest(u.origin + "/healthz", { method: "GET" })).status).toBe(200);
  });

  it("serves health and readiness", async () => {
    const r = await rawRequest(new URL(gw.url).origin + "/readyz", { method: "GET" });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ status: "ready", upstreams: [{ name: "notes" }] });
  });
});

describe("hot reload", () => {
  it("a changed policy applies to the next call and clients hear list_changed; a broken one is refused and the old one stays", async () => {
    const up = await startHttpUpstream({ name: "notes" });
    const gw = await startTestGateway(`listen: { port: 0 }\npolicy: policy.mcppolicy\n${ANON}reload: { debounceMs: 50 }\nupstreams:\n  - name: notes\n    url: ${up.url}\n`, POLICY);
    try {
      let changed = 0;
      const client = await connect(gw.url, () => changed++);
      await expect(client.callTool({ name: "write_note", arguments: { title: "a", body: "b" } })).rejects.toMatchObject({ code: -32010 });
      writeFileSync(path.join(gw.dir, "policy.mcppolicy"), POLICY.replace(`deny tool "write_note" because "notes are read-only here"`, `role writer { member when principal.id == "tester"\n allow tool write_note }`));
      await waitFor(() => gw.logs.some((l) => l.msg === "policy reloaded"));
      const r = await client.callTool({ name: "write_note", arguments: { title: "a", body: "b" } });
      expect(r.content).toEqual([{ type: "text", text: "saved note a" }]);
      await waitFor(() => changed > 0);
      writeFileSync(path.join(gw.dir, "policy.mcppolicy"), "policy \"broken\" version \"1\"\nallow tool \n");
      await waitFor(() => gw.logs.some((l) => String(l.msg).startsWith("policy reload refused")));
      const again = await client.callTool({ name: "write_note", arguments: { title: "b", body: "c" } });
      expect(again.content).toEqual([{ type: "text", text: "saved note b" }]);
      await client.close();
    } finally {
      await gw.close();
      await up.stop();
    }
  });
});

describe("an upstream that goes away", () => {
  it("answers -32013 while it is down and serves the same client session again once it is back", async () => {
    const up = await startHttpUpstream({ name: "notes" });
    const gw = await startTestGateway(`listen: { port: 0 }\npolicy: policy.mcppolicy\n${ANON}upstreams:\n  - name: notes\n    url: ${up.url}\n    backoff: { initialMs: 50, maxMs: 100 }\n`, POLICY);
    let again: Upstream | undefined;
    try {
      const client = await connect(gw.url);
      expect((await client.callTool({ name: "whoami", arguments: {} })).content).toEqual([{ type: "text", text: "notes" }]);
      await up.stop();
      await expect(client.callTool({ name: "whoami", arguments: {} })).rejects.toMatchObject({ code: -32013 });
      again = await startHttpUpstream({ name: "notes", port: up.port });
      let result: unknown;
      for (let i = 0; i < 50 && result === undefined; i++) {
        try {
          result = await client.callTool({ name: "whoami", arguments: {} });
        } catch (e) {
          expect((e as { code?: number }).code).toBe(-32013);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(result).toMatchObject({ content: [{ type: "text", text: "notes" }] });
      await client.close();
    } finally {
      await gw.close();
      await again?.stop();
    }
  });
});

describe("a stdio upstream", () => {
  it("runs one process per session behind the policy", async () => {
    const gw = await startTestGateway(`listen: { port: 0 }\npolicy: policy.mcppolicy\n${ANON}upstreams:\n  - name: echo\n    command: ["${process.execPath}", "${ECHO_SERVER}"]\n`, POLICY);
    try {
      const client = await connect(gw.url);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo"]);
      expect((await client.callTool({ name: "echo", arguments: { text: "via stdio" } })).content).toEqual([{ type: "text", text: "via stdio" }]);
      await client.close();
    } finally {
      await gw.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("lets a call in flight finish, refuses new ones with 503, then stops", async () => {
    const up = await startHttpUpstream({ name: "notes" });
    const gw = await startTestGateway(`listen: { port: 0 }\npolicy: policy.mcppolicy\n${ANON}upstreams:\n  - name: notes\n    url: ${up.url}\nlimits: { shutdownGraceMs: 5000 }\n`, POLICY);
    try {
      const client = await connect(gw.url);
      const logs: unknown[] = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n));
      const inFlight = client.callTool({ name: "slow", arguments: { ms: 400 } });
      await new Promise((r) => setTimeout(r, 100));
      const closing = gw.close();
      await new Promise((r) => setTimeout(r, 50));
      const refused = await rawRequest(gw.url, { headers: JSON_HEADERS, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) }).catch((e: Error) => ({ status: 0, error: e.message }));
      expect([0, 503]).toContain(refused.status);
      expect((await inFlight).content).toEqual([{ type: "text", text: "slept 400" }]);
      await closing;
    } finally {
      await up.stop();
    }
  });
});

describe("reload under traffic", () => {
  const BUDGETED = (version: string) => `policy "gw" version "${version}"
default deny
role user {
  allow tool echo, slow, whoami
  limit calls 40 per hour by principal
}
`;

  it("a broken policy written mid-traffic fails no call, a good one replaces it, and budget counters carry over", async () => {
    const up = await startHttpUpstream({ name: "notes" });
    const gw = await startTestGateway(`listen: { port: 0 }\npolicy: policy.mcppolicy\n${ANON}reload: { debounceMs: 20 }\nupstreams:\n  - name: notes\n    url: ${up.url}\n`, BUDGETED("1"));
    try {
      const clients = await Promise.all([1, 2, 3, 4].map(() => connect(gw.url)));
      const outcomes: string[] = [];
      let stop = false;
      const loops = clients.map(async (c) => {
        while (!stop) {
          try {
            const r = await c.callTool({ name: "echo", arguments: { text: "x" } });
            outcomes.push(JSON.stringify(r.content) === JSON.stringify([{ type: "text", text: "x" }]) ? "ok" : "wrong");
          } catch (e) {
            outcomes.push(`error ${(e as { code?: number }).code}`);
          }
          if (outcomes.length >= 30) stop = true;
        }
      });
      await waitFor(() => outcomes.length >= 5);
      writeFileSync(path.join(gw.dir, "policy.mcppolicy"), "policy \"gw\" version \"2\"\nrole user {\n  allow tool\n}\n");
      await waitFor(() => gw.logs.some((l) => String(l.msg).startsWith("policy reload refused")));
      writeFileSync(path.join(gw.dir, "policy.mcppolicy"), BUDGETED("3"));
      await waitFor(() => gw.logs.some((l) => l.msg === "policy reloaded"));
      await Promise.all(loops);
      // Every call ran under a good policy; the 40-call budget was never reset: 30 used so far, 10 left in total.
      expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
      let allowed = 0;
      let refused = 0;
      for (let i = 0; i < 15; i++) {
        try {
          await clients[0]!.callTool({ name: "echo", arguments: { text: "x" } });
          allowed++;
        } catch (e) {
          expect((e as { code?: number }).code).toBe(-32011);
          refused++;
        }
      }
      expect(allowed + outcomes.length).toBe(40);
      expect(refused).toBe(15 - allowed);
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      await gw.close();
      await up.stop();
    }
  });
});

describe("a slow body", () => {
  it("is cut off after limits.requestTimeoutMs with 408", async () => {
    const up = await startHttpUpstream({ name: "notes" });
    const gw = await startTestGateway(`listen: { port: 0 }\npolicy: policy.mcppolicy\n${ANON}limits: { requestTimeoutMs: 600, headersTimeoutMs: 500 }\nupstreams:\n  - name: notes\n    url: ${up.url}\n`, POLICY);
    try {
      const answer = await rawSocketText(gw.url, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"");
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await gw.close();
      await up.stop();
    }
  });
});
