// Four eyes, end to end: `mcppolicy proxy --store redis://` in front of a real stdio server, a real SDK
// client (without elicitation) calling a tool whose approval needs the `security` role; the call comes
// back as an isError result naming the approval; the caller cannot approve it with the CLI, a security
// principal can; the same call then runs once through the proxy, and a second time needs a new approval.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAvailable, startRedis, type RedisHandle } from "./helpers/redis-server.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const ECHO = join(ROOT, "test", "fixtures", "servers", "echo-server.mjs");
const dir = mkdtempSync(join(tmpdir(), "mcpp-four-eyes-"));
const policy = join(dir, "four-eyes.mcppolicy");
const alice = join(dir, "alice.json");
const sec = join(dir, "sec.json");

writeFileSync(
  policy,
  `policy "four-eyes" version "1"
default deny
role agent { allow tool write_note }
role security { member when principal.claims.team == "security" }
tool write_note { approval required by role security }
`,
);
writeFileSync(alice, JSON.stringify({ id: "alice", roles: ["agent"] }));
writeFileSync(sec, JSON.stringify({ id: "sam", claims: { team: "security" } }));

const text = (r: unknown) => JSON.stringify((r as { content?: unknown }).content ?? r);

describe.skipIf(!redisAvailable && !process.env.CI)("four eyes through the proxy and the approvals CLI", () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // The proxy and the CLI share this redis-server under one key prefix (`--prefix` on both).
  const prefix = "four-eyes:";
  const approvals = (...args: string[]) => spawnSync(process.execPath, [CLI, "approvals", ...args, "--store", redis.url, "--prefix", prefix], { cwd: ROOT, encoding: "utf8", timeout: 30_000, env: { ...process.env, MCPPOLICY_PRINCIPAL: "" } });

  it("pends, is refused to the caller, approved by security, then runs once", async () => {
    const client = new Client({ name: "four-eyes", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [CLI, "proxy", "--policy", policy, "--principal", alice, "--store", redis.url, "--prefix", prefix, "--", process.execPath, ECHO], cwd: ROOT, stderr: "pipe" }),
    );
    try {
      const first = await client.callTool({ name: "write_note", arguments: { title: "keys", body: "rotate them" } });
      expect(first.isError).toBe(true);
      const meta = (first._meta as Record<string, { id: string }> | undefined)?.["mcppolicy/approval"];
      expect(meta?.id).toMatch(/^ap_/);
      expect(text(first)).toContain(`mcppolicy approvals approve ${meta!.id}`);
      const id = meta!.id;

      // Out of band, against the same Redis.
      const listed = approvals("list", "--json");
      expect(listed.status, listed.stderr).toBe(0);
      expect((JSON.parse(listed.stdout) as { approvals: { id: string }[] }).approvals.map((a) => a.id)).toContain(id);
      const self = approvals("approve", id, "--policy", policy, "--principal", alice);
      expect(self.status, self.stderr).toBe(3);
      const ok = approvals("approve", id, "--policy", policy, "--principal", sec);
      expect(ok.status, ok.stderr).toBe(0);

      const second = await client.callTool({ name: "write_note", arguments: { title: "keys", body: "rotate them" } });
      expect(second.isError, text(second)).toBeFalsy();
      const third = await client.callTool({ name: "write_note", arguments: { title: "keys", body: "rotate them" } });
      expect(third.isError).toBe(true);
      expect(text(third)).toContain("mcppolicy approvals approve");
    } finally {
      await client.close();
    }
  });
});
