/**
 * fast-check generators of policy texts and requests for differential testing. Policies are built
 * from a small vocabulary so that generated requests hit their rules often.
 */
import fc from "fast-check";
import { checkPolicy, METHODS } from "mcppolicy";

export const TOOLS = ["read_file", "write_file", "execute_command", "fs.read", "fs.write", "query", "fetch_url"];
export const ROLES = ["dev", "admin", "ops", "reader"];
/** Tool family globs over TOOLS (some match several, one matches all, one none of them). */
export const FAMILIES = ["fs.*", "*_file", "*", "write_?ile", "q*", "nothing_*"];
const SCOPES = ["files:read", "files:write", "ops", "admin"];
const IPS = ["10.0.0.4", "192.168.1.1", "8.8.8.8", "127.0.0.1", "::1", "::ffff:10.0.0.1", "0x7f.1", "not-an-ip", "fd00::5"];

const q = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name}"`);

const toolPattern = fc.oneof(
  fc.constantFrom(...TOOLS).map(q),
  fc.constantFrom('"*"', '"fs.*"', '"*_file"', '"?uery"', "risky"),
);

const leafCond = fc.oneof(
  fc.constantFrom(
    "client.tls",
    "client.mtls",
    "annotations.readOnlyHint",
    "annotations.destructiveHint",
    "client.ip in corp",
    "client.ip not in corp",
    "has principal.claims.org",
    'principal.claims.org == "acme"',
    "principal.claims.level > 2",
    "has args.path",
    'args.path matches "src/*"',
    "args.n >= 3",
    'args.mode in ["a", "b"]',
    "tool.name in risky",
    'principal.id == "agent-1"',
    'client.certSubject matches "CN=agent-*"',
    'args.path matches re"^src/[a-z]+"',
    'principal.id matches re"(?i)^AGENT-1$"',
    "time.hour < 12",
    'server.name == "upstream-a"',
    "has server.name",
    // `??` (absent → the default) and `contains` on strings (issue 11)
    "args.n ?? 0 >= 3",
    'args.mode ?? "a" == "a"',
    'args.path ?? "" contains "src"',
    'principal.claims.org ?? "none" == "acme"',
    'principal.claims.org ?? "" contains "ac"',
    'principal.claims.level ?? 0 > 2',
  ),
  fc.constantFrom(...SCOPES).map((s) => `"${s}" in principal.scopes`),
  fc.constantFrom(...SCOPES).map((s) => `principal.scopes contains "${s}"`),
);

const cond: fc.Arbitrary<string> = fc.letrec((tie) => ({
  c: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafCond,
    fc.tuple(tie("c"), fc.constantFrom("and", "or"), tie("c")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie("c").map((a) => `not ${a}`),
  ),
})).c as fc.Arbitrary<string>;

const rule = fc
  .record({
    effect: fc.constantFrom("allow", "allow", "deny"),
    patterns: fc.uniqueArray(toolPattern, { minLength: 1, maxLength: 3 }),
    when: fc.option(cond, { nil: undefined }),
    unless: fc.option(cond, { nil: undefined, freq: 4 }),
  })
  .map((r) => `${r.effect} tool ${r.patterns.join(", ")}${r.when ? ` when ${r.when}` : ""}${r.unless ? ` unless ${r.unless}` : ""}`);

const resourceRule = fc
  .record({ effect: fc.constantFrom("allow", "deny"), pattern: fc.constantFrom('"file:///ws/**"', '"file:///ws/*"', '"db://*"', '"*"') })
  .map((r) => `${r.effect} resource ${r.pattern}`);

const argType = fc.constantFrom(
  "string(maxLength: 5)",
  'string(pattern: "^[a-z]+$")',
  'string(pattern: "^[a-z]+$", flags: "i")',
  "integer(min: 0, max: 10)",
  "number",
  "boolean",
  'enum("a", "b")',
  "array(string, maxItems: 2)",
  "{ x: integer, y?: string }",
  "string | integer",
  'path(root: "/ws")',
  "any",
  'url(schemes: ["https"], hosts: ["*.example.com", "api.github.com"], deny: ["127.0.0.0/8", "10.0.0.0/8"])',
  'ip(deny: ["127.0.0.0/8", "::1/128"])',
  "sql(readonly: true)",
  'sql(readonly: true, unions: false, tables: ["t"])',
  'json(inline: "{\\"type\\":\\"string\\",\\"maxLength\\":4}")',
  'string(pattern: "^[a-z]+$", maxLength: 8)',
);

