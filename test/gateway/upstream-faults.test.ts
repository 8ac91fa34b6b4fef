// Upstream faults with a REAL server process (test/fixtures/servers/http-upstream.mjs: the SDK's McpServer
// behind StreamableHTTPServerTransport): killed mid-call (the link closes; the pending call is never left
// hanging), started again on the same port (a link that outlived it gets 404 for its lost session and
// closes; a new link works), in SSE mode with resumption and in JSON mode.
import { afterEach, describe, expect, it } from "vitest";
import { errorOf, Peer, startFixtureProcess, textOf, upstreamConfig, type FixtureProcess } from "./upstream-helpers.js";
import { MCP_ERROR_CODES } from "../../src/mcp/index.js";

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function fixture(args: string[] = []): Promise<FixtureProcess> {
  const fx = await startFixtureProcess(args);
  cleanup.push(() => fx.kill());
  return fx;
}

function peer(url: string): Peer {
  const p = new Peer(upstreamConfig({ url, backoff: { initialMs: 50, maxMs: 200 } }));
  cleanup.push(() => p.link.close());
  return p;
}

describe.each([
  ["SSE mode with an event store", [] as string[]],
  ["JSON-response mode", ["--json"]],
  ["SSE mode without an event store", ["--no-events"]],
])("upstream killed mid-call (%s)", (_name, args) => {
  it("the link closes and the call in flight resolves (closed), never hangs; a restarted upstream serves a new link", async () => {
    const fx = await fixture(args);
    const p = peer(fx.url);
    await p.initialize();
    expect(textOf(await p.request("tools/call", { name: "echo", arguments: { text: "warm" } }))).toBe("warm");
    const inFlight = p.request("tools/call", { name: "slow", arguments: { ms: 60_000 } });
    // Let the call reach the server before killing it.
    await new Promise((r) => setTimeout(r, 100));
    await fx.kill("SIGKILL");
    const out = await inFlight;
    expect(out).toEqual({ closed: expect.stringMatching(/^(cannot reach http:\/\/127\.0\.0\.1:\d+\/mcp: |the connection was reset while the upstream answered)/) });
    expect(p.closeReasons).toHaveLength(1);
    // A request to the dead link is answered at once.
    expect(errorOf(await p.request("ping")).code).toBe(MCP_ERROR_CODES.UPSTREAM_UNAVAILABLE);

    const again = await fixture([...args, "--port", String(fx.port)]);
    const q = peer(again.url);
    await q.initialize();
    expect(textOf(await q.request("tools/call", { name: "echo", arguments: { text: "back" } }))).toBe("back");
  });
});

it("a link that outlived an upstream restart gets 404 for its lost session and closes", async () => {
  const fx = await fixture();
  const p = peer(fx.url);
  // No notifications/initialized: no standalone GET stream that would notice the restart first.
  await p.initialize({ initialized: false });
  expect(textOf(await p.request("tools/call", { name: "echo", arguments: { text: "one" } }))).toBe("one");
  await fx.kill("SIGTERM");
  await fixture(["--port", String(fx.port)]);
  const out = await p.request("tools/call", { name: "echo", arguments: { text: "two" } });
  expect(out).toEqual({ closed: expect.stringMatching(/session is gone \(HTTP 404\)/) });
  expect(p.closeReasons).toHaveLength(1);
});

it("an idle link with a standalone GET stream notices the upstream going away and closes by itself", async () => {
  const fx = await fixture();
  const p = peer(fx.url);
  await p.initialize();
  expect(textOf(await p.request("tools/call", { name: "echo", arguments: { text: "one" } }))).toBe("one");
  await fx.kill("SIGKILL");
  // The link's reconnect meets either the closed port (ECONNREFUSED) or, when it raced the dying process,
  // a socket the kernel reset under it: both are the upstream going away (once, in 1 of ~10 loaded runs).
  expect(await p.closed).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/mcp: .*(ECONNREFUSED|ECONNRESET|socket hang up)/);
});
