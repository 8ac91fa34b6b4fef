// Precomputed table: every (role, tool) pair of the scenario decided ahead of time into a Map of Maps
// of 0 (deny), 1 (allow) or 2 (allow if the path rule holds); only the path test runs per request.
import { PATH_TOOL } from "../scenario.mjs";

export function load(sc) {
  const table = new Map();
  for (const role of sc.roles) {
    const own = new Set(role.tools);
    const row = new Map();
    for (const tool of sc.tools) row.set(tool, own.has(tool) ? (tool === PATH_TOOL ? 2 : 1) : 0);
    table.set(role.name, row);
  }
  return {
    input: (req) => req,
    decide: (req) => {
      const v = table.get(req.role)?.get(req.tool);
      if (v === 1) return true;
      if (v !== 2) return false;
      const p = req.path;
      return typeof p === "string" && p.startsWith("/srv/data/") && !p.includes("..");
    },
  };
}