const toolBlock = fc
  .record({
    // Exact names and tool families (issue 11): several blocks may then apply to one call.
    name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TOOLS) }, { weight: 2, arbitrary: fc.constantFrom(...FAMILIES) }),
    risk: fc.option(fc.constantFrom("low", "high", "critical"), { nil: undefined }),
    // Approvers (issue 12): several blocks of one call combine to the strictest (compared in full by the differential suite).
    approval: fc.option(
      fc.constantFrom(
        "approval required",
        "approval required when args.n > 5",
        "approval required when has principal.claims.org",
        "approval required by caller",
        "approval required by others",
        "approval required when args.n > 2 by role dev",
        "approval required by role dev, admin",
        "approval required by role admin",
      ),
      { nil: undefined },
    ),
    fields: fc.uniqueArray(fc.tuple(fc.constantFrom("path", "n", "mode", "items"), fc.boolean(), argType), { selector: (f) => f[0], maxLength: 3 }),
    open: fc.boolean(),
    limit: fc.boolean(),
  })
  .map(
    (t) =>
      `tool ${q(t.name)} {\n${t.risk ? `  risk ${t.risk}\n` : ""}${t.approval ? `  ${t.approval}\n` : ""}${
        t.fields.length || t.open ? `  args { ${t.fields.map(([n, opt, ty]) => `${n}${opt ? "?" : ""}: ${ty}`).join(", ")}${t.open ? (t.fields.length ? ", ..." : "...") : ""} }\n` : ""
      }${t.limit ? "  limit calls 5 by session\n" : ""}}`,
  );

/** `server` blocks (issue 11): a scoped deny, tool blocks (exact or families) and a limit. */
const serverBlock = fc
  .record({
    name: fc.constantFrom("upstream-a", "upstream-b"),
    denies: fc.array(rule.map((r) => r.replace(/^allow/, "deny")), { maxLength: 1 }),
    tools: fc.uniqueArray(toolBlock, { selector: (t) => t.slice(0, t.indexOf("{")), maxLength: 2 }),
    limit: fc.boolean(),
  })
  .map((b) => `server ${q(b.name)} {\n${[...b.denies, ...b.tools, ...(b.limit ? ["limit calls 7 per hour by principal"] : [])].join("\n")}\n}`);

const roleBlock = (name: string, others: string[]) =>
  fc
    .record({
      includes: others.length ? fc.subarray(others, { maxLength: 1 }) : fc.constant([] as string[]),
      // Memberships that can err too (a claim of the wrong type or missing): their roles' denies then apply as errors.
      member: fc.option(
        fc.oneof(
          fc.constantFrom(...SCOPES).map((s) => `member when "${s}" in principal.scopes`),
          fc.constantFrom('member when principal.claims.org == "acme"', "member when principal.claims.level > 2", 'member when has principal.claims.org and principal.claims.org == "evil"'),
          // Memberships that read the arguments: held for some calls only (unknown in tools/list).
          fc.constantFrom("member when args.n > 2", "member when args.n > 2 or principal.claims.level > 2", 'member when has args.mode and args.mode == "a"'),
        ),
        { nil: undefined, freq: 3 },
      ),
      rules: fc.array(fc.oneof({ weight: 4, arbitrary: rule }, { weight: 1, arbitrary: resourceRule }), { minLength: 1, maxLength: 4 }),
      limit: fc.boolean(),
    })
    .map(
      (r) =>
        `role ${name}${r.includes.length ? ` includes ${r.includes.join(", ")}` : ""} {\n${r.member ? `  ${r.member}\n` : ""}${r.rules.map((x) => `  ${x}\n`).join("")}${r.limit ? "  limit rate 10 per minute\n" : ""}}`,
    );

/** Names some rules (`allow "r-3" tool ...`), as the seed's bits say: named and positional ids side by side. */
function nameSomeRules(text: string, seed: number): string {
  let k = 0;
  return text.replace(/^( *)(allow|deny) (?=tool |resource )/gm, (m, indent: string, effect: string) => ((seed >>> (k++ % 31)) & 1 ? `${indent}${effect} "r-${k}" ` : m));
}

