/**
 * Stage: argument types. Checks `args { ... }` blocks (type names, parameters and their values,
 * constraints that no value can satisfy, invalid regexes) and lowers them to IR types with every
 * pattern, CIDR table and constraint check compiled once, here.
 */
import type * as A from "../ast/nodes.js";
import { assertNever } from "../ast/nodes.js";
import {
  duplicateField,
  invalidParameterValue,
  invalidRegex,
  invalidSqlFunction,
  patternNotLinear,
  sqlFunctionNotReadOnly,
  unknownParameter,
  unknownType,
  unsatisfiable,
  wrongSetKind,
} from "../diagnostics/catalog.js";
import { CidrSet } from "../builtins/cidr/cidr.js";
import { DomainSet } from "../builtins/domain/domain.js";
import { compileIpCheck } from "../builtins/ip/ip.js";
import { compilePathCheck } from "../builtins/path/path.js";
import { compileSqlCheck, SQL_DIALECTS, sqlDialectAvailable } from "../builtins/sql/sql.js";
import { functionEntryFault } from "../builtins/sql/sql-pg-calls.js";
import { compileUrlCheck } from "../builtins/url/url.js";
import { codePointLength } from "../builtins/text/text.js";
import { compileLinearPattern } from "../builtins/regex/regex.js";
import { compileJsonSchemaCheck } from "../builtins/json-schema/json-schema.js";
import * as nodePath from "node:path";
import type { IrField, IrType, Scalar } from "../ir/ir.js";
import type { Symbols } from "./scope.js";
import { resolveSet } from "./sets.js";

const PARAMS: Record<string, readonly string[]> = {
  string: ["minLength", "maxLength", "pattern"],
  number: ["min", "max"],
  integer: ["min", "max"],
  boolean: [],
  any: [],
  enum: [],
  array: ["minItems", "maxItems"],
  path: ["root", "maxLength"],
  url: ["schemes", "hosts", "deny", "allow", "ports", "maxLength"],
  ip: ["allow", "deny"],
  sql: ["readonly", "dialect", "unions", "tables", "denyColumns", "functions", "maxLength"],
  json: ["schema", "inline"],
};
export const TYPE_NAMES = Object.keys(PARAMS);

const ANY: IrType = { t: "any" };

export function lowerObjectType(sym: Symbols, o: A.ObjectTypeExpr): IrType & { t: "object" } {
  const fields: IrField[] = [];
  const seen = new Set<string>();
  for (const f of o.fields) {
    if (seen.has(f.name.text)) {
      sym.diagnostics.push(duplicateField(f.name.span, f.name.text));
      continue;
    }
    seen.add(f.name.text);
    fields.push({ name: f.name.text, optional: f.optional, type: lowerType(sym, f.type) });
  }
  return { t: "object", fields, open: o.open };
}

export function lowerType(sym: Symbols, t: A.TypeExpr): IrType {
  switch (t.kind) {
    case "object":
      return lowerObjectType(sym, t);
    case "union":
      return { t: "union", members: t.members.map((m) => lowerType(sym, m)) };
    case "named":
      return lowerNamed(sym, t);
    default:
      return assertNever(t);
  }
}

