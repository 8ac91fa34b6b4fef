// Plain JS: what a careful developer writes by hand: a Map from role to a Set of tools, then the
// path rule in two string tests. The physical-limit reference every other engine is compared with.
import { PATH_TOOL } from "../scenario.mjs";

export function load(sc) {
  const allowed = new Map(sc.roles.map((r) => [r.name, new Set(r.tools)]));
  return {
    input: (req) => req,
    decide: (req) => {
      const tools = allowed.get(req.role);
      if (tools === undefined || !tools.has(req.tool)) return false;
      if (req.tool !== PATH_TOOL) return true;
      const p = req.path;
      return typeof p === "string" && p.startsWith("/srv/data/") && !p.includes("..");
    },
  };
}
