/**
 * Hash-consing of lowered conditions, rule target lists and tool blocks' `args` types (issue 16: memory
 * per role). Rules that write the same condition (`client.ip in corp_nets`, `"write" in principal.scopes`,
 * `client.tls` in a thousand roles) share one frozen IR node, rules that name the same patterns share one
 * frozen array, and tool blocks that declare the same `args` share one deep-frozen type.
 * Guarantees: an interned value is structurally equal to the one given (same fields, same order, same
 * values: children, arrays and plain objects compared structurally, Sets and lowered sets by identity); every node
 * and array it returns is frozen, so no stage can change a node another rule shares. Conditions carry
 * no spans (a rule's span is on the rule), so sharing loses nothing. The tables live for one compile.
 */
import type { IrExpr, IrPattern } from "../ir/ir.js";
import type { Symbols } from "./scope.js";

/** One compile's tables: nodes and pattern lists by structural key, and an id per object compared by identity. */
export interface Interner {
  readonly nodes: Map<string, IrExpr>;
  readonly lists: Map<string, readonly IrPattern[]>;
  readonly ids: Map<object, number>;
  /** Keys of arrays and plain objects already keyed (a set of many items is read once per compile). */
  readonly keys: Map<object, string>;
  /** Plain data (a tool block's lowered `args` type) by structural key. */
  readonly data: Map<string, object>;
}

function tables(sym: Symbols): Interner {
  return (sym.interner ??= { nodes: new Map(), lists: new Map(), ids: new Map(), keys: new Map(), data: new Map() });
}

function idOf(t: Interner, o: object): string {
  let id = t.ids.get(o);
  if (id === undefined) t.ids.set(o, (id = t.ids.size));
  return `#${id}`;
}

const isNode = (v: unknown): v is IrExpr => typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as { k?: unknown }).k === "string";

/** A scalar's key part: its type and value (`1` and `"1"` differ). */
function scalarKey(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : typeof v === "undefined" ? "u" : `${typeof v}:${String(v)}`;
}

/**
 * The key of a value that is not a condition node: scalars by type and value, arrays and plain objects
 * (a typed path read's `byTool`, a path type) by their contents, anything else (a Set, a lowered set)
 * by identity. Nodes met inside are keyed by the node they intern to.
 */
function dataKey(t: Interner, v: unknown): string {
  if (typeof v !== "object" || v === null) return scalarKey(v);
  if (isNode(v)) return idOf(t, intern(t, v));
  if (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) return idOf(t, v);
  let key = t.keys.get(v);
  if (key !== undefined) return key;
  if (Array.isArray(v)) key = `[${v.map((x) => dataKey(t, x)).join(",")}]`;
  else {
    key = "{";
    for (const name in v) key += `${JSON.stringify(name)}:${dataKey(t, (v as Record<string, unknown>)[name])},`;
    key += "}";
  }
  t.keys.set(v, key);
  return key;
}

/** The condition `e`, or an equal node lowered before (frozen, with its children interned too). */
export function internExpr(sym: Symbols, e: IrExpr): IrExpr {
  return intern(tables(sym), e);
}

function intern(t: Interner, e: IrExpr): IrExpr {
  let key = "";
  let changed: Record<string, unknown> | undefined;
  const fields = e as unknown as Record<string, unknown>;
  for (const name in fields) {
    // `list.lookup` is a Set made from `values`: the values say it all.
    if (name === "lookup" && e.k === "list") continue;
    const v = fields[name];
    let part: string;
    if (isNode(v)) {
      const shared = intern(t, v);
      if (shared !== v) (changed ??= {})[name] = shared;
      part = idOf(t, shared);
    } else if (Array.isArray(v)) {
      let items: unknown[] | undefined;
      part = "[";
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        const y = isNode(x) ? intern(t, x) : x;
        if (y !== x) (items ??= v.slice())[i] = y;
        part += `${isNode(y) ? idOf(t, y) : dataKey(t, y)},`;
      }
      part += "]";
      if (items) (changed ??= {})[name] = Object.freeze(items);
      else if (!Object.isFrozen(v)) Object.freeze(v);
    } else part = dataKey(t, v);
    key += `${name}=${part};`;
  }
  const hit = t.nodes.get(key);
  if (hit) return hit;
  const node = Object.freeze(changed ? ({ ...e, ...changed } as IrExpr) : e);
  t.nodes.set(key, node);
  return node;
}

/** The rule's pattern list, or an equal list (the same pattern objects in the same order) made before; frozen. */
export function internPatterns(sym: Symbols, patterns: readonly IrPattern[]): readonly IrPattern[] {
  const t = tables(sym);
  const key = patterns.map((p) => idOf(t, p)).join(",");
  const hit = t.lists.get(key);
  if (hit) return hit;
  // A copy of exactly its length: the lowered list grew by push, with room for 17 (136 bytes).
  const list = Object.freeze(patterns.slice());
  t.lists.set(key, list);
  return list;
}

/**
 * Plain data (a tool block's lowered `args` type: plain objects, arrays, scalars; anything else is
 * compared by identity), or a structurally equal value given before: the fifty tool blocks of the scale
 * policy that declare the same `args` share one (issue 16). The value returned is deep-frozen (plain
 * objects and arrays; a Set or another object inside is left as it is).
 */
export function internData<T extends object>(sym: Symbols, v: T): T {
  const t = tables(sym);
  const key = dataKey(t, v);
  const hit = t.data.get(key);
  if (hit) return hit as T;
  deepFreeze(v);
  t.data.set(key, v);
  return v;
}

function deepFreeze(v: unknown): void {
  if (typeof v !== "object" || v === null || Object.isFrozen(v)) return;
  if (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

/**
 * A plain object of exactly these fields, in this order. A literal built with conditional spreads
 * (`...(x && { x })`) gets room for about ten fields from V8 (a 7-field rule took 104 bytes, not 80);
 * JSON.parse allocates an object of exactly its fields, whose values are then set in place. The
 * names are the IR's own field names, never policy text.
 */
export function exactRecord<T>(fields: readonly (readonly [string, unknown])[]): T {
  const o = JSON.parse(`{${fields.map(([name]) => `${JSON.stringify(name)}:0`).join(",")}}`) as Record<string, unknown>;
  for (const [name, value] of fields) o[name] = value;
  return o as T;
}