class Params {
  constructor(private readonly sym: Symbols, private readonly t: A.TypeExpr & { kind: "named" }) {}
  private find(name: string) {
    return this.t.params.find((p) => p.name.text === name);
  }
  private bad(p: A.TypeParam, what: string) {
    this.sym.diagnostics.push(invalidParameterValue(p.value.span, `parameter \`${p.name.text}\` of \`${this.t.name.text}\` must be ${what}`));
  }
  private constValue(v: A.Value): A.Value {
    if (v.kind === "ref") {
      const c = this.sym.consts.get(v.name);
      if (c) return c.value;
    }
    return v;
  }
  nonNegInt(name: string): number | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "number" && Number.isInteger(v.value) && v.value >= 0) return v.value;
    this.bad(p, "a whole number, 0 or more");
    return undefined;
  }
  num(name: string): number | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "number") return v.value;
    this.bad(p, "a number");
    return undefined;
  }
  str(name: string): { value: string; span: A.Value["span"] } | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "string") return { value: v.value, span: v.span };
    this.bad(p, "a string");
    return undefined;
  }
  bool(name: string): boolean | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    const v = this.constValue(p.value);
    if (v.kind === "boolean") return v.value;
    this.bad(p, "`true` or `false`");
    return undefined;
  }
  strings(name: string): string[] | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    if (p.value.kind === "list" && p.value.items.every((i) => i.kind === "string")) return p.value.items.map((i) => (i as { value: string }).value);
    this.bad(p, "a list of strings");
    return undefined;
  }
  /** A list of strings, each with its span. */
  stringItems(name: string): { value: string; span: A.Value["span"] }[] | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    if (p.value.kind === "list" && p.value.items.every((i) => i.kind === "string")) {
      return p.value.items.map((i) => ({ value: (i as { value: string }).value, span: i.span }));
    }
    this.bad(p, "a list of strings");
    return undefined;
  }
  ints(name: string): number[] | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    if (p.value.kind === "list" && p.value.items.every((i) => i.kind === "number" && Number.isInteger(i.value))) {
      return p.value.items.map((i) => (i as { value: number }).value);
    }
    this.bad(p, "a list of whole numbers");
    return undefined;
  }
  /** A set reference of the given kind, or an inline list of strings. */
  cidr(name: string): CidrSet | undefined {
    return this.setParam(name, "cidr", (items) => CidrSet.from(items)) as CidrSet | undefined;
  }
  domain(name: string): DomainSet | undefined {
    return this.setParam(name, "domain", (items) => DomainSet.from(items)) as DomainSet | undefined;
  }
  private setParam(
    name: string,
    kind: "cidr" | "domain",
    build: (items: string[]) => { set: CidrSet | DomainSet } | { error: string; item: string },
  ): CidrSet | DomainSet | undefined {
    const p = this.find(name);
    if (!p) return undefined;
    if (p.value.kind === "ref") {
      const s = resolveSet(this.sym, p.value.name, p.value.span);
      if (!s) return undefined;
      if (s.kind !== kind) {
        this.sym.diagnostics.push(wrongSetKind(p.value.span, s.name, s.kind, kind));
        return undefined;
      }
      return s.set as CidrSet | DomainSet;
    }
    const items = this.strings(name);
    if (!items) return undefined;
    const r = build(items);
    if ("error" in r) {
      this.sym.diagnostics.push(invalidParameterValue(p.value.span, `\`${r.item}\` is not a valid ${kind} item: ${r.error}`));
      return undefined;
    }
    return r.set;
  }
}

/** Glob and regex characters outside a double-quoted identifier: `tables:` and `denyColumns:` take exact names. */
const NAME_PATTERN_CHARS = /[*?[\]{}^|()+\\%]/; // not `$`: PostgreSQL identifiers may hold it
const unquoted = (name: string) => name.replace(/"(?:[^"]|"")*"/g, "");

/**
 * `sql(tables: ["public.*"])` or `denyColumns: ["pass*"]` would be read literally (a table named `*`), so the
 * list would silently mean something else than it says: an error pointing at the item. A double-quoted
 * identifier (`"odd*name"`) in `tables:` may hold any character.
 */
function sqlExactNames(sym: Symbols, P: Params, name: "tables" | "denyColumns"): void {
  for (const item of P.stringItems(name) ?? []) {
    const bare = name === "tables" ? unquoted(item.value) : item.value;
    const m = NAME_PATTERN_CHARS.exec(bare);
    if (m === null) continue;
    sym.diagnostics.push(
      invalidParameterValue(
        item.span,
        `\`${item.value}\` in \`${name}\` holds \`${m[0]}\`: ${name} are exact names, not globs or patterns`,
        name === "tables"
          ? "list each table by name (`schema.table` or `table`); a name that really holds such a character is written as a quoted identifier (`\"odd*name\"`)"
          : "list each column by name",
      ),
    );
  }
}

