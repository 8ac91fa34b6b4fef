// Memory stays flat under load: 100,000 `tools/call`s through one `mcppolicy serve` process (memory store,
// API key auth, a counted budget) in front of the trivial upstream (bench/lib/gateway-upstream.mjs), 16 in
// flight, each loop closing its session (DELETE) after 1,000 calls and opening a new one (so ~100 client
// sessions, their enforcers and upstream links come and go).
//
// How the heap is measured (chosen here; the product has no debug endpoint for it): the gateway runs with
// `node --expose-gc --import bench/lib/gateway-heap-probe.mjs`; the probe answers an IPC message with
// process.memoryUsage() after three full collections. Samples: after a 10,000-call warm-up (every code path
// compiled, caches filled) and after each further 30,000 calls. The bound is generous on purpose (GC'd heap
// moves by a few MiB between samples): the end may exceed the warm-up by at most 20 MiB, i.e. a leak of more
// than ~230 bytes per call fails. Every answer is checked (the echoed text), and at the end the upstream
// holds no session the gateway opened (each client DELETE ended its upstream session).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../../bench/lib/gateway-load.mjs";
import { apiKey, CLI, gatewayYaml, spawnGateway, writeKeysFile, type GatewayProcess, type HeapSample } from "../../bench/lib/gateway-procs.mjs";
import { startUpstream, type Upstream } from "../../bench/lib/gateway-upstream.mjs";

const TOTAL = 100_000;
const WARMUP = 10_000;
const STEP = 30_000;
const BOUND = 20 * 2 ** 20;
const POLICY = `policy "load-memory" version "1"
default deny
role agent { allow tool echo }
tool echo {
  args { text: string }
  limit calls 1000000000 per day by principal
}
`;

const dir = mkdtempSync(join(tmpdir(), "mcpp-load-memory-"));
const key = apiKey("load");
const MiB = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

describe("memory over 100,000 calls through one gateway process", () => {
  let upstream: Upstream;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` first");
    upstream = await startUpstream();
    const policy = join(dir, "policy.mcppolicy");
    writeFileSync(policy, POLICY);
    const keysFile = writeKeysFile(join(dir, "keys.json"), [{ ...key, principal: { id: "load", roles: ["agent"] } }]);
    const config = join(dir, "gateway.yaml");
    writeFileSync(config, gatewayYaml({ policy, upstreams: [{ name: "up", url: upstream.url }], store: "memory", keysFile }));
    gateway = await spawnGateway(config, { heapProbe: true });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it(
    "the gateway's heap after the warm-up and at the end differ by less than the bound",
    async () => {
      const load = (totalCalls: number) =>
        runLoad({ url: gateway.url, inFlight: 16, totalCalls, sessionCalls: 1000, headers: { authorization: `Bearer ${key.key}` }, args: { text: "flat" }, timeoutMs: 30_000 });
      const samples: HeapSample[] = [];
      let calls = 0;
      const step = async (n: number) => {
        const r = await load(n);
        expect(r.errors, r.firstError).toBe(0);
        calls += r.calls;
        samples.push(await gateway.heap());
      };
      await step(WARMUP);
      expect(samples[0]!.gc, "the gateway must run with --expose-gc").toBe(true);
      while (calls < TOTAL) await step(Math.min(STEP, TOTAL - calls));
      expect(calls).toBe(TOTAL);
      expect(upstream.stats.calls.echo).toBe(TOTAL);
      const warm = samples[0]!.heapUsed;
      const end = samples.at(-1)!.heapUsed;
      console.log(`load-memory: heapUsed after ${WARMUP} calls ${MiB(warm)}, then ${samples.slice(1).map((s) => MiB(s.heapUsed)).join(", ")}; rss ${samples.map((s) => MiB(s.rss)).join(", ")}; upstream sessions opened ${upstream.stats.sessionsOpened}`);
      expect(end - warm, `heapUsed grew from ${MiB(warm)} to ${MiB(end)}`).toBeLessThan(BOUND);

      // Every client session was DELETEd: the gateway ended its upstream sessions too (poll: it may do so
      // after answering the DELETE).
      for (let i = 0; i < 50 && upstream.stats.sessionsOpen > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(upstream.stats.sessionsOpen).toBe(0);
      expect(gateway.alive(), gateway.stderr()).toBe(true);
    },
    400_000,
  );
});
