// A small MCP server (the SDK's low-level `Server`) that stands for one AgentDojo suite's tool server while
// one trace is replayed: it lists the suite's tools with their input schemas (and `readOnlyHint` for the
// tools without side effects) and answers each `tools/call` with the result the ground truth recorded.
// Guarantees:
// - It answers a call with the recorded result of the trace call the client names in `_meta`
//   (`agentdojo/index`), after checking it has the same tool and the same arguments (canonical JSON); a
//   call without the index gets the NEXT call of the trace (from a cursor) with that tool and arguments.
//   Calls the policy denied never reach it. A call that matches nothing answers `isError`.
// - `served` lists the trace indexes it answered, in order: the replay uses it to know which calls
//   went through the policy (a call reaches the server only when the relay allowed it).
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { annotationsOf, toolResult } from "./agentdojo-replay.mjs";

/** The `_meta` key a replaying client names the trace index with. */
export const INDEX_META = "agentdojo/index";

export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The server for `suite` (its `tools`) replaying `trace.calls`. Returns `{ server, served }`.
 */
export function createReplayServer(suite, trace) {
  const server = new Server({ name: `agentdojo-${suite.suite}`, version: suite.benchmarkVersion ?? "1" }, { capabilities: { tools: {} } });
  const tools = suite.tools.map((t) => ({
    name: t.name,
    description: t.description ?? undefined,
    inputSchema: { ...t.inputSchema, type: "object" },
    annotations: annotationsOf(t),
  }));
  const served = [];
  let cursor = 0;
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const name = req.params.name;
    const args = canonical(req.params.arguments ?? {});
    const named = req.params._meta?.[INDEX_META];
    if (Number.isInteger(named)) {
      const c = trace.calls[named];
      if (c && c.tool === name && canonical(c.args) === args && named >= cursor) {
        cursor = named + 1;
        served.push(named);
        return toolResult(c.result);
      }
      return { content: [{ type: "text", text: `agentdojo replay: call ${named} is not ${name} with these arguments` }], isError: true };
    }
    for (let i = cursor; i < trace.calls.length; i++) {
      const c = trace.calls[i];
      if (c.tool === name && canonical(c.args) === args) {
        cursor = i + 1;
        served.push(i);
        return toolResult(c.result);
      }
    }
    return { content: [{ type: "text", text: `agentdojo replay: no recorded call of ${name} with these arguments after call ${cursor}` }], isError: true };
  });
  return { server, served };
}
