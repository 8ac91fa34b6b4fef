/**
 * Values for one argument type (IrType): its domain (typical members), its boundaries (length limits,
 * range ends, enum members, the root of a sandbox, the first and last address of a CIDR range, a
 * read-only query at its length limit) and its neighbourhood (the values just outside: one character
 * too many, the next double past `max`, `/workspace-evil`, the address after a range, a write).
 * Guarantees: every value is JSON (no NaN, no infinity, no -0, no undefined inside), so a request
 * built from them prints as JSON and reads back unchanged; `valueArb(..., "valid")` yields only values
 * that satisfy the type as the policy's own argument check judges them (or is undefined when no such
 * value is known); the lists are deterministic for a given policy.
 */
import fc from "fast-check";
import { checkValue } from "../eval/args.js";
import { globFill, patternWithoutCaseFlag } from "../builtins/registry.js";
import type { IrType, Scalar } from "../ir/ir.js";
import { edgeAddresses, respellings } from "./addresses.js";
import type { CheckParams, Hints } from "./facts.js";
import { hostileString } from "./hostile.js";

export type ValueMode = "valid" | "mixed";

export interface ValueContext {
  /** Constraint parameters by IR type (from the policy's source). */
  readonly checks: ReadonlyMap<IrType, CheckParams>;
  /** What the policy's conditions compare an attribute with. */
  readonly hints: (key: string) => Hints;
  /** The attribute key of the value (`args.path`, `args.files`), for its hints. */
  readonly key: string;
  /** Classified edges by type and key, kept by the caller for as long as its hints stay the same. */
  readonly memo?: Map<IrType, Map<string, Classified>>;
}

const child = (ctx: ValueContext, name: string): ValueContext => ({ ...ctx, key: `${ctx.key}.${name}` });

/** Whether a value satisfies a type, as the policy's argument check judges it. */
export function satisfies(type: IrType, value: unknown): boolean {
  return checkValue(type, value, "v") === null;
}

// ---- numbers ------------------------------------------------------------------------------------

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The next double after x towards +inf (up) or -inf (down). */
export function nextDouble(x: number, up: boolean): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = x;
  i64[0]! += (x > 0) === up ? 1n : -1n;
  return f64[0]!;
}

const json = (x: number): number => (Object.is(x, -0) ? 0 : x);

function numberEdges(t: IrType & { t: "number" | "integer" }): unknown[] {
  const int = t.t === "integer";
  const out: unknown[] = [0, 1, -1, 0.5];
  for (const [bound, up] of [
    [t.min, false],
    [t.max, true],
  ] as const) {
    if (bound === undefined) continue;
    out.push(bound, bound + (up ? 1 : -1), nextDouble(bound, up));
    if (int) out.push(up ? Math.floor(bound) : Math.ceil(bound), bound + (up ? -0.5 : 0.5));
    else out.push(nextDouble(bound, !up));
  }
  out.push(Number.MAX_SAFE_INTEGER + 2, -1e308, 1e21, String(t.min ?? t.max ?? 1), null, true);
  return out.map((x) => (typeof x === "number" ? json(x) : x)).filter((x) => typeof x !== "number" || Number.isFinite(x));
}

function numberDomain(t: IrType & { t: "number" | "integer" }): fc.Arbitrary<unknown> {
  const lo = t.min ?? (t.max !== undefined ? Math.min(t.max, 0) - 1000 : -1000);
  const hi = t.max ?? Math.max(lo, 0) + 1000;
  if (t.t === "integer") {
    const a = Math.max(Math.ceil(lo), -0x80000000);
    const b = Math.min(Math.floor(hi), 0x7fffffff);
    return a <= b ? fc.integer({ min: a, max: b }) : fc.constant(Math.ceil(lo));
  }
  return fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }).map(json);
}

// ---- strings ------------------------------------------------------------------------------------

/** Strings one edit away from s: case, surrounding space, one character more or less, a NUL. */
export function nearStrings(s: string): string[] {
  return [...new Set([s.toUpperCase(), s.toLowerCase(), `${s} `, ` ${s}`, `${s}x`, s.slice(0, -1), `${s}\u0000`])].filter((x) => x !== s);
}

