// A host's view of mcppolicy: compile a policy file once, then decide every request.
// Run: node examples/decide.mjs   (after `npm ci`, which builds the package)
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compilePolicy, PolicyCompileError } from "mcppolicy";

const filename = fileURLToPath(new URL("../policies/seed.mcppolicy", import.meta.url));
let policy;
try {
  policy = compilePolicy(readFileSync(filename, "utf8"), { filename });
} catch (err) {
  if (err instanceof PolicyCompileError) {
    process.stderr.write(err.render());
    process.exit(1);
  }
  throw err;
}

const requests = [
  { principal: { id: "agent-7", roles: ["developer"] }, tool: "read_file", arguments: { path: "src/index.ts" } },
  { principal: { id: "agent-7", roles: ["developer"] }, tool: "read_file", arguments: { path: "../../etc/passwd" } },
  { principal: { id: "agent-7", roles: ["developer"] }, tool: "execute_command", arguments: { command: "ls" } },
  { principal: { id: "ops-1", roles: ["admin"] }, tool: "execute_command", arguments: { command: "ls" } },
];
for (const request of requests) {
  const d = policy.decide(request);
  console.log(`${request.principal.roles[0]} ${request.tool}: ${d.effect} (${d.reasons.map((r) => r.message).join("; ")})`);
}
