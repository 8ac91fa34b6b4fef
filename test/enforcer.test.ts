// The relay's rules, message by message: a scripted client and a scripted server on each side of ONE
// enforcer, with a real compiled policy and a real engine (memory store). The SDK middleware and the
// stdio proxy tests run the same relay against real SDK clients and servers.
import { describe, expect, it } from "vitest";
import { handshake, relay, tick, type Msg } from "./helpers/relay-harness.js";
import { MemoryAuditSink, recordLine, verifyAuditLog, type AuditSink } from "../src/audit/index.js";
import { tokenCounter } from "../src/adapters/tokens.js";

const BASE = `
policy "t" version "1"
default deny
role dev {
  allow tool echo
  allow tool "*" when annotations.readOnlyHint
}
tool echo { args { text: string(maxLength: 10) } limit calls 2 by session }
`;

describe("the relay", () => {
  it("forwards an allowed call and passes its result back; a denied one never reaches the server", async () => {
    const r = relay(BASE);
    await handshake(r, [{ name: "echo", inputSchema: { type: "object" } }]);
    await r.call(1, "echo", { text: "hi" });
    expect(r.toServer.map((m) => m.id)).toEqual([1]);
    await r.answer(1, { content: [{ type: "text", text: "hi" }] });
    expect(r.toClient).toEqual([{ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "hi" }] } }]);
    await r.call(2, "write_file", { path: "/x" });
    expect(r.toServer.map((m) => m.id)).toEqual([1]);
    expect(r.toClient[1]).toMatchObject({ id: 2, error: { code: -32010 } });
    expect(r.toClient[1]!.error.message).toContain("write_file");
  });

  it("answers an argument fault with an isError tool result the model can act on", async () => {
    const r = relay(BASE);
    await handshake(r, [{ name: "echo" }]);
    await r.call(1, "echo", { text: "far too long for the limit" });
    expect(r.toServer).toEqual([]);
    expect(r.toClient[0]).toMatchObject({ id: 1, result: { isError: true } });
    expect(JSON.stringify(r.toClient[0]!.result.content)).toContain("text");
  });

  it("takes annotations from the server's pinned catalog, never from the caller; an unpinned tool gets the spec's defaults", async () => {
    const r = relay(BASE);
    // Before any catalog: the caller's claim of readOnlyHint is ignored, the defaults (not read-only) deny.
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "read_thing", arguments: {}, annotations: { readOnlyHint: true } } });
    expect(r.toServer).toEqual([]);
    expect(r.toClient[0]).toMatchObject({ id: 1, error: { code: -32010 } });
    r.toClient.length = 0;
    await handshake(r, [{ name: "read_thing", annotations: { readOnlyHint: true } }, { name: "drop_table", annotations: { readOnlyHint: false } }]);
    await r.call(2, "read_thing");
    expect(r.toServer.map((m) => m.id)).toEqual([2]);
    await r.call(3, "drop_table", {}, { annotations: { readOnlyHint: true } });
    expect(r.toServer.map((m) => m.id)).toEqual([2]);
    expect(r.toClient.at(-1)).toMatchObject({ id: 3, error: { code: -32010 } });
  });

  it("regression: a tools/call handled at once after initialized (lines are handled concurrently) waits for the pin", async () => {
    const r = relay(BASE);
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    await r.enforcer.fromServer({ jsonrpc: "2.0", id: 0, result: { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "s", version: "1" } } });
    const initialized = r.enforcer.fromClient({ jsonrpc: "2.0", method: "notifications/initialized" });
    const call = r.call(1, "look");
    await initialized;
    await tick();
    const fetch = r.toServer.find((m) => m.method === "tools/list")!;
    expect(r.toServer.some((m) => m.method === "tools/call")).toBe(false);
    await r.enforcer.fromServer({ jsonrpc: "2.0", id: fetch.id, result: { tools: [{ name: "look", annotations: { readOnlyHint: true } }] } });
    await call;
    expect(r.toServer.filter((m) => m.method === "tools/call").map((m) => m.id)).toEqual([1]);
  });

  it("re-pins the catalog when the server says its tools changed", async () => {
    const r = relay(BASE);
    await handshake(r, [{ name: "look", annotations: { readOnlyHint: true } }]);
    await r.enforcer.fromServer({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    expect(r.toClient.at(-1)).toMatchObject({ method: "notifications/tools/list_changed" });
    const fetch = r.toServer.find((m) => m.method === "tools/list");
    expect(fetch).toBeDefined();
    // A call made while the catalog is being fetched waits for it.
    const pending = r.call(1, "look");
    await r.enforcer.fromServer({ jsonrpc: "2.0", id: fetch!.id, result: { tools: [{ name: "look", annotations: { readOnlyHint: false } }] } });
    await pending;
    expect(r.toClient.at(-1)).toMatchObject({ id: 1, error: { code: -32010 } });
  });

  it("commits a call when the server answers and rolls it back when the server fails", async () => {
    const r = relay(BASE);
    await handshake(r, [{ name: "echo" }]);
    await r.call(1, "echo", { text: "a" });
    await r.enforcer.fromServer({ jsonrpc: "2.0", id: 1, error: { code: -32603, message: "boom" } });
    expect(r.toClient.at(-1)).toMatchObject({ id: 1, error: { message: "boom" } });
    await r.call(2, "echo", { text: "b" });
    await r.answer(2, { content: [] });
    await r.call(3, "echo", { text: "c" });
    await r.answer(3, { content: [] });
    expect(r.toServer.filter((m) => m.method === "tools/call").map((m) => m.id)).toEqual([1, 2, 3]);
    // The failed call was given back: two committed calls use the budget up.
    await r.call(4, "echo", { text: "d" });
    expect(r.toServer.filter((m) => m.method === "tools/call").map((m) => m.id)).toEqual([1, 2, 3]);
    expect(r.toClient.at(-1)).toMatchObject({ id: 4, error: { code: -32011 } });
  });

  it("refuses duplicate ids, unknown methods and batches, and drops stray responses and unknown notifications", async () => {
    const r = relay(BASE);
    await handshake(r, [{ name: "echo" }]);
    await r.call(1, "echo", { text: "a" });
    await r.call(1, "echo", { text: "b" });
    expect(r.toClient.at(-1)).toMatchObject({ id: 1, error: { code: -32600 } });
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: 2, method: "evil/method", params: {} });
    expect(r.toClient.at(-1)).toMatchObject({ id: 2, error: {} });
    await r.enforcer.fromClientText(JSON.stringify([{ jsonrpc: "2.0", id: 3, method: "ping" }]));
    expect(r.toClient.at(-1)).toMatchObject({ id: null, error: { code: -32600 } });
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: 99, result: {} });
    await r.enforcer.fromClient({ jsonrpc: "2.0", method: "notifications/evil" });
    await r.enforcer.fromClientText("{not json");
    expect(r.toClient.at(-1)).toMatchObject({ id: null, error: { code: -32700 } });
    expect(r.toServer.map((m) => m.id ?? m.method)).toEqual([1]);
    expect(r.problems.length).toBeGreaterThan(0);
  });

  it("lets a method outside the table through only when the host lists it", async () => {
    const r = relay(BASE, { allowMethods: ["logging/setLevel"] });
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "info" } });
    expect(r.toServer.map((m) => m.method)).toEqual(["logging/setLevel"]);
  });

  it("never forwards a call cancelled while it was being decided", async () => {
    const r = relay(BASE);
    await handshake(r, [{ name: "echo" }]);
    const p = r.call(1, "echo", { text: "a" });
    await r.enforcer.fromClient({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
    await p;
    expect(r.toServer).toEqual([]);
  });

  it("answers every pending request when the server goes away, and refuses later ones", async () => {
    const r = relay(BASE);
    await handshake(r, [{ name: "echo" }]);
    await r.call(1, "echo", { text: "a" });
    await r.enforcer.upstreamClosed("exit code 3");
    expect(r.toClient.at(-1)).toMatchObject({ id: 1, error: { code: -32013 } });
    await r.call(2, "echo", { text: "b" });
    expect(r.toClient.at(-1)).toMatchObject({ id: 2, error: { code: -32013 } });
    expect(r.enforcer.pending).toBe(0);
  });

  it("filters list results per principal", async () => {
    const r = relay(BASE);
    await handshake(r, []);
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
    await r.answer(1, { tools: [{ name: "echo" }, { name: "rm", annotations: { destructiveHint: true } }, { name: "peek", annotations: { readOnlyHint: true } }], nextCursor: "c2" });
    expect(r.toClient.at(-1)!.result.tools.map((t: Msg) => t.name)).toEqual(["echo", "peek"]);
    expect(r.toClient.at(-1)!.result.nextCursor).toBe("c2");
  });

  it("governs sampling asked by the server: the policy's default denies it and the client never sees it", async () => {
    const r = relay(BASE);
    await handshake(r, []);
    await r.enforcer.fromServer({ jsonrpc: "2.0", id: 7, method: "sampling/createMessage", params: { messages: [], maxTokens: 10 } });
    expect(r.toClient).toEqual([]);
    expect(r.toServer.at(-1)).toMatchObject({ id: 7, error: { code: -32010 } });
    // ping and roots/list from the server pass, and the client's answer goes back.
    await r.enforcer.fromServer({ jsonrpc: "2.0", id: 8, method: "ping" });
    expect(r.toClient.at(-1)).toMatchObject({ id: 8, method: "ping" });
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: 8, result: {} });
    expect(r.toServer.at(-1)).toEqual({ jsonrpc: "2.0", id: 8, result: {} });
  });

  it("in shadow mode decides, audits and forwards everything, saying what would have been denied", async () => {
    const sink = new MemoryAuditSink();
    const r = relay(BASE, { shadow: true, audit: sink });
    await handshake(r, [{ name: "rm" }]);
    await r.call(1, "rm", { path: "/" });
    expect(r.toServer.map((m) => m.id)).toEqual([1]);
    await r.answer(1, { content: [] });
    const decision = sink.records.find((x) => x.type === "decision" && x.tool === "rm")!;
    expect(decision).toMatchObject({ effect: "deny", enforced: false });
    expect(sink.records.some((x) => x.type === "completion" && x.callId === decision.callId && x.outcome === "ok")).toBe(true);
  });

  it("honours `mode shadow` written in the policy as the shadow option", async () => {
    const sink = new MemoryAuditSink();
    const r = relay(BASE.replace('default deny', 'default deny\nmode shadow'), { audit: sink });
    expect(r.policy.shadow).toBe(true);
    await handshake(r, [{ name: "rm" }]);
    await r.call(1, "rm", { path: "/" });
    expect(r.toServer.map((m) => m.id)).toEqual([1]);
    expect(sink.records.find((x) => x.type === "decision" && x.tool === "rm")).toMatchObject({ effect: "deny", enforced: false });
    // Lists are not filtered in shadow mode: the audit says what would have been hidden.
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
    await r.answer(2, { tools: [{ name: "echo" }, { name: "rm" }] });
    expect(r.toClient.at(-1)!.result.tools.map((t: Msg) => t.name)).toEqual(["echo", "rm"]);
  });

  it("writes the decision record before forwarding, and denies when the sink cannot write", async () => {
    const order: string[] = [];
    const good = new MemoryAuditSink();
    const sink: AuditSink = { append: (e) => { order.push(`audit:${e.type}`); return good.append(e); } };
    const r = relay(BASE, { audit: sink, toServer: undefined });
    await handshake(r, [{ name: "echo" }]);
    const seen = r.toServer;
    await r.call(1, "echo", { text: "a" });
    expect(order[0]).toBe("audit:decision");
    expect(seen.map((m) => m.id)).toEqual([1]);
    expect(verifyAuditLog(good.records.map((x) => recordLine(x)).join("\n") + "\n")).toMatchObject({ ok: true, records: good.records.length });

    const broken: AuditSink = { append: () => { throw new Error("disk full"); } };
    const r2 = relay(BASE, { audit: broken });
    await handshake(r2, [{ name: "echo" }]);
    await r2.call(1, "echo", { text: "a" });
    expect(r2.toServer).toEqual([]);
    expect(r2.toClient.at(-1)).toMatchObject({ id: 1, error: { code: -32014 } });
    const r3 = relay(BASE, { audit: broken, auditFailOpen: true });
    await handshake(r3, [{ name: "echo" }]);
    await r3.call(1, "echo", { text: "a" });
    expect(r3.toServer.map((m) => m.id)).toEqual([1]);
  });

  it("charges token budgets with the tokens of the arguments and of the result", async () => {
    const src = `
policy "t" version "1"
default deny
role dev { allow tool echo }
tool echo { limit tokens total 60 by session }
`;
    const r = relay(src, { tokens: tokenCounter() });
    await handshake(r, [{ name: "echo" }]);
    await r.call(1, "echo", { text: "hello" });
    await r.answer(1, { content: [{ type: "text", text: "word ".repeat(50) }] });
    await r.call(2, "echo", { text: "hello" });
    expect(r.toServer.filter((m) => m.method === "tools/call").map((m) => m.id)).toEqual([1]);
    expect(r.toClient.at(-1)).toMatchObject({ id: 2, error: { code: -32011 } });
  });
});
