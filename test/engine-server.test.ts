/**
 * The upstream server (`server.name`) is part of what an approval and an idempotency key are bound to: a
 * gateway that fronts several MCP servers must not let an approval for `run` on one upstream admit `run` on
 * another, nor answer a replay for a call that went elsewhere. On MemoryStore and a real redis-server.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy, createEngine, type PolicyRequest } from "mcppolicy";
import { bothStores } from "./helpers/both-stores.js";

const policy = compilePolicy(`
policy "gateway" version "1.0.0"
default deny
role agent { allow tool run, ping }
tool run { approval required }
`, { readFile: null });

const call = (server: string | undefined, extra: Partial<PolicyRequest> = {}): PolicyRequest => ({
  principal: { id: "alice", roles: ["agent"] },
  tool: "run",
  arguments: { command: "ls" },
  session: { id: "s1" },
  ...(server !== undefined && { server: { name: server } }),
  ...extra,
});

const stores = bothStores("srv");

describe.each(stores)("server.name binds approvals and idempotency keys (%s)", (_name, makeStore) => {
  it("an approval for a tool on one upstream does not admit the same call on another, nor one without a server", async () => {
    const engine = createEngine(policy, { store: makeStore() });
    const pending = await engine.authorize(call("github"));
    expect(pending.effect).toBe("require_approval");
    const record = await engine.approve(pending.approval!.id, { approver: "lead" });
    expect(record).toMatchObject({ status: "approved", tool: "run", server: "github" });

    const elsewhere = await engine.authorize(call("prod-db"));
    expect(elsewhere.effect).toBe("require_approval");
    expect(elsewhere.approval!.id).not.toBe(pending.approval!.id);
    expect((await engine.authorize(call(undefined))).effect).toBe("require_approval");

    const same = await engine.authorize(call("github"));
    expect(same.effect).toBe("allow");
    expect(same.reasons.map((r) => r.code)).toContain("approval_granted");
  });

  it("an idempotency key reused for another upstream is a conflict, not a replay", async () => {
    const engine = createEngine(policy, { store: makeStore() });
    const ping = (server: string | undefined) => call(server, { tool: "ping", arguments: {} });
    const first = await engine.authorize(ping("github"), { idempotencyKey: "k1" });
    expect(first.effect).toBe("allow");
    const other = await engine.authorize(ping("prod-db"), { idempotencyKey: "k1" });
    expect(other.effect).toBe("deny");
    expect(other.reasons[0]!.code).toBe("idempotency_conflict");
    const none = await engine.authorize(ping(undefined), { idempotencyKey: "k1" });
    expect(none.reasons[0]!.code).toBe("idempotency_conflict");
    const again = await engine.authorize(ping("github"), { idempotencyKey: "k1" });
    expect(again.effect).toBe("replay");
  });
});
