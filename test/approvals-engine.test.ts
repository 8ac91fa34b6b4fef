/**
 * Who may approve (issue 12), through the engine on both real stores (MemoryStore and RedisStore on a
 * real redis-server): `by caller` lets the caller approve its own call; `by role R` needs an approver
 * whose principal holds R as the policy resolves it (derived roles count) and who is not the caller
 * (four eyes, whatever `allowSelfApproval` says); no `by` keeps today's rule. The approvers travel on
 * the pending approval and the stored record; `engine.listApprovals` lists what has not expired.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy, createEngine, type PolicyRequest, type Store } from "mcppolicy";
import { bothStores } from "./helpers/both-stores.js";

const POLICY = compilePolicy(`policy "approvals"
role dev { allow tool deploy, self_serve, plain }
role security { member when principal.claims.team == "sec" }
role admin { }
tool deploy { approval required by role security }
tool self_serve { approval required by caller }
tool plain { approval required }
`);

const alice = { id: "alice", roles: ["dev"] };
const call = (tool: string, args: Record<string, unknown> = { n: 1 }): PolicyRequest => ({ principal: alice, method: "tools/call", tool, arguments: args });

describe.each(bothStores("approvals-engine"))("%s", (_name, makeStore: () => Store) => {
  it("by role: the caller cannot approve; a principal without the role cannot; one holding it (derived) can, once", async () => {
    const engine = createEngine(POLICY, { store: makeStore(), allowSelfApproval: true });
    const pending = await engine.authorize(call("deploy"));
    expect(pending.effect).toBe("require_approval");
    expect(pending.approval).toMatchObject({ created: true, approvers: { kind: "roles", roles: ["security"] } });
    expect(pending.decision.approvers).toEqual({ kind: "roles", roles: ["security"] });
    const id = pending.approval!.id;
    expect(await engine.getApproval(id)).toMatchObject({ approvers: { kind: "roles", roles: ["security"] }, principal: "alice" });

    // Four eyes: the caller, even holding the role and with allowSelfApproval.
    const aliceSec = { id: "alice", roles: ["dev"], claims: { team: "sec" } };
    await expect(engine.approve(id, { approver: "alice", principal: aliceSec })).rejects.toMatchObject({ status: "self_approval" });
    // Without a principal, or one without the role: not authorized.
    await expect(engine.approve(id, { approver: "bob" })).rejects.toMatchObject({ status: "not_authorized", message: expect.stringContaining("`security`") });
    await expect(engine.approve(id, { principal: { id: "bob", roles: ["admin"] } })).rejects.toMatchObject({ status: "not_authorized", message: expect.stringContaining("holds `admin`") });
    // approver and principal must name the same one.
    await expect(engine.approve(id, { approver: "mallory", principal: { id: "sam", claims: { team: "sec" } } })).rejects.toMatchObject({ status: "invalid" });
    expect(await engine.getApproval(id)).toMatchObject({ status: "pending" });

    const rec = await engine.approve(id, { principal: { id: "sam", claims: { team: "sec" } } });
    expect(rec).toMatchObject({ status: "approved", approver: "sam" });
    const allowed = await engine.authorize(call("deploy"));
    expect(allowed.effect).toBe("allow");
    await allowed.commit();
    expect((await engine.authorize(call("deploy"))).effect).toBe("require_approval");
    await engine.close();
  });

  it("by caller: the caller approves its own call (no allowSelfApproval needed), or rejects it", async () => {
    const engine = createEngine(POLICY, { store: makeStore() });
    const p1 = await engine.authorize(call("self_serve", { n: 1 }));
    expect(p1.approval).toMatchObject({ approvers: { kind: "caller" } });
    await engine.approve(p1.approval!.id, { approver: "alice", via: "client" });
    expect((await engine.authorize(call("self_serve", { n: 1 }))).effect).toBe("allow");

    const p2 = await engine.authorize(call("self_serve", { n: 2 }));
    await engine.reject(p2.approval!.id, { approver: "alice" });
    const denied = await engine.authorize(call("self_serve", { n: 2 }));
    expect(denied.effect).toBe("deny");
    expect(denied.reasons.map((r) => r.code)).toContain("approval_rejected");
    await engine.close();
  });

  it("no `by` (others): self approval refused unless allowSelfApproval; anyone else may approve", async () => {
    const engine = createEngine(POLICY, { store: makeStore() });
    const p = await engine.authorize(call("plain"));
    expect(p.approval).toMatchObject({ approvers: { kind: "others" } });
    await expect(engine.approve(p.approval!.id, { approver: "alice" })).rejects.toMatchObject({ status: "self_approval" });
    await engine.approve(p.approval!.id, { approver: "bob" });
    expect((await engine.authorize(call("plain"))).effect).toBe("allow");
    await engine.close();
  });

  it("rejecting a by-role approval needs no role (refusing is always safe), but the caller still cannot", async () => {
    const engine = createEngine(POLICY, { store: makeStore() });
    const p = await engine.authorize(call("deploy", { n: 9 }));
    await expect(engine.reject(p.approval!.id, { approver: "alice" })).rejects.toMatchObject({ status: "self_approval" });
    expect(await engine.reject(p.approval!.id, { approver: "ops-bot" })).toMatchObject({ status: "rejected", approver: "ops-bot" });
    await engine.close();
  });

  it("listApprovals: what has not expired, with its status and approvers; status filters", async () => {
    const engine = createEngine(POLICY, { store: makeStore() });
    expect(await engine.listApprovals()).toEqual({ approvals: [], truncated: false });
    const a = await engine.authorize(call("deploy", { n: 1 }));
    const b = await engine.authorize(call("plain", { n: 2 }));
    await engine.reject(b.approval!.id, { approver: "bob" });
    const all = await engine.listApprovals();
    expect(all.truncated).toBe(false);
    expect(all.approvals.map((x) => [x.id, x.status, x.approvers?.kind])).toEqual([
      [a.approval!.id, "pending", "roles"],
      [b.approval!.id, "rejected", "others"],
    ]);
    expect((await engine.listApprovals({ status: "pending" })).approvals.map((x) => x.id)).toEqual([a.approval!.id]);
    await expect(engine.listApprovals({ status: "nope" as never })).rejects.toMatchObject({ status: "invalid" });
    await engine.close();
  });
});

describe("stores without listApprovals", () => {
  it("engine.listApprovals says the store cannot list", async () => {
    const { MemoryStore } = await import("mcppolicy");
    const inner = new MemoryStore();
    const store: Store = { reserve: (r) => inner.reserve(r), settle: (r) => inner.settle(r), decideApproval: (i, d) => inner.decideApproval(i, d), getApproval: (i) => inner.getApproval(i) };
    const engine = createEngine(POLICY, { store });
    await expect(engine.listApprovals()).rejects.toMatchObject({ status: "unavailable" });
  });
});
