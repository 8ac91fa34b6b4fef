// CEL (@marcbachmann/cel-js): one expression, parsed once; the role -> tool grants are a map bound
// as a variable (what a host keeps beside its CEL rule), the path rule is startsWith + contains.
import { parse } from "@marcbachmann/cel-js";
import { PATH_TOOL } from "../scenario.mjs";

export const EXPRESSION = `role in grants && tool in grants[role] && (tool != "${PATH_TOOL}" || (path.startsWith("/srv/data/") && !path.contains("..")))`;

export function load(sc) {
  const grants = Object.create(null);
  for (const role of sc.roles) {
    const row = Object.create(null);
    for (const tool of role.tools) row[tool] = true;
    grants[role.name] = row;
  }
  const program = parse(EXPRESSION);
  return {
    input: (req) => ({ grants, role: req.role, tool: req.tool, path: req.path ?? "" }),
    decide: (input) => program(input) === true,
  };
}
