/**
 * Limits (called by the `roles`, `tools` and `policy-limits` stages). Checks `limit ...` declarations
 * (kind, amounts, window, keys, fail mode, source of a cost) and lowers them to budget IR with stable
 * ids (`PREFIX/limit/N`, N counting every declaration, broken ones too). The runtime that enforces
 * them is separate.
 * Guarantees: every key part names a named key or an attribute of the registry (contract/attributes.ts)
 * that can hold a string or a number (E0303, E0304); in a tool block, an `args.X` key is typed against
 * the block's closed `args` (E0305); windows are whole numbers of a known unit (E0111, E0306).
 */
import type * as A from "../ast/nodes.js";
import { budgetKeyNoArgument, invalidBudgetWindow, invalidLimit, nonScalarBudgetKey, repeatedBudgetKey, unknownBudgetKey } from "../diagnostics/catalog.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { BudgetKey, BudgetKeyPart, BudgetKind, BudgetWindow, IrBudget, IrType } from "../ir/ir.js";
import { ATTRIBUTE_PATHS, ATTRIBUTES, type AttrRoot, type AttributeRow } from "../contract/attributes.js";
import { exactRecord } from "./intern.js";
import type { Symbols } from "./scope.js";

const KINDS: BudgetKind[] = ["rate", "tokens", "calls", "cost"];
const KEYS: BudgetKey[] = ["principal", "session", "client", "role", "tool", "server"];
const WINDOWS: BudgetWindow[] = ["second", "minute", "hour", "day", "week", "session"];
/** Plural spellings of the units (`per 5 minutes`); the IR holds the singular. */
const PLURAL: Readonly<Record<string, BudgetWindow>> = { seconds: "second", minutes: "minute", hours: "hour", days: "day", weeks: "week", sessions: "session" };
const UNIT_MS: Readonly<Record<Exclude<BudgetWindow, "session">, number>> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };
/** The longest window: a year and a day (a counter's key lives for its window). */
export const MAX_WINDOW_MS = 366 * 86_400_000;

const rowOf = (key: string): AttributeRow<AttrRoot> | undefined => (Object.prototype.hasOwnProperty.call(ATTRIBUTES, key) ? ATTRIBUTES[key as AttrRoot] : undefined);

/** The context a limit is declared in: a tool block passes its name and `args` type, to type `args.X` keys. */
export interface LimitContext {
  readonly tool?: { readonly name: string; readonly args?: IrType };
}

/** One key part, resolved: a named key, or an attribute of the registry; undefined (reported) otherwise. */
function lowerKey(sym: Symbols, k: A.LimitKey, ctx: LimitContext): BudgetKeyPart | undefined {
  const d = sym.diagnostics;
  const text = [k.root.text, ...k.segments].join(".");
  if (k.segments.length === 0) {
    if (KEYS.includes(k.root.text as BudgetKey)) return { k: "named", name: k.root.text as BudgetKey };
    // A bare word that is no key (E0111, as before): `by clinet`, `by tenant`.
    d.push(invalidLimit(k.span, `unknown limit key \`${k.root.text}\``, didYouMean(k.root.text, KEYS) ?? `use one of ${KEYS.map((x) => `\`${x}\``).join(", ")}, or an attribute path such as \`principal.claims.tenant\``));
    return undefined;
  }
  // Longest match of root.segment against the registry; open rows take the rest as a free path.
  for (let n = 1; n >= 0; n--) {
    const row = rowOf([k.root.text, ...k.segments.slice(0, n)].join("."));
    if (!row) continue;
    const rest = k.segments.slice(n);
    if (rest.length > 0 && !row.open) break;
    if (row.open && rest.length === 0) break; // `by args`, `by principal.claims`: an object, never a key
    if (row.type === "boolean" || row.type === "strings") {
      d.push(nonScalarBudgetKey(k.span, text, row.type === "boolean" ? "a boolean" : "a list of strings"));
      return undefined;
    }
    if (row.path === "args" && ctx.tool?.args && !argKeyOk(sym, k, text, rest, ctx.tool.name, ctx.tool.args)) return undefined;
    return { k: "attr", root: row.path, path: rest, text };
  }
  // Candidates: the named keys, the attribute paths, and each open row followed by the rest of what was written.
  const written = text.split(".");
  d.push(unknownBudgetKey(k.span, text, [...KEYS, ...ATTRIBUTE_PATHS.map((p) => (rowOf(p)!.open ? [p, ...written.slice(p.split(".").length)].join(".") : p))]));
  return undefined;
}

