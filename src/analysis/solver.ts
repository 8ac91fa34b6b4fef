/**
 * Can a condition ever be true? A small, sound satisfiability check: the condition is expanded into a
 * disjunction of conjunctions of atoms (each atom wanted true or false), and a conjunction is refuted
 * when its atoms contradict each other on one attribute: `x == "a" and x == "b"`, `x == "a" and x != "a"`,
 * `x in ["a"] and x not in ["a"]`, `n > 5 and n < 3`, `x == "a" and x matches "b*"`, a string compared
 * with a number, `not has x` with a read of `x`, `"s" in principal.scopes and not "s" in principal.scopes`.
 * With a tool's `args` type, it also knows what valid arguments look like (enum values, number bounds,
 * types, required and undeclared fields of a closed block).
 * GUARANTEE: `mayHold` returns false only when no request (agreeing with the known part of `env`, and
 * with arguments that pass `args` when given) makes the condition evaluate to true. It answers true
 * whenever it is unsure (an expansion over MAX_CLAUSES conjunctions, atoms it does not model).
 */
import type { AttrRoot, IrExpr, IrField, IrType, Scalar } from "../ir/ir.js";
import { readAttr } from "../eval/request.js";
import { globTest, regexTest } from "../ir/match.js";
import { ATTRIBUTE_ROWS, ATTRIBUTES } from "../contract/attributes.js";
import { attrsOf, E, F, isGround, groundOut, T, type Env } from "./abstract.js";
import { expandDefault } from "./defaults.js";

const MAX_CLAUSES = 256;

interface Lit {
  readonly e: IrExpr;
  readonly want: boolean;
}

/** Roots that read a default when absent (or are always present): `has` says nothing about a read of them. */
const DEFAULTED = new Set<AttrRoot>(ATTRIBUTE_ROWS.filter((r) => r.default !== undefined || r.alwaysPresent).map((r) => r.path));

/** Known ranges of the whole-number attributes (the time's parts), from their registry domains. */
const RANGE: Partial<Record<AttrRoot, [number, number]>> = Object.fromEntries(
  ATTRIBUTE_ROWS.flatMap((r) => (r.domain.kind === "range" ? [[r.path, [r.domain.lo, r.domain.hi]]] : [])),
);

/**
 * One key per attribute read; a zoned time (`time.in("Europe/Berlin").hour`) is its own attribute (a
 * sound over-approximation: its tie to `time.hour` is not modelled).
 */
export function attrKey(a: { root: AttrRoot; path: readonly string[]; zone?: string }): string {
  if (a.zone !== undefined) return `${a.root}@${a.zone}`;
  return a.path.length === 0 ? a.root : `${a.root}\u0000${a.path.join("\u0000")}`;
}

/** The disjunctive normal form of `e` wanted true (or false), relaxed where errors would matter; null when too large. */
function dnf(e: IrExpr, want: boolean): Lit[][] | null {
  if (e.k === "not") return dnf(e.e, !want);
  if (e.k === "and" || e.k === "or") {
    const parts: Lit[][][] = [];
    for (const x of e.es) {
      const p = dnf(x, want);
      if (!p) return null;
      parts.push(p);
    }
    // `and` true / `or` false: every operand must; `and` false / `or` true: some operand must.
    if ((e.k === "and") === want) {
      let acc: Lit[][] = [[]];
      for (const p of parts) {
        acc = acc.flatMap((c) => p.map((d) => [...c, ...d]));
        if (acc.length > MAX_CLAUSES) return null;
      }
      return acc;
    }
    const all = parts.flat();
    return all.length > MAX_CLAUSES ? null : all;
  }
  // `a ?? d` in an atom: its two cases (present: a's value; absent: the default).
  const spelt = expandDefault(e);
  if (spelt) return dnf(spelt, want);
  return [[{ e, want }]];
}

type Kind = "string" | "number" | "boolean" | "list";

interface KeyState {
  root: AttrRoot;
  path: readonly string[];
  types: Set<Kind>;
  present?: boolean;
  reads: boolean;
  eq: Scalar[];
  ne: Scalar[];
  inLists: Scalar[][];
  notIn: Scalar[];
  lo?: { v: number; strict: boolean };
  hi?: { v: number; strict: boolean };
  integer: boolean;
  globs: { test: (s: string) => boolean; want: boolean }[];
  contains: Scalar[];
  notContains: Scalar[];
  /** Memberships in named sets: `x in corp` (true) and `x not in corp` (false) cannot both hold. */
  sets: Map<string, boolean>;
}

class Clause {
  readonly keys = new Map<string, KeyState>();
  contradiction = false;