function range(sym: Symbols, t: A.TypeExpr, lo: number | undefined, hi: number | undefined, what: string) {
  if (lo !== undefined && hi !== undefined && lo > hi) {
    sym.diagnostics.push(unsatisfiable(t.span, `no value can satisfy ${what}: the minimum ${lo} is above the maximum ${hi}`, "swap or fix the bounds"));
  }
}

/** A constraint check, with the length bound (in code points) checked first when one is given. */
function checkType(
  kind: "path" | "url" | "ip" | "sql",
  check: (v: unknown) => string | null,
  maxLength: number | undefined,
  samples: readonly string[],
  addresses?: { deny?: CidrSet; allow?: CidrSet },
): IrType {
  const bounded = maxLength === undefined ? check : (v: unknown) => (typeof v === "string" && codePointLength(v) > maxLength ? `longer than ${maxLength} characters` : check(v));
  return addresses ? { t: "check", kind, check: bounded, addresses, samples } : { t: "check", kind, check: bounded, samples };
}

/** Candidate URLs for `url(...)` (analysis witnesses): each scheme with each host the parameters name. */
function urlSamples(schemes: readonly string[] | undefined, hosts: DomainSet | undefined, ports: readonly number[] | undefined): string[] {
  const names = hosts?.samples() ?? ["example.com"];
  const out: string[] = [];
  for (const scheme of schemes ?? ["https", "http"]) {
    for (const host of names) out.push(...(ports ?? [undefined]).map((p) => `${scheme}://${host}${p === undefined ? "" : `:${p}`}/`));
  }
  return out.slice(0, 32);
}

/** Public addresses (documentation and well-known resolver ranges) tried for `ip(...)`, after the allow set's own. */
const PUBLIC_IPS = ["203.0.113.7", "8.8.8.8", "2001:db8::7", "2606:4700::1111"];

