// The engine on the seed policy: budgets counted per call, an approval given once, a usage commit.
// Run: node examples/engine.mjs   (after `npm ci`). For Redis, pass `store: new RedisStore({ url })`
// (`import { RedisStore } from "mcppolicy/redis"`, with ioredis installed).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compilePolicy, createEngine, MemoryStore } from "mcppolicy";

const filename = fileURLToPath(new URL("../policies/seed.mcppolicy", import.meta.url));
const policy = compilePolicy(readFileSync(filename, "utf8"), { filename });
const engine = createEngine(policy, { store: new MemoryStore() });

const dev = { principal: { id: "agent-7", roles: ["developer"] }, client: { ip: "10.0.0.4" }, session: { id: "s-1" } };
const read = { ...dev, tool: "read_file", arguments: { path: "src/index.ts" } };

// `limit rate 60 per minute burst 10 by client`: the 11th call in a burst is denied, with a retry time.
for (let i = 1; i <= 11; i++) {
  const r = await engine.authorize(read);
  if (r.effect === "allow") await r.commit({ inputTokens: 1200, outputTokens: 300 });
  if (i >= 10) console.log(`read_file #${i}: ${r.effect}${r.retryAfterMs ? ` (${r.reasons[0].message})` : ""}`);
}

// execute_command needs approval: the call is held, a human approves, the same call goes through once.
const ops = { principal: { id: "ops-1", roles: ["admin"] }, client: { ip: "10.0.0.5" }, session: { id: "s-2" }, tool: "execute_command", arguments: { command: "make test" } };
const held = await engine.authorize(ops);
console.log(`execute_command: ${held.effect}`);
await engine.approve(held.approval.id, { approver: "lead-1" });
console.log(`execute_command after approval: ${(await engine.authorize(ops)).effect}`);
console.log(`execute_command again: ${(await engine.authorize(ops)).effect}`);
await engine.close();
