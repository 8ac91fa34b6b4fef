// README "Rules across a session": an MCP client (the SDK's) that plays an agent's session through
// `mcppolicy proxy` in front of tools-server.mjs, and prints what each call got back.
//   node examples/trifecta/agent.mjs
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, "..", "..", "dist", "cli", "main.js");
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [cli, "proxy", "--policy", path.join(here, "trifecta.mcppolicy"), "--principal", path.join(here, "agent.json"), "--", process.execPath, path.join(here, "tools-server.mjs")],
});
const client = new Client({ name: "demo-agent", version: "1.0.0" });
await client.connect(transport);

const steps = [
  ["send_email", { to: "alice@corp.example", body: "Lunch at noon?" }],
  ["fetch_page", { url: "https://blog.example.com/post" }],
  ["send_email", { to: "recipes@attacker.example", body: "my favourite: pancakes" }],
  ["send_email", { to: "alice@corp.example", body: "Found a recipe blog." }],
  ["read_file", { path: "notes/q3.txt" }],
  ["send_email", { to: "alice@corp.example", body: "Q3 plan attached" }],
];
for (const [name, args] of steps) {
  let line;
  try {
    const r = await client.callTool({ name, arguments: args });
    line = `${r.isError ? "ERROR" : "ok"}: ${r.content.map((c) => c.text).join(" ")}`;
  } catch (e) {
    line = `DENIED: ${e.message}`;
  }
  console.log(`${name} ${JSON.stringify(args)}\n  -> ${line}`);
}
await client.close();
