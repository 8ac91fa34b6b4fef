/**
 * `mcppolicy proxy` options, run as users run them (dist/, a real SDK Client over StdioClientTransport,
 * the probe fixture as the upstream): --audit writes hash-chained decision and completion records that
 * `mcppolicy audit verify` accepts, the record of a denied call included; --shadow forwards a call the
 * policy denies and records what it would have done; --store redis:// (a real redis-server) keeps
 * `by principal` budgets across two proxy runs (two sessions).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAvailable, startRedis, type RedisHandle } from "./helpers/redis-server.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const PROBE = join(ROOT, "test", "fixtures", "servers", "probe-server.mjs");
const dir = mkdtempSync(join(tmpdir(), "mcpp-proxy-options-"));
const policy = join(dir, "probe.mcppolicy");
const principal = join(dir, "agent.json");
writeFileSync(
  policy,
  `policy "probe-options" version "1"
default deny
role agent {
  allow tool echo, ask_model
}
tool echo {
  limit calls 2 per hour by principal
}
`,
);
writeFileSync(principal, JSON.stringify({ id: "ann", roles: ["agent"] }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function connect(flags: string[], setup?: (client: Client) => void) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, "proxy", "--policy", policy, "--principal", principal, ...flags, "--", process.execPath, PROBE], stderr: "pipe" });
  const client = new Client({ name: "proxy-options-test", version: "1.0.0" }, { capabilities: { sampling: {} } });
  setup?.(client);
  await client.connect(transport);
  return client;
}

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: number }).code;
  }
}

const textOf = (r: unknown) => (((r as { content?: unknown }).content as { text?: string }[]) ?? []).map((c) => c.text ?? "").join("");

type Rec = { type: string; method: string; tool?: string; effect: string; enforced: boolean; session?: string; principal?: { id?: string }; outcome?: string };
const records = (file: string): Rec[] => readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Rec);

describe("proxy --audit and --shadow", () => {
  it("--audit: a decision record per call (denied ones too) and a completion per forwarded call; the chain verifies", async () => {
    const audit = join(dir, "audit.jsonl");
    const client = await connect(["--audit", audit]);
    await client.callTool({ name: "echo", arguments: { text: "one" } });
    expect(await codeOf(client.callTool({ name: "write_note", arguments: { text: "no" } }))).toBe(-32010);
    await client.close();
    const calls = records(audit).filter((r) => r.method === "tools/call");
    const echo = calls.filter((r) => r.tool === "echo");
    expect(echo.map((r) => [r.type, r.effect])).toEqual([
      ["decision", "allow"],
      ["completion", "allow"],
    ]);
    expect(echo[0]!.principal?.id).toBe("ann");
    expect(echo[0]!.session).toMatch(/^[0-9a-f-]{36}$/);
    const denied = calls.filter((r) => r.tool === "write_note");
    expect(denied.map((r) => [r.type, r.effect, r.enforced])).toEqual([["decision", "deny", true]]);
    const verify = spawnSync(process.execPath, [CLI, "audit", "verify", audit], { encoding: "utf8" });
    expect(verify.status, verify.stderr + verify.stdout).toBe(0);
  });

  it("--shadow: a call the policy denies is forwarded, and the audit says it would have been denied", async () => {
    const audit = join(dir, "shadow.jsonl");
    const client = await connect(["--shadow", "--audit", audit]);
    const r = await client.callTool({ name: "write_note", arguments: { text: "shadowed" } });
    expect(textOf(r)).toBe("written");
    await client.close();
    const decision = records(audit).find((x) => x.type === "decision" && x.tool === "write_note");
    expect(decision).toMatchObject({ effect: "deny", enforced: false });
  });
});

describe("proxy: server-to-client requests", () => {
  it("governs the server's sampling/createMessage: denied by the policy's default, the client is never asked", async () => {
    let asked = 0;
    const client = await connect([], (c) =>
      c.setRequestHandler(CreateMessageRequestSchema, async () => {
        asked++;
        return { model: "m", role: "assistant", content: { type: "text", text: "hello" } };
      }),
    );
    const r = await client.callTool({ name: "ask_model", arguments: { prompt: "hi" } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/sampling failed: .*denied by policy/);
    expect(asked).toBe(0);
    await client.close();
  });

  it("in shadow mode the same sampling request reaches the client", async () => {
    let asked = 0;
    const client = await connect(["--shadow"], (c) =>
      c.setRequestHandler(CreateMessageRequestSchema, async () => {
        asked++;
        return { model: "m", role: "assistant", content: { type: "text", text: "hello" } };
      }),
    );
    const r = await client.callTool({ name: "ask_model", arguments: { prompt: "hi" } });
    expect(textOf(r)).toBe("model said: hello");
    expect(asked).toBe(1);
    await client.close();
  });
});

const skipRedis = !redisAvailable && !process.env.CI;

describe.skipIf(skipRedis)("proxy --store redis://", () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it("keeps a `by principal` budget across two proxy runs sharing the store", async () => {
    const first = await connect(["--store", redis.url]);
    await first.callTool({ name: "echo", arguments: { text: "1" } });
    await first.callTool({ name: "echo", arguments: { text: "2" } });
    await first.close();
    const second = await connect(["--store", redis.url]);
    expect(await codeOf(second.callTool({ name: "echo", arguments: { text: "3" } }))).toBe(-32011);
    await second.close();
    // Without the shared store, a new run starts from zero.
    const alone = await connect([]);
    expect(textOf(await alone.callTool({ name: "echo", arguments: { text: "4" } }))).toBe("4");
    await alone.close();
  });
});
