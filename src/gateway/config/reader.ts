/**
 * Reading the config's YAML nodes with their positions: the typed accessors every section reader uses.
 * GUARANTEES:
 * - Nothing here throws on any document: every mistake becomes a diagnostic (src/diagnostics, E10xx)
 *   whose span points into the config file, and the accessor returns undefined.
 * - Strict: a mapping's keys are checked against the known ones (did-you-mean), values are never
 *   coerced (`"8080"` is not a number, `yes` is not a boolean); only a string holding a `${ENV}`
 *   reference is expanded first and then read as the number or boolean the option wants.
 * - `${NAME}` is expanded in every string value (never in keys); an unset variable is an error, `$${`
 *   writes a literal `${`. Messages quote the value as written, never the expansion (it may be a secret).
 * - Aliases resolve to their anchors; arbitrary JSON (principal claims) is read with a node budget, so
 *   an alias bomb cannot blow up.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from "yaml";
import {
  configOutOfRange,
  configWrongType,
  invalidConfigValue,
  malformedEnvironmentReference,
  unknownConfigKey,
  unsetEnvironmentVariable,
} from "../../diagnostics/catalog.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { span, type Span } from "../../source/source.js";

/** A key of a mapping and its value (the value node is undefined for `key:` with nothing after it). */
export interface Field {
  readonly key: Node;
  readonly value: Node | undefined;
  /** The dotted path of the value (`listen.port`, `upstreams[1].url`) for messages. */
  readonly where: string;
}

