// The peers' scenario (issue 16): one MCP authorization problem that every engine in bench/peers/
// states in its own language. Pure data from fixed seeds (mulberry32), so every run, every process
// and every engine sees exactly the same roles, tools and requests.
//
// The rule, which every adapter must decide identically (verify.mjs checks it request by request):
//   a request { role, tool, path } is allowed  <=>  role is a known role
//     AND tool is in that role's allowed set
//     AND (tool !== "read_file" OR (path starts with "/srv/data/" AND path does not contain ".."))
// ("read_file" is tool 0 of every scenario; its path rule is the same for every role.)
//
// Scenarios: `base` 3 roles x 20 tools (role sizes 6, 12, 20; every role may read_file) and
// `scale` 1,000 roles x 200 tools (12 tools a role, read_file for one role in four).
// The mix: 10,000 requests: 96% a known role, 4% an unknown one; the tool is one the role may use
// (55%), any tool of the scenario (40%) or an unknown name (5%); read_file requests carry a path
// under /srv/data/ (60%) or an escape: traversal, a look-alike prefix, relative, `..` in a name (40%).
import { Rng } from "../lib/prng.mjs";

export const PATH_TOOL = "read_file";
export const MIX_SIZE = 10_000;
const MIX_SEED = 16;

const toolName = (j) => (j === 0 ? PATH_TOOL : `t_${j}`);

/** @returns {{ name: string, roles: { name: string, tools: string[] }[], tools: string[] }} */
export function scenario(name) {
  if (name === "base") return build("base", 3, 20, 1601, (i) => [6, 12, 20][i], () => true);
  if (name === "scale") return build("scale", 1000, 200, 1602, () => 12, (i) => i % 4 === 0);
  throw new Error(`unknown scenario \`${name}\` (base, scale)`);
}

export const SCENARIOS = ["base", "scale"];

function build(name, nRoles, nTools, seed, size, readsFiles) {
  const rng = new Rng(seed);
  const tools = Array.from({ length: nTools }, (_, j) => toolName(j));
  const roles = [];
  for (let i = 0; i < nRoles; i++) {
    const k = size(i);
    // draw from tools 1..n-1, then add read_file where the role reads files
    const picks = rng.sample(nTools - 1, readsFiles(i) ? k - 1 : k).map((j) => toolName(j + 1));
    if (readsFiles(i)) picks.unshift(PATH_TOOL);
    roles.push({ name: `r_${i}`, tools: picks });
  }
  return { name, roles, tools };
}

const GOOD_PATHS = ["/srv/data/reports/q3.csv", "/srv/data/a.txt", "/srv/data/logs/2026/12/06/app.log", "/srv/data/x", "/srv/data/deep/a/b/c/d/e/f.json"];
const BAD_PATHS = [
  "/etc/passwd",
  "/srv/data/../etc/shadow",
  "/srv/data/a/../../../etc/passwd",
  "/srv/data/..",
  "/srv/database/x",
  "/srv/data",
  "srv/data/x",
  "../srv/data/x",
  "/srv/data/notes..txt",
  "/SRV/DATA/a.txt",
];

/** @returns {{ role: string, tool: string, path?: string }[]} */
export function mix(sc, n = MIX_SIZE, seed = MIX_SEED) {
  const rng = new Rng(seed + sc.roles.length);
  const out = [];
  for (let i = 0; i < n; i++) {
    const role = sc.roles[rng.int(sc.roles.length)];
    const roleName = rng.chance(0.96) ? role.name : rng.pick(["r_unknown", `r_${sc.roles.length + rng.int(50)}`, "R_0", ""]);
    const kind = rng.weighted([[55, "own"], [40, "any"], [5, "unknown"]]);
    const tool = kind === "own" ? rng.pick(role.tools) : kind === "any" ? rng.pick(sc.tools) : rng.pick(["send_email", "read_files", "t_x", "READ_FILE"]);
    const req = { role: roleName, tool };
    if (tool === PATH_TOOL) req.path = rng.chance(0.6) ? rng.pick(GOOD_PATHS) : rng.pick(BAD_PATHS);
    out.push(req);
  }
  return out;
}

/** The rule above, as a reference for tests and for messages (the plain JS adapter is the timed one). */
export function expected(sc, req) {
  const role = sc.roles.find((r) => r.name === req.role);
  if (!role || !role.tools.includes(req.tool)) return false;
  return req.tool !== PATH_TOOL || (typeof req.path === "string" && req.path.startsWith("/srv/data/") && !req.path.includes(".."));
}
