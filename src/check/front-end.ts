/**
 * The front end: load (parse + imports) -> check (the named stages of stages.ts) -> IR; policy.ts
 * builds the evaluators from it. The check runs only when loading found no error; diagnostics of both
 * are returned together, sorted, at most MAX_REPORTED_ERRORS errors.
 */
import { capDiagnostics, hasErrors, sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import { tooManyErrors } from "../diagnostics/catalog.js";
import { checkPolicyFiles } from "./check.js";
import type { CheckOptions } from "./scope.js";
import type { IrPolicy } from "../ir/ir.js";
import type { SourceFile } from "../source/source.js";
import { loadPolicy, policyReader, type ReadFile } from "../syntax/load.js";

export interface FrontEndResult {
  ir: IrPolicy | undefined;
  diagnostics: Diagnostic[];
  sources: SourceFile[];
}

/** More errors than this are not reported: past it they are noise (a binary file, a wrong language). */
export const MAX_REPORTED_ERRORS = 100;

const cap = (diags: Diagnostic[]) => capDiagnostics(sortDiagnostics(diags), MAX_REPORTED_ERRORS, (at, shown) => tooManyErrors(at.span, shown));

/**
 * `importRoots`: where the files the policy names (imports, JSON Schema files) may lie; by default the
 * directory of `filename` (see files.ts).
 */
export function runFrontEnd(
  text: string,
  filename: string,
  readFile: ReadFile | undefined,
  options: CheckOptions = {},
  importRoots?: readonly unknown[],
): FrontEndResult {
  const loaded = loadPolicy(text, filename, readFile, importRoots);
  if (hasErrors(loaded.diagnostics) || loaded.asts.length === 0) {
    return { ir: undefined, diagnostics: cap(loaded.diagnostics), sources: loaded.sources };
  }
  const reader = policyReader(filename, readFile, importRoots);
  const read = "read" in reader ? reader.read : undefined;
  const checked = checkPolicyFiles(loaded.asts, { ...options, ...(read && { readFile: read }) });
  return { ir: checked.ir, diagnostics: cap([...loaded.diagnostics, ...checked.diagnostics]), sources: loaded.sources };
}