/** The most nodes arbitrary JSON (principal claims) may expand to, aliases included. */
const MAX_JSON_NODES = 10_000;
const MAX_ALIAS_DEPTH = 32;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ConfigReader {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  span(node: Node | Pair | null | undefined): Span {
    const r = node && "range" in node ? node.range : undefined;
    if (!r) return span(this.file, 0, 0);
    return span(this.file, r[0], r[1]);
  }

  /** The node an alias stands for (a few levels at most); other nodes as they are. */
  resolve(node: unknown): Node | undefined {
    let n = node;
    for (let i = 0; i < MAX_ALIAS_DEPTH && isAlias(n); i++) n = n.resolve(this.doc);
    if (isAlias(n)) return undefined;
    return (n ?? undefined) as Node | undefined;
  }

  isNull(node: Node | undefined): boolean {
    return node === undefined || (isScalar(node) && node.value === null);
  }

  /** A word for what a node holds, for "must be X, not Y". */
  describe(node: Node | undefined): string {
    const n = this.resolve(node);
    if (n === undefined || (isScalar(n) && n.value === null)) return "empty";
    if (isMap(n)) return "a mapping";
    if (isSeq(n)) return "a list";
    if (isScalar(n)) {
      const v = n.value;
      if (typeof v === "string") return "a string";
      if (typeof v === "number" || typeof v === "bigint") return "a number";
      if (typeof v === "boolean") return "a boolean";
    }
    return "a value of another kind";
  }

  /** The mapping at `node`, or a diagnostic. */
  map(node: Node | undefined, where: string, at?: Node): YAMLMap | undefined {
    const n = this.resolve(node);
    if (isMap(n)) return n;
    this.diagnostics.push(configWrongType(this.span(n ?? at), where, "a mapping of keys", this.describe(n)));
    return undefined;
  }

  /**
   * The fields of a mapping: each known key once (YAML itself refuses a key written twice); an unknown
   * key is E1003 with a suggestion. `base` is the dotted path of the mapping.
   */
  fields(map: YAMLMap, known: readonly string[], base: string, what: string): Map<string, Field> {
    const out = new Map<string, Field>();
    for (const pair of map.items) {
      const keyNode = this.resolve(pair.key);
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== "string") {
        this.diagnostics.push(configWrongType(this.span(keyNode), `${base || "the config"} key`, "a plain word", this.describe(keyNode)));
        continue;
      }
      if (!known.includes(key)) {
        this.diagnostics.push(unknownConfigKey(this.span(keyNode), key, what, known));
        continue;
      }
      const value = this.resolve(pair.value);
      out.set(key, { key: keyNode as Node, value: this.isNull(value) ? undefined : value, where: base ? `${base}.${key}` : key });
    }
    return out;
  }

  /** Entries of a free-form mapping (headers, env): each key a string, each value a string. */
  stringMap(f: Field, checkKey: (key: string, at: Node) => boolean): Record<string, string> | undefined {
    const map = this.map(f.value, f.where, f.key);
    if (!map) return undefined;
    const out: Record<string, string> = {};
    let ok = true;
    for (const pair of map.items) {
      const keyNode = this.resolve(pair.key);
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== "string") {
        this.diagnostics.push(configWrongType(this.span(keyNode), `${f.where} key`, "a string", this.describe(keyNode)));
        ok = false;
        continue;
      }
      if (!checkKey(key, keyNode as Node)) {
        ok = false;
        continue;
      }
      const value = this.string({ key: keyNode as Node, value: this.resolve(pair.value), where: `${f.where}.${key}` });
      if (value === undefined) ok = false;
      else out[key] = value;
    }
    return ok ? out : undefined;
  }

  /** A string value with `${ENV}` expanded. An empty value is refused unless `allowEmpty`. */
  string(f: Field, allowEmpty = false): string | undefined {
    const n = f.value;
    if (!isScalar(n) || typeof n.value !== "string") {
      this.diagnostics.push(configWrongType(this.span(n ?? f.key), f.where, "a string", this.describe(n)));
      return undefined;
    }
    const v = this.expand(n, n.value);
    if (v === undefined) return undefined;
    if (v === "" && !allowEmpty) {
      this.diagnostics.push(invalidConfigValue(this.span(n), f.where, n.value, "is empty"));
      return undefined;
    }
    return v;
  }

  /** A list of strings (a lone string is not a list). */
  strings(f: Field): string[] | undefined {
    return this.stringList(f)?.map((i) => i.value);
  }

  /** A list of strings with each item's node (for messages about one item). */
  stringList(f: Field): { value: string; node: Node }[] | undefined {
    const n = f.value;
    if (n === undefined) return [];
    if (!isSeq(n)) {
      this.diagnostics.push(configWrongType(this.span(n), f.where, "a list of strings", this.describe(n)));
      return undefined;
    }
    const out: { value: string; node: Node }[] = [];
    let ok = true;
    n.items.forEach((item, i) => {
      const node = this.resolve(item);
      const v = this.string({ key: f.key, value: node, where: `${f.where}[${i}]` });
      if (v === undefined || node === undefined) ok = false;
      else out.push({ value: v, node });
    });
    return ok ? out : undefined;
  }

  /** A whole number in [min, max]. */
  integer(f: Field, min: number, max: number = Number.MAX_SAFE_INTEGER): number | undefined {
    const n = f.value;
    let v: unknown = isScalar(n) ? n.value : undefined;
    if (isScalar(n) && typeof v === "string" && v.includes("${")) {
      const expanded = this.expand(n, v);
      if (expanded === undefined) return undefined;
      v = /^-?\d+$/.test(expanded) ? Number(expanded) : expanded;
    }
    if (typeof v !== "number") {
      this.diagnostics.push(configWrongType(this.span(n ?? f.key), f.where, "a number", this.describe(n)));
      return undefined;
    }
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      const rule = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
      this.diagnostics.push(configOutOfRange(this.span(n), f.where, rule));
      return undefined;
    }
    return v;
  }

  boolean(f: Field): boolean | undefined {
    const n = f.value;
    let v: unknown = isScalar(n) ? n.value : undefined;
    if (isScalar(n) && typeof v === "string" && v.includes("${")) {
      const expanded = this.expand(n, v);
      if (expanded === undefined) return undefined;
      v = expanded === "true" ? true : expanded === "false" ? false : expanded;
    }
    if (typeof v !== "boolean") {
      this.diagnostics.push(configWrongType(this.span(n ?? f.key), f.where, "`true` or `false`", this.describe(n)));
      return undefined;
    }
    return v;
  }

  /** One of a fixed set of words. */
  oneOf<T extends string>(f: Field, allowed: readonly T[]): T | undefined {
    const v = this.string(f);
    if (v === undefined) return undefined;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.diagnostics.push(invalidConfigValue(this.span(f.value), f.where, this.written(f.value), "is not one of the choices", allowed));
    return undefined;
  }

  /** The text of a scalar as written (before expansion), for messages. */
  written(node: Node | undefined): string {
    if (isScalar(node) && typeof node.value === "string") return node.value;
    const r = node?.range;
    return r ? this.text.slice(r[0], r[1]) : "";
  }

  /** Arbitrary JSON (principal claims): plain data only, within a node budget. */
  json(node: Node | undefined, where: string): unknown {
    let budget = MAX_JSON_NODES;
    const walk = (raw: unknown, path: string, depth: number): { ok: boolean; value: unknown } => {
      const n = this.resolve(raw);
      if (--budget < 0 || depth > 32) {
        this.diagnostics.push(configOutOfRange(this.span(n), path, `at most ${MAX_JSON_NODES} values, nested at most 32 deep`));
        return { ok: false, value: undefined };
      }
      if (n === undefined || (isScalar(n) && n.value === null)) return { ok: true, value: null };
      if (isScalar(n)) {
        const v = n.value;
        if (typeof v === "string") {
          const s = this.expand(n, v);
          return { ok: s !== undefined, value: s };
        }
        if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean") return { ok: true, value: v };
        this.diagnostics.push(configWrongType(this.span(n), path, "a string, a number, a boolean, a list or a mapping", this.describe(n)));
        return { ok: false, value: undefined };
      }
      if (isSeq(n)) {
        const items = n.items.map((item, i) => walk(item, `${path}[${i}]`, depth + 1));
        return { ok: items.every((i) => i.ok), value: items.map((i) => i.value) };
      }
      if (isMap(n)) {
        const out: Record<string, unknown> = {};
        let ok = true;
        for (const pair of n.items) {
          const k = this.resolve(pair.key);
          if (!isScalar(k) || typeof k.value !== "string") {
            this.diagnostics.push(configWrongType(this.span(k), `${path} key`, "a string", this.describe(k)));
            ok = false;
            continue;
          }
          const r = walk(pair.value, `${path}.${k.value}`, depth + 1);
          ok &&= r.ok;
          Object.defineProperty(out, k.value, { value: r.value, enumerable: true, writable: true, configurable: true });
        }
        return { ok, value: out };
      }
      this.diagnostics.push(configWrongType(this.span(n), path, "plain data", this.describe(n)));
      return { ok: false, value: undefined };
    };
    const r = walk(node, where, 0);
    return r.ok ? r.value : undefined;
  }

  /** `${NAME}` expanded in a scalar's value; undefined (with a diagnostic) when a reference is malformed or unset. */
  expand(node: Node, value: string): string | undefined {
    if (!value.includes("$")) return value;
    let out = "";
    let ok = true;
    let i = 0;
    while (i < value.length) {
      const at = value.indexOf("$", i);
      if (at < 0) {
        out += value.slice(i);
        break;
      }
      out += value.slice(i, at);
      if (value.startsWith("$${", at)) {
        out += "${";
        i = at + 3;
        continue;
      }
      if (value[at + 1] !== "{") {
        out += "$";
        i = at + 1;
        continue;
      }
      const close = value.indexOf("}", at + 2);
      const ref = close < 0 ? value.slice(at) : value.slice(at, close + 1);
      const name = close < 0 ? undefined : value.slice(at + 2, close);
      const where = this.refSpan(node, ref);
      if (name === undefined || !ENV_NAME.test(name)) {
        this.diagnostics.push(malformedEnvironmentReference(where, ref));
        ok = false;
        i = close < 0 ? value.length : close + 1;
        continue;
      }
      const v = Object.prototype.hasOwnProperty.call(this.env, name) ? this.env[name] : undefined;
      if (v === undefined) {
        this.diagnostics.push(unsetEnvironmentVariable(where, name));
        ok = false;
      } else out += v;
      i = close + 1;
    }
    return ok ? out : undefined;
  }

  /** The span of `${...}` inside a scalar's source text when it is written there as is, else the scalar's. */
  private refSpan(node: Node, ref: string): Span {
    const r = node.range;
    if (!r) return this.span(node);
    const at = this.text.slice(r[0], r[1]).indexOf(ref);
    return at < 0 ? this.span(node) : span(this.file, r[0] + at, r[0] + at + ref.length);
  }
}