function lowerNamed(sym: Symbols, t: A.TypeExpr & { kind: "named" }): IrType {
  const name = t.name.text;
  const allowed = PARAMS[name];
  if (!allowed) {
    sym.diagnostics.push(unknownType(t.name.span, name, TYPE_NAMES));
    return ANY;
  }
  for (const p of t.params) {
    if (!allowed.includes(p.name.text)) sym.diagnostics.push(unknownParameter(p.name.span, name, p.name.text, allowed));
  }
  if (name !== "enum" && name !== "array" && t.positional.length > 0) {
    sym.diagnostics.push(invalidParameterValue(t.positional[0]!.span, `type \`${name}\` takes only named parameters`, "write `name: value`"));
  }
  const P = new Params(sym, t);
  switch (name) {
    case "any":
      return ANY;
    case "boolean":
      return { t: "boolean" };
    case "string": {
      const minLength = P.nonNegInt("minLength");
      const maxLength = P.nonNegInt("maxLength");
      range(sym, t, minLength, maxLength, "the length");
      const pat = P.str("pattern");
      let pattern: { test(s: string): boolean } | undefined;
      if (pat) {
        let valid = true;
        try {
          new RegExp(pat.value, "u");
        } catch (err) {
          valid = false;
          sym.diagnostics.push(invalidRegex(pat.span, pat.value, (err as Error).message.replace(/^Invalid regular expression: /, "")));
        }
        if (valid) {
          // Author patterns run against attacker input: only linear-time patterns are accepted.
          const linear = compileLinearPattern(pat.value);
          if ("error" in linear) sym.diagnostics.push(patternNotLinear(pat.span, pat.value, linear.error, linear.hint));
          else pattern = linear;
        }
      }
      return { t: "string", ...(minLength !== undefined && { minLength }), ...(maxLength !== undefined && { maxLength }), ...(pattern && { pattern, patternText: pat!.value }) };
    }
    case "number":
    case "integer": {
      const min = P.num("min");
      const max = P.num("max");
      range(sym, t, min, max, "the range");
      if (name === "integer" && min !== undefined && max !== undefined && min <= max && Math.ceil(min) > Math.floor(max)) {
        sym.diagnostics.push(unsatisfiable(t.span, `no whole number lies between ${min} and ${max}`));
      }
      return { t: name, ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
    }
    case "enum": {
      const values: Scalar[] = [];
      for (const v of t.positional) {
        if (v.kind === "string" || v.kind === "number" || v.kind === "boolean") values.push(v.value);
        else sym.diagnostics.push(invalidParameterValue(v.span, "enum values must be strings, numbers or booleans"));
      }
      if (t.positional.length === 0) sym.diagnostics.push(unsatisfiable(t.span, "an empty enum allows no value", 'list the allowed values: `enum("a", "b")`'));
      return { t: "enum", values };
    }
    case "array": {
      const first = t.positional[0];
      let item: IrType = ANY;
      if (first && first.kind !== "string" && first.kind !== "number" && first.kind !== "boolean") item = lowerType(sym, first);
      else sym.diagnostics.push(invalidParameterValue(t.span, "`array` needs its item type first", "write e.g. `array(string, maxItems: 20)`"));
      const minItems = P.nonNegInt("minItems");
      const maxItems = P.nonNegInt("maxItems");
      range(sym, t, minItems, maxItems, "the number of items");
      return { t: "array", item, ...(minItems !== undefined && { minItems }), ...(maxItems !== undefined && { maxItems }) };
    }
    case "path": {
      const root = P.str("root");
      if (!root) {
        if (!t.params.some((p) => p.name.text === "root")) sym.diagnostics.push(invalidParameterValue(t.span, "`path` needs a sandbox root", 'write `path(root: "/workspace")`'));
        return ANY;
      }
      const check = compilePathCheck({ root: root.value, ...(sym.options.realpath && { realpath: sym.options.realpath }) });
      if (typeof check !== "function") {
        sym.diagnostics.push(invalidParameterValue(root.span, `invalid sandbox root \`${root.value}\`: ${check.error}`, "use an absolute, normalised POSIX path"));
        return ANY;
      }
      return checkType("path", check, P.nonNegInt("maxLength"), [`${root.value.replace(/\/+$/, "")}/x`, "x"]);
    }
    case "url": {
      const schemes = P.strings("schemes");
      const hosts = P.domain("hosts");
      const deny = P.cidr("deny");
      const allow = P.cidr("allow");
      const ports = P.ints("ports");
      const check = compileUrlCheck({
        ...(schemes && { schemes: schemes.map((s) => s.toLowerCase().replace(/:$/, "")) }),
        ...(hosts && { hosts }),
        ...(deny && { deny }),
        ...(allow && { allow }),
        ...(ports && { ports }),
      });
      return checkType("url", check, P.nonNegInt("maxLength"), urlSamples(schemes, hosts, ports), { ...(deny && { deny }), ...(allow && { allow }) });
    }
    case "ip": {
      const allow = P.cidr("allow");
      const deny = P.cidr("deny");
      const samples = [...(allow?.samples(16) ?? []), ...PUBLIC_IPS, ...(deny?.samples(16) ?? [])];
      return { t: "check", kind: "ip", check: compileIpCheck({ ...(allow && { allow }), ...(deny && { deny }) }), samples };
    }
    case "json":
      return lowerJson(sym, t, P);
    case "sql": {
      const readonly = P.bool("readonly") ?? true;
      const dialect = P.str("dialect");
      if (dialect && !SQL_DIALECTS.includes(dialect.value)) {
        sym.diagnostics.push(invalidParameterValue(dialect.span, `unknown SQL dialect \`${dialect.value}\``, `use one of ${SQL_DIALECTS.map((d) => `\`${d}\``).join(", ")}`));
      } else if (dialect && !sqlDialectAvailable(dialect.value)) {
        // node-sql-parser is an optional dependency: a policy naming its dialects needs it installed.
        sym.diagnostics.push(invalidParameterValue(dialect.span, `sql dialect \`${dialect.value}\` needs the optional package \`node-sql-parser\`, which is not installed`, 'install it (`npm install node-sql-parser`) or use `dialect: "postgresql"`'));
      }
      const unions = P.bool("unions") ?? true;
      const tables = P.strings("tables");
      const denyColumns = P.strings("denyColumns");
      sqlExactNames(sym, P, "tables");
      sqlExactNames(sym, P, "denyColumns");
      const functions = sqlFunctions(sym, P);
      const d = dialect?.value ?? "postgresql";
      if ((tables || denyColumns || functions) && d !== "postgresql") {
        sym.diagnostics.push(invalidParameterValue(t.span, "`tables`, `denyColumns` and `functions` are supported for the postgresql dialect only", "drop them, or use `dialect: \"postgresql\"`"));
      }
      if ((tables || denyColumns || functions) && !readonly) sym.diagnostics.push(invalidParameterValue(t.span, "`tables`, `denyColumns` and `functions` need `readonly: true`"));
      const check = compileSqlCheck({ readonly, dialect: d, setOperations: unions, ...(tables && { tables }), ...(denyColumns && { denyColumns }), ...(functions && { functions }) });
      return checkType("sql", check, P.nonNegInt("maxLength"), ["SELECT 1", ...(tables ?? []).map((t) => `SELECT 1 FROM ${t}`)]);
    }
    default:
      return ANY;
  }
}

