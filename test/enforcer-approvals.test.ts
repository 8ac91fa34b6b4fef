// Approvals asked through the client (elicitation), against a real engine: accept lets the call through
// once, decline or a refusal denies, a client without elicitation gets an isError result naming the approval.
import { describe, expect, it } from "vitest";
import { handshake, relay, tick } from "./helpers/relay-harness.js";

describe("approvals through the client", () => {
  const SRC = `
policy "t" version "1"
default deny
role dev { allow tool deploy }
tool deploy { approval required by caller }
audit { redact token }
`;
  async function ask(action: "accept" | "decline", approve: boolean) {
    const r = relay(SRC);
    await handshake(r, [{ name: "deploy" }], { elicitation: {} });
    const p = r.call(1, "deploy", { env: "prod", token: "s3cret" });
    await tick();
    await tick();
    const q = r.toClient.find((m) => m.method === "elicitation/create")!;
    expect(q, "the relay asks the human at the client").toBeDefined();
    expect(q.params.message).toContain("deploy");
    expect(q.params.message).toContain("prod");
    expect(q.params.message).not.toContain("s3cret");
    await r.enforcer.fromClient({ jsonrpc: "2.0", id: q.id, result: { action, content: { approve } } });
    await p;
    return r;
  }

  it("forwards the call once on accept", async () => {
    const r = await ask("accept", true);
    expect(r.toServer.filter((m) => m.method === "tools/call").map((m) => m.id)).toEqual([1]);
  });

  it("denies on decline, and on accept without approve", async () => {
    for (const [action, approve] of [["decline", false], ["accept", false]] as const) {
      const r = await ask(action, approve);
      expect(r.toServer.filter((m) => m.method === "tools/call")).toEqual([]);
      expect(r.toClient.at(-1)).toMatchObject({ id: 1, result: { isError: true } });
      expect(JSON.stringify(r.toClient.at(-1))).toContain("declined");
    }
  });

  it("without elicitation, answers with an isError result naming the approval", async () => {
    const r = relay(SRC);
    await handshake(r, [{ name: "deploy" }]);
    await r.call(1, "deploy", {});
    expect(r.toServer).toEqual([]);
    expect(r.toClient.at(-1)).toMatchObject({ id: 1, result: { isError: true } });
    expect(JSON.stringify(r.toClient.at(-1))).toContain("mcppolicy approvals approve");
  });
});
