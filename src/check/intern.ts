/**
 * Hash-consing of lowered conditions and rule target lists (issue 16: memory per role). Rules that write
 * the same condition (`client.ip in corp_nets`, `"write" in principal.scopes`, `client.tls` in a thousand
 * roles) share one frozen IR node, and rules that name the same patterns share one frozen array.
 * Guarantees: an interned value is structurally equal to the one given (same fields, same order, same
 * values: children compared structurally, sets, set matchers and path types by identity); every node
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
}

function tables(sym: Symbols): Interner {
  return (sym.interner ??= { nodes: new Map(), lists: new Map(), ids: new Map() });
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

/** The condition `e`, or an equal node lowered before (frozen, with its children interned too). */
export function internExpr(sym: Symbols, e: IrExpr): IrExpr {
  return intern(tables(sym), e);
}

function intern(t: Interner, e: IrExpr): IrExpr {
  let key = "";
  let changed: Record<string, unknown> | undefined;
  for (const [name, v] of Object.entries(e)) {
    // `list.lookup` is a Set made from `values`: the values say it all.
    if (name === "lookup" && e.k === "list") continue;
    let part: string;
    if (isNode(v)) {
      const shared = intern(t, v);
      if (shared !== v) (changed ??= {})[name] = shared;
      part = idOf(t, shared);
    } else if (Array.isArray(v)) {
      const items: unknown[] = v.map((x) => (isNode(x) ? intern(t, x) : x));
      if (items.some((x, i) => x !== v[i])) (changed ??= {})[name] = Object.freeze(items);
      else if (!Object.isFrozen(v)) Object.freeze(v);
      part = `[${items.map((x) => (typeof x === "object" && x !== null ? idOf(t, x) : scalarKey(x))).join(",")}]`;
    } else part = typeof v === "object" && v !== null ? idOf(t, v) : scalarKey(v);
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