/** A policy text over ROLES (a prefix of them; includes only point backwards, so no cycles) that compiles. */
export const policyText: fc.Arbitrary<string> = fc
  .record({
    nRoles: fc.integer({ min: 1, max: ROLES.length }),
    defaultAllow: fc.boolean(),
    topDenies: fc.array(rule.map((r) => r.replace(/^allow/, "deny")), { maxLength: 2 }),
    tools: fc.uniqueArray(toolBlock, { selector: (t) => t.slice(0, t.indexOf("{")), maxLength: 3 }),
    servers: fc.uniqueArray(serverBlock, { selector: (t) => t.slice(0, t.indexOf("{")), maxLength: 2 }),
    seed: fc.integer(),
  })
  .chain((p) =>
    fc.tuple(...ROLES.slice(0, p.nRoles).map((name, i) => roleBlock(name, ROLES.slice(0, i)))).map(
      (roles) =>
        [
          'policy "generated"',
          p.defaultAllow ? "default allow" : "default deny",
          'set corp: cidr = ["10.0.0.0/8", "fd00::/8"]',
          'set risky: tool = ["execute_command", "write_*"]',
          ...p.topDenies,
          ...roles,
          ...p.tools,
          ...p.servers,
        ].join("\n"),
    ).map((text) => nameSomeRules(text, p.seed)),
  )
  // A rule or approval on tools whose closed `args` declare none of the fields it reads is refused
  // (E0117, E0220), and so is a condition whose types the `args` blocks contradict (E0221): such texts
  // are not policies, so they are not generated.
  .filter((text) => !checkPolicy(text, { readFile: null }).diagnostics.some((d) => d.severity === "error"));

const argValue = fc.oneof(
  fc.constantFrom("src/a.ts", "../etc/passwd", "abc", "ABC", "a", "toolongvalue", "/ws/x", "", "b"),
  fc.constantFrom("https://a.example.com/x", "https://127.0.0.1/", "http://api.github.com", "https:api.github.com", "8.8.8.8", "127.0.0.1", "::1", "0177.0.0.1"),
  fc.constantFrom("SELECT a FROM t", "SELECT a FROM u", "SELECT 1; DROP TABLE t", "SELECT a FROM t UNION SELECT b FROM t", "DELETE FROM t"),
  fc.integer({ min: -2, max: 12 }),
  fc.constantFrom(1.5, true, false, null, NaN),
  fc.constant(["x", "y"]),
  fc.constant(["x", "y", "z"]),
  fc.constant({ x: 1 }),
  fc.constant({ x: 1, y: "s" }),
  fc.constant({ y: 2 }),
);

export const request = fc.record(
  {
    principal: fc.record(
      {
        id: fc.constantFrom("agent-1", "agent-2", "Agent-1"),
        roles: fc.subarray([...ROLES, "ghost"]),
        scopes: fc.subarray(SCOPES),
        claims: fc.record({ org: fc.constantFrom("acme", "evil", 7), level: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant("3"), fc.constant(NaN)) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    method: fc.constantFrom("tools/call", "tools/call", "tools/list", "resources/read", "prompts/get"),
    tool: fc.constantFrom(...TOOLS, "unknown_tool", "write_log"),
    arguments: fc.dictionary(fc.constantFrom("path", "n", "mode", "items", "extra"), argValue, { maxKeys: 4 }),
    annotations: fc.record({ readOnlyHint: fc.boolean(), destructiveHint: fc.boolean() }, { requiredKeys: [] }),
    resource: fc.constantFrom("file:///ws/a.txt", "file:///ws/d/b.txt", "file:///ws/../etc/passwd", "db://main", "file:///ws/%2e%2e/x"),
    prompt: fc.constantFrom("review", "summarize"),
    client: fc.record({ ip: fc.constantFrom(...IPS), tls: fc.boolean(), mtls: fc.boolean(), certSubject: fc.constantFrom("CN=agent-01", "CN=other") }, { requiredKeys: [] }),
    server: fc.record({ name: fc.constantFrom("upstream-a", "upstream-b", "upstream-c") }, { requiredKeys: [] }),
    time: fc.constantFrom(Date.UTC(2026, 0, 5, 9, 30), Date.UTC(2026, 0, 5, 15, 0), "2026-01-05T23:59:00Z", "garbage"),
  },
  { requiredKeys: ["principal", "method"] },
);

/**
 * Requests of every method of the method table (tools/call twice as often as each other), with
 * resources that include URI templates (resources/templates/list): `request` with another method and,
 * where it has a resource, another resource. For the differential suite.
 */
export const anyRequest = fc
  .tuple(
    request,
    fc.constantFrom("tools/call", ...METHODS),
    fc.constantFrom("file:///ws/a.txt", "file:///ws/d/b.txt", "file:///ws/../etc/passwd", "db://main", "file:///ws/{name}", "file:///{+path}", "db://{table}", "file:///ws/{bad"),
  )
  .map(([r, method, resource]) => ({ ...r, method, ...(r.resource !== undefined && { resource }) }));
