// casbin (node-casbin): a model whose request is (role, tool, path), one policy line per granted
// (role, tool), and the path rule in the matcher with casbin's own keyMatch and regexMatch.
// enforceSync, so no promise per decision.
import { newEnforcer, newModelFromString, StringAdapter } from "casbin";
import { PATH_TOOL } from "../scenario.mjs";

export const MODEL = `
[request_definition]
r = sub, obj, path

[policy_definition]
p = sub, obj

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.sub == p.sub && r.obj == p.obj && (r.obj != "${PATH_TOOL}" || (keyMatch(r.path, "/srv/data/*") && !regexMatch(r.path, "[.][.]")))
`;

export async function load(sc) {
  const lines = [];
  for (const role of sc.roles) for (const tool of role.tools) lines.push(`p, ${role.name}, ${tool}`);
  const enforcer = await newEnforcer(newModelFromString(MODEL), new StringAdapter(lines.join("\n")));
  return {
    input: (req) => [req.role, req.tool, req.path ?? ""],
    decide: (args) => enforcer.enforceSync(args[0], args[1], args[2]),
  };
}
