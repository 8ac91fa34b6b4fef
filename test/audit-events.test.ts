/**
 * Audit entries of a governed request (src/audit/events.ts) built from a real compiled policy and a real
 * engine's Authorization: arguments redacted by key and by value, rules from the reasons, budgets
 * charged, the policy's identity, shadow as `enforced: false`, completion outcome/size/tokens; every
 * entry is chained by a real sink and the log verifies.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/policy.js";
import { createEngine } from "../src/runtime/engine.js";
import { completionEntry, decisionEntry, jsonBytes } from "../src/audit/events.js";
import { MemoryAuditSink } from "../src/audit/sink.js";
import { verifyAuditLog } from "../src/audit/verify.js";
import type { PolicyRequest } from "../src/contract/index.js";

const policy = compilePolicy(
  `policy "audit-test" version "2.0.0"
audit { redact token, api_key }
role dev {
  allow tool read_file, http_get
  deny tool rm because "no rm"
  limit calls 10 per session by session
}
`,
  { readFile: null },
);

const request = (tool: string, args: Record<string, unknown>): PolicyRequest => ({
  principal: { id: "alice", roles: ["dev"], scopes: ["secret-scope"], claims: { email: "a@example.com" } },
  session: { id: "s-1" },
  server: { name: "fs" },
  client: { ip: "10.0.0.1" },
  method: "tools/call",
  tool,
  arguments: args,
});

describe("decision and completion entries", () => {
  it("an allowed call: redacted arguments, rules, budgets charged, policy identity; the completion ties to it", async () => {
    const engine = createEngine(policy);
    const req = request("http_get", {
      url: "https://bob:hunter2@example.com/x",
      headers: { Authorization: "Bearer 8a7b6c5d4e3f2a1b0c9d", "X-Api-Key": "k", max_tokens: 10 },
      githubToken: "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
      note: "key AKIAIOSFODNN7EXAMPLE",
    });
    const auth = await engine.authorize(req);
    expect(auth.effect).toBe("allow");
    const sink = new MemoryAuditSink();
    const d = decisionEntry({ callId: "c1", request: req, decided: auth, policy, durationMs: 0.25, time: 0 });
    sink.append(d);
    expect(d).toMatchObject({
      time: "1970-01-01T00:00:00.000Z",
      type: "decision",
      callId: "c1",
      principal: { id: "alice", roles: ["dev"] },
      session: "s-1",
      server: "fs",
      client: { ip: "10.0.0.1" },
      method: "tools/call",
      tool: "http_get",
      effect: "allow",
      enforced: true,
      rules: ["dev/1"],
      budgets: auth.charged,
      policy: { name: "audit-test", version: "2.0.0", fingerprint: policy.fingerprint },
      durationMs: 0.25,
    });
    expect(auth.charged.length).toBe(1);
    expect(d.arguments).toEqual({
      url: "https://bob:[REDACTED:url_password]@example.com/x",
      headers: { Authorization: "Bearer [REDACTED:bearer_token]", "X-Api-Key": "[REDACTED]", max_tokens: 10 },
      githubToken: "[REDACTED]",
      note: "key [REDACTED:aws_access_key]",
    });
    expect(JSON.stringify(d)).not.toMatch(/secret-scope|a@example\.com|hunter2/);

    const result = { content: [{ type: "text", text: "hello" }] };
    await auth.commit({ inputTokens: 12, outputTokens: 3 });
    const c = completionEntry({ callId: "c1", request: req, decided: auth, policy, outcome: "ok", durationMs: 4, resultBytes: jsonBytes(result), tokens: { input: 12, output: 3 } });
    sink.append(c);
    expect(c).toMatchObject({ type: "completion", callId: "c1", outcome: "ok", resultBytes: Buffer.byteLength(JSON.stringify(result)), tokens: { input: 12, output: 3 } });
    expect(c.arguments).toBeUndefined();
    expect(verifyAuditLog(sink.text())).toMatchObject({ ok: true, records: 2 });
  });

  it("a denied call: the deny rule and its message; shadow mode records enforced: false", async () => {
    const engine = createEngine(policy);
    const req = request("rm", { path: "/" });
    const auth = await engine.authorize(req);
    const d = decisionEntry({ callId: "c2", request: req, decided: auth, policy });
    expect(d).toMatchObject({ effect: "deny", enforced: true, rules: ["dev/2"], reasons: [{ code: "deny_rule", rule: "dev/2" }] });
    expect("budgets" in d).toBe(false);
    const shadow = decisionEntry({ callId: "c3", request: req, decided: policy.decide(req), policy, shadow: true });
    expect(shadow).toMatchObject({ effect: "deny", enforced: false, rules: ["dev/2"], principal: { id: "alice", roles: ["dev"] } });
    const sink = new MemoryAuditSink();
    sink.append(d);
    sink.append(shadow);
    sink.append(completionEntry({ callId: "c3", request: req, decided: policy.decide(req), shadow: true, outcome: "upstream_unavailable" }));
    expect(verifyAuditLog(sink.text())).toMatchObject({ ok: true, records: 3 });
  });

  it("any request a host could pass gives a schema-valid entry (odd values left out, not thrown)", () => {
    const odd = { principal: { id: 5, roles: "dev" }, session: {}, method: undefined, tool: "t", arguments: { n: 10n, f: Number.NaN, d: new Date(0) } } as unknown as PolicyRequest;
    const sink = new MemoryAuditSink();
    sink.append(decisionEntry({ callId: "c4", request: odd, decided: { effect: "deny", reasons: [{ code: "invalid_request", message: "bad" }] }, policy }));
    // policy.redact copies a Date by its own keys (none); redactSecrets makes the rest JSON.
    expect(sink.records[0]).toMatchObject({ method: "tools/call", arguments: { n: "10", f: null, d: {} } });
    expect("principal" in sink.records[0]!).toBe(false);
  });
});
