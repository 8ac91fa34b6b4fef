/**
 * Tool families and server blocks at run time (grammar/README.md, "Tool families", "Server blocks"): a
 * family's limit counts every call of the family together (unless keyed `by tool`), a server block's
 * limits count only calls to that server, and the engine finds every such budget by the id the decision
 * names. On a real MemoryStore and a real redis-server.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy, createEngine, type PolicyRequest } from "mcppolicy";
import { bothStores } from "./helpers/both-stores.js";

const policy = compilePolicy(`
policy "families" version "1.0.0"
role agent { allow tool "*" }
tool "github__*" {
  limit calls 3 per hour by principal
}
tool "db__*" {
  limit calls 2 per hour by tool
}
server "gitlab" {
  limit calls 2 per hour by principal
  tool "gitlab__*" { limit calls 1 per hour by principal }
}
`, { readFile: null });

const call = (tool: string, server?: string): PolicyRequest => ({
  principal: { id: "alice", roles: ["agent"] },
  tool,
  arguments: {},
  session: { id: "s1" },
  ...(server !== undefined && { server: { name: server } }),
});

const stores = bothStores("fam");

describe.each(stores)("family and server limits are counted (%s)", (_name, makeStore) => {
  it("a family limit counts all calls of the family together", async () => {
    const engine = createEngine(policy, { store: makeStore() });
    for (const t of ["github__a", "github__b", "github__c"]) expect((await engine.authorize(call(t, "github"))).effect).toBe("allow");
    const denied = await engine.authorize(call("github__zzz", "github"));
    expect(denied.effect).toBe("deny");
    expect(denied.reasons[0]).toMatchObject({ code: "budget_exceeded", rule: "tool:github__*/limit/1" });
    // A tool outside the family is not counted.
    expect((await engine.authorize(call("other", "github"))).effect).toBe("allow");
  });

  it("a family limit keyed `by tool` counts each tool of the family apart", async () => {
    const engine = createEngine(policy, { store: makeStore() });
    for (let i = 0; i < 2; i++) expect((await engine.authorize(call("db__read", "db"))).effect).toBe("allow");
    expect((await engine.authorize(call("db__read", "db"))).reasons[0]).toMatchObject({ code: "budget_exceeded", rule: "tool:db__*/limit/1" });
    expect((await engine.authorize(call("db__write", "db"))).effect).toBe("allow");
  });

  it("a server block's limits count only calls to that server; its family's limit too", async () => {
    const engine = createEngine(policy, { store: makeStore() });
    expect((await engine.authorize(call("gitlab__x", "gitlab"))).effect).toBe("allow");
    // the server family's limit (1) is used up; the same tool elsewhere is not counted against it
    expect((await engine.authorize(call("gitlab__y", "gitlab"))).reasons[0]).toMatchObject({ code: "budget_exceeded", rule: "server:gitlab/tool:gitlab__*/limit/1" });
    for (let i = 0; i < 3; i++) expect((await engine.authorize(call("gitlab__y", "elsewhere"))).effect).toBe("allow");
    // the server's own limit (2): one call counted so far (the denied one was not)
    expect((await engine.authorize(call("plain", "gitlab"))).effect).toBe("allow");
    expect((await engine.authorize(call("plain", "gitlab"))).reasons[0]).toMatchObject({ code: "budget_exceeded", rule: "server:gitlab/limit/1" });
    expect((await engine.authorize(call("plain", "elsewhere"))).effect).toBe("allow");
  });

  it("a call that names no server is denied while a server block has limits (it cannot be counted)", async () => {
    const engine = createEngine(policy, { store: makeStore() });
    const d = await engine.authorize(call("plain"));
    expect(d.effect).toBe("deny");
    expect(d.reasons[0]).toMatchObject({ code: "evaluation_error", rule: "server:gitlab/limit/1" });
  });
});