function nearScalars(v: Scalar): unknown[] {
  if (typeof v === "string") return nearStrings(v);
  if (typeof v === "number") return [v - 1, v + 1, nextDouble(v, false), nextDouble(v, true), String(v)].map((x) => (typeof x === "number" ? json(x) : x));
  return [String(v), !v];
}

/**
 * Examples of a glob: its wildcards filled (`*` with `x` and with nothing, `**` with `a/b`, `?` with
 * `y`), and one near miss (the literal text before the first wildcard, shortened by one character).
 */
export function globExamples(glob: string): string[] {
  const filled = globFill(glob, "x", "a/b", "y");
  const empty = globFill(glob, "", "", "y");
  const cut = glob.search(/[*?]/);
  const near = cut > 0 ? glob.slice(0, cut - 1) : `${filled}!`;
  return [...new Set([filled, empty, near])];
}

/** Values for a `matches re"..."` condition: strings that match (and their upper case), and one that does not. */
export function regexExamples(pattern: string): string[] {
  const { samples } = sampleMatches(pattern);
  const some = samples.slice(0, 4);
  return [...new Set([...some, ...some.map((s) => s.toUpperCase()), "zz-other"])];
}

/** Hosts for a domain item: members (a label under a wildcard), and near misses. */
export function hostExamples(item: string): string[] {
  if (item.startsWith("*.")) {
    const base = item.slice(2);
    return [`a.${base}`, `a.b.${base}`, base, `evil${base}`, `a.${base}.evil.example`];
  }
  return [item, item.toUpperCase(), `${item}.`, `${item}.evil.example`, `evil${item}`];
}

/** Values the conditions mention for an attribute, and their neighbours. */
export function hintValues(h: Hints): unknown[] {
  return [
    ...h.values,
    ...h.values.flatMap(nearScalars),
    ...h.globs.flatMap(globExamples),
    ...edgeAddresses(h.cidrs),
    ...h.domains.flatMap(hostExamples),
  ];
}

function sampleMatches(patternText: string): { arb?: fc.Arbitrary<string>; samples: string[] } {
  try {
    // Inline `(?i)` groups dropped: a match of the case-sensitive spelling matches the case-insensitive one too.
    const arb = fc.stringMatching(new RegExp(patternWithoutCaseFlag(patternText), "u"));
    return { arb, samples: fc.sample(arb, { numRuns: 60, seed: 7 }) };
  } catch {
    return { samples: [] };
  }
}

function stringEdges(t: IrType & { t: "string" }): unknown[] {
  const { samples } = t.patternText !== undefined ? sampleMatches(t.patternText) : { samples: ["abc"] };
  const lengths = new Set<number>([0, 1]);
  for (const b of [t.minLength, t.maxLength]) {
    if (b !== undefined && b < MAX_EDGE_LENGTH) [b - 1, b, b + 1].forEach((n) => n >= 0 && lengths.add(n));
  }
  const out: unknown[] = [...samples.slice(0, 8)];
  for (const n of lengths) {
    // A pattern match of that length when one was sampled; plain letters; astral characters (one code
    // point each, two UTF-16 units: lengths count code points).
    const match = samples.find((s) => [...s].length === n);
    if (match !== undefined) out.push(match);
    out.push("a".repeat(n), "\u{1F600}".repeat(n));
  }
  const first = samples[0];
  if (first !== undefined) out.push(`${first}\n`, `!${first}`, `${first}!`, first.slice(1), first.toUpperCase());
  out.push(null, 0, true);
  return out;
}

function stringDomain(t: IrType & { t: "string" }): fc.Arbitrary<unknown> {
  const matched = t.patternText !== undefined ? sampleMatches(t.patternText).arb : undefined;
  const max = Math.min(t.maxLength ?? 40, (t.minLength ?? 0) + 40);
  return matched ?? fc.string({ minLength: Math.min(t.minLength ?? 0, max), maxLength: max });
}

// ---- constraint kinds ---------------------------------------------------------------------------

/** Length limits above this are not walked to their edge (the values would swamp a printed request). */
const MAX_EDGE_LENGTH = 65_536;

