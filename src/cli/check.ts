/**
 * `mcppolicy check <file-or-dir>... [--format text|json] [--deny-warnings]`.
 * Compiles every policy named (directories searched recursively for *.mcppolicy) and reports all
 * diagnostics: rustc-style text ending with one summary line, or one JSON document. Every file is
 * checked even after one fails. Each file is named by its path as given (or joined under the
 * directory given), so diagnostics point where the user can open them.
 * Exit: 0 no errors (warnings too, with --deny-warnings), 1 otherwise, 2 usage error.
 */
import type { JsonDiagnostic } from "../diagnostics/render.js";
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs, UsageError } from "./args.js";
import { collectPolicyFiles, out, readTextFile } from "./io.js";

const COMMAND = "check";

export interface CheckReport {
  files: { file: string; diagnostics: JsonDiagnostic[] }[];
  errors: number;
  warnings: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(
    argv,
    [
      { name: "format", value: true, choices: ["text", "json"] },
      { name: "deny-warnings" },
      IMPORT_ROOT_FLAG,
    ],
    COMMAND,
  );
  const { flags, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError("check needs at least one file or directory", COMMAND);
  const format = flags.get("format") ?? "text";
  const denyWarnings = flags.get("deny-warnings") === true;

  // Resolve every argument before printing anything: a typo in the last path fails fast.
  const files = collectPolicyFiles(positionals, COMMAND);
  // The compiler is loaded only once the command line is known to be good: usage errors stay fast.
  const { checkPolicy } = await import("../check-policy.js");
  const report: CheckReport = { files: [], errors: 0, warnings: 0 };
  const rendered: string[] = [];
  for (const file of files) {
    const result = checkPolicy(readTextFile(file, COMMAND), { filename: file, ...importRootsOption(parsed) });
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    report.errors += errors;
    report.warnings += result.diagnostics.length - errors;
    if (format === "json") report.files.push({ file, diagnostics: result.toJSON() });
    else if (result.diagnostics.length > 0) rendered.push(result.render().trimEnd());
  }

  if (format === "json") {
    out(JSON.stringify(report, null, 2));
  } else {
    const summary = `checked ${plural(files.length, "file")}: ${plural(report.errors, "error")}, ${plural(report.warnings, "warning")}`;
    const note = denyWarnings && report.warnings > 0 ? " (warnings denied)" : "";
    out([...rendered, summary + note].join("\n\n"));
  }
  return report.errors > 0 || (denyWarnings && report.warnings > 0) ? EXIT.errors : EXIT.ok;
}
