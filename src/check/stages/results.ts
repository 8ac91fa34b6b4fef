/**
 * Stage `results` (issue 14): lowers the `result of ... { ... }` blocks. Their conditions may read
 * `result` (the only place it is readable, E0451 elsewhere); `carries` and `redact` name detectors
 * (E0450); a cap is a whole number of bytes within LIMITS (E0452). A result deny is named by its name or
 * `result/N` (N counts result denies across the policy, in source order, imports first).
 * Guarantees: one IR block per declaration, in order; labels, redactions and denies in source order.
 */
import type * as A from "../../ast/nodes.js";
import type { IrExpr, IrResultBlock } from "../../ir/ir.js";
import { isDetectorName, DETECTOR_NAMES } from "../../builtins/detect/index.js";
import { invalidResultCap, unknownDetector } from "../../diagnostics/catalog.js";
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
  const labels: { label: string; when?: IrExpr }[] = [];
  const redact: string[] = [];
  const denies: { id: string; when?: IrExpr; because?: string }[] = [];
  let capBytes: number | undefined;
  for (const it of b.items) {
    switch (it.kind) {
      case "label": {
        const when = cond(it.when);
        labels.push({ label: it.label.text, ...(when && { when }) });
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