/** `by args.X` in a tool block with a closed `args` object: X must be declared, and hold a string or a number. */
function argKeyOk(sym: Symbols, k: A.LimitKey, text: string, path: readonly string[], tool: string, args: IrType): boolean {
  let t: IrType = args;
  for (const seg of path) {
    if (t.t !== "object") return true; // not followed: the value is checked when the call comes
    const f = t.fields.find((x) => x.name === seg);
    if (!f) {
      if (t.open) return true;
      sym.diagnostics.push(budgetKeyNoArgument(k.span, text, tool, t.fields.map((x) => `args.${x.name}`)));
      return false;
    }
    t = f.type;
  }
  const what =
    t.t === "object" ? "an object"
    : t.t === "array" ? "a list"
    : t.t === "boolean" ? "a boolean"
    : t.t === "enum" && t.values.every((v) => typeof v === "boolean") ? "a boolean"
    : undefined;
  if (what) {
    sym.diagnostics.push(nonScalarBudgetKey(k.span, text, `typed as ${what} in tool \`${tool}\``));
    return false;
  }
  return true;
}

export function lowerLimit(sym: Symbols, l: A.LimitDecl, id: string, scope: IrBudget["scope"], ctx: LimitContext = {}): IrBudget | undefined {
  const d = sym.diagnostics;
  const kind = l.limitKind.text as BudgetKind;
  if (!KINDS.includes(kind)) {
    d.push(invalidLimit(l.limitKind.span, `unknown limit kind \`${l.limitKind.text}\``, didYouMean(l.limitKind.text, KINDS) ?? "use `rate`, `tokens`, `calls` or `cost`"));
    return undefined;
  }
  let ok = true;
  const fail = (span: A.Name["span"], msg: string, hint?: string) => {
    d.push(invalidLimit(span, msg, hint));
    ok = false;
  };
  const keys: BudgetKeyPart[] = [];
  const seenKeys = new Set<string>();
  for (const k of l.keys ?? []) {
    const part = lowerKey(sym, k, ctx);
    if (!part) {
      ok = false;
      continue;
    }
    const canon = part.k === "named" ? part.name : JSON.stringify([part.root, ...part.path]);
    if (seenKeys.has(canon)) {
      d.push(repeatedBudgetKey(k.span, [k.root.text, ...k.segments].join(".")));
      ok = false;
      continue;
    }
    seenKeys.add(canon);
    keys.push(part);
  }
  if (!l.keys) keys.push({ k: "named", name: kind === "rate" ? "principal" : "session" });
  const unitText = l.window?.text ?? "session";
  const window = (PLURAL[unitText] ?? unitText) as BudgetWindow;
  if (l.window && !WINDOWS.includes(window)) fail(l.window.span, `unknown window \`${l.window.text}\``, didYouMean(l.window.text, [...WINDOWS, ...Object.keys(PLURAL)]) ?? `use one of ${WINDOWS.map((w) => `\`${w}\``).join(", ")}`);
  const count = l.windowCount?.value;
  if (l.windowCount && WINDOWS.includes(window)) {
    if (window === "session") {
      d.push(invalidBudgetWindow(l.windowCount.span, "a session window takes no number", "write `per session`"));
      ok = false;
    }
    else if (!(count! >= 1) || !Number.isInteger(count)) {
      d.push(invalidBudgetWindow(l.windowCount.span, `a window is a whole number of ${window}s from 1 up; got ${l.windowCount.value}`, `write e.g. \`per 5 minutes\``));
      ok = false;
    } else if (count! * UNIT_MS[window] > MAX_WINDOW_MS) {
      d.push(invalidBudgetWindow(l.windowCount.span, `a window of ${count} ${window}s is longer than a year`, "use at most `per 366 days` (or `per 52 weeks`)"));
      ok = false;
    }
  }
  if (l.failMode && l.failMode.text !== "open" && l.failMode.text !== "closed") fail(l.failMode.span, `unknown fail mode \`${l.failMode.text}\``, "write `fail open` or `fail closed`");

  const amounts: Record<string, number> = {};
  for (const n of l.namedAmounts) {
    if (kind !== "tokens" || !["input", "output", "total"].includes(n.name.text)) {
      fail(n.name.span, `\`${n.name.text}\` is not part of a \`${kind}\` limit`, kind === "tokens" ? "use `input`, `output` or `total`" : undefined);
    } else amounts[n.name.text] = n.value;
  }
  const positive = (v: number | undefined, span: A.Name["span"], what: string, whole: boolean) => {
    if (v === undefined) return;
    if (!(v > 0) || (whole && !Number.isInteger(v))) fail(span, `${what} must be ${whole ? "a whole number " : ""}above 0`);
  };
  switch (kind) {
    case "rate":
      if (!l.amount) fail(l.span, "a rate limit needs a number of calls", "write e.g. `limit rate 60 per minute`");
      if (!l.window || window === "session") fail(l.window?.span ?? l.span, "a rate limit needs a window", "add `per second`, `per minute`, `per hour`, `per day` or `per week` (or `per 5 minutes`)");
      positive(l.amount?.value, l.amount?.span ?? l.span, "the rate", true);
      positive(l.burst?.value, l.burst?.span ?? l.span, "the burst", true);
      break;
    case "tokens":
      if (l.amount) fail(l.amount.span, "a token limit names its amounts", "write `limit tokens input N output N` or `total N`");
      if (Object.keys(amounts).length === 0 && !l.amount) fail(l.span, "a token limit needs `input`, `output` or `total`");
      for (const n of l.namedAmounts) positive(n.value, n.span, `the ${n.name.text} tokens`, true);
      break;
    case "calls":
      if (!l.amount) fail(l.span, "a calls limit needs a number", "write e.g. `limit calls 5 by session`");
      positive(l.amount?.value, l.amount?.span ?? l.span, "the number of calls", true);
      break;
    case "cost":
      if (!l.amount) fail(l.span, "a cost limit needs an amount", "write e.g. `limit cost 50 per day by principal`");
      positive(l.amount?.value, l.amount?.span ?? l.span, "the cost", false);
      break;
  }
  if (kind !== "rate" && l.burst) fail(l.burst.span, "only a rate limit has a burst");
  if (l.from) {
    if (kind !== "cost") fail(l.from.span, "only a cost limit takes `from`");
    else if (l.from.calls) fail(l.from.span, "a cost comes `from` an argument", "write e.g. `from args.amount`");
    else if (l.from.root !== "args" || l.from.segments.length === 0) fail(l.from.span, "a cost comes `from` an argument", "write e.g. `from args.amount`");
  }
  if (!ok) return undefined;
  // Fields in the order the spread literal gave them; an object of exactly these fields (intern.ts: the
  // literal took 128 bytes for 7 fields, not 80; issue 16).
  const b = exactRecord<IrBudget>([
    ["id", id],
    // The module's literals, not the parser's copies (one string each instead of one per limit).
    ["kind", KINDS[KINDS.indexOf(kind)]!],
    ["scope", scope],
    ["window", WINDOWS[WINDOWS.indexOf(window)]!],
    ...(count !== undefined && count !== 1 && window !== "session" ? [["windowCount", count] as const] : []),
    // An exact-size copy: the list grew by push, with room for 17 (152 bytes for one key; issue 16).
    ["keys", keys.slice()],
    ["failOpen", l.failMode?.text === "open"],
    ...(l.amount ? [["amount", l.amount.value] as const] : []),
    ...(amounts.input !== undefined ? [["input", amounts.input] as const] : []),
    ...(amounts.output !== undefined ? [["output", amounts.output] as const] : []),
    ...(amounts.total !== undefined ? [["total", amounts.total] as const] : []),
    ...(l.burst ? [["burst", l.burst.value] as const] : []),
    ...(l.from ? [["from", l.from.segments] as const] : []),
  ]);
  return b;
}

/** A block's limits, in order; a broken one is reported and left out (its number is not reused). */
export function lowerLimits(sym: Symbols, limits: readonly A.LimitDecl[], prefix: string, scope: IrBudget["scope"], ctx: LimitContext = {}): IrBudget[] {
  const out: IrBudget[] = [];
  limits.forEach((l, i) => {
    const b = lowerLimit(sym, l, `${prefix}/limit/${i + 1}`, scope, ctx);
    if (b) out.push(b);
  });
  // An exact-size list (pushed, it had room for 17: 152 bytes for one limit; issue 16).
  return out.slice();
}
