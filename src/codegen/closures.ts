/**
 * Closure compilation of conditions and argument types: each IR node becomes a JS closure once, at
 * compile time, so evaluation does no tree walking and no dispatch on node kinds. No source text is
 * generated and nothing is passed to `eval`/`new Function`, so hosts that forbid them can use it.
 * Semantics are those of `eval/interpreter.ts` and `eval/args.ts`, through the shared operators.
 * Hot path (issue 16): an attribute read is the row's `bind`, its keys fixed at compile time; a
 * comparison with a literal tests the one type that can succeed inline and hands every other value to
 * the shared operator, so its errors are the operator's own; a boolean-valued node is not re-checked by
 * `asBool`; `and`/`or` of two operands are two call sites. All of it so that V8 can inline a rule's
 * condition, read included, into the rule loop (bench/conditions.mjs measures it per shape).
 */
import type { IrExpr, IrType } from "../ir/ir.js";
import { readsArgs } from "../ir/queries.js";
import { constraintCheck, globTest, regexTest, setMatcher, stringPattern } from "../ir/match.js";
import { codePointLength, compileJsonSchemaCheck } from "../builtins/registry.js";
import { asBool, opContains, opEquals, opInList, opInSet, opMatches, opOrder } from "../eval/operators.js";
import { EvalError } from "../contract/errors.js";
import { defaultPresence, describeValue, zonedReader } from "../eval/request.js";
import { anyPathArgHolds, anyPathArgSees, evalPathRead } from "../eval/paths.js";
import { opCarries, opDerives } from "../eval/session-ops.js";
import { readEvent } from "../eval/history.js";
import { compileHistory } from "./history.js";
import type { Tri } from "../eval/interpreter.js";
import { ATTRIBUTES, type AttrRoot, type PolicyRequest } from "../contract/index.js";

export type Fn = (req: PolicyRequest) => unknown;
export type Pred = (req: PolicyRequest) => boolean;

