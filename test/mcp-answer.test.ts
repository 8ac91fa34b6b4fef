/**
 * Decision → MCP answer (src/mcp/answer.ts), with outcomes from a real engine (MemoryStore): an argument
 * fault comes back as a tool result with isError (the model can correct), a hard denial as POLICY_DENIED
 * with the reasons in data, a used-up budget as BUDGET_EXCEEDED with retryAfterMs, a pending approval as
 * an isError result naming the approval and the command that decides it; and answerFor never throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/policy.js";
import { createEngine } from "../src/runtime/engine.js";
import { MemoryStore } from "../src/runtime/store/memory.js";
import type { PolicyRequest } from "../src/contract/request.js";
import { answerFor, APPROVAL_META_KEY, MCP_ERROR_CODES, ToolCatalog, toPolicyRequest, type Caller, type JsonRpcRequest } from "../src/mcp/index.js";

const policy = compilePolicy(
  `policy "answers" version "1"
default deny
deny tool "delete_*" because "deleting is not for agents"
role agent {
  allow tool search, run, write_file
  allow resource "file:///workspace/**"
}
tool search { limit rate 1 per minute burst 1 by principal }
tool run { approval required }
tool write_file {
  args {
    path: string(maxLength: 10)
    mode: enum("a", "b")
  }
}
`,
  { readFile: null },
);

const caller: Caller = { principal: { id: "alice", roles: ["agent"] }, session: { id: "s-1" } };
const callMsg = (name: string, args: Record<string, unknown> = {}, id: string | number = 42): JsonRpcRequest => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

function setup() {
  let now = Date.UTC(2026, 0, 1, 12);
  const engine = createEngine(policy, { store: new MemoryStore({ now: () => now }) });
  const catalog = new ToolCatalog();
  const authorize = async (message: JsonRpcRequest) => {
    const mapped = toPolicyRequest(message, "to-server", caller, catalog);
    if (mapped.kind !== "governed") throw new Error("not governed");
    return engine.authorize(mapped.request as PolicyRequest);
  };
  return { engine, authorize, advance: (ms: number) => (now += ms) };
}

describe("answerFor with a real engine", () => {
  it("allow → undefined (forward)", async () => {
    const { authorize } = setup();
    const m = callMsg("search");
    expect(answerFor(m, await authorize(m))).toBeUndefined();
  });

  it("an argument fault on tools/call → an isError tool result with the reasons (the model can correct)", async () => {
    const { authorize } = setup();
    const m = callMsg("write_file", { path: "a-very-long-path.txt", mode: "c" });
    const auth = await authorize(m);
    expect(auth.effect).toBe("deny");
    expect(auth.reasons.every((r) => r.code === "invalid_argument")).toBe(true);
    const answer = answerFor(m, auth);
    expect(answer).toEqual({
      jsonrpc: "2.0",
      id: 42,
      result: { content: [{ type: "text", text: auth.reasons.map((r) => r.message).join("\n") }], isError: true },
    });
    const text = (answer as unknown as { result: { content: { text: string }[] } }).result.content[0]!.text;
    expect(text).toContain("path");
  });

  it("a deny rule → POLICY_DENIED, message prefixed, reasons in data", async () => {
    const { authorize } = setup();
    const m = callMsg("delete_repo");
    const auth = await authorize(m);
    const answer = answerFor(m, auth);
    expect(answer).toMatchObject({ jsonrpc: "2.0", id: 42, error: { code: MCP_ERROR_CODES.POLICY_DENIED, message: "denied by policy: deleting is not for agents" } });
    const data = (answer as { error: { data: { effect: string; reasons: unknown[] } } }).error.data;
    expect(data.effect).toBe("deny");
    expect(data.reasons).toEqual(auth.reasons.map((r) => ({ code: r.code, ...(r.rule !== undefined && { rule: r.rule }), message: r.message })));
  });

  it("no rule (an unknown tool) → POLICY_DENIED", async () => {
    const { authorize } = setup();
    const m = callMsg("unknown_tool");
    const answer = answerFor(m, await authorize(m));
    expect(answer).toMatchObject({ error: { code: MCP_ERROR_CODES.POLICY_DENIED } });
    expect((answer as { error: { message: string } }).error.message).toMatch(/^denied by policy: no rule allows tool `unknown_tool`/);
  });

  it("a used-up budget → BUDGET_EXCEEDED with retryAfterMs and the budget", async () => {
    const { authorize } = setup();
    const m = callMsg("search");
    expect((await authorize(m)).effect).toBe("allow");
    const auth = await authorize(m);
    expect(auth.reasons.map((r) => r.code)).toEqual(["budget_exceeded"]);
    const answer = answerFor(m, auth) as { error: { code: number; message: string; data: { retryAfterMs?: number; budget?: { id: string } } } };
    expect(answer.error.code).toBe(MCP_ERROR_CODES.BUDGET_EXCEEDED);
    expect(answer.error.message).toBe(`denied by policy: ${auth.reasons[0]!.message}`);
    expect(answer.error.data.retryAfterMs).toBe(auth.retryAfterMs);
    expect(answer.error.data.retryAfterMs).toBeGreaterThan(0);
    expect(answer.error.data.budget?.id).toBe("tool:search/limit/1");
  });

  it("require_approval → an isError result naming the approval id and how to decide it, with _meta", async () => {
    const { authorize } = setup();
    const m = callMsg("run", {}, "call-1");
    const auth = await authorize(m);
    expect(auth.effect).toBe("require_approval");
    const id = auth.approval!.id;
    const answer = answerFor(m, auth) as unknown as { id: unknown; result: { isError: boolean; content: { type: string; text: string }[]; _meta: Record<string, unknown> } };
    expect(answer.id).toBe("call-1");
    expect(answer.result.isError).toBe(true);
    expect(answer.result.content[0]!.type).toBe("text");
    expect(answer.result.content[0]!.text).toContain(id);
    expect(answer.result.content[0]!.text).toContain(`mcppolicy approvals approve ${id}`);
    expect(answer.result.content[0]!.text).toContain(auth.reasons[0]!.message);
    expect(answer.result._meta).toEqual({ [APPROVAL_META_KEY]: { id, expiresAt: auth.approval!.expiresAt } });
  });

  it("a read denied → POLICY_DENIED (never a tool result)", async () => {
    const { engine } = setup();
    const m: JsonRpcRequest = { jsonrpc: "2.0", id: 3, method: "resources/read", params: { uri: "file:///etc/passwd" } };
    const mapped = toPolicyRequest(m, "to-server", caller, undefined);
    const auth = await engine.authorize((mapped as { request: PolicyRequest }).request);
    expect(answerFor(m, auth)).toMatchObject({ id: 3, error: { code: MCP_ERROR_CODES.POLICY_DENIED } });
  });
});

describe("answerFor: the decided shapes", () => {
  const call = callMsg("t");
  const read: JsonRpcRequest = { jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "x" } };
  const argFault = { code: "invalid_argument" as const, rule: "tool:t/args", message: "`args.path` is too long" };

  it("argument faults on anything but tools/call are errors", () => {
    expect(answerFor(read, { effect: "deny", reasons: [argFault] })).toMatchObject({ error: { code: -32010, message: "denied by policy: `args.path` is too long" } });
  });

  it("a mix of an argument fault and a hard denial is an error", () => {
    const got = answerFor(call, { effect: "deny", reasons: [argFault, { code: "deny_rule", message: "no" }] });
    expect(got).toMatchObject({ error: { code: -32010, message: "denied by policy: `args.path` is too long" } });
  });

  it("budget_unavailable is POLICY_DENIED; budget_exceeded mixed with another reason too", () => {
    expect(answerFor(call, { effect: "deny", reasons: [{ code: "budget_unavailable", message: "store down" }] })).toMatchObject({ error: { code: -32010 } });
    expect(answerFor(call, { effect: "deny", reasons: [{ code: "budget_exceeded", message: "used up" }, { code: "budget_key_missing", message: "k" }] })).toMatchObject({ error: { code: -32010 } });
  });

  it("a replay → POLICY_DENIED with effect replay", () => {
    const got = answerFor(call, { effect: "replay", reasons: [{ code: "idempotent_replay", message: "already admitted" }] });
    expect(got).toMatchObject({ id: 42, error: { code: -32010, message: "denied by policy: already admitted", data: { effect: "replay", reasons: [{ code: "idempotent_replay", message: "already admitted" }] } } });
  });

  it("require_approval without an approval request still never forwards", () => {
    const got = answerFor(call, { effect: "require_approval", reasons: [{ code: "approval_required", message: "calls to `t` need a human's approval" }] });
    expect(got).toMatchObject({ result: { isError: true } });
    expect((got as { result: { _meta?: unknown } }).result._meta).toBeUndefined();
  });

  it("require_approval of a request that is not a call is an error with the approval in data", () => {
    const got = answerFor(read, { effect: "require_approval", reasons: [], approval: { id: "ap-1", expiresAt: 5 } });
    expect(got).toMatchObject({ error: { code: -32010, message: "denied by policy", data: { effect: "require_approval", approval: { id: "ap-1", expiresAt: 5 } } } });
  });

  it("a deny with no reasons says only 'denied by policy'", () => {
    expect(answerFor(call, { effect: "deny", reasons: [] })).toMatchObject({ error: { code: -32010, message: "denied by policy" } });
  });

  it("reasons in answers carry only code, rule and message", () => {
    const got = answerFor(call, { effect: "deny", reasons: [{ code: "deny_rule", rule: "r", message: "m", extra: 1 } as never] });
    expect((got as { error: { data: { reasons: unknown } } }).error.data.reasons).toEqual([{ code: "deny_rule", rule: "r", message: "m" }]);
  });

  it("an unknown effect or a malformed outcome is a denial", () => {
    expect(answerFor(call, { effect: "maybe" as never, reasons: [] })).toMatchObject({ error: { code: -32010, data: { effect: "deny" } } });
    expect(answerFor(call, null as never)).toMatchObject({ error: { code: -32010 } });
    expect(answerFor(call, { effect: "deny", reasons: "nope" as never })).toMatchObject({ error: { code: -32010 } });
  });

  it("an outcome that throws when read is a denial, not an exception", () => {
    const nasty = { get message(): never { throw new Error("again"); } };
    const outcome = new Proxy({}, { get(_t, k) { if (k === "effect") return "deny"; throw nasty; } });
    expect(answerFor(call, outcome as never)).toMatchObject({ id: 42, error: { code: -32010 } });
  });

  it("property: never throws, and forwards only an allow", () => {
    const reason = fc.record({ code: fc.oneof(fc.constantFrom("invalid_argument", "budget_exceeded", "deny_rule"), fc.anything()), message: fc.anything(), rule: fc.anything() }, { requiredKeys: [] });
    const outcome = fc.oneof(
      fc.record({ effect: fc.oneof(fc.constantFrom("allow", "deny", "require_approval", "replay"), fc.anything()), reasons: fc.oneof(fc.array(reason), fc.anything()), retryAfterMs: fc.anything(), approval: fc.anything(), budget: fc.anything() }, { requiredKeys: ["effect"] }),
      fc.anything(),
    );
    const message = fc.record({ jsonrpc: fc.constant("2.0"), id: fc.anything(), method: fc.oneof(fc.constant("tools/call"), fc.string()) });
    fc.assert(
      fc.property(message, outcome, (m, o) => {
        const got = answerFor(m as JsonRpcRequest, o as never);
        if (got === undefined) expect((o as { effect: string }).effect).toBe("allow");
      }),
      { numRuns: 1500 },
    );
  });
});