/** Strings of exactly n and n + 1 code points, prefix included (nothing when n is too small). */
function atLength(prefix: string, maxLength: number | undefined, filler = "a"): string[] {
  if (maxLength === undefined || maxLength >= MAX_EDGE_LENGTH) return [];
  const n = maxLength - [...prefix].length;
  return n < 0 ? [] : [prefix + filler.repeat(n), prefix + filler.repeat(n + 1)];
}

function pathEdges(p: CheckParams): string[] {
  const root = p.root ?? "/workspace";
  const base = root === "/" ? "" : root;
  const last = root.split("/").pop() ?? "";
  return [
    root,
    `${base}/a.txt`,
    "a.txt",
    "src/index.ts",
    ".",
    "./a",
    "a/../b",
    "a/./b//c",
    `${base}/`,
    `${base}/src/../a`,
    `../${last}/a`,
    `${base}/..`,
    "..",
    "../a",
    `${base}-evil/a`,
    `${base}evil`,
    `${base}/../etc/passwd`,
    "/etc/passwd",
    "/",
    "",
    "~",
    "~/a",
    "%2e%2e/a",
    `${base}/%2e%2e/%2e%2e/etc`,
    "%252e%252e/a",
    "..\\a",
    "a\\..\\..\\b",
    "C:\\a",
    "C:/a",
    "\\\\server\\share",
    "//server/share",
    "a\u0000b",
    "\uff0e\uff0e/a",
    "%c0%ae%c0%ae/a",
    `${root.toUpperCase()}/a`,
    ...atLength("", p.maxLength),
    ...atLength(`${base}/`, p.maxLength),
    ...atLength("", p.maxLength, "\u{1F600}"),
  ];
}

function pathDomain(p: CheckParams): fc.Arbitrary<unknown> {
  const base = p.root === undefined || p.root === "/" ? "" : p.root;
  const seg = fc.constantFrom("a", "src", "b.txt", "..", ".", "", "x y", "%2e%2e", "~", "\u00e9");
  return fc
    .tuple(fc.constantFrom("", `${base}/`), fc.array(seg, { minLength: 1, maxLength: 4 }))
    .map(([pre, segs]) => pre + segs.join("/"));
}

/** Host names for a url constraint: allowed ones first, then near misses and address literals. */
function urlHosts(p: CheckParams): { good: string; hosts: string[] } {
  const names = (p.hosts?.length ? p.hosts : ["example.com"]).flatMap(hostExamples);
  const addresses = edgeAddresses([...(p.deny ?? []), ...(p.allow ?? [])]).slice(0, 16);
  const literals = [...addresses, "127.0.0.1", "::1", "169.254.169.254", "::ffff:127.0.0.1"].map((a) => (a.includes(":") ? `[${a}]` : a));
  const spelled = respellings("127.0.0.1").filter((s) => !s.includes(":"));
  return { good: names[0] ?? "example.com", hosts: [...names, ...literals, ...spelled, "localhost", "localhost.", "0x7f.1"] };
}

function urlEdges(p: CheckParams): string[] {
  const schemes = p.schemes?.length ? [...p.schemes] : ["http", "https"];
  const s = schemes[0]!;
  const { good: g, hosts } = urlHosts(p);
  const ports = p.ports?.length ? p.ports.flatMap((n) => [n, n + 1]) : [443, 8080];
  return [
    ...hosts.map((h) => `${s}://${h}/x`),
    ...schemes.slice(1).map((x) => `${x}://${g}/`),
    ...ports.map((n) => `${s}://${g}:${n}/`),
    `${s}://${g}@evil.example/`,
    `${s}://user:pass@${g}/`,
    `${s}://evil.example#@${g}`,
    `${s}://evil.example\\@${g}/`,
    `${s}://${g}%2f@evil.example/`,
    `${s}://${g}.evil.example/`,
    ` ${s}://${g}/`,
    `${s}:${g}`,
    `//${g}/x`,
    `${s.toUpperCase()}://${g}/`,
    `${s}://${g}/%2e%2e/`,
    "ftp://example.com/",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "gopher://127.0.0.1:6379/_",
    "",
    ...atLength(`${s}://${g}/`, p.maxLength),
  ];
}

