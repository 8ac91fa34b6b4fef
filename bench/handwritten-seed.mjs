// The seed policy (policies/seed.mcppolicy) written by hand as plain JavaScript: ifs, Sets, one regex,
// no library. It is the physical-limit reference of the decision benchmark: what a host would write
// if it hard-coded these rules. It returns only the effect (a string), builds no Decision object and
// assumes the request is a well-formed object (the mix only holds those), so it does strictly less
// work than `policy.decide`. bench/run.mjs checks that it returns the same effect as `decide` for
// every request in the mix before timing it.
//
// The argument checks are the real ones, not stand-ins: the read_file path rule, the closed argument
// objects, the query_database enum and parameter list, WHATWG URL parsing for fetch_url, and a
// read-only SQL check on node-sql-parser (memoised per query text, as the library's is).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

const DEV_ALLOW = new Set(["read_file", "search_code", "run_tests"]);
const DEV_DENY = new Set(["execute_command", "write_file", "delete_file"]);
const RO_ALLOW = new Set(["read_file", "list_directory", "query_database"]);
const NEEDS_APPROVAL = new Set(["execute_command", "write_file"]);
const DATABASES = new Set(["analytics", "public_catalog"]);
const ALLOWED_HOSTS = new Set(["api.github.com", "registry.npmjs.org"]);

const PATH_RE = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9_./-]+$/u;
const URL_RAW_BAD = /[\s\u0000-\u001f\u007f-\u009f\\]/;

export function decideSeed(req) {
  const tool = req.tool;
  if (typeof tool !== "string") return "deny";
  const roles = req.principal?.roles;
  let dev = false;
  let admin = false;
  let ro = false;
  if (roles !== undefined) {
    for (let i = 0; i < roles.length; i++) {
      const r = roles[i];
      if (r === "developer") dev = true;
      else if (r === "admin") admin = true;
      else if (r === "readonly-agent") ro = true;
    }
  }
  if (!dev && !admin && !ro) return "deny";
  const args = req.arguments;
  // Top-level deny: a UNION SELECT query (a query that is present but not a string is an error: deny).
  if (tool === "query_database" && args !== undefined) {
    const q = args.query;
    if (q !== undefined && q !== null) {
      if (typeof q !== "string") return "deny";
      if (q.includes("UNION SELECT") || q.includes("union select")) return "deny";
    }
  }
  if (dev && DEV_DENY.has(tool)) return "deny";
  if (!admin && !(dev && DEV_ALLOW.has(tool)) && !(ro && RO_ALLOW.has(tool))) return "deny";
  if (tool === "read_file") {
    if (!readFileOk(args)) return "deny";
  } else if (tool === "query_database") {
    if (!queryOk(args)) return "deny";
  } else if (tool === "fetch_url") {
    if (!fetchOk(args)) return "deny";
  }
  return NEEDS_APPROVAL.has(tool) ? "require_approval" : "allow";
}

function readFileOk(a) {
  if (a === undefined) return false;
  for (const k in a) if (k !== "path") return false;
  const p = a.path;
  if (typeof p !== "string") return false;
  if (p.length > 256 && codePoints(p) > 256) return false;
  return PATH_RE.test(p);
}

function codePoints(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function queryOk(a) {
  if (a === undefined) return false;
  for (const k in a) if (k !== "query" && k !== "database" && k !== "parameters") return false;
  if (!DATABASES.has(a.database)) return false;
  const ps = a.parameters;
  if (ps !== undefined) {
    if (!Array.isArray(ps) || ps.length > 20) return false;
    for (let i = 0; i < ps.length; i++) {
      const v = ps[i];
      const t = typeof v;
      if (t !== "string" && t !== "boolean" && !(t === "number" && Number.isFinite(v))) return false;
    }
  }
  return sqlReadonly(a.query);
}

function fetchOk(a) {
  if (a === undefined) return false;
  for (const k in a) if (k !== "url") return false;
  const s = a.url;
  if (typeof s !== "string" || s.length === 0 || s.length > 8192 || URL_RAW_BAD.test(s)) return false;
  let u;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  if (u.protocol !== "https:" || u.username !== "" || u.password !== "") return false;
  // An `@` anywhere in the raw authority is userinfo, whatever WHATWG made of it.
  const start = s.indexOf("//") + 2;
  let end = s.length;
  for (const c of ["/", "?", "#"]) {
    const j = s.indexOf(c, start);
    if (j >= 0 && j < end) end = j;
  }
  if (s.slice(start, end).includes("@")) return false;
  let host = u.hostname;
  if (host.endsWith(".")) host = host.slice(0, -1);
  return ALLOWED_HOSTS.has(host);
}

// ---- read-only SQL: one SELECT, no denied function, no INTO, no locking clause ----
const sqlMemo = new Map();
let parser;
const DENIED_FUNCTIONS = new Set(["pg_sleep", "pg_read_file", "pg_ls_dir", "lo_import", "lo_export", "dblink", "set_config", "nextval", "setval", "pg_terminate_backend"]);

function sqlReadonly(q) {
  if (typeof q !== "string") return false;
  let ok = sqlMemo.get(q);
  if (ok === undefined) {
    ok = sqlCheck(q);
    if (sqlMemo.size >= 512) sqlMemo.clear();
    sqlMemo.set(q, ok);
  }
  return ok;
}

function sqlCheck(q) {
  if (q.trim() === "" || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(q) || q.includes("/*!") || /\\['"]/.test(q)) return false;
  parser ??= new (require("node-sql-parser/build/postgresql.js").Parser)();
  let ast;
  try {
    ast = parser.astify(q, { database: "postgresql" });
  } catch {
    return false;
  }
  const stmts = Array.isArray(ast) ? ast : [ast];
  if (stmts.length !== 1 || stmts[0]?.type !== "select") return false;
  const stack = [stmts[0]];
  while (stack.length) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      for (const x of n) if (x && typeof x === "object") stack.push(x);
      continue;
    }
    if ((n.type === "function" || n.type === "aggr_func") && functionDenied(n.name)) return false;
    if (n.type === "select") {
      if (n.into && (n.into.expr != null || n.into.keyword != null)) return false;
      if ((n.locking_read != null && n.locking_read !== false) || (n.for_update != null && n.for_update !== false)) return false;
    }
    for (const k of ["ast", "_next"]) if (n[k] && typeof n[k] === "object" && "type" in n[k] && n[k].type !== "select") return false;
    for (const k in n) if (n[k] && typeof n[k] === "object") stack.push(n[k]);
  }
  return true;
}

function functionDenied(name) {
  const parts = typeof name === "string" ? [name] : (Array.isArray(name?.name) ? name.name : [name?.name]).map((p) => (typeof p === "string" ? p : p?.value));
  return parts.some((p) => typeof p === "string" && (DENIED_FUNCTIONS.has(p.toLowerCase()) || p.toLowerCase().startsWith("pg_advisory")));
}
