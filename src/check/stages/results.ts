/**
 * Stage `results` (issue 14): lowers the `result of ... { ... }` blocks. Their conditions may read
 * `result` (the only place it is readable, E0451 elsewhere); `carries` and `redact` name detectors
 * (E0450); a cap is a whole number of bytes within LIMITS (E0452). A result deny is named by its name or
 * `result/N` (N counts result denies across the policy, in source order, imports first).
 * Guarantees: one IR block per declaration, in order; labels, redactions and denies in source order.
 */
import type * as A from "../../ast/nodes.js";
import { ITEM_KEY, type IrExpr, type IrFieldSelection, type IrResultBlock } from "../../ir/ir.js";
import { isDetectorName, DETECTOR_NAMES } from "../../builtins/detect/index.js";
import { invalidFieldLabel, invalidResultCap, unknownDetector } from "../../diagnostics/catalog.js";
import { LIMITS } from "../../source/limits.js";
import { lowerResultCondition } from "../expressions.js";
import { lowerPatterns } from "../patterns.js";
import type { Symbols } from "../scope.js";
import { defineStage } from "../state.js";

export const resultsStage = defineStage({
  name: "results",
  needs: ["declarations", "sets"],
  produces: ["results"],
  input: "any",
  run({ sym, declarations }) {
    let denies = 0;
    const results = declarations.results.map((b) => {
      const block = lowerBlock(sym, b, () => `result/${++denies}`);
      return block;
    });
    return { results };
  },
});

function lowerBlock(sym: Symbols, b: A.ResultDecl, nextId: () => string): IrResultBlock {
  const asRule: A.RuleDecl = { kind: "rule", effect: "deny", target: b.target, patterns: b.patterns, span: b.span };
  const patterns = lowerPatterns(sym, asRule);
  const cond = (e: A.Expr | undefined): IrExpr | undefined => (e === undefined ? undefined : lowerResultCondition(sym, e).ir);
  const labels: { label: string; when?: IrExpr; field?: IrFieldSelection }[] = [];
  const redact: string[] = [];
  const denies: { id: string; when?: IrExpr; because?: string }[] = [];
  let capBytes: number | undefined;
  for (const it of b.items) {
    switch (it.kind) {
      case "label": {
        const when = cond(it.when);
        const field = it.field === undefined ? undefined : lowerField(sym, it.field);
        if (it.field !== undefined && field === undefined) break;
        labels.push({ label: it.label.text, ...(when && { when }), ...(field && { field }) });
        break;
      }
      case "redact":
        for (const d of it.detectors) {
          if (!isDetectorName(d.text)) sym.diagnostics.push(unknownDetector(d.span, d.text, DETECTOR_NAMES));
          else if (!redact.includes(d.text)) redact.push(d.text);
        }
        break;
      case "cap":
        if (!Number.isSafeInteger(it.bytes) || it.bytes < 1 || it.bytes > LIMITS.maxResultCapBytes) sym.diagnostics.push(invalidResultCap(it.span, LIMITS.maxResultCapBytes));
        else capBytes = capBytes === undefined ? it.bytes : Math.min(capBytes, it.bytes);
        break;
      case "deny": {
        const when = cond(it.when);
        denies.push({ id: it.name?.text ?? nextId(), ...(when && { when }), ...(it.because !== undefined && { because: it.because }) });
        break;
      }
    }
  }
  const when = cond(b.when);
  return { target: b.target, patterns, ...(when && { when }), labels, redact, ...(capBytes !== undefined && { capBytes }), denies, span: b.span };
}

const FIELD_HINT = "write `label L on item.FIELD for item in result.structured.LIST [where item.x == ...]`, or `label L on result.structured.PATH`";

/**
 * A field label's selection (E0454 when malformed): paths into `result` (the collection, or the value
 * without `for`), the element named `item`, the value's path from the element, `where` only with `for`.
 * The `where` is lowered as a result condition with `item.x` read as `result[ITEM_KEY].x`.
 */
function lowerField(sym: Symbols, f: A.FieldSelection): IrFieldSelection | undefined {
  const show = (p: A.PathExpr) => [p.root, ...p.segments].join(".");
  const plain = (p: A.PathExpr): boolean => p.calls === undefined || p.calls.length === 0;
  if (f.each === undefined) {
    if (f.where !== undefined) {
      sym.diagnostics.push(invalidFieldLabel(f.where.span, "`where` selects elements of a list: it needs `for item in ...`", FIELD_HINT));
      return undefined;
    }
    if (f.path.root !== "result" || f.path.segments.length === 0 || !plain(f.path)) {
      sym.diagnostics.push(invalidFieldLabel(f.path.span, `a field label marks values of the result: \`${show(f.path)}\` is not a path into \`result\``, FIELD_HINT));
      return undefined;
    }
    return { path: f.path.segments, text: show(f.path) };
  }
  const { item, collection } = f.each;
  if (item.text !== "item") {
    sym.diagnostics.push(invalidFieldLabel(item.span, `the element of a field label is named \`item\`, not \`${item.text}\``, FIELD_HINT));
    return undefined;
  }
  if (collection.root !== "result" || collection.segments.length === 0 || !plain(collection)) {
    sym.diagnostics.push(invalidFieldLabel(collection.span, `a field label visits a list in the result: \`${show(collection)}\` is not a path into \`result\``, FIELD_HINT));
    return undefined;
  }
  if (f.path.root !== "item" || !plain(f.path)) {
    sym.diagnostics.push(invalidFieldLabel(f.path.span, `the marked value is read from the element: write \`item.FIELD\`, not \`${show(f.path)}\``, FIELD_HINT));
    return undefined;
  }
  let where: IrExpr | undefined;
  if (f.where !== undefined) {
    where = lowerResultCondition(sym, asResultPaths(f.where) as A.Expr).ir;
    where = itemTexts(where) as IrExpr;
  }
  const text = `on ${show(f.path)} for item in ${show(collection)}`;
  return { each: collection.segments, path: f.path.segments, ...(where && { where }), text };
}

/** The expression with every path rooted at `item` read as `result[ITEM_KEY]...` (a copy). */
function asResultPaths(e: unknown): unknown {
  if (Array.isArray(e)) return e.map(asResultPaths);
  if (e === null || typeof e !== "object") return e;
  const o = e as Record<string, unknown>;
  if (o.kind === "path" && o.root === "item" && Array.isArray(o.segments)) {
    return { ...o, root: "result", segments: [ITEM_KEY, ...(o.segments as string[])], calls: (o.calls as A.PathCall[] | undefined)?.map((c) => ({ ...c, at: c.at + 1 })) };
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[k] = k === "span" ? o[k] : asResultPaths(o[k]);
  return out;
}

/** The lowered condition with the display text of element reads given back as `item.x` (a copy). */
function itemTexts(e: unknown): unknown {
  if (Array.isArray(e)) return e.map(itemTexts);
  if (e === null || typeof e !== "object") return e;
  const proto = Object.getPrototypeOf(e) as unknown;
  if (proto !== Object.prototype && proto !== null) return e; // compiled values (sets, patterns, tries) stay as they are
  const o = e as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = o[k];
    out[k] = k === "text" && typeof v === "string" && v.startsWith(`result.${ITEM_KEY}`) ? `item${v.slice(`result.${ITEM_KEY}`.length)}` : k === "span" ? v : itemTexts(v);
  }
  return out;
}
