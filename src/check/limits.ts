/**
 * Limits (called by the `roles`, `tools` and `policy-limits` stages). Checks `limit ...` declarations
 * (kind, amounts, window, key, fail mode, source of a cost) and lowers them to budget IR with stable
 * ids (`PREFIX/limit/N`, N counting every declaration, broken ones too). The runtime that enforces
 * them is separate.
 */
import type * as A from "../ast/nodes.js";
import { invalidLimit } from "../diagnostics/catalog.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { BudgetKey, BudgetKind, BudgetWindow, IrBudget } from "../ir/ir.js";
import type { Symbols } from "./scope.js";

const KINDS: BudgetKind[] = ["rate", "tokens", "calls", "cost"];
const KEYS: BudgetKey[] = ["principal", "session", "client", "role", "tool"];
const WINDOWS: BudgetWindow[] = ["second", "minute", "hour", "day", "session"];

export function lowerLimit(sym: Symbols, l: A.LimitDecl, id: string, scope: IrBudget["scope"]): IrBudget | undefined {
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
  const key = (l.key?.text ?? (kind === "rate" ? "principal" : "session")) as BudgetKey;
  if (l.key && !KEYS.includes(key)) fail(l.key.span, `unknown limit key \`${l.key.text}\``, didYouMean(l.key.text, KEYS) ?? `use one of ${KEYS.map((k) => `\`${k}\``).join(", ")}`);
  const window = (l.window?.text ?? "session") as BudgetWindow;
  if (l.window && !WINDOWS.includes(window)) fail(l.window.span, `unknown window \`${l.window.text}\``, didYouMean(l.window.text, WINDOWS) ?? `use one of ${WINDOWS.map((w) => `\`${w}\``).join(", ")}`);
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
      if (!l.window || window === "session") fail(l.window?.span ?? l.span, "a rate limit needs a window", "add `per second`, `per minute`, `per hour` or `per day`");
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
    else if (l.from.root !== "args" || l.from.segments.length === 0) fail(l.from.span, "a cost comes `from` an argument", "write e.g. `from args.amount`");
  }
  if (!ok) return undefined;
  const b: IrBudget = {
    id,
    kind,
    scope,
    window: kind === "rate" ? window : window,
    key,
    failOpen: l.failMode?.text === "open",
    ...(l.amount && { amount: l.amount.value }),
    ...(amounts.input !== undefined && { input: amounts.input }),
    ...(amounts.output !== undefined && { output: amounts.output }),
    ...(amounts.total !== undefined && { total: amounts.total }),
    ...(l.burst && { burst: l.burst.value }),
    ...(l.from && { from: l.from.segments }),
  };
  return b;
}

/** A block's limits, in order; a broken one is reported and left out (its number is not reused). */
export function lowerLimits(sym: Symbols, limits: readonly A.LimitDecl[], prefix: string, scope: IrBudget["scope"]): IrBudget[] {
  const out: IrBudget[] = [];
  limits.forEach((l, i) => {
    const b = lowerLimit(sym, l, `${prefix}/limit/${i + 1}`, scope);
    if (b) out.push(b);
  });
  return out;
}
