/**
 * `mcppolicy test [file-or-dir...] [--format text|json|junit] [--min-coverage N]`.
 * Runs policy test files (`*.test.yaml`, see src/policytest/load.ts for the format): every case is
 * decided by the compiled function and the interpreter, compared with its expectation, and the rules
 * no case exercised are reported. Directories (default: the current one) are searched recursively.
 * GUARANTEES: a mistake in a test file (YAML, an unknown key, a rule the policy does not declare) is
 * `mcppolicy: file:line:col: message` on stderr, exit 2, and no case runs; a policy that does not
 * compile has its diagnostics rendered on stderr and fails its files (exit 1).
 * Exit: 0 every case passed (and coverage reached --min-coverage), 1 otherwise, 2 usage or test-file error.
 */
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs, UsageError } from "./args.js";
import { collectFiles, err, out } from "./io.js";

const COMMAND = "test";
const SUFFIXES = [".test.yaml", ".test.yml"];

function minCoverage(value: string | true | undefined): number | undefined {
  if (value === undefined || value === true) return undefined;
  const n = Number(value.endsWith("%") ? value.slice(0, -1) : value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new UsageError(`invalid value '${value}' for '--min-coverage': expected a percentage from 0 to 100`, COMMAND);
  }
  return n;
}

export async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(
    argv,
    [
      { name: "format", value: true, choices: ["text", "json", "junit"] },
      { name: "min-coverage", value: true },
      IMPORT_ROOT_FLAG,
    ],
    COMMAND,
  );
  const { flags, positionals } = parsed;
  const format = flags.get("format") ?? "text";
  const min = minCoverage(flags.get("min-coverage"));
  const files = collectFiles(positionals.length > 0 ? positionals : ["."], SUFFIXES, COMMAND);
  const policy = files.find((f) => f.endsWith(".mcppolicy"));
  if (policy !== undefined) {
    throw new UsageError(`'${policy}' is a policy, not a test file: pass its test file (${policy.replace(/\.mcppolicy$/, ".test.yaml")}) or a directory`, COMMAND);
  }
  // The compiler is loaded only once the command line is known to be good: usage errors stay fast.
  const { runPolicyTests, formatError, formatJson, formatJunit, formatText } = await import("../policytest/index.js");
  const report = runPolicyTests(files, { ...(min !== undefined && { minCoverage: min }), ...importRootsOption(parsed) });
  for (const f of report.files) {
    if (f.compileError) {
      err(f.compileError.rendered.trimEnd());
      err(`mcppolicy: '${f.policy}' does not compile; the cases of '${f.file}' were not run`);
    }
  }
  if (report.errors.length > 0) {
    for (const e of report.errors) err(`mcppolicy: ${formatError(e)}`);
    err(`mcppolicy: ${report.errors.length} error${report.errors.length === 1 ? "" : "s"} in test files; no case was run`);
    return EXIT.usage;
  }
  out(format === "json" ? formatJson(report) : format === "junit" ? formatJunit(report) : formatText(report));
  return report.ok ? EXIT.ok : EXIT.errors;
}