  state(a: { root: AttrRoot; path: readonly string[] }): KeyState {
    const key = attrKey(a);
    let s = this.keys.get(key);
    if (!s) {
      s = { root: a.root, path: a.path, types: new Set(), reads: false, eq: [], ne: [], inLists: [], notIn: [], integer: false, globs: [], contains: [], notContains: [], sets: new Map() };
      this.keys.set(key, s);
    }
    return s;
  }

  bound(s: KeyState, op: "lt" | "le" | "gt" | "ge", v: number): void {
    s.types.add("number");
    if (op === "gt" || op === "ge") {
      const b = { v, strict: op === "gt" };
      if (!s.lo || v > s.lo.v || (v === s.lo.v && b.strict)) s.lo = b;
    } else {
      const b = { v, strict: op === "lt" };
      if (!s.hi || v < s.hi.v || (v === s.hi.v && b.strict)) s.hi = b;
    }
  }
}

const typeOf = (v: Scalar): Kind => (typeof v === "string" ? "string" : typeof v === "number" ? "number" : "boolean");
const FLIP = { lt: "gt", le: "ge", gt: "lt", ge: "le" } as const;
const NEGATE = { lt: "ge", le: "gt", gt: "le", ge: "lt" } as const;

function asAttr(e: IrExpr): (IrExpr & { k: "attr" }) | undefined {
  return e.k === "attr" ? e : undefined;
}

/** Record one atom's constraint; returns false when the atom alone cannot have the wanted value. */
function record(c: Clause, lit: Lit, env: Env): boolean {
  const { e, want } = lit;
  if (isGround(e, env)) return (groundOut(e, env.req) & (want ? T : F)) !== 0;
  // An atom that is true or false has read every attribute in it without error: all are present.
  const reads = (x: IrExpr) => {
    for (const a of attrsOf(x)) if (a.k === "attr" && !env.known(a.root)) c.state(a).reads = true;
  };
  switch (e.k) {
    case "has": {
      if (DEFAULTED.has(e.root)) return true;
      const s = c.state(e);
      if (s.present !== undefined && s.present !== want) return false;
      s.present = want;
      return true;
    }
    case "attr": {
      const s = c.state(e);
      s.reads = true;
      s.types.add("boolean");
      s.eq.push(want);
      return true;
    }
    case "eq":
    case "ne": {
      reads(e);
      const [a, v] = asAttr(e.l) && e.r.k === "lit" ? [asAttr(e.l)!, e.r.value] : asAttr(e.r) && e.l.k === "lit" ? [asAttr(e.r)!, e.l.value] : [undefined, undefined];
      if (!a || v === undefined) return true;
      const s = c.state(a);
      s.types.add(typeOf(v));
      ((e.k === "eq") === want ? s.eq : s.ne).push(v);
      return true;
    }
    case "lt":
    case "le":
    case "gt":
    case "ge": {
      reads(e);
      let op: "lt" | "le" | "gt" | "ge" = e.k;
      let a = asAttr(e.l);
      let v: unknown = e.r.k === "lit" ? e.r.value : undefined;
      if (!a && asAttr(e.r) && e.l.k === "lit") {
        a = asAttr(e.r);
        v = e.l.value;
        op = FLIP[op];
      }
      if (a) c.state(a).types.add("number");
      if (!a || typeof v !== "number") return true;
      c.bound(c.state(a), want ? op : NEGATE[op], v);
      return true;
    }
    case "in":
    case "contains": {
      reads(e);
      const member = e.k === "contains" ? want : !e.negate === want;
      const [container, item] = e.k === "contains" ? [e.l, e.r] : [e.r, e.l];
      const ca = asAttr(container);
      if (ca && item.k === "lit") {
        const s = c.state(ca);
        // `contains` takes a string (substring) or a list on the left; only a non-string item rules the string out.
        if (typeof item.value !== "string") s.types.add("list");
        (member ? s.contains : s.notContains).push(item.value);
        return true;
      }
      const ia = asAttr(item);
      if (ia && container.k === "list") {
        const s = c.state(ia);
        if (member) s.inLists.push([...container.values]);
        else s.notIn.push(...container.values);
      }
      return true;
    }
    case "inSet":
    case "matches":
    case "regex": {
      reads(e);
      const a = asAttr(e.l);
      if (!a) return true;
      const s = c.state(a);
      s.types.add("string");
      if (e.k === "matches") {
        s.globs.push({ test: globTest(e), want });
        return true;
      }
      if (e.k === "regex") {
        s.globs.push({ test: regexTest(e), want });
        return true;
      }
      const member = !e.negate === want;
      if (s.sets.get(e.set.name) === !member) return false;
      s.sets.set(e.set.name, member);
      if (e.set.kind === "string") (member ? s.inLists.push([...e.set.set]) : s.notIn.push(...e.set.set));
      return true;
    }
    default:
      return true;
  }
}

