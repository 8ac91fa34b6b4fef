// Redis down and back: one `mcppolicy serve` process (dist/cli/main.js) with `store: redis://...` in front of
// the trivial upstream (bench/lib/gateway-upstream.mjs, in this process), a policy whose call needs the store
// (a `limit calls` budget). With the redis-server killed (SIGKILL, as a crash), every call is answered with a
// denial that names the store (fail closed: the upstream runs nothing), each within the client's timeout
// (no hang: a hung call fails the test, it does not time it), concurrent calls too, and the gateway stays up;
// with the redis-server started again on the same port, calls are allowed again on the same sessions.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keepAliveAgent, McpHttpSession, resultText, type JsonRpcAnswer } from "../../bench/lib/gateway-load.mjs";
import { apiKey, CLI, gatewayYaml, spawnGateway, writeKeysFile, type GatewayProcess } from "../../bench/lib/gateway-procs.mjs";
import { startUpstream, type Upstream } from "../../bench/lib/gateway-upstream.mjs";
import { redisAvailable, startRedis, type RedisHandle } from "../helpers/redis-server.js";

const POLICY = `policy "redis-faults" version "1"
default deny
role agent { allow tool echo }
tool echo {
  args { text: string }
  limit calls 1000000 per day by principal
}
`;

const dir = mkdtempSync(join(tmpdir(), "mcpp-faults-redis-"));
const key = apiKey("faults");
/** Far above what the gateway needs to deny (the store's own bound is ~100 ms - 1 s): only a hang reaches it. */
const HANG_MS = 15_000;

const denialCodes = (a: JsonRpcAnswer) => (a.error?.data?.reasons ?? []).map((r) => r.code);

describe.skipIf(!redisAvailable && !process.env.CI)("the gateway with Redis killed and restarted", () => {
  let redis: RedisHandle;
  let upstream: Upstream;
  let gateway: GatewayProcess;
  const agent = keepAliveAgent(32);

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` first");
    redis = await startRedis();
    upstream = await startUpstream();
    const policy = join(dir, "policy.mcppolicy");
    writeFileSync(policy, POLICY);
    const keysFile = writeKeysFile(join(dir, "keys.json"), [{ ...key, principal: { id: "ops", roles: ["agent"] } }]);
    const config = join(dir, "gateway.yaml");
    writeFileSync(config, gatewayYaml({ policy, upstreams: [{ name: "up", url: upstream.url }], store: redis.url, storePrefix: "faults:", keysFile }));
    gateway = await spawnGateway(config);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
    await redis?.stop();
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const open = () => new McpHttpSession(gateway.url, { agent, headers: { authorization: `Bearer ${key.key}` }, timeoutMs: HANG_MS }).open();

  it(
    "denies with a reason while Redis is down, never hangs, and allows again once it is back",
    async () => {
      const sessions = await Promise.all(Array.from({ length: 8 }, open));
      const before = await sessions[0]!.callTool("echo", { text: "before" });
      expect(resultText(before), JSON.stringify(before)).toBe("before");

      await redis.kill();
      const ranBefore = upstream.stats.calls.echo;
      // One at a time, then 8 at once, then 8 x 4 at once: every answer is a denial naming the store.
      const one = await sessions[0]!.callTool("echo", { text: "down" });
      const burst = await Promise.all(sessions.map((s, i) => s.callTool("echo", { text: `down ${i}` })));
      const storm = await Promise.all(sessions.flatMap((s, i) => [0, 1, 2, 3].map((k) => s.callTool("echo", { text: `storm ${i} ${k}` }))));
      for (const a of [one, ...burst, ...storm]) {
        expect(a.error?.code, JSON.stringify(a)).toBe(-32010);
        expect(denialCodes(a)).toContain("budget_unavailable");
        expect(a.error?.message).toMatch(/denied by policy/);
      }
      expect(upstream.stats.calls.echo).toBe(ranBefore);
      // A new session can still be opened (initialize needs no store) and is denied the same way.
      const late = await open();
      const lateAnswer = await late.callTool("echo", { text: "late" });
      expect(denialCodes(lateAnswer)).toContain("budget_unavailable");
      expect(gateway.alive(), gateway.stderr()).toBe(true);

      await redis.restart();
      // The store reconnects on its own schedule: poll (bounded) until a call goes through, on an old session.
      let back: JsonRpcAnswer | undefined;
      for (let i = 0; i < 120; i++) {
        back = await sessions[0]!.callTool("echo", { text: "back" });
        if (resultText(back) === "back") break;
        expect(denialCodes(back), JSON.stringify(back)).toContain("budget_unavailable");
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(resultText(back), `still denied after the restart: ${JSON.stringify(back)}\n${gateway.stderr()}`).toBe("back");
      // And then every session, concurrently.
      const after = await Promise.all([...sessions, late].map((s, i) => s.callTool("echo", { text: `after ${i}` })));
      after.forEach((a, i) => expect(resultText(a), JSON.stringify(a)).toBe(`after ${i}`));
      expect(gateway.alive(), gateway.stderr()).toBe(true);
      await Promise.all([...sessions, late].map((s) => s.close()));
    },
    120_000,
  );
});
