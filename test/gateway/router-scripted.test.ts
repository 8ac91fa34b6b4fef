// The router message by message: REAL enforcers (compiled policy, real engine) in front of scripted
// in-process servers; a client recorded. Pass-through for one upstream, aggregation for several.
import { describe, expect, it } from "vitest";
import { gateway, settle, type Msg } from "./router-harness.js";
import { createRouter } from "../../src/gateway/router/index.js";
import { MAX_ASKED } from "../../src/gateway/router/aggregate.js";

const POLICY = `
policy "gw" version "1"
default deny
role dev {
  allow tool "*"
  allow prompt "*"
  allow resource "**"
}
deny tool secret when server.name == "b" because "b's secret stays there"
tool deploy { approval required by caller }
`;

const A = { name: "a", tools: ["read", "secret"], prompts: ["greet"], resources: ["file:///a.txt"], templates: ["file:///{path}"], instructions: "Use a for notes." };
const B = { name: "b", tools: ["read", "secret", "deploy"], prompts: ["greet"], resources: ["mem://x"], instructions: "Use b for memory." };

describe("router: one upstream (pass-through)", () => {
  it("passes every message as it is, only announcing listChanged in the initialize result", async () => {
    const g = gateway(POLICY, [{ name: "only", tools: ["read"], capabilities: { tools: {}, resources: { subscribe: true } } }]);
    const init = await g.handshake();
    expect(init.result.capabilities).toEqual({ tools: { listChanged: true }, resources: { subscribe: true, listChanged: true } });
    expect(init.result.serverInfo).toEqual({ name: "only", version: "1" });
    await g.send({ jsonrpc: "2.0", id: 7, method: "tools/list", params: {} });
    expect((await g.answerTo(7))!.result.tools.map((t: Msg) => t.name)).toEqual(["read"]);
    await g.send({ jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "read", arguments: {} } });
    expect(await g.answerTo(8)).toEqual({ jsonrpc: "2.0", id: 8, result: { content: [{ type: "text", text: "only:read" }] } });
    expect(g.upstreams.get("only")!.seen.find((m) => m.id === 8)).toMatchObject({ params: { name: "read" } });
    // ping goes to the upstream (no rewriting at all).
    await g.send({ jsonrpc: "2.0", id: 9, method: "ping" });
    expect(await g.answerTo(9)).toEqual({ jsonrpc: "2.0", id: 9, result: {} });
    expect(g.upstreams.get("only")!.seen.some((m) => m.method === "ping")).toBe(true);
    g.client.length = 0;
    await g.router.notifyListChanged();
    expect(g.client.map((m) => m.method)).toEqual(["notifications/tools/list_changed", "notifications/resources/list_changed"]);
  });

  it("answers a request its upstream could not take with -32603, and never rejects", async () => {
    const problems: string[] = [];
    const out: Msg[] = [];
    const r = createRouter({ targets: [{ name: "only", prefix: "", send: async () => { throw new Error("pipe closed"); } }], serverInfo: { name: "g", version: "1" }, toClient: (m) => void out.push(m as Msg), onProblem: (p) => problems.push(p) });
    await r.fromClient({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } });
    await r.fromClient({ jsonrpc: "2.0", method: "notifications/initialized" });
    expect(out).toEqual([{ jsonrpc: "2.0", id: 1, error: { code: -32603, message: "internal error in the gateway: pipe closed" } }]);
    expect(problems).toHaveLength(2);
  });

  it("sends no list_changed before the client was initialized", async () => {
    const g = gateway(POLICY, [{ name: "only" }]);
    await g.router.notifyListChanged();
    expect(g.client).toEqual([]);
  });
});