/** What valid arguments say about `args.PATH`: forbidden (undeclared in a closed block), or its type and whether it is required. */
function argsFact(args: IrType, path: readonly string[]): { forbidden: true } | { forbidden: false; type?: IrType; required: boolean } {
  let t: IrType | undefined = args;
  let required = true;
  for (const seg of path) {
    if (!t || t.t !== "object") return { forbidden: false, required: false };
    const f: IrField | undefined = t.fields.find((x) => x.name === seg);
    if (!f) return t.open ? { forbidden: false, required: false } : { forbidden: true };
    required &&= !f.optional;
    t = f.type;
  }
  return { forbidden: false, type: t, required };
}

function applyArgs(s: KeyState, args: IrType): boolean {
  const fact = argsFact(args, s.path);
  if (fact.forbidden) return !s.reads && s.present !== true;
  if (fact.required && s.present === false) return false;
  const t = fact.type;
  if (!t) return true;
  switch (t.t) {
    case "string":
      s.types.add("string");
      break;
    case "check":
      s.types.add("string");
      break;
    case "boolean":
      s.types.add("boolean");
      break;
    case "number":
    case "integer":
      if (s.reads) {
        s.types.add("number");
        if (t.min !== undefined) s.lo = !s.lo || t.min > s.lo.v ? { v: t.min, strict: false } : s.lo;
        if (t.max !== undefined) s.hi = !s.hi || t.max < s.hi.v ? { v: t.max, strict: false } : s.hi;
        s.integer ||= t.t === "integer";
      }
      break;
    case "enum":
      if (s.reads) s.inLists.push([...t.values]);
      break;
    case "array":
      s.types.add("list");
      break;
    default:
      break;
  }
  return true;
}

function inBounds(s: KeyState, v: number): boolean {
  if (s.lo && (v < s.lo.v || (s.lo.strict && v === s.lo.v))) return false;
  if (s.hi && (v > s.hi.v || (s.hi.strict && v === s.hi.v))) return false;
  return !s.integer || Number.isInteger(v);
}

/** Whether a scalar can be the value of the key under every constraint recorded for it. */
function admits(s: KeyState, v: Scalar): boolean {
  const kinds = [...s.types];
  if (kinds.length > 0 && !kinds.includes(typeOf(v))) return false;
  if (s.ne.includes(v) || s.notIn.includes(v)) return false;
  if (!s.inLists.every((l) => l.includes(v))) return false;
  if (typeof v === "number" && !inBounds(s, v)) return false;
  if (s.globs.length > 0 && (typeof v !== "string" || !s.globs.every((g) => g.test(v) === g.want))) return false;
  return true;
}

function consistent(s: KeyState, args: IrType | undefined): boolean {
  const range = RANGE[s.root];
  if (range) {
    s.integer = true;
    if (!s.lo || range[0] > s.lo.v) s.lo = { v: range[0], strict: false };
    if (!s.hi || range[1] < s.hi.v) s.hi = { v: range[1], strict: false };
  }
  if (args && s.root === "args" && !applyArgs(s, args)) return false;
  if (s.present === false && s.reads && !DEFAULTED.has(s.root)) return false;
  if (s.types.size > 1) return false;
  if (s.contains.some((v) => s.notContains.includes(v))) return false;
  if (s.eq.length > 0) {
    const v = s.eq[0]!;
    return s.eq.every((x) => x === v) && admits(s, v);
  }
  if (s.inLists.length > 0) {
    const first = s.inLists[0]!;
    if (!first.some((v) => admits(s, v))) return false;
  }
  if (s.lo && s.hi) {
    if (s.lo.v > s.hi.v || (s.lo.v === s.hi.v && (s.lo.strict || s.hi.strict))) return false;
    if (s.integer) {
      const lo = s.lo.strict ? Math.floor(s.lo.v) + 1 : Math.ceil(s.lo.v);
      const hi = s.hi.strict ? Math.ceil(s.hi.v) - 1 : Math.floor(s.hi.v);
      if (lo > hi) return false;
    }
  }
  return true;
}

export interface SolveOptions {
  /** Known attribute roots and their values; others are free. */
  readonly env?: Env;
  /** The tool's `args` type: only arguments that pass it are considered. */
  readonly args?: IrType;
}

const NOTHING_KNOWN: Env = { req: {}, known: () => false };

/** Whether some request can make `e` evaluate to true (sound: false means never). */
export function mayHold(e: IrExpr, opts: SolveOptions = {}): boolean {
  const clauses = dnf(e, true);
  if (!clauses) return true;
  const env = opts.env ?? NOTHING_KNOWN;
  return clauses.some((lits) => {
    const c = new Clause();
    for (const lit of lits) if (!record(c, lit, env)) return false;
    for (const s of c.keys.values()) if (!consistent(s, opts.args)) return false;
    return true;
  });
}