export function compileExpr(e: IrExpr): Fn {
  switch (e.k) {
    case "lit": {
      const v = e.value;
      return () => v;
    }
    case "list": {
      const v = e.values;
      return () => v;
    }
    case "attr": {
      // The row's reader is fetched here, once, not looked up on every call.
      const { path, text } = e;
      // A zoned read (`time.in("Europe/Berlin").hour`) gets its reader, and so its formatter, here too.
      // A zone the platform does not know (an IR the checker did not make) errs on each call: it denies.
      if (e.zone !== undefined) {
        let zoned: ReturnType<typeof zonedReader>;
        try {
          zoned = zonedReader(e.root, e.zone);
        } catch (err) {
          return () => {
            throw err;
          };
        }
        return (req) => zoned(req, path, text);
      }
      return ATTRIBUTES[e.root].bind(path, text);
    }
    case "has": {
      return ATTRIBUTES[e.root].bindHas(e.path);
    }
    case "not": {
      const f = compileBool(e.e, "the operand of `not`");
      return (req) => !f(req);
    }
    case "and": {
      const fs = e.es.map((x) => compileBool(x, "an operand of `and`"));
      // Two operands (the common case): two call sites, each seeing one kind of operand, not one loop's.
      if (fs.length === 2) {
        const [a, b] = fs as [Pred, Pred];
        return (req) => a(req) && b(req);
      }
      return (req) => {
        for (let i = 0; i < fs.length; i++) if (!fs[i]!(req)) return false;
        return true;
      };
    }
    case "or": {
      const fs = e.es.map((x) => compileBool(x, "an operand of `or`"));
      if (fs.length === 2) {
        const [a, b] = fs as [Pred, Pred];
        return (req) => a(req) || b(req);
      }
      return (req) => {
        for (let i = 0; i < fs.length; i++) if (fs[i]!(req)) return true;
        return false;
      };
    }
    case "eq":
    case "ne": {
      const l = compileExpr(e.l);
      const neg = e.k === "ne";
      // `attr == "literal"`, the common shape: the literal's own type is tested inline; any other value
      // (another type, NaN, a list) goes to opEquals, which throws its EvalError.
      if (e.r.k === "lit") return equalsLiteral(l, e.r.value, neg);
      const r = compileExpr(e.r);
      return (req) => opEquals(l(req), r(req)) !== neg;
    }
    case "lt":
    case "le":
    case "gt":
    case "ge": {
      const l = compileExpr(e.l);
      // `args.x > 1000`: a number, not NaN, is compared inline; anything else goes to opOrder (its error).
      if (e.r.k === "lit" && typeof e.r.value === "number" && e.r.value === e.r.value) return orderLiteral(e.k, l, e.r.value);
      const r = compileExpr(e.r);
      // `1000 < args.x`: the same, mirrored (opOrder still gets the operands in the written order).
      if (e.l.k === "lit" && typeof e.l.value === "number" && e.l.value === e.l.value) return literalOrder(e.k, e.l.value, r);
      const op = e.k;
      return (req) => opOrder(op, l(req), r(req));
    }
    case "in": {
      const l = compileExpr(e.l);
      const neg = e.negate;
      if (e.r.k === "list") {
        const lookup = e.r.lookup;
        return (req) => {
          const v = l(req);
          if ((typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") || v !== v) throw new EvalError(`cannot look up ${describeValue(v)} in a list`);
          return lookup.has(v) !== neg;
        };
      }
      const r = compileExpr(e.r);
      return (req) => opInList(l(req), r(req)) !== neg;
    }
    case "inSet": {
      const l = compileExpr(e.l);
      const set = setMatcher(e.set);
      const negate = e.negate;
      return (req) => opInSet(l(req), set) !== negate;
    }
    case "contains": {
      const l = compileExpr(e.l);
      // `args.path contains ".."`: a string is searched inline; anything else goes to opContains.
      if (e.r.k === "lit" && typeof e.r.value === "string") {
        const needle = e.r.value;
        return (req) => {
          const v = l(req);
          return typeof v === "string" ? v.includes(needle) : opContains(v, needle);
        };
      }
      const r = compileExpr(e.r);
      return (req) => opContains(l(req), r(req));
    }
    case "matches": {
      const l = compileExpr(e.l);
      const test = globTest(e);
      return (req) => opMatches(l(req), test);
    }
    case "default": {
      // The row's reader and presence test, fetched once; the default is a literal or a list.
      const { path, text } = e.e;
      const row = ATTRIBUTES[e.e.root];
      const read = row.bind(path, text);
      // An open row's presence is its `has` (defaultPresence), here fixed to the path.
      const has = row.open ? row.bindHas(path) : boundDefaultPresence(e.e.root, path);
      const d = compileExpr(e.d);
      return (req) => (has(req) ? read(req) : d(req));
    }
    case "regex": {
      const l = compileExpr(e.l);
      const test = regexTest(e);
      return (req) => opMatches(l(req), test);
    }
    case "pathRead": {
      const l = compileExpr(e.l);
      return (req) => evalPathRead(e, l(req), req);
    }
    case "anyPathArg":
      return (req) => anyPathArgHolds(e, req);
    case "carries": {
      const l = compileExpr(e.l);
      const detector = e.detector;
      return (req) => opCarries(l(req), detector);
    }
    case "derives": {
      const l = compileExpr(e.l);
      const label = e.label;
      return (req) => opDerives(req, l(req), label);
    }
    case "history":
      return compileHistory(e, compilePred, compileExpr); // codegen/history.ts: indexed once per history array
    case "event":
      return () => readEvent(e);
  }
}

export function compilePred(e: IrExpr): Pred {
  return compileBool(e, "the condition");
}

/**
 * The kinds whose closure (above) can only return a boolean: `has` (the row's `bindHas`) and those that
 * end in `!`, `!==`, a comparison, a loop returning true/false, or a shared operator typed `boolean`.
 * Their result needs no `asBool`.
 */
const BOOLEAN_KINDS: ReadonlySet<IrExpr["k"]> = new Set<IrExpr["k"]>(["has", "not", "and", "or", "eq", "ne", "lt", "le", "gt", "ge", "in", "inSet", "contains", "matches", "regex"]);

/** `e` as a predicate; a value that is not a boolean is `what is ..., not a boolean` (asBool's EvalError). */
function compileBool(e: IrExpr, what: string): Pred {
  const f = compileExpr(e);
  // A history `after` / `no` / `previous` answers a boolean too (codegen/history.ts).
  if (BOOLEAN_KINDS.has(e.k) || (e.k === "history" && (e.op === "after" || e.op === "no" || e.op === "previous"))) return f as Pred;
  return (req) => asBool(f(req), what);
}

/** `??`'s presence test of a row without a free path (defaultPresence), with the path fixed. */
function boundDefaultPresence(root: AttrRoot, path: readonly string[]): Pred {
  const has = defaultPresence(root);
  return (req) => has(req, path);
}

/** `l == lit` (or `!=` when `neg`); one closure per literal type, so each call site sees one shape. */
function equalsLiteral(l: Fn, lit: unknown, neg: boolean): Pred {
  if (typeof lit === "string") {
    return (req) => {
      const v = l(req);
      return typeof v === "string" ? (v === lit) !== neg : opEquals(v, lit) !== neg;
    };
  }
  if (typeof lit === "number" && lit === lit) {
    return (req) => {
      const v = l(req);
      return typeof v === "number" && v === v ? (v === lit) !== neg : opEquals(v, lit) !== neg;
    };
  }
  if (typeof lit === "boolean") {
    return (req) => {
      const v = l(req);
      return typeof v === "boolean" ? (v === lit) !== neg : opEquals(v, lit) !== neg;
    };
  }
  return (req) => opEquals(l(req), lit) !== neg;
}

/** `n op r` for a number literal `n` (not NaN); one closure per operator. */
function literalOrder(op: "lt" | "le" | "gt" | "ge", n: number, r: Fn): Pred {
  switch (op) {
    case "lt":
      return (req) => {
        const v = r(req);
        return typeof v === "number" && v === v ? n < v : opOrder(op, n, v);
      };
    case "le":
      return (req) => {
        const v = r(req);
        return typeof v === "number" && v === v ? n <= v : opOrder(op, n, v);
      };
    case "gt":
      return (req) => {
        const v = r(req);
        return typeof v === "number" && v === v ? n > v : opOrder(op, n, v);
      };
    case "ge":
      return (req) => {
        const v = r(req);
        return typeof v === "number" && v === v ? n >= v : opOrder(op, n, v);
      };
  }
}

/** `l op n` for a number literal `n` (not NaN); one closure per operator. */
function orderLiteral(op: "lt" | "le" | "gt" | "ge", l: Fn, n: number): Pred {
  switch (op) {
    case "lt":
      return (req) => {
        const v = l(req);
        return typeof v === "number" && v === v ? v < n : opOrder(op, v, n);
      };
    case "le":
      return (req) => {
        const v = l(req);
        return typeof v === "number" && v === v ? v <= n : opOrder(op, v, n);
      };
    case "gt":
      return (req) => {
        const v = l(req);
        return typeof v === "number" && v === v ? v > n : opOrder(op, v, n);
      };
    case "ge":
      return (req) => {
        const v = l(req);
        return typeof v === "number" && v === v ? v >= n : opOrder(op, v, n);
      };
  }
}


/** Three-valued form for tools/list, where arguments are unknown. */
export function compileTri(e: IrExpr): (req: PolicyRequest) => Tri {
  if (e.k === "not") {
    const f = compileTri(e.e);
    return (req) => {
      const v = f(req);
      return typeof v === "boolean" ? !v : v;
    };
  }
  if (e.k === "and" || e.k === "or") {
    const fs = e.es.map(compileTri);
    const stop = e.k === "or";
    return (req) => {
      let unknown = false;
      for (const f of fs) {
        const v = f(req);
        if (v === "error") return unknown ? "unknown" : "error";
        if (v === "unknown") unknown = true;
        else if (v === stop) return stop;
      }
      return unknown ? "unknown" : !stop;
    };
  }
  if (e.k === "anyPathArg") {
    const node = e;
    return (req) => (anyPathArgSees(node, req) ? "unknown" : false);
  }
  if (readsArgs(e)) return () => "unknown";
  const p = compilePred(e);
  return (req) => {
    try {
      return p(req);
    } catch (err) {
      if (err instanceof EvalError) return "error";
      throw err;
    }
  };
}

// ---- argument types ----
export type Check = (v: unknown) => string | null;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const isString = (v: unknown): boolean => typeof v === "string";
const isFiniteNumber = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
const isBoolean = (v: unknown): boolean => typeof v === "boolean";

/**
 * A test every value `compileType(t)` accepts passes, for the kinds whose check refuses a value failing it
 * at its first step, reading nothing of it (the union's skip); undefined for the others.
 */
function typeGuard(t: IrType): ((v: unknown) => boolean) | undefined {
  switch (t.t) {
    case "string":
      return isString;
    case "number":
    case "integer":
      return isFiniteNumber;
    case "boolean":
      return isBoolean;
    case "array":
      return Array.isArray;
    default:
      return undefined;
  }
}

export function compileType(t: IrType, path: string): Check {
  switch (t.t) {
    case "any": {
      const missing = `${path}: is missing`;
      return (v) => (v === undefined ? missing : null);
    }
    case "string": {
      const { minLength, maxLength, patternText } = t;
      const pattern = stringPattern(t);
      const hasLen = minLength !== undefined || maxLength !== undefined;
      // Fault messages that never change are built once, here, not per call.
      const short = `${path}: shorter than ${minLength} characters`;
      const long = `${path}: longer than ${maxLength} characters`;
      const mismatch = `${path}: does not match the pattern \`${patternText}\``;
      return (v) => {
        if (typeof v !== "string") return `${path}: expected a string, found ${describeValue(v)}`;
        if (hasLen) {
          const n = codePointLength(v);
          if (minLength !== undefined && n < minLength) return short;
          if (maxLength !== undefined && n > maxLength) return long;
        }
        if (pattern && !pattern(v)) return mismatch;
        return null;
      };
    }
    case "number":
    case "integer": {
      const { min, max } = t;
      const int = t.t === "integer";
      const name = t.t;
      const below = `${path}: below the minimum ${min}`;
      const above = `${path}: above the maximum ${max}`;
      return (v) => {
        if (typeof v !== "number" || !Number.isFinite(v)) return `${path}: expected a ${name}, found ${describeValue(v)}`;
        if (int && !Number.isInteger(v)) return `${path}: expected a whole number, found ${v}`;
        if (min !== undefined && v < min) return below;
        if (max !== undefined && v > max) return above;
        return null;
      };
    }
    case "boolean":
      return (v) => (typeof v === "boolean" ? null : `${path}: expected a boolean, found ${describeValue(v)}`);
    case "enum": {
      const values = new Set<unknown>(t.values);
      const msg = `${path}: must be one of ${t.values.map((x) => JSON.stringify(x)).join(", ")}`;
      return (v) => (values.has(v) ? null : msg);
    }
    case "array": {
      const placeholder = `${path}[]`;
      const item = compileType(t.item, placeholder);
      const { minItems, maxItems } = t;
      const few = `${path}: fewer than ${minItems} items`;
      const many = `${path}: more than ${maxItems} items`;
      return (v) => {
        if (!Array.isArray(v)) return `${path}: expected a list, found ${describeValue(v)}`;
        if (minItems !== undefined && v.length < minItems) return few;
        if (maxItems !== undefined && v.length > maxItems) return many;
        for (let i = 0; i < v.length; i++) {
          const f = item(v[i]);
          if (f !== null) return `${path}[${i}]` + f.slice(placeholder.length);
        }
        return null;
      };
    }
    case "object": {
      const fields = t.fields.map((f) => ({ name: f.name, optional: f.optional, check: compileType(f.type, `${path}.${f.name}`), missing: `${path}.${f.name}: is required` }));
      const known = new Set(t.fields.map((f) => f.name));
      const open = t.open;
      return (v) => {
        if (!isObject(v)) return `${path}: expected an object, found ${describeValue(v)}`;
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i]!;
          const x = Object.prototype.hasOwnProperty.call(v, f.name) ? v[f.name] : undefined;
          if (x === undefined) {
            if (f.optional) continue;
            return f.missing;
          }
          const fault = f.check(x);
          if (fault !== null) return fault;
        }
        if (!open) for (const key in v) if (!known.has(key) && Object.prototype.hasOwnProperty.call(v, key)) return `${path}.${key}: is not an allowed argument`;
        return null;
      };
    }
    case "union": {
      const ms = t.members.map((m) => compileType(m, path));
      // A member whose check starts with a `typeof` test the value fails is not called: its fault text
      // (built with describeValue) is only needed when no member accepts and it is the first to refuse,
      // and then it is built by calling it, with the same text as before. `string | number` over a
      // number no longer builds "expected a string, found number 5" to throw it away.
      const guards = t.members.map(typeGuard);
      const none = `${path}: matches no allowed type`;
      return (v) => {
        let first: string | null = null;
        let firstAt = -1;
        for (let i = 0; i < ms.length; i++) {
          const g = guards[i];
          if (g !== undefined && !g(v)) {
            if (firstAt < 0) firstAt = i;
            continue;
          }
          const f = ms[i]!(v);
          if (f === null) return null;
          if (firstAt < 0) {
            firstAt = i;
            first = f;
          }
        }
        if (firstAt < 0) return none;
        // The first refusal came from a skipped member: its check fails at its typeof test (no property read).
        return first ?? ms[firstAt]!(v);
      };
    }
    case "json": {
      const c = compileJsonSchemaCheck(t.schema, path);
      if ("error" in c) {
        const fault = `${path}: ${c.error}`;
        return () => fault;
      }
      return c.check;
    }
    case "check": {
      const check = constraintCheck(t);
      // A constraint's faults are mostly a few fixed texts: each, prefixed with the path, is kept
      // (bounded: a fault may quote the input; cleared when full, long ones never kept).
      const prefixed = new Map<string, string>();
      return (v) => {
        const f = check(v);
        if (f === null) return null;
        let m = prefixed.get(f);
        if (m === undefined) {
          m = `${path}: ${f}`;
          if (f.length <= 256) {
            if (prefixed.size >= 64) prefixed.clear();
            prefixed.set(f, m);
          }
        }
        return m;
      };
    }
  }
}
