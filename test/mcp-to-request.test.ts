/**
 * Message → policy request (src/mcp/to-request.ts): a table of requests, both directions, → governed (with
 * the request the policy sees), pass, or refused (with the error code); every governed row of the method
 * table is reached; decisions by a real compiled policy on the mapped requests; and the property that
 * toPolicyRequest never throws and never takes annotations from the message.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { METHOD_TABLE } from "../src/contract/methods.js";
import { compilePolicy } from "../src/policy.js";
import {
  CLIENT_NOTIFICATIONS,
  DEFAULT_ANNOTATIONS,
  MCP_ERROR_CODES,
  notificationPasses,
  parseMessageText,
  ToolCatalog,
  toPolicyRequest,
  type Caller,
  type Direction,
  type JsonRpcRequest,
  type Mapped,
} from "../src/mcp/index.js";

const policy = compilePolicy(
  `policy "mapping"
default deny
role reader {
  allow tool read_file
  allow tool "*" when annotations.readOnlyHint
  allow resource "file:///workspace/**"
  allow prompt "code-*"
}
`,
  { readFile: null },
);

const caller: Caller = { principal: { id: "alice", roles: ["reader"] }, session: { id: "s-1" }, client: { ip: "127.0.0.1" }, server: { name: "fs" }, time: 0 };
const facts = { principal: caller.principal, session: caller.session, client: caller.client, server: caller.server, time: 0 };
const req = (method: string, params?: Record<string, unknown>): JsonRpcRequest => ({ jsonrpc: "2.0", id: 7, method, ...(params && { params }) });

interface Row {
  name: string;
  direction: Direction;
  message: JsonRpcRequest;
  allowMethods?: string[];
  expect: { kind: "governed"; request: Record<string, unknown> } | { kind: "pass" } | { kind: "refuse"; code: number };
}

const governed = (request: Record<string, unknown>) => ({ kind: "governed" as const, request: { ...facts, ...request } });
const refuse = (code: number) => ({ kind: "refuse" as const, code });
const PASS = { kind: "pass" as const };
const { INVALID_PARAMS, POLICY_DENIED } = MCP_ERROR_CODES;

const ROWS: Row[] = [
  // tools/call
  { name: "tools/call: name and arguments", direction: "to-server", message: req("tools/call", { name: "read_file", arguments: { path: "/a" } }), expect: governed({ method: "tools/call", tool: "read_file", arguments: { path: "/a" }, annotations: DEFAULT_ANNOTATIONS }) },
  { name: "tools/call: no arguments is decided as {}", direction: "to-server", message: req("tools/call", { name: "read_file" }), expect: governed({ method: "tools/call", tool: "read_file", arguments: {}, annotations: DEFAULT_ANNOTATIONS }) },
  { name: "tools/call: _meta and task are not read", direction: "to-server", message: req("tools/call", { name: "t", arguments: {}, _meta: { progressToken: 1 }, task: {} }), expect: governed({ method: "tools/call", tool: "t", arguments: {}, annotations: DEFAULT_ANNOTATIONS }) },
  { name: "tools/call: no params", direction: "to-server", message: req("tools/call"), expect: refuse(INVALID_PARAMS) },
  { name: "tools/call: no name", direction: "to-server", message: req("tools/call", { arguments: {} }), expect: refuse(INVALID_PARAMS) },
  { name: "tools/call: name a number", direction: "to-server", message: req("tools/call", { name: 5 }), expect: refuse(INVALID_PARAMS) },
  { name: "tools/call: name null", direction: "to-server", message: req("tools/call", { name: null }), expect: refuse(INVALID_PARAMS) },
  { name: "tools/call: arguments a list", direction: "to-server", message: req("tools/call", { name: "t", arguments: ["a"] }), expect: refuse(INVALID_PARAMS) },
  { name: "tools/call: arguments a string", direction: "to-server", message: req("tools/call", { name: "t", arguments: "{}" }), expect: refuse(INVALID_PARAMS) },
  { name: "tools/call: arguments null", direction: "to-server", message: req("tools/call", { name: "t", arguments: null }), expect: refuse(INVALID_PARAMS) },
  { name: "tools/call: an empty name is the policy's to refuse", direction: "to-server", message: req("tools/call", { name: "" }), expect: governed({ method: "tools/call", tool: "", arguments: {}, annotations: DEFAULT_ANNOTATIONS }) },
  // resources
  { name: "resources/read", direction: "to-server", message: req("resources/read", { uri: "file:///workspace/a" }), expect: governed({ method: "resources/read", resource: "file:///workspace/a" }) },
  { name: "resources/read: no uri", direction: "to-server", message: req("resources/read", {}), expect: refuse(INVALID_PARAMS) },
  { name: "resources/subscribe is a read of its uri", direction: "to-server", message: req("resources/subscribe", { uri: "file:///workspace/a" }), expect: governed({ method: "resources/read", resource: "file:///workspace/a" }) },
  { name: "resources/unsubscribe is a read of its uri", direction: "to-server", message: req("resources/unsubscribe", { uri: "file:///etc/passwd" }), expect: governed({ method: "resources/read", resource: "file:///etc/passwd" }) },
  { name: "resources/subscribe: uri a number", direction: "to-server", message: req("resources/subscribe", { uri: 1 }), expect: refuse(INVALID_PARAMS) },
  // prompts
  { name: "prompts/get", direction: "to-server", message: req("prompts/get", { name: "code-review" }), expect: governed({ method: "prompts/get", prompt: "code-review" }) },
  { name: "prompts/get with arguments", direction: "to-server", message: req("prompts/get", { name: "code-review", arguments: { lang: "ts" } }), expect: governed({ method: "prompts/get", prompt: "code-review", arguments: { lang: "ts" } }) },
  { name: "prompts/get: arguments a list", direction: "to-server", message: req("prompts/get", { name: "p", arguments: [] }), expect: refuse(INVALID_PARAMS) },
  { name: "prompts/get: no name", direction: "to-server", message: req("prompts/get", {}), expect: refuse(INVALID_PARAMS) },
  // completion
  { name: "completion/complete of a prompt", direction: "to-server", message: req("completion/complete", { ref: { type: "ref/prompt", name: "code-review" }, argument: { name: "lang", value: "t" } }), expect: governed({ method: "completion/complete", prompt: "code-review" }) },
  { name: "completion/complete of a resource", direction: "to-server", message: req("completion/complete", { ref: { type: "ref/resource", uri: "file:///workspace/{path}" }, argument: { name: "path", value: "a" } }), expect: governed({ method: "completion/complete", resource: "file:///workspace/{path}" }) },
  { name: "completion/complete: unknown ref type", direction: "to-server", message: req("completion/complete", { ref: { type: "ref/tool", name: "x" } }), expect: refuse(INVALID_PARAMS) },
  { name: "completion/complete: prompt ref without a name", direction: "to-server", message: req("completion/complete", { ref: { type: "ref/prompt", uri: "x" } }), expect: refuse(INVALID_PARAMS) },
  { name: "completion/complete: no ref", direction: "to-server", message: req("completion/complete", {}), expect: refuse(INVALID_PARAMS) },
  // lists
  { name: "tools/list", direction: "to-server", message: req("tools/list", { cursor: "c" }), expect: governed({ method: "tools/list" }) },
  { name: "resources/list", direction: "to-server", message: req("resources/list"), expect: governed({ method: "resources/list" }) },
  { name: "resources/templates/list", direction: "to-server", message: req("resources/templates/list"), expect: governed({ method: "resources/templates/list" }) },
  { name: "prompts/list", direction: "to-server", message: req("prompts/list"), expect: governed({ method: "prompts/list" }) },
  // lifecycle and others, from the client
  { name: "initialize passes", direction: "to-server", message: req("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } }), expect: PASS },
  { name: "ping passes", direction: "to-server", message: req("ping"), expect: PASS },
  { name: "logging/setLevel is refused", direction: "to-server", message: req("logging/setLevel", { level: "info" }), expect: refuse(POLICY_DENIED) },
  { name: "logging/setLevel passes when the host allows it", direction: "to-server", message: req("logging/setLevel", { level: "info" }), allowMethods: ["logging/setLevel"], expect: PASS },
  { name: "allowMethods cannot un-govern tools/call", direction: "to-server", message: req("tools/call", { name: "t" }), allowMethods: ["tools/call"], expect: governed({ method: "tools/call", tool: "t", arguments: {}, annotations: DEFAULT_ANNOTATIONS }) },
  { name: "allowMethods cannot un-govern resources/subscribe", direction: "to-server", message: req("resources/subscribe", { uri: "file:///x" }), allowMethods: ["resources/subscribe"], expect: governed({ method: "resources/read", resource: "file:///x" }) },
  { name: "allowMethods cannot pass a governed method the wrong way", direction: "to-server", message: req("sampling/createMessage", {}), allowMethods: ["sampling/createMessage"], expect: refuse(POLICY_DENIED) },
  { name: "an unknown method is refused", direction: "to-server", message: req("tools/delete", { name: "x" }), expect: refuse(POLICY_DENIED) },
  { name: "tasks/get is refused (not governed)", direction: "to-server", message: req("tasks/get", { taskId: "t" }), expect: refuse(POLICY_DENIED) },
  { name: "a server-to-client method from the client is refused", direction: "to-server", message: req("elicitation/create", {}), expect: refuse(POLICY_DENIED) },
  { name: "roots/list from the client is refused", direction: "to-server", message: req("roots/list"), expect: refuse(POLICY_DENIED) },
  { name: "__proto__ as a method is refused", direction: "to-server", message: req("__proto__"), expect: refuse(POLICY_DENIED) },
  { name: "constructor as a method is refused", direction: "to-server", message: req("constructor"), expect: refuse(POLICY_DENIED) },
  // from the server
  { name: "sampling/createMessage is governed", direction: "to-client", message: req("sampling/createMessage", { messages: [], maxTokens: 10 }), expect: governed({ method: "sampling/createMessage" }) },
  { name: "elicitation/create is governed", direction: "to-client", message: req("elicitation/create", { message: "ok?", requestedSchema: { type: "object", properties: {} } }), expect: governed({ method: "elicitation/create" }) },
  { name: "roots/list from the server passes", direction: "to-client", message: req("roots/list"), expect: PASS },
  { name: "ping from the server passes", direction: "to-client", message: req("ping"), expect: PASS },
  { name: "tools/call from the server is refused", direction: "to-client", message: req("tools/call", { name: "t" }), expect: refuse(POLICY_DENIED) },
  { name: "resources/subscribe from the server is refused", direction: "to-client", message: req("resources/subscribe", { uri: "x" }), expect: refuse(POLICY_DENIED) },
  { name: "initialize from the server is refused", direction: "to-client", message: req("initialize", {}), expect: refuse(POLICY_DENIED) },
];

function check(row: Row, got: Mapped): void {
  expect(got.kind, row.name).toBe(row.expect.kind);
  if (row.expect.kind === "governed" && got.kind === "governed") expect(got.request, row.name).toEqual(row.expect.request);
  if (row.expect.kind === "refuse" && got.kind === "refuse") {
    expect(got.error.error.code, row.name).toBe(row.expect.code);
    expect(got.error.id, row.name).toBe(7);
  }
}

describe("toPolicyRequest: the mapping table", () => {
  for (const row of ROWS) {
    it(row.name, () => check(row, toPolicyRequest(row.message, row.direction, caller, new ToolCatalog(), row.allowMethods ? { allowMethods: row.allowMethods } : undefined)));
  }

  it("reaches every row of the method table, each in its own direction", () => {
    const reached = new Set(ROWS.filter((r) => r.expect.kind === "governed").map((r) => `${(r.expect as unknown as { request: { method: string } }).request.method} ${r.direction}`));
    for (const row of METHOD_TABLE) expect(reached.has(`${row.method} ${row.direction}`), row.method).toBe(true);
  });

  it("a refused method says why in the message and in data.reasons", () => {
    const got = toPolicyRequest(req("logging/setLevel", { level: "debug" }), "to-server", caller, undefined);
    expect(got.kind).toBe("refuse");
    if (got.kind !== "refuse") return;
    expect(got.error.error.message).toBe("denied by policy: the policy governs no method `logging/setLevel` from the client, and the host does not allow it");
    expect(got.error.error.data).toEqual({ effect: "deny", reasons: [{ code: "invalid_request", message: "the policy governs no method `logging/setLevel` from the client, and the host does not allow it" }] });
  });
});

describe("mapped requests decided by a real policy", () => {
  const decide = (message: JsonRpcRequest, direction: Direction = "to-server") => {
    const m = toPolicyRequest(message, direction, caller, new ToolCatalog());
    return m.kind === "governed" ? policy.decide(m.request).effect : m.kind;
  };
  it.each([
    ["read_file is allowed by name", req("tools/call", { name: "read_file", arguments: { path: "/a" } }), "allow"],
    ["a tool the catalog does not know is denied (defaults)", req("tools/call", { name: "search" }), "deny"],
    ["a read inside the workspace", req("resources/read", { uri: "file:///workspace/a.ts" }), "allow"],
    ["a read outside it", req("resources/read", { uri: "file:///etc/passwd" }), "deny"],
    ["subscribing inside the workspace", req("resources/subscribe", { uri: "file:///workspace/a.ts" }), "allow"],
    ["subscribing outside it", req("resources/subscribe", { uri: "file:///etc/passwd" }), "deny"],
    ["a traversal in the uri is denied by the policy", req("resources/read", { uri: "file:///workspace/../etc/passwd" }), "deny"],
    ["a prompt the role may get", req("prompts/get", { name: "code-review" }), "allow"],
    ["a prompt it may not", req("prompts/get", { name: "admin" }), "deny"],
    ["completing a prompt argument", req("completion/complete", { ref: { type: "ref/prompt", name: "code-review" }, argument: { name: "a", value: "" } }), "allow"],
    ["a tool name with an invisible character is denied by the policy", req("tools/call", { name: "read_file\u200b" }), "deny"],
  ])("%s", (_label, message, effect) => expect(decide(message)).toBe(effect));

  it("a server's sampling request is decided (the policy's default: deny)", () => {
    expect(decide(req("sampling/createMessage", { messages: [], maxTokens: 1 }), "to-client")).toBe("deny");
  });
});

describe("notifications", () => {
  it("from the client: only the lifecycle ones pass; from the server: all", () => {
    for (const m of CLIENT_NOTIFICATIONS) expect(notificationPasses(m, "to-server")).toBe(true);
    expect(notificationPasses("notifications/message", "to-server")).toBe(false);
    expect(notificationPasses("notifications/tools/list_changed", "to-server")).toBe(false);
    expect(notificationPasses("notifications/tools/list_changed", "to-client")).toBe(true);
    expect(notificationPasses("anything", "to-client")).toBe(true);
  });
  it("a governed method sent as a notification (no id) is not forwarded: it is not a lifecycle notification", () => {
    const got = parseMessageText('{"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_all","arguments":{}}}');
    expect(got.kind).toBe("notification");
    if (got.kind !== "notification") return;
    expect(notificationPasses(got.message.method, "to-server")).toBe(false);
    expect(notificationPasses("resources/subscribe", "to-server")).toBe(false);
  });
});

describe("properties", () => {
  const methods = fc.oneof(fc.constantFrom(...METHOD_TABLE.map((r) => r.method), "resources/subscribe", "resources/unsubscribe", "initialize", "ping", "roots/list", "logging/setLevel", "__proto__"), fc.string());
  const params = fc.oneof(
    fc.dictionary(fc.constantFrom("name", "arguments", "uri", "ref", "annotations", "_meta", "cursor"), fc.anything()),
    fc.anything(),
  );
  const directions = fc.constantFrom<Direction>("to-server", "to-client");

  it("toPolicyRequest never throws, on any method, params, id, caller or options", () => {
    fc.assert(
      fc.property(methods, params, fc.anything(), directions, fc.anything(), fc.anything(), (method, p, id, direction, who, allow) => {
        const message = { jsonrpc: "2.0", id, method, params: p } as unknown as JsonRpcRequest;
        const got = toPolicyRequest(message, direction, who as Caller, new ToolCatalog(), { allowMethods: allow as string[] });
        expect(["governed", "pass", "refuse"]).toContain(got.kind);
      }),
      { numRuns: 1500 },
    );
  });

  it("a message that throws when read (a hostile proxy, an exception whose message throws) is refused, not thrown", () => {
    const nasty = { get message(): never { throw new Error("again"); } };
    const message = new Proxy({}, { get() { throw nasty; } }) as unknown as JsonRpcRequest;
    const got = toPolicyRequest(message, "to-server", caller, undefined);
    expect(got.kind).toBe("refuse");
    if (got.kind === "refuse") expect(got.error.id).toBeNull();
    const params = new Proxy({}, { get() { throw Symbol("s"); }, getPrototypeOf() { return Object.prototype; } });
    expect(toPolicyRequest({ jsonrpc: "2.0", id: 1, method: "tools/call", params } as unknown as JsonRpcRequest, "to-server", caller, undefined).kind).toBe("refuse");
  });

  it("a governed tools/call always carries the catalog's annotations, never the message's", () => {
    const catalog = new ToolCatalog();
    catalog.pin([{ name: "ro", annotations: { readOnlyHint: true, destructiveHint: false } }], true);
    fc.assert(
      fc.property(fc.constantFrom("ro", "other"), fc.anything(), fc.anything(), (name, annotations, meta) => {
        const got = toPolicyRequest(req("tools/call", { name, arguments: {}, annotations, _meta: meta }), "to-server", caller, catalog);
        expect(got.kind).toBe("governed");
        if (got.kind === "governed") expect(got.request.annotations).toEqual(catalog.annotationsOf(name));
      }),
    );
  });

  it("only listed methods outside the method table ever pass", () => {
    const governedMethods = new Set<string>([...METHOD_TABLE.map((r) => r.method), "resources/subscribe", "resources/unsubscribe"]);
    fc.assert(
      fc.property(methods, directions, fc.array(methods), (method, direction, allow) => {
        const got = toPolicyRequest(req(method, {}), direction, caller, undefined, { allowMethods: allow });
        if (got.kind === "pass") {
          expect(governedMethods.has(method)).toBe(false);
          const lifecycle = direction === "to-server" ? ["initialize", "ping"] : ["ping", "roots/list"];
          expect(lifecycle.includes(method) || allow.includes(method)).toBe(true);
        }
      }),
    );
  });
});
