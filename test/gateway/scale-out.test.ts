// Scale-out: three `mcppolicy serve` processes (dist/cli/main.js) on one real redis-server, in front of one
// upstream (bench/lib/gateway-upstream.mjs, in this process, counting the tools that really ran), with API
// key auth (one key, one principal, shared by every client). Many clients at once, spread over the three:
// SDK Clients over StreamableHTTPClientTransport (interop) and raw keep-alive HTTP sessions (the bulk).
// Proves: a `limit calls` budget is never exceeded between the processes and is used up exactly (the
// upstream ran exactly the budget); an approval approved once lets exactly one call through, whichever
// process it lands on.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keepAliveAgent, McpHttpSession, resultText, type JsonRpcAnswer } from "../../bench/lib/gateway-load.mjs";
import { apiKey, CLI, gatewayYaml, spawnGateway, writeKeysFile, type GatewayProcess } from "../../bench/lib/gateway-procs.mjs";
import { startUpstream, type Upstream } from "../../bench/lib/gateway-upstream.mjs";
import { redisAvailable, startRedis, type RedisHandle } from "../helpers/redis-server.js";

const BUDGET = 240;
const PREFIX = "scale-out:";
const POLICY = `policy "scale-out" version "1"
default deny
role agent {
  allow tool echo
  allow tool write_note
}
role security { member when principal.claims.team == "security" }
tool echo {
  args { text: string }
  limit calls ${BUDGET} per day by principal
}
tool write_note { approval required by role security }
`;

const dir = mkdtempSync(join(tmpdir(), "mcpp-scale-out-"));
const policyFile = join(dir, "policy.mcppolicy");
const secFile = join(dir, "sec.json");
const key = apiKey("team");

/** What one call came back as. */
type Outcome = "allowed" | "budget" | "unavailable" | "approval" | "other";

function classify(a: JsonRpcAnswer): Outcome {
  if (a.error?.code === -32011) return "budget";
  if (a.error?.code === -32010 && a.error.data?.reasons?.some((r) => r.code === "budget_unavailable")) return "unavailable";
  if (a.result?.isError && a.result._meta?.["mcppolicy/approval"]) return "approval";
  if (a.result && !a.result.isError && resultText(a) !== undefined) return "allowed";
  return "other";
}

/** An SDK client's call as the same shape: a JSON-RPC error comes back from callTool as a thrown McpError. */
async function sdkCall(client: Client, name: string, args: Record<string, unknown>): Promise<JsonRpcAnswer> {
  try {
    const result = (await client.callTool({ name, arguments: args })) as JsonRpcAnswer["result"];
    return { result };
  } catch (e) {
    if (e instanceof McpError) return { error: { code: e.code, message: e.message, data: e.data as never } };
    throw e;
  }
}

