/**
 * The checker's driver: runs THE stage list (stages.ts) over the merged declarations of a policy and
 * its imports, threading one explicit state (state.ts) from stage to stage. Returns the IR only when
 * no error was found; `runStages` can also stop after a named stage, for tools that need the
 * declarations or sets of a policy without lowering all of it.
 */
import type * as A from "../ast/nodes.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { IrPolicy } from "../ir/ir.js";
import { newSymbols, type CheckOptions } from "./scope.js";
import { STAGES, type StageName } from "./stages.js";
import type { AnyStage, CheckState, ProductName, Products, StageInput } from "./state.js";

export interface CheckResult {
  ir: IrPolicy | undefined;
  diagnostics: Diagnostic[];
}

export interface RunOptions {
  /** Stop after this stage (its products and the earlier ones' are returned). */
  stopAfter?: StageName;
}

export interface StagesResult {
  /** The products of every stage that ran. */
  products: Partial<Products>;
  /** In the order they were reported (unsorted). */
  diagnostics: Diagnostic[];
  /** The names of the stages that ran, in order. */
  ran: StageName[];
}

const errorCount = (diags: readonly Diagnostic[]) => diags.reduce((n, d) => (d.severity === "error" ? n + 1 : n), 0);

/** `files[0]` is the main file; the rest are its imports, in the order they were merged. */
export function runStages(files: readonly A.PolicyFileAst[], options: CheckOptions = {}, run: RunOptions = {}): StagesResult {
  const sym = newSymbols(options);
  const main = files[0];
  const ran: StageName[] = [];
  if (!main) return { products: {}, diagnostics: sym.diagnostics, ran };
  const state: CheckState = { files, main, sym, products: {} };
  const stages: readonly AnyStage[] = STAGES;
  for (const stage of stages) {
    const errorsBefore = errorCount(sym.diagnostics);
    if (stage.input === "error-free" && errorsBefore > 0) break;
    const input = { ...state.products, files, main, sym };
    for (const need of stage.needs) {
      // Unreachable while the list is ordered (test/check-stages.test.ts): fail loudly, never lower half.
      if (!(need in input)) throw new Error(`checker stage \`${stage.name}\` needs \`${need}\`, which no earlier stage produced`);
    }
    Object.assign(state.products, stage.run(input as StageInput<ProductName>));
    ran.push(stage.name as StageName);
    if (stage.haltsOnError && errorCount(sym.diagnostics) > errorsBefore) break;
    if (stage.name === run.stopAfter) break;
  }
  return { products: state.products, diagnostics: sym.diagnostics, ran };
}

/** The whole check: every stage, then the IR when no error was found. */
export function checkPolicyFiles(files: readonly A.PolicyFileAst[], options: CheckOptions = {}): CheckResult {
  const r = runStages(files, options);
  const failed = r.diagnostics.some((d) => d.severity === "error");
  return { ir: failed ? undefined : r.products.ir, diagnostics: r.diagnostics };
}