function urlDomain(p: CheckParams): fc.Arbitrary<unknown> {
  const schemes = p.schemes?.length ? [...p.schemes] : ["http", "https"];
  const { hosts } = urlHosts(p);
  return fc
    .tuple(fc.constantFrom(...schemes, "ftp"), fc.constantFrom(...hosts), fc.constantFrom("", ":443", ":8080"), fc.constantFrom("/", "/a", "/a?b=c", ""))
    .map(([s, h, port, path]) => `${s}://${h}${port}${path}`);
}

function ipEdges(p: CheckParams): string[] {
  const items = [...(p.deny ?? []), ...(p.allow ?? [])];
  const edges = items.length ? edgeAddresses(items) : ["127.0.0.1", "10.0.0.1", "::1"];
  const v4 = edges.filter((a) => !a.includes(":")).slice(0, 2);
  return [...edges, ...v4.flatMap(respellings), "8.8.8.8", "2001:4860:4860::8888", "not-an-ip", "", "256.0.0.1", "1.2.3", "[::1]"];
}

function ipDomain(p: CheckParams): fc.Arbitrary<unknown> {
  return fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom(...ipEdges(p)));
}

function sqlParts(p: CheckParams): { table: string; col: string; denied: string | undefined } {
  const table = p.tables?.[0] ?? "users";
  const denied = p.denyColumns?.[0];
  return { table, col: ["id", "name", "created_at"].find((c) => !p.denyColumns?.includes(c)) ?? "id", denied };
}

function sqlEdges(p: CheckParams): string[] {
  const { table: t, col: c, denied } = sqlParts(p);
  const read = `SELECT ${c} FROM ${t}`;
  return [
    read,
    `${read} WHERE ${c} = 1 LIMIT 10`,
    `select ${c} from ${t}`,
    `WITH x AS (SELECT ${c} FROM ${t}) SELECT ${c} FROM x`,
    `${read} UNION SELECT ${c} FROM ${t}`,
    `${read} UNION/**/SELECT ${c} FROM ${t}`,
    "SELECT 1",
    `SELECT * FROM ${t}`,
    ...(denied ? [`SELECT ${denied} FROM ${t}`] : []),
    `SELECT ${c} FROM other_table`,
    `DELETE FROM ${t}`,
    `UPDATE ${t} SET ${c} = 1`,
    `INSERT INTO ${t} (${c}) VALUES (1)`,
    `DROP TABLE ${t}`,
    `${read}; DROP TABLE ${t}`,
    `SELECT ${c} INTO copy FROM ${t}`,
    `${read} FOR UPDATE`,
    `WITH d AS (DELETE FROM ${t} RETURNING ${c}) SELECT ${c} FROM d`,
    "SELECT pg_sleep(10)",
    "SELECT pg_read_file('/etc/passwd')",
    `SELECT ${c} FROM ${t} WHERE ${c} = 'a\\' OR 1=1 --'`,
    `SELEC ${c} FROM ${t}`,
    "",
    ...atLength(read, p.maxLength, " "),
  ];
}

function sqlDomain(p: CheckParams): fc.Arbitrary<unknown> {
  const { table: t, col: c } = sqlParts(p);
  return fc
    .tuple(fc.constantFrom("SELECT", "select", "DELETE", "UPDATE"), fc.constantFrom(` ${c} FROM ${t}`, ` ${c} FROM ${t} WHERE ${c} > 3`, ` * FROM ${t}`, ` FROM ${t}`), fc.constantFrom("", ";", "; DROP TABLE x", " -- x", " LIMIT 5"))
    .map(([a, b, d]) => a + b + d);
}

// ---- JSON Schema (a subset, mapped onto IR types for generation only) --------------------------