describe.skipIf(!redisAvailable && !process.env.CI)("three gateway processes on one Redis", () => {
  let redis: RedisHandle;
  let upstream: Upstream;
  const gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` first");
    redis = await startRedis();
    upstream = await startUpstream();
    writeFileSync(policyFile, POLICY);
    writeFileSync(secFile, JSON.stringify({ id: "sam", claims: { team: "security" } }));
    const keysFile = writeKeysFile(join(dir, "keys.json"), [{ ...key, principal: { id: "team", roles: ["agent"] } }]);
    const config = join(dir, "gateway.yaml");
    writeFileSync(config, gatewayYaml({ policy: policyFile, upstreams: [{ name: "notes", url: upstream.url }], store: redis.url, storePrefix: PREFIX, keysFile }));
    // The same config three times: port 0 gives each its own port.
    gateways.push(...(await Promise.all([0, 1, 2].map(() => spawnGateway(config)))));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await upstream?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const auth = () => ({ authorization: `Bearer ${key.key}` });

  async function sdkClient(url: string): Promise<Client> {
    const client = new Client({ name: "scale-out-sdk", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: auth() } }));
    return client;
  }

  it(
    "a limit calls budget is never exceeded between the processes and is used up exactly",
    async () => {
      const agent = keepAliveAgent(64);
      const raw = await Promise.all(gateways.flatMap((g) => Array.from({ length: 10 }, () => new McpHttpSession(g.url, { raw: true, headers: auth() }).open())));
      const sdk = await Promise.all(gateways.flatMap((g) => [sdkClient(g.url), sdkClient(g.url)]));
      const counts: Record<Outcome, number> = { allowed: 0, budget: 0, unavailable: 0, approval: 0, other: 0 };
      const others: string[] = [];
      const note = (a: JsonRpcAnswer) => {
        const c = classify(a);
        counts[c]++;
        if (c === "other" && others.length < 5) others.push(JSON.stringify(a).slice(0, 300));
        return c;
      };
      // Every client calls until it is told the budget is used up (a store hiccup under load is retried).
      const callers = [
        ...raw.map((s, i) => async () => {
          for (let k = 0; k < BUDGET * 2; k++) if (note(await s.callTool("echo", { text: `raw ${i} ${k}` })) === "budget") return;
        }),
        ...sdk.map((c, i) => async () => {
          for (let k = 0; k < BUDGET * 2; k++) if (note(await sdkCall(c, "echo", { text: `sdk ${i} ${k}` })) === "budget") return;
        }),
      ];
      await Promise.all(callers.map((f) => f()));
      expect(others).toEqual([]);
      expect(counts.allowed).toBeLessThanOrEqual(BUDGET);
      expect(counts.budget).toBe(callers.length);
      expect(upstream.stats.calls.echo).toBe(counts.allowed);

      // Used up exactly: any reservation a store timeout gave back is still there to take, one call at a time,
      // round robin over the processes, until every process says the budget is used up.
      let topUp = 0;
      let refusals = 0;
      for (let k = 0; refusals < gateways.length && k < BUDGET * 2; k++) {
        const c = note(await raw[k % raw.length]!.callTool("echo", { text: `top-up ${k}` }));
        if (c === "allowed") {
          topUp++;
          refusals = 0;
        } else if (c === "budget") refusals++;
      }
      expect(others).toEqual([]);
      expect(counts.allowed).toBe(BUDGET);
      expect(upstream.stats.calls.echo).toBe(BUDGET);
      // The answers name the budget.
      const last = await raw[0]!.callTool("echo", { text: "one more" });
      expect(last.error?.code).toBe(-32011);
      expect(JSON.stringify(last.error?.data)).toContain("budget_exceeded");
      console.log(`scale-out: ${callers.length} clients over 3 processes; allowed ${counts.allowed} (${topUp} in the top-up), budget answers ${counts.budget}, store unavailable ${counts.unavailable}`);
      await Promise.all([...raw.map((s) => s.close()), ...sdk.map((c) => c.close())]);
      agent.destroy();
    },
    180_000,
  );

  it(
    "an approval approved once lets exactly one call through across the processes",
    async () => {
      const args = { title: "rotate", body: "the keys" };
      const first = await new McpHttpSession(gateways[0]!.url, { raw: true, headers: auth() }).open();
      const pending = await first.callTool("write_note", args);
      expect(classify(pending)).toBe("approval");
      const id = (pending.result!._meta!["mcppolicy/approval"] as { id: string }).id;
      expect(id).toMatch(/^ap_/);

      const approve = spawnSync(process.execPath, [CLI, "approvals", "approve", id, "--policy", policyFile, "--principal", secFile, "--store", redis.url, "--prefix", PREFIX], {
        encoding: "utf8",
        timeout: 30_000,
        env: { ...process.env, MCPPOLICY_PRINCIPAL: "" },
      });
      expect(approve.status, approve.stderr).toBe(0);

      // The same call, at once, from 4 clients per process (SDK and raw).
      const agent = keepAliveAgent(16);
      const raw = await Promise.all(gateways.flatMap((g) => [0, 1, 2].map(() => new McpHttpSession(g.url, { raw: true, headers: auth() }).open())));
      const sdk = await Promise.all(gateways.map((g) => sdkClient(g.url)));
      const answers = await Promise.all([...raw.map((s) => s.callTool("write_note", args)), ...sdk.map((c) => sdkCall(c, "write_note", args))]);
      const outcomes = answers.map(classify);
      expect(outcomes.filter((o) => o === "allowed")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "approval")).toHaveLength(answers.length - 1);
      expect(resultText(answers[outcomes.indexOf("allowed")])).toBe("saved note rotate");
      expect(upstream.stats.calls.write_note).toBe(1);
      await Promise.all([first.close(), ...raw.map((s) => s.close()), ...sdk.map((c) => c.close())]);
      agent.destroy();
    },
    120_000,
  );

  it("every process is still up", () => {
    for (const g of gateways) expect(g.alive(), g.stderr()).toBe(true);
  });
});