/** `when` true and `unless` false, as one expression (for rules). */
export function ruleCondition(when: IrExpr | undefined, unless: IrExpr | undefined): IrExpr {
  const es: IrExpr[] = [];
  if (when) es.push(when);
  if (unless) es.push({ k: "not", e: unless });
  return es.length === 0 ? { k: "lit", value: true } : es.length === 1 ? es[0]! : { k: "and", es };
}

type StaticType = "string" | "number" | "boolean" | "list" | "scalar";

/** The type an attribute read surely has, without error, for valid arguments; undefined when it may err. */
function safeType(a: IrExpr & { k: "attr" }, env: Env, args: IrType | undefined, present: ReadonlySet<string>): StaticType | undefined {
  if (env.known(a.root)) {
    try {
      const v = readAttr(env.req, a.root, a.path, a.text, a.zone);
      if (Array.isArray(v)) return "list";
      return typeof v === "string" ? "string" : typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : undefined;
    } catch {
      return undefined;
    }
  }
  // Rows that never err on a valid request (scopes; the time's parts: a request whose `time` is not a
  // valid time is refused before any condition, grammar/README.md, step 1).
  const row = ATTRIBUTES[a.root];
  if (row.neverErrs && a.path.length === 0) {
    if (row.type === "strings") return "list";
    if (row.type === "number" || row.type === "string" || row.type === "boolean") return row.type;
  }
  if (a.root !== "args" || !args) return undefined;
  const fact = argsFact(args, a.path);
  if (fact.forbidden || !fact.type || (!fact.required && !present.has(attrKey(a)))) return undefined;
  const t = fact.type;
  switch (t.t) {
    case "string":
    case "check":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "enum": {
      const kinds = new Set(t.values.map((v) => typeof v));
      return kinds.size === 1 ? ([...kinds][0] as StaticType) : "scalar";
    }
    case "array":
      return "list";
    default:
      return undefined;
  }
}

function operandType(e: IrExpr, env: Env, args: IrType | undefined, present: ReadonlySet<string>): StaticType | undefined {
  if (e.k === "lit") return typeof e.value as StaticType;
  if (e.k === "list") return "list";
  if (e.k === "attr") return safeType(e, env, args, present);
  return undefined;
}

const scalarLike = (t: StaticType | undefined) => t === "string" || t === "number" || t === "boolean" || t === "scalar";

/**
 * Whether evaluating `e` can raise an evaluation error (sound: false only when it surely cannot, for
 * requests agreeing with `env`, with arguments that pass `args`, and for which every `assume`d
 * condition is true). Inside `and`, a `has X` that held makes later reads of X safe; an operand that
 * the ones before it surely short-circuit is never evaluated.
 */
export function mayErr(e: IrExpr, opts: SolveOptions = {}, assume: readonly IrExpr[] = [], present: ReadonlySet<string> = new Set()): boolean {
  const env = opts.env ?? NOTHING_KNOWN;
  if (isGround(e, env)) return groundOut(e, env.req) === E;
  const ty = (x: IrExpr) => operandType(x, env, opts.args, present);
  switch (e.k) {
    case "has":
      return false;
    case "not":
      return mayErr(e.e, opts, assume, present);
    case "and":
    case "or": {
      const seen = new Set(present);
      const reached = [...assume];
      for (const x of e.es) {
        if (reached.length > 0 && !mayHold({ k: "and", es: reached }, opts)) return false;
        if (mayErr(x, opts, reached, seen)) return true;
        if (e.k === "and" && x.k === "has") seen.add(attrKey(x));
        reached.push(e.k === "and" ? x : { k: "not", e: x });
      }
      return false;
    }
    case "attr":
      return ty(e) !== "boolean";
    case "eq":
    case "ne": {
      const l = ty(e.l);
      return !(l !== undefined && l === ty(e.r) && l !== "list" && l !== "scalar");
    }
    case "lt":
    case "le":
    case "gt":
    case "ge":
      return !(ty(e.l) === "number" && ty(e.r) === "number");
    case "in":
      return !(scalarLike(ty(e.l)) && ty(e.r) === "list");
    case "contains":
      return !((ty(e.l) === "list" && scalarLike(ty(e.r))) || (ty(e.l) === "string" && ty(e.r) === "string"));
    case "inSet":
      return !(ty(e.l) === "string" && e.set.kind !== "cidr");
    case "matches":
    case "regex":
      return ty(e.l) !== "string";
    default:
      return true;
  }
}
