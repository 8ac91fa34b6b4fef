// Replaying an AgentDojo trace over MCP: a real SDK `Client` → mcppolicy's SDK middleware (`protect`: the
// one relay the stdio proxy uses too) → the replay server (agentdojo-server.mjs), over the SDK's in-memory
// transport pair. The engine behind the middleware is the one the engine mode uses, so session facts
// accumulate the same way, but here every result travels back through the relay as an MCP message.
// Guarantees:
// - Outcomes in the engine mode's shape (`allow`, `deny`, `require_approval` per call), read from what the
//   client and the server saw: a call that reached the server was allowed (after an approval when the relay
//   asked the client through elicitation, which this client accepts); a call that did not reach it was sent
//   to approval when the answer names an approval request (the replay then approves it out of band and
//   calls again, as a reviewer would), else denied.
// - `withheld`: the client did not get the recorded result for a call the server answered (a result rule
//   denied or changed it in the relay).
// - One connection per trace, closed at the end: one MCP session per trace.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { createReplayServer, INDEX_META } from "./agentdojo-server.mjs";
import { PRINCIPAL, approverFor } from "./agentdojo-replay.mjs";

const APPROVAL_META_KEY = "mcppolicy/approval";

/**
 * Replays `trace` of `suite` through `protect` (from mcppolicy/mcp) in front of a replay server, with
 * `engine`, as session `sessionId`. Returns the per-call outcomes.
 */
export async function replayMcp({ protect, engine, suite, trace, sessionId, principal = PRINCIPAL }) {
  const { server, served } = createReplayServer(suite, trace);
  protect(server, { engine, identify: () => ({ principal, session: { id: sessionId } }) });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "agentdojo-replay", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  let asked = 0;
  client.setRequestHandler(ElicitRequestSchema, async () => {
    asked++;
    return { action: "accept", content: { approve: true } };
  });
  await client.connect(clientSide);
  const outcomes = [];
  try {
    for (let i = 0; i < trace.calls.length; i++) {
      const call = trace.calls[i];
      const params = { name: call.tool, arguments: call.args, _meta: { [INDEX_META]: i } };
      const askedBefore = asked;
      const { res, error } = await callTool(client, params);
      const reached = served.includes(i);
      const outcome = { effect: "deny", codes: [], rules: [] };
      if (reached) {
        outcome.effect = asked > askedBefore ? "require_approval" : "allow";
        const text = res?.content?.[0]?.text;
        if (res?.isError === true || text !== call.result) outcome.withheld = true;
      } else if (res?._meta?.[APPROVAL_META_KEY]?.id) {
        outcome.effect = "require_approval";
        const id = res._meta[APPROVAL_META_KEY].id;
        const record = await engine.getApproval(id);
        await engine.approve(id, approverFor(record?.approvers, principal));
        const again = await callTool(client, params);
        if (!served.includes(i)) outcome.effect = "deny";
        else if (again.res?.isError === true || again.res?.content?.[0]?.text !== call.result) outcome.withheld = true;
      } else {
        outcome.reason = error?.message ?? res?.content?.[0]?.text;
      }
      outcomes.push(outcome);
    }
  } finally {
    await client.close();
  }
  return outcomes;
}

async function callTool(client, params) {
  try {
    return { res: await client.callTool(params) };
  } catch (error) {
    return { error };
  }
}
