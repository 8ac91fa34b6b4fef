// mcppolicy: the scenario as a .mcppolicy text, compiled once with compilePolicy from the built
// library (../../../dist, so `npm run build` first); decide() is the compiled decision function.
import { compilePolicy } from "../../../dist/index.js";
import { PATH_TOOL } from "../scenario.mjs";

/** The scenario's policy text: one role block per role, the path rule as two top-level denies. */
export function policyText(sc) {
  const lines = [`policy "peers-${sc.name}" version "1.0.0"`, "default deny", ""];
  lines.push(`tool ${PATH_TOOL} {`, "  args { path: string }", "}");
  lines.push(`deny tool ${PATH_TOOL} unless args.path matches "/srv/data/*" because "read_file reads under /srv/data/ only"`);
  lines.push(`deny tool ${PATH_TOOL} when args.path contains ".." because "no .. in a path"`, "");
  for (const role of sc.roles) lines.push(`role ${role.name} {`, `  allow tool ${role.tools.join(", ")}`, "}");
  return lines.join("\n") + "\n";
}

export function load(sc) {
  const policy = compilePolicy(policyText(sc), { filename: `peers-${sc.name}.mcppolicy` });
  return {
    input: (req) => ({
      principal: { id: "u-1", roles: [req.role] },
      method: "tools/call",
      tool: req.tool,
      arguments: req.path === undefined ? {} : { path: req.path },
    }),
    decide: (input) => policy.decide(input).effect === "allow",
  };
}