/** A JSON Schema read as an IR type, for generation; what it does not understand becomes `any`. */
export function schemaType(schema: unknown, depth = 0): IrType {
  if (typeof schema !== "object" || schema === null || depth > 8) return { t: "any" };
  const s = schema as Record<string, unknown>;
  const num = (k: string) => (typeof s[k] === "number" ? (s[k] as number) : undefined);
  if (Array.isArray(s.enum)) return { t: "enum", values: s.enum.filter((v): v is Scalar => ["string", "number", "boolean"].includes(typeof v)) };
  if ("const" in s && ["string", "number", "boolean"].includes(typeof s.const)) return { t: "enum", values: [s.const as Scalar] };
  const alts = (s.anyOf ?? s.oneOf) as unknown;
  if (Array.isArray(alts)) return { t: "union", members: alts.map((m) => schemaType(m, depth + 1)) };
  if (Array.isArray(s.type)) return { t: "union", members: s.type.map((ty) => schemaType({ ...s, type: ty }, depth + 1)) };
  switch (s.type) {
    case "string": {
      const pattern = typeof s.pattern === "string" ? s.pattern : undefined;
      let valid = pattern !== undefined;
      try {
        if (pattern !== undefined) new RegExp(pattern, "u");
      } catch {
        valid = false;
      }
      return { t: "string", minLength: num("minLength"), maxLength: num("maxLength"), ...(valid && { patternText: pattern }) };
    }
    case "number":
    case "integer":
      return { t: s.type, min: num("minimum"), max: num("maximum") };
    case "boolean":
      return { t: "boolean" };
    case "array":
      return { t: "array", item: schemaType(s.items, depth + 1), minItems: num("minItems"), maxItems: num("maxItems") };
    case "object": {
      const props = (typeof s.properties === "object" && s.properties !== null ? s.properties : {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? s.required : [];
      const fields = Object.entries(props).map(([name, t]) => ({ name, optional: !required.includes(name), type: schemaType(t, depth + 1) }));
      return { t: "object", fields, open: s.additionalProperties !== false };
    }
    default:
      return { t: "any" };
  }
}

// ---- per type ------------------------------------------------------------------------------------

/** Edges and domain of each constraint kind, from its parameters. */
const CHECK_VALUES: Record<CheckParams["kind"], { edges(p: CheckParams): unknown[]; domain(p: CheckParams): fc.Arbitrary<unknown> }> = {
  path: { edges: pathEdges, domain: pathDomain },
  url: { edges: urlEdges, domain: urlDomain },
  ip: { edges: ipEdges, domain: ipDomain },
  sql: { edges: sqlEdges, domain: sqlDomain },
};

/** A constraint's parameters, read from the IR node (the registry's data), in the testing kit's flat form. */
export function checkParamsOf(type: IrType & { t: "check" }): CheckParams {
  const { physical: _physical, ...params } = type.params as { physical?: true };
  return { kind: type.kind, ...params, ...(type.maxLength !== undefined && { maxLength: type.maxLength }) } as CheckParams;
}

const paramsOf = (type: IrType & { t: "check" }, ctx: ValueContext): CheckParams => ctx.checks.get(type) ?? checkParamsOf(type);

/** Boundary and neighbourhood values of a scalar or constraint type (empty for compound types). */
export function edgeValues(type: IrType, ctx: ValueContext): unknown[] {
  switch (type.t) {
    case "string":
      return stringEdges(type);
    case "number":
    case "integer":
      return numberEdges(type);
    case "boolean":
      return [true, false, "true", 0, null];
    case "enum":
      return [...type.values, ...type.values.flatMap(nearScalars)];
    case "any":
      return ["x", 0, true, null, [], {}];
    case "json":
      return edgeValues(schemaType(type.schema), ctx);
    case "union":
      return type.members.flatMap((m) => edgeValues(m, ctx));
    case "check":
      return CHECK_VALUES[type.kind].edges(paramsOf(type, ctx));
    default:
      return [];
  }
}

function domainArb(type: IrType, ctx: ValueContext): fc.Arbitrary<unknown> {
  switch (type.t) {
    case "string":
      return stringDomain(type);
    case "number":
    case "integer":
      return numberDomain(type);
    case "boolean":
      return fc.boolean();
    case "enum":
      return fc.constantFrom(...(type.values.length ? type.values : ["x"]));
    case "json":
      return domainArb(schemaType(type.schema), ctx);
    case "check":
      return CHECK_VALUES[type.kind].domain(paramsOf(type, ctx));
    default:
      return jsonArb;
  }
}

/** Small JSON values (plain prototypes, finite numbers). */
export const jsonArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small", maxDepth: 2 },
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -100, max: 100 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), tie("v"), { maxKeys: 3, noNullPrototype: true }),
  ),
})).v;

