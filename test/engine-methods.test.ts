/**
 * The engine with the methods beyond tools/call: the target it binds an idempotency key to and the
 * `by tool` budget key are read from the method table (`requestTarget`), so two completions of
 * different refs are two requests, never a replay of each other, and are counted apart.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy, createEngine, MemoryStore, type PolicyRequest } from "../src/index.js";

const POLICY = `policy "m"
role reader {
  allow resource "file:///workspace/**"
  allow prompt "*"
  limit calls 1 per minute by tool
}
`;
const reader = { id: "alice", roles: ["reader"] };

describe("engine: methods from the table", () => {
  it("completions of two resources under one idempotency key conflict, not replay", async () => {
    const engine = createEngine(compilePolicy(POLICY, { readFile: null }), { store: new MemoryStore() });
    const a: PolicyRequest = { principal: reader, method: "completion/complete", resource: "file:///workspace/a.ts" };
    const b: PolicyRequest = { principal: reader, method: "completion/complete", resource: "file:///workspace/b.ts" };
    expect((await engine.authorize(a, { idempotencyKey: "k" })).effect).toBe("allow");
    const second = await engine.authorize(b, { idempotencyKey: "k" });
    expect(second.effect).toBe("deny");
    expect(second.reasons[0]!.code).toBe("idempotency_conflict");
    expect((await engine.authorize(a, { idempotencyKey: "k" })).effect).toBe("replay");
  });

  it("a `by tool` budget counts each completed resource apart", async () => {
    const engine = createEngine(compilePolicy(POLICY, { readFile: null }), { store: new MemoryStore() });
    const on = (resource: string): PolicyRequest => ({ principal: reader, method: "completion/complete", resource });
    expect((await engine.authorize(on("file:///workspace/a.ts"))).effect).toBe("allow");
    expect((await engine.authorize(on("file:///workspace/b.ts"))).effect).toBe("allow");
    const again = await engine.authorize(on("file:///workspace/a.ts"));
    expect(again.effect).toBe("deny");
    expect(again.reasons[0]!.code).toBe("budget_exceeded");
  });

  it("list methods and to-client requests go through the engine as decided", async () => {
    const engine = createEngine(compilePolicy(POLICY, { readFile: null }), { store: new MemoryStore() });
    expect((await engine.authorize({ principal: reader, method: "resources/list", resource: "file:///etc/passwd" })).effect).toBe("deny");
    expect((await engine.authorize({ principal: reader, method: "prompts/list" })).effect).toBe("allow");
    expect((await engine.authorize({ principal: reader, method: "sampling/createMessage" })).effect).toBe("deny");
  });
});
