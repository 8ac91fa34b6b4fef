/**
 * `mcppolicy approvals list|approve|reject` (issue 12), run as users run it (`node dist/cli/main.js`, after
 * `npm run build`) against a real redis-server that an engine in this process also uses: the engine's
 * four-eyes call (`by role security`) waits; the CLI lists it; the caller cannot approve it (exit 3),
 * nor can a principal without the role; a `security` principal (a derived role) approves it, and the
 * engine lets the same call through once. The reject path, and the usage errors (no --store: exit 2).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, createEngine, type Engine, type PolicyRequest } from "mcppolicy";
import { RedisStore } from "mcppolicy/redis";
import { startRedis, type RedisHandle } from "./helpers/redis-server.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist", "cli", "main.js");

const POLICY = `policy "four-eyes" version "1"
role dev { allow tool deploy, rotate }
role security { member when principal.claims.team == "sec" }
tool deploy { approval required by role security }
tool rotate { approval required by caller }
`;

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000, env: { ...process.env, MCPPOLICY_PRINCIPAL: "", ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let redis: RedisHandle;
let dir: string;
let policyFile: string;
let engine: Engine;
const prefix = `cli-${Math.random().toString(36).slice(2)}:`;
const principalFile = (name: string, p: object) => {
  const f = path.join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify(p));
  return f;
};
const call = (tool: string, n: number): PolicyRequest => ({ principal: { id: "alice", roles: ["dev"] }, method: "tools/call", tool, arguments: { env: "prod", n } });

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-approvals-"));
  policyFile = path.join(dir, "four-eyes.mcppolicy");
  writeFileSync(policyFile, POLICY);
  engine = createEngine(compilePolicy(POLICY, { filename: policyFile }), { store: new RedisStore({ url: redis.url, prefix }) });
});

afterAll(async () => {
  await engine?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("mcppolicy approvals", () => {
  it("four eyes: listed; the caller and a principal without the role are refused; a security principal approves; the call goes through once", async () => {
    const pending = await engine.authorize(call("deploy", 1));
    expect(pending.effect).toBe("require_approval");
    const id = pending.approval!.id;
    const store = ["--store", redis.url, "--prefix", prefix];

    const listed = cli(["approvals", "list", ...store, "--json"]);
    expect(listed.status, listed.stderr).toBe(0);
    const doc = JSON.parse(listed.stdout) as { approvals: { id: string; status: string; tool: string; principal: string; approvers: unknown; arguments: unknown }[]; truncated: boolean };
    expect(doc.truncated).toBe(false);
    expect(doc.approvals).toHaveLength(1);
    expect(doc.approvals[0]).toMatchObject({ id, status: "pending", tool: "deploy", principal: "alice", approvers: { kind: "roles", roles: ["security"] }, arguments: { env: "prod", n: 1 } });

    const text = cli(["approvals", "list", ...store, "--policy", policyFile]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`${id}  pending`);
    expect(text.stdout).toContain("approvers: role security");
    expect(text.stdout).not.toContain("another version");

    const aliceFile = principalFile("alice", { id: "alice", roles: ["dev"], claims: { team: "sec" } });
    const self = cli(["approvals", "approve", id, ...store, "--policy", policyFile, "--principal", aliceFile]);
    expect(self.status, self.stderr).toBe(3);
    expect(self.stderr).toContain("`alice` cannot decide an approval for its own call");

    const bobFile = principalFile("bob", { id: "bob", roles: ["dev"] });
    const bob = cli(["approvals", "approve", id, ...store, "--policy", policyFile, "--principal", bobFile]);
    expect(bob.status).toBe(3);
    expect(bob.stderr).toContain("`bob` may not decide approval request");
    expect(bob.stderr).toContain("`security`");
    const noPrincipal = cli(["approvals", "approve", id, ...store, "--policy", policyFile, "--approver", "carol"]);
    expect(noPrincipal.status).toBe(3);
    expect(noPrincipal.stderr).toContain("pass the approver's principal");
    expect((await engine.authorize(call("deploy", 1))).effect).toBe("require_approval");

    // The security principal from the environment (MCPPOLICY_PRINCIPAL), as the proxy reads it.
    const sam = cli(["approvals", "approve", id, ...store, "--policy", policyFile], { MCPPOLICY_PRINCIPAL: JSON.stringify({ id: "sam", claims: { team: "sec" } }) });
    expect(sam.status, sam.stderr).toBe(0);
    expect(sam.stdout).toContain(`approved ${id}: deploy by alice, decided by sam`);

    const allowed = await engine.authorize(call("deploy", 1));
    expect(allowed.effect).toBe("allow");
    await allowed.commit();
    expect((await engine.authorize(call("deploy", 1))).effect).toBe("require_approval");

    const twice = cli(["approvals", "approve", id, ...store, "--policy", policyFile, "--approver", "sam", "--principal", principalFile("sam", { id: "sam", claims: { team: "sec" } })]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toContain(`no approval request \`${id}\``);
  });

  it("reject: the call is denied until the request expires; by caller lets the caller decide its own", async () => {
    const store = ["--store", redis.url, "--prefix", prefix];
    const p = await engine.authorize(call("deploy", 2));
    const rejected = cli(["approvals", "reject", p.approval!.id, ...store, "--policy", policyFile, "--approver", "ops", "--json"]);
    expect(rejected.status, rejected.stderr).toBe(0);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ id: p.approval!.id, status: "rejected", approver: "ops" });
    const denied = await engine.authorize(call("deploy", 2));
    expect(denied.effect).toBe("deny");
    expect(denied.reasons.map((r) => r.code)).toContain("approval_rejected");

    const own = await engine.authorize(call("rotate", 3));
    const ok = cli(["approvals", "approve", own.approval!.id, ...store, "--policy", policyFile, "--approver", "alice"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect((await engine.authorize(call("rotate", 3))).effect).toBe("allow");

    const pendingOnly = JSON.parse(cli(["approvals", "list", ...store, "--status", "rejected", "--json"]).stdout) as { approvals: { id: string }[] };
    expect(pendingOnly.approvals.map((a) => a.id)).toEqual([p.approval!.id]);
  });

  it("usage: no --store says approvals out of band need a shared store (exit 2); other mistakes exit 2; an unreachable store exits 1", () => {
    const noStore = cli(["approvals", "list"]);
    expect(noStore.status).toBe(2);
    expect(noStore.stderr).toContain("approvals out of band need a shared store: pass --store redis://HOST:PORT");
    expect(noStore.stdout).toBe("");
    expect(cli(["approvals"]).status).toBe(2);
    expect(cli(["approvals", "grant", "x", "--store", redis.url]).stderr).toContain("unknown approvals action 'grant'");
    expect(cli(["approvals", "approve", "--store", redis.url, "--policy", policyFile, "--approver", "sam"]).stderr).toContain("needs the approval's ID");
    expect(cli(["approvals", "approve", "x", "--store", redis.url, "--approver", "sam"]).stderr).toContain("needs --policy FILE");
    expect(cli(["approvals", "approve", "x", "--store", redis.url, "--policy", policyFile]).stderr).toContain("who decides?");
    expect(cli(["approvals", "list", "--store", "http://localhost:6379"]).status).toBe(2);
    const help = cli(["approvals", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("by role R1, R2");
    const down = cli(["approvals", "list", "--store", "redis://127.0.0.1:1"]);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain("cannot reach the store at redis://127.0.0.1:1");
  });
});