const wrongType = fc.constantFrom<unknown>(null, 0, true, [], {}, "");

/** Dedupe by JSON text (and type: `1` and `"1"` differ). */
export function uniqueValues(values: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = `${typeof v}:${JSON.stringify(v)}`;
    if (v === undefined || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export type Classified = { inside: unknown[]; outside: unknown[] };

/** The edge values of a leaf type, with the hints of its attribute, split by the policy's own check. */
export function classifiedEdges(type: IrType, ctx: ValueContext): Classified {
  if (!ctx.memo) return classify(type, ctx);
  let byKey = ctx.memo.get(type);
  if (!byKey) ctx.memo.set(type, (byKey = new Map()));
  const memo = byKey.get(ctx.key);
  if (memo) return memo;
  const result = classify(type, ctx);
  byKey.set(ctx.key, result);
  return result;
}

function classify(type: IrType, ctx: ValueContext): Classified {
  const all = uniqueValues([...edgeValues(type, ctx), ...hintValues(ctx.hints(ctx.key))]);
  const inside: unknown[] = [];
  const outside: unknown[] = [];
  for (const v of all) (satisfies(type, v) ? inside : outside).push(v);
  return { inside, outside };
}

function leafArb(type: IrType, ctx: ValueContext, mode: ValueMode): fc.Arbitrary<unknown> | undefined {
  const { inside, outside } = classifiedEdges(type, ctx);
  const domain = domainArb(type, ctx);
  if (mode === "valid") {
    const fallback = inside[0];
    if (inside.length === 0) return undefined;
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...inside) }, { weight: 2, arbitrary: domain.map((v) => (satisfies(type, v) ? v : fallback)) });
  }
  const edges = [...inside, ...outside];
  return fc.oneof(
    { weight: 6, arbitrary: edges.length ? fc.constantFrom(...edges) : domain },
    { weight: 2, arbitrary: domain },
    { weight: 1, arbitrary: hostileString() },
    { weight: 1, arbitrary: wrongType },
  );
}

/** Set a key as an own property (`__proto__` included), keeping the object a plain JSON object. */
export function withKey(o: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out = { ...o };
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

const ABSENT = Symbol("absent");

/**
 * A record whose keys are each present with odds 1 - 1/freq (`freq` per key, default 2), or always when
 * listed in `required`; it shrinks towards absent keys, and yields plain objects.
 */
export function recordOf(
  model: Record<string, fc.Arbitrary<unknown>>,
  options: { required?: readonly string[]; freq?: Record<string, number> } = {},
): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(model);
  const parts = keys.map((k) => (options.required?.includes(k) ? model[k]! : fc.option(model[k]!, { nil: ABSENT, freq: options.freq?.[k] ?? 2 })));
  return fc.tuple(...parts).map((values) => {
    let out: Record<string, unknown> = {};
    values.forEach((v, i) => {
      if (v !== ABSENT) out = withKey(out, keys[i]!, v);
    });
    return out;
  });
}

const EXTRA_KEYS = ["extra", "__proto__", "constructor"];

