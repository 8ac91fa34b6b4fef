// The seed policy (policies/seed.mcppolicy) written by hand as plain JavaScript: ifs, Sets, one regex,
// no library. It is the physical-limit reference of the decision benchmark: what a host would write
// if it hard-coded these rules. It returns only the effect (a string), builds no Decision object and
// assumes the request is a well-formed object (the mix only holds those), so it does strictly less
// work than `policy.decide`. bench/run.mjs checks that it returns the same effect as `decide` for
// every request in the mix before timing it.
//
// The argument checks are the real ones, not stand-ins: the read_file sandbox path (resolved against
// /workspace, also with `\` as a separator, percent-decoded and NFKC-normalised when the value calls
// for it), the closed argument objects, the query_database enum and parameter list, WHATWG URL parsing
// for fetch_url, and a read-only SQL check on node-sql-parser (memoised per query text, as the
// library's is). Keep it in step with policies/seed.mcppolicy: the mismatch count in the figures
// says when it is not.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

const DEV_ALLOW = new Set(["read_file", "search_code", "run_tests"]);
const DEV_DENY = new Set(["execute_command", "write_file", "delete_file"]);
const RO_ALLOW = new Set(["read_file", "list_directory", "query_database"]);
const NEEDS_APPROVAL = new Set(["execute_command", "write_file"]);
const DATABASES = new Set(["analytics", "public_catalog"]);
const ALLOWED_HOSTS = new Set(["api.github.com", "registry.npmjs.org"]);

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const NOT_PLAIN = /[^\u0020-\u007e]|[%\\]/; // non-ASCII, control, `%` or `\`: take the slow path
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
  if (typeof p !== "string" || p.length === 0) return false;
  if (p.length > 256 && codePoints(p) > 256) return false;
  if (!NOT_PLAIN.test(p)) return plainPathOk(p);
  // Slow path: every reading (as given, `\` as a separator, percent-decoded once and twice, NFKC).
  const readings = [p];
  if (p.includes("%")) {
    const once = percentDecode(p);
    if (once === null) return false;
    readings.push(once);
    if (once.includes("%")) {
      const twice = percentDecode(once);
      if (twice === null) return false;
      readings.push(twice);
    }
  }
  for (let i = 0, n = readings.length; i < n; i++) if (/[^\u0000-\u007f]/.test(readings[i])) readings.push(readings[i].normalize("NFKC"));
  for (const r of readings) {
    if (CONTROL.test(r) || !plainPathOk(r)) return false;
    if (r.includes("\\") && !plainPathOk(r.replace(/\\/g, "/"))) return false;
  }
  return true;
}

/** No `~`, drive letter or UNC prefix, and resolved against /workspace it stays at or below it. */
function plainPathOk(p) {
  const c0 = p.charCodeAt(0);
  if (c0 === 0x7e /* ~ */) return false;
  if (p.charCodeAt(1) === 0x3a /* : */ && ((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) return false;
  const c1 = p.charCodeAt(1);
  if ((c0 === 0x2f || c0 === 0x5c) && (c1 === 0x2f || c1 === 0x5c)) return false;
  // Resolve POSIX-style (relative paths start in /workspace) and compare whole segments.
  const segs = c0 === 0x2f ? [] : ["workspace"];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") segs.pop();
    else segs.push(seg);
  }
  return segs.length >= 1 && segs[0] === "workspace";
}

const utf8in = new TextEncoder();
const utf8out = new TextDecoder("utf-8");

/** %XX as UTF-8 bytes; null on an overlong encoding. */
function percentDecode(s) {
  const bytes = [];
  for (let i = 0; i < s.length; ) {
    if (s.charCodeAt(i) === 0x25 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      bytes.push(c);
      i++;
      continue;
    }
    const w = s.codePointAt(i) > 0xffff ? 2 : 1;
    for (const b of utf8in.encode(s.slice(i, i + w))) bytes.push(b);
    i += w;
  }
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const n = bytes[i + 1] ?? 0;
    if (b === 0xc0 || b === 0xc1 || (b === 0xe0 && n >= 0x80 && n <= 0x9f) || (b === 0xf0 && n >= 0x80 && n <= 0x8f)) return null;
  }
  return utf8out.decode(new Uint8Array(bytes));
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

// ---- read-only SQL: one SELECT, no set operation (unions: false), no denied function, no INTO, no locking clause ----
const sqlMemo = new Map();
let parser;
const DENIED_FUNCTIONS = new Set(["pg_sleep", "pg_read_file", "pg_ls_dir", "lo_import", "lo_export", "dblink", "set_config", "nextval", "setval", "pg_terminate_backend"]);

function sqlReadonly(q) {
  if (typeof q !== "string" || (q.length > 2048 && codePoints(q) > 2048)) return false;
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
      if (n._next && typeof n._next === "object") return false; // UNION / INTERSECT / EXCEPT
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