describe("router: several upstreams", () => {
  it("merges initialize: the client's version when all agree, capabilities united, the gateway's serverInfo, instructions by name", async () => {
    const g = gateway(POLICY, [
      { ...A, capabilities: { tools: {}, resources: { subscribe: true } } },
      { ...B, capabilities: { tools: { listChanged: false }, prompts: {}, logging: {} } },
    ]);
    const init = await g.handshake();
    expect(init.result).toEqual({
      protocolVersion: "2025-11-25",
      capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, logging: {} },
      serverInfo: { name: "mcppolicy-gateway", version: "0.0.0" },
      instructions: "[a] Use a for notes.\n\n[b] Use b for memory.",
    });
    await g.router.notifyListChanged();
    expect(g.client.map((m) => m.method)).toEqual(["notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed"]);
  });

  it("takes the lowest version when the upstreams disagree, leaves an erring upstream out, and gives the first error when all err", async () => {
    const g = gateway(POLICY, [{ ...A, protocolVersion: "2025-06-18" }, { ...B }, { name: "c", initError: { code: -32603, message: "c is broken" } }]);
    const init = await g.handshake();
    expect(init.result.protocolVersion).toBe("2025-06-18");
    expect(init.result.instructions).not.toContain("[c]");
    const all = gateway(POLICY, [{ name: "x", initError: { code: -32001, message: "x down" } }, { name: "y", initError: { code: -32002, message: "y down" } }]);
    const failed = await all.handshake();
    expect(failed).toEqual({ jsonrpc: "2.0", id: "init", error: { code: -32001, message: "x down" } });
  });

  it("lists every upstream's tools, prompts, resources and templates under prefixes and <name>+<uri>", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake();
    await g.send({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
    expect((await g.answerTo(1))!.result).toEqual({
      // b's `secret` is hidden: the policy denies it on b (the enforcer filters b's list by `server.name`).
      tools: ["a__read", "a__secret", "b__read", "b__deploy"].map((name) => ({ name, inputSchema: { type: "object" } })),
    });
    await g.send({ jsonrpc: "2.0", id: 2, method: "prompts/list", params: {} });
    expect((await g.answerTo(2))!.result.prompts.map((p: Msg) => p.name)).toEqual(["a__greet", "b__greet"]);
    await g.send({ jsonrpc: "2.0", id: 3, method: "resources/list", params: {} });
    expect((await g.answerTo(3))!.result.resources).toEqual([{ uri: "a+file:///a.txt", name: "a__a.txt" }, { uri: "b+mem://x", name: "b__x" }]);
    await g.send({ jsonrpc: "2.0", id: 4, method: "resources/templates/list", params: {} });
    expect((await g.answerTo(4))!.result.resourceTemplates).toEqual([{ uriTemplate: "a+file:///{path}", name: "a__t" }]);
  });

  it("routes tools/call, prompts/get, resources/read|subscribe|unsubscribe and completion/complete by prefix, with the upstream's own names", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake();
    await g.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "b__read", arguments: { q: 1 } } });
    expect(await g.answerTo(1)).toEqual({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "b:read" }] } });
    expect(g.upstreams.get("a")!.seen).toEqual([]);
    expect(g.upstreams.get("b")!.seen).toEqual([{ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "read", arguments: { q: 1 } } }]);
    await g.send({ jsonrpc: "2.0", id: 2, method: "prompts/get", params: { name: "a__greet" } });
    expect((await g.answerTo(2))!.result.messages[0].content.text).toBe("a:greet");
    await g.send({ jsonrpc: "2.0", id: 3, method: "resources/read", params: { uri: "a+file:///a.txt" } });
    expect((await g.answerTo(3))!.result.contents).toEqual([{ uri: "a+file:///a.txt", text: "a:file:///a.txt" }]);
    for (const [id, method] of [[4, "resources/subscribe"], [5, "resources/unsubscribe"]] as const) {
      await g.send({ jsonrpc: "2.0", id, method, params: { uri: "b+mem://x" } });
      expect(await g.answerTo(id)).toEqual({ jsonrpc: "2.0", id, result: {} });
      expect(g.upstreams.get("b")!.seen.at(-1)).toMatchObject({ method, params: { uri: "mem://x" } });
    }
    await g.send({ jsonrpc: "2.0", id: 6, method: "completion/complete", params: { ref: { type: "ref/prompt", name: "b__greet" }, argument: { name: "x", value: "" } } });
    expect((await g.answerTo(6))!.result.completion.values).toEqual(["b:greet"]);
    await g.send({ jsonrpc: "2.0", id: 7, method: "completion/complete", params: { ref: { type: "ref/resource", uri: "a+file:///{path}" }, argument: { name: "path", value: "" } } });
    expect((await g.answerTo(7))!.result.completion.values).toEqual(["a:file:///{path}"]);
  });

  it("answers an unknown prefix or resource name with -32602 and sends it nowhere", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake();
    const bad = [
      { method: "tools/call", params: { name: "c__read" } },
      { method: "tools/call", params: { name: "read" } },
      { method: "tools/call", params: { name: "a__" } },
      { method: "tools/call", params: {} },
      { method: "prompts/get", params: { name: 42 } },
      { method: "resources/read", params: { uri: "file:///a.txt" } },
      { method: "resources/read", params: { uri: "c+file:///a.txt" } },
      { method: "resources/subscribe", params: { uri: "a+" } },
      { method: "completion/complete", params: { ref: { type: "ref/prompt", name: "zz" } } },
      { method: "completion/complete", params: { ref: { type: "ref/other" } } },
    ];
    for (const [i, m] of bad.entries()) {
      await g.send({ jsonrpc: "2.0", id: i, ...m });
      expect(await g.answerTo(i), JSON.stringify(m)).toMatchObject({ id: i, error: { code: -32602 } });
    }
    await g.send({ jsonrpc: "2.0", id: "x", method: "tasks/list", params: {} });
    expect(await g.answerTo("x")).toMatchObject({ error: { code: -32601 } });
    for (const u of g.upstreams.values()) expect(u.seen).toEqual([]);
  });

  it("the policy sees the upstream: `server.name` denies b's secret, a's passes", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake();
    await g.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "b__secret", arguments: {} } });
    expect(await g.answerTo(1)).toMatchObject({ id: 1, error: { code: -32010 } });
    await g.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "a__secret", arguments: {} } });
    expect((await g.answerTo(2))!.result.content[0].text).toBe("a:secret");
    expect(g.upstreams.get("b")!.seen).toEqual([]);
    // ...and its tools/list hides it.
    await g.send({ jsonrpc: "2.0", id: 3, method: "tools/list", params: {} });
    expect((await g.answerTo(3))!.result.tools.map((t: Msg) => t.name)).toEqual(["a__read", "a__secret", "b__read", "b__deploy"]);
  });

  it("pages across upstreams with one composite cursor, each upstream asked with its own cursor until it is done", async () => {
    const g = gateway(POLICY, [
      { name: "a", tools: ["t1", "t2", "t3", "t4", "t5"], pageSize: 2 },
      { name: "b", tools: ["u1", "u2", "u3"], pageSize: 2 },
    ]);
    await g.handshake();
    const names: string[][] = [];
    let cursor: string | undefined;
    for (let id = 1; id < 10; id++) {
      await g.send({ jsonrpc: "2.0", id, method: "tools/list", params: cursor === undefined ? {} : { cursor } });
      const r = (await g.answerTo(id))!.result;
      names.push(r.tools.map((t: Msg) => t.name));
      cursor = r.nextCursor;
      if (cursor === undefined) break;
    }
    expect(names).toEqual([["a__t1", "a__t2", "b__u1", "b__u2"], ["a__t3", "a__t4", "b__u3"], ["a__t5"]]);
    expect(g.upstreams.get("b")!.seen.filter((m) => m.method === "tools/list").map((m) => m.params.cursor)).toEqual([undefined, "2"]);
    expect(g.upstreams.get("a")!.seen.filter((m) => m.method === "tools/list").map((m) => m.params.cursor)).toEqual([undefined, "2", "4"]);
    // A cursor that is not ours, or one of another list, is refused and sent nowhere.
    const before = g.upstreams.get("a")!.seen.length;
    for (const [id, c] of [[20, "garbage!"], [21, "W10"], [22, Buffer.from(JSON.stringify(["prompts/list", [["a", "2"]]])).toString("base64url")], [23, Buffer.from(JSON.stringify(["tools/list", [["zz", "2"]]])).toString("base64url")]] as const) {
      await g.send({ jsonrpc: "2.0", id, method: "tools/list", params: { cursor: c } });
      expect(await g.answerTo(id)).toMatchObject({ error: { code: -32602 } });
    }
    expect(g.upstreams.get("a")!.seen.length).toBe(before);
  });

  it("asks lists only of upstreams that announced them; an upstream whose list fails is left out", async () => {
    const g = gateway(POLICY, [
      { name: "a", tools: ["x"], capabilities: { tools: {} } },
      { name: "b", prompts: ["p"], capabilities: { prompts: {} } },
      { name: "c", tools: ["y"], capabilities: { tools: {} }, answer: { "tools/list": () => ({ error: { code: -32603, message: "c broke" } }) } },
    ]);
    await g.handshake();
    await g.send({ jsonrpc: "2.0", id: 1, method: "prompts/list", params: {} });
    expect((await g.answerTo(1))!.result.prompts).toEqual([{ name: "b__p" }]);
    await g.send({ jsonrpc: "2.0", id: 3, method: "tools/list", params: {} });
    expect((await g.answerTo(3))!.result).toEqual({ tools: [{ name: "a__x", inputSchema: { type: "object" } }] });
    expect(g.upstreams.get("b")!.seen.some((m) => m.method === "tools/list")).toBe(false);
    expect(g.upstreams.get("a")!.seen.some((m) => m.method === "prompts/list")).toBe(false);
    await g.send({ jsonrpc: "2.0", id: 2, method: "resources/list", params: {} });
    expect(await g.answerTo(2)).toEqual({ jsonrpc: "2.0", id: 2, result: { resources: [] } });
  });

  it("fans logging/setLevel out and answers ping itself", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake();
    await g.send({ jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "debug" } });
    expect(await g.answerTo(1)).toEqual({ jsonrpc: "2.0", id: 1, result: {} });
    for (const u of g.upstreams.values()) expect(u.seen.filter((m) => m.method === "logging/setLevel")).toHaveLength(1);
    await g.send({ jsonrpc: "2.0", id: 2, method: "ping" });
    expect(await g.answerTo(2)).toEqual({ jsonrpc: "2.0", id: 2, result: {} });
    for (const u of g.upstreams.values()) expect(u.seen.some((m) => m.method === "ping")).toBe(false);
  });

  it("sends notifications/initialized and roots/list_changed to every upstream", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake();
    await g.send({ jsonrpc: "2.0", method: "notifications/roots/list_changed" });
    await settle();
    for (const u of g.upstreams.values()) expect(u.seen.map((m) => m.method)).toEqual(["notifications/roots/list_changed"]);
  });

  it("refuses a client id already in flight (-32600), and routes cancellation to the upstream holding the id", async () => {
    const g = gateway(POLICY, [A, { ...B, hold: ["tools/call", "prompts/list"] }]);
    await g.handshake();
    await g.send({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "b__read", arguments: {} } });
    await g.send({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "a__read", arguments: {} } });
    expect(await g.answerTo(5)).toMatchObject({ error: { code: -32600 } });
    expect(g.upstreams.get("a")!.seen).toEqual([]);
    await g.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 5, reason: "user" } });
    await settle();
    expect(g.upstreams.get("b")!.seen.at(-1)).toEqual({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 5, reason: "user" } });
    expect(g.upstreams.get("a")!.seen).toEqual([]);
    // The id is free again.
    g.client.length = 0;
    await g.send({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "a__read", arguments: {} } });
    expect((await g.answerTo(5))!.result.content[0].text).toBe("a:read");
    // A fanned-out list cancelled while b holds it: b gets the cancellation, the client no answer.
    g.client.length = 0;
    await g.send({ jsonrpc: "2.0", id: 6, method: "prompts/list", params: {} });
    await settle();
    await g.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 6 } });
    await settle();
    expect(g.upstreams.get("b")!.seen.at(-1)).toMatchObject({ method: "notifications/cancelled", params: { requestId: 6 } });
    expect(g.upstreams.get("a")!.seen.some((m) => m.method === "notifications/cancelled")).toBe(false);
    expect(g.client).toEqual([]);
  });

  it("gives a server's request a router-made id and maps the client's answer back (the enforcer's approval elicitation)", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake({ elicitation: {} });
    // The enforcer waits for the approval: the client's request is not settled until it is answered.
    const call = g.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "b__deploy", arguments: {} } });
    await settle();
    const ask = g.client.find((m) => m.method === "elicitation/create")!;
    expect(ask.id).toMatch(/^gw\./);
    expect(g.options[g.client.indexOf(ask)]).toEqual({ relatedRequestId: 1 });
    await g.send({ jsonrpc: "2.0", id: ask.id, result: { action: "accept", content: { approve: true } } });
    await call;
    expect((await g.answerTo(1))!.result.content[0].text).toBe("b:deploy");
  });

  it("maps server-to-client requests, their progress tokens and cancellations per upstream", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake({ roots: {} });
    const a = g.upstreams.get("a")!;
    const b = g.upstreams.get("b")!;
    await a.enforcer.fromServer({ jsonrpc: "2.0", id: 1, method: "roots/list", params: { _meta: { progressToken: "pa" } } });
    await b.enforcer.fromServer({ jsonrpc: "2.0", id: 1, method: "roots/list" });
    const [ra, rb] = g.client.filter((m) => m.method === "roots/list");
    expect(ra!.id).not.toBe(rb!.id);
    expect(ra!.params._meta.progressToken).toBe(ra!.id);
    await g.send({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: ra!.id, progress: 1 } });
    await settle();
    expect(a.seen.at(-1)).toEqual({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "pa", progress: 1 } });
    await g.send({ jsonrpc: "2.0", id: rb!.id, result: { roots: [] } });
    await settle();
    expect(b.seen.at(-1)).toEqual({ jsonrpc: "2.0", id: 1, result: { roots: [] } });
    expect(a.seen.some((m) => m.id === 1)).toBe(false);
    // a cancels its request: the client hears it under the router's id; a late answer is dropped.
    await a.enforcer.fromServer({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
    expect(g.last()).toEqual({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: ra!.id } });
    const seenBefore = a.seen.length;
    await g.send({ jsonrpc: "2.0", id: ra!.id, result: { roots: [] } });
    await g.send({ jsonrpc: "2.0", id: "gw.999", result: {} });
    await settle();
    expect(a.seen.length).toBe(seenBefore);
  });

  it("keeps at most MAX_ASKED unanswered server requests: the oldest is forgotten, its late answer dropped", async () => {
    const g = gateway(POLICY, [A, B]);
    await g.handshake();
    const a = g.upstreams.get("a")!;
    for (let i = 0; i <= MAX_ASKED; i++) await a.enforcer.fromServer({ jsonrpc: "2.0", id: i, method: "ping" });
    const pings = g.client.filter((m) => m.method === "ping");
    expect(pings).toHaveLength(MAX_ASKED + 1);
    await g.send({ jsonrpc: "2.0", id: pings[0]!.id, result: {} });
    await g.send({ jsonrpc: "2.0", id: pings[1]!.id, result: {} });
    await settle();
    expect(a.seen.filter((m) => m.result !== undefined).map((m) => m.id)).toEqual([1]);
    expect(g.problems.some((p) => p.includes("forgot server request"))).toBe(true);
  });

  it("prefixes the uri of resources/updated and resource links in results; passes other notifications", async () => {
    const link = { type: "resource_link", uri: "file:///out.txt", name: "out" };
    const g = gateway(POLICY, [{ ...A, answer: { "tools/call": () => ({ content: [{ type: "text", text: "see" }, link, { type: "resource", resource: { uri: "file:///e", text: "e" } }] }) } }, B]);
    await g.handshake();
    await g.upstreams.get("a")!.enforcer.fromServer({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "file:///a.txt" } });
    expect(g.last()).toEqual({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "a+file:///a.txt" } });
    await g.upstreams.get("b")!.enforcer.fromServer({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "hi" } });
    expect(g.last()).toEqual({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "hi" } });
    await g.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "a__read", arguments: {} } });
    expect((await g.answerTo(1))!.result.content).toEqual([{ type: "text", text: "see" }, { ...link, uri: "a+file:///out.txt" }, { type: "resource", resource: { uri: "a+file:///e", text: "e" } }]);
  });

  it("never rejects: a target that throws answers its request with an error, a client that throws is reported", async () => {
    const g = gateway(POLICY, [A, B], {
      onTarget: (name, t) => (name === "b" ? { ...t, send: async (m) => { if ((m as Msg).method === "tools/call") throw new Error("socket gone"); return t.send(m); } } : t),
    });
    await g.handshake();
    await g.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "b__read", arguments: {} } });
    expect(await g.answerTo(1)).toMatchObject({ error: { code: -32603 } });
    expect(g.problems.some((p) => p.includes("socket gone"))).toBe(true);
    const r = createRouter({ targets: [{ name: "a", prefix: "a__", send: async () => {} }, { name: "b", prefix: "b__", send: async () => {} }], serverInfo: { name: "g", version: "1" }, toClient: () => { throw new Error("closed"); } });
    await expect(r.fromClient({ jsonrpc: "2.0", id: 1, method: "ping" })).resolves.toBeUndefined();
    await expect(r.fromUpstream("nobody", { jsonrpc: "2.0", id: 1, result: {} })).resolves.toBeUndefined();
    await expect(r.fromClient(null as never)).resolves.toBeUndefined();
  });

  it("refuses target sets that cannot be routed unambiguously", () => {
    const t = (name: string, prefix: string) => ({ name, prefix, send: async () => {} });
    const make = (targets: ReturnType<typeof t>[]) => () => createRouter({ targets, serverInfo: { name: "g", version: "1" }, toClient: () => {} });
    expect(make([t("a", "a__"), t("a__b", "a__b__")])).toThrow(/starts prefix/);
    expect(make([t("a", ""), t("b", "b__")])).toThrow(/empty prefix/);
    expect(make([t("a+b", "x__"), t("c", "c__")])).toThrow(/\+/);
    expect(make([t("a", "a__"), t("a", "b__")])).toThrow(/twice/);
    expect(make([])).toThrow();
  });
});