function objectArb(type: IrType & { t: "object" }, ctx: ValueContext, mode: ValueMode): fc.Arbitrary<unknown> | undefined {
  const validModel: Record<string, fc.Arbitrary<unknown>> = {};
  const mixedModel: Record<string, fc.Arbitrary<unknown>> = {};
  const required = type.fields.filter((f) => !f.optional).map((f) => f.name);
  let satisfiable = true;
  for (const f of type.fields) {
    const valid = valueArb(f.type, child(ctx, f.name), "valid");
    if (valid) validModel[f.name] = valid;
    else if (!f.optional) satisfiable = false;
    if (mode === "mixed") mixedModel[f.name] = valueArb(f.type, child(ctx, f.name), "mixed") ?? wrongType;
  }
  const validRec = satisfiable ? recordOf(validModel, { required: required.filter((n) => n in validModel) }) : undefined;
  const extraKeys = [...EXTRA_KEYS, ...type.fields.slice(0, 1).map((f) => f.name.toUpperCase())].filter((k) => !type.fields.some((f) => f.name === k));
  const withExtra = (rec: fc.Arbitrary<Record<string, unknown>>) => fc.tuple(rec, fc.constantFrom(...extraKeys), jsonArb).map(([o, k, v]) => withKey(o, k, v));
  if (mode === "valid") return validRec && (type.open ? fc.oneof({ weight: 3, arbitrary: validRec }, { weight: 1, arbitrary: withExtra(validRec) }) : validRec);
  const mixedRec = recordOf(mixedModel, { required });
  const base = validRec ?? mixedRec;
  // One field at a time (the others valid): a boundary shows its effect only when nothing else fails.
  const single = type.fields.map((f) => ({ weight: 1, arbitrary: fc.tuple(base, mixedModel[f.name]!).map(([o, v]) => withKey(o, f.name, v)) }));
  const variants = [
    { weight: 2, arbitrary: base },
    ...single,
    { weight: 1, arbitrary: mixedRec },
    { weight: 1, arbitrary: recordOf(mixedModel) },
    { weight: 1, arbitrary: withExtra(base) },
  ];
  // The whole `arguments` stays an object (else the request is malformed, and no argument is checked).
  return fc.oneof(...variants, ...(ctx.key === "args" ? [] : [{ weight: 1, arbitrary: wrongType }]));
}

const MAX_EDGE_ITEMS = 1000;

function arrayArb(type: IrType & { t: "array" }, ctx: ValueContext, mode: ValueMode): fc.Arbitrary<unknown> | undefined {
  const item = valueArb(type.item, child(ctx, "0"), "valid");
  const min = type.minItems ?? 0;
  const max = type.maxItems;
  if (!item) return mode === "valid" && min > 0 ? undefined : fc.constant([]);
  const ofLength = (n: number) => fc.array(item, { minLength: n, maxLength: n });
  const typical = fc.array(item, { minLength: min, maxLength: Math.min(max ?? min + 3, min + 3) });
  const validEdges = [min, ...(max !== undefined && max <= MAX_EDGE_ITEMS ? [max] : [])].map(ofLength);
  if (mode === "valid") return fc.oneof(typical, ...validEdges);
  const outside = [...(min > 0 ? [min - 1] : []), ...(max !== undefined && max < MAX_EDGE_ITEMS ? [max + 1] : [])].map(ofLength);
  const mixedItem = valueArb(type.item, child(ctx, "0"), "mixed")!;
  const badItem = fc.tuple(typical, mixedItem).map(([xs, x]) => [...xs, x]);
  return fc.oneof({ weight: 3, arbitrary: typical }, ...validEdges, ...outside, badItem, wrongType);
}

/**
 * Values of a type. `valid`: values that satisfy it (undefined when none is known). `mixed`: the
 * domain, the boundaries and their neighbourhood, hostile strings and values of the wrong type.
 */
export function valueArb(type: IrType, ctx: ValueContext, mode: ValueMode): fc.Arbitrary<unknown> | undefined {
  switch (type.t) {
    case "object":
      return objectArb(type, ctx, mode);
    case "array":
      return arrayArb(type, ctx, mode);
    case "union": {
      const members = type.members.map((m) => valueArb(m, ctx, mode)).filter((a): a is fc.Arbitrary<unknown> => a !== undefined);
      return members.length ? fc.oneof(...members) : undefined;
    }
    case "json": {
      // Generated from the schema read as IR types, but judged by the schema itself.
      const arb = valueArb(schemaType(type.schema), ctx, "mixed");
      if (mode === "mixed" || !arb) return arb;
      const { inside } = classifiedEdges(type, ctx);
      const fallback = inside[0] ?? fc.sample(arb, { numRuns: 200, seed: 11 }).find((v) => satisfies(type, v));
      return fallback === undefined ? undefined : arb.map((v) => (satisfies(type, v) ? v : fallback));
    }
    default:
      return leafArb(type, ctx, mode);
  }
}