/** `sql(functions: [...])`: each entry a function name or operator symbol that may be allowed in a read-only query. */
function sqlFunctions(sym: Symbols, P: Params): string[] | undefined {
  const items = P.stringItems("functions");
  if (!items) return undefined;
  const out: string[] = [];
  for (const it of items) {
    const fault = functionEntryFault(it.value);
    if (fault === null) out.push(it.value);
    else if (fault.kind === "invalid") sym.diagnostics.push(invalidSqlFunction(it.span, it.value));
    else sym.diagnostics.push(sqlFunctionNotReadOnly(it.span, it.value, fault.reason));
  }
  return out;
}

/** `json(schema: "file.json")` (relative to the policy file) or `json(inline: "{...}")`: parsed and compiled now. */
function lowerJson(sym: Symbols, t: A.TypeExpr & { kind: "named" }, P: Params): IrType {
  const file = P.str("schema");
  const inline = P.str("inline");
  if ((file ? 1 : 0) + (inline ? 1 : 0) !== 1) {
    sym.diagnostics.push(invalidParameterValue(t.span, "`json` needs exactly one of `schema:` (a file) or `inline:` (JSON text)", 'write `json(schema: "tool.schema.json")`'));
    return ANY;
  }
  let text: string;
  const at = (file ?? inline)!;
  if (file) {
    const read = sym.options.readFile;
    if (!read) {
      sym.diagnostics.push(invalidParameterValue(file.span, `cannot read \`${file.value}\`: this host gives no way to read files`, "use `inline:` with the schema's JSON text"));
      return ANY;
    }
    const full = nodePath.resolve(nodePath.dirname(t.span.file), file.value);
    try {
      text = read(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      sym.diagnostics.push(invalidParameterValue(file.span, `cannot read \`${file.value}\`: ${code === "ENOENT" ? "no such file" : (err as Error)?.message ?? "unreadable"}`, "the path is relative to the policy file"));
      return ANY;
    }
  } else text = inline!.value;
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    // A file's own text is never shown (JSON.parse's message quotes the start of it): only inline JSON's error.
    sym.diagnostics.push(invalidParameterValue(at.span, file ? `the schema in \`${file.value}\` is not valid JSON` : `the schema is not valid JSON: ${(err as Error).message}`));
    return ANY;
  }
  const compiled = compileJsonSchemaCheck(schema);
  if ("error" in compiled || typeof schema !== "object" || schema === null) {
    sym.diagnostics.push(invalidParameterValue(at.span, `the schema cannot be used: ${"error" in compiled ? compiled.error : "it must be a JSON object"}`, "schemas are JSON Schema 2020-12/draft-07 as ajv reads them, in strict mode"));
    return ANY;
  }
  return { t: "json", schema };
}
