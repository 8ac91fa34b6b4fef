/**
 * `mcppolicy import GUIDE.yaml [--out FILE.mcppolicy] [--name NAME] [--force]`: the hardening guide's YAML
 * tool policy as a `.mcppolicy` (authoring/import-guide.ts says what "equivalent" means) and, with --out, a
 * test file beside it (`FILE.test.yaml`) that holds the two to the same decisions.
 * GUARANTEES: nothing is written unless the input is valid and the policy it makes compiles without an error;
 * an existing file is never replaced without --force; each file is written whole (cli/io.ts writeFileWhole). Input
 * errors are reported as `FILE:LINE:COL: message` (exit 1); warnings (the guide's quirks kept) go to stderr.
 */
import * as nodePath from "node:path";
import { importGuidePolicy } from "../authoring/import-guide.js";
import { checkPolicy } from "../policy.js";
import { EXIT, parseArgs, UsageError } from "./args.js";
import { err, out, readTextFile, refuseExisting, writeFileWhole } from "./io.js";

const CMD = "import";

export function run(argv: readonly string[]): number {
  const parsed = parseArgs(argv, [{ name: "out", value: true }, { name: "name", value: true }, { name: "force" }], CMD);
  const [input, ...extra] = parsed.positionals;
  if (input === undefined) throw new UsageError("import needs the guide's YAML tool policy file", CMD);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, CMD);
  const outFile = parsed.flags.get("out");
  if (outFile === true) throw new UsageError("--out needs a file name", CMD);
  if (typeof outFile === "string" && !outFile.endsWith(".mcppolicy")) throw new UsageError(`--out '${outFile}' must end in .mcppolicy`, CMD);
  const nameFlag = parsed.flags.get("name");
  const base = nodePath.basename(input).replace(/\.(ya?ml)$/i, "");
  const policyName = typeof nameFlag === "string" ? nameFlag : base || "imported";
  const text = readTextFile(input, CMD);
  const policyFile = typeof outFile === "string" ? nodePath.basename(outFile) : `${policyName}.mcppolicy`;
  const result = importGuidePolicy(text, { policyName, source: nodePath.basename(input), policyFile });
  if (!result.ok) {
    for (const e of result.errors) err(`${input}:${e.line}:${e.column}: error: ${e.message}`);
    err(`import: ${result.errors.length} error${result.errors.length === 1 ? "" : "s"}; nothing written`);
    return EXIT.errors;
  }
  for (const w of result.warnings) err(`${input}:${w.line}:${w.column}: warning: ${w.message}`);
  const compileErrors = checkPolicy(result.policy, { filename: policyFile }).diagnostics.filter((d) => d.severity === "error");
  if (compileErrors.length > 0) {
    err(`import: the policy made from '${input}' does not compile (a bug in mcppolicy import); nothing written`);
    for (const d of compileErrors) err(`  ${d.code}: ${d.message}`);
    return EXIT.internal;
  }
  if (typeof outFile !== "string") {
    out(result.policy.replace(/\n$/, ""));
    return EXIT.ok;
  }
  const testFile = outFile.replace(/\.mcppolicy$/, ".test.yaml");
  refuseExisting([outFile, testFile], parsed.flags.get("force") === true, CMD);
  const exclusive = parsed.flags.get("force") !== true;
  writeFileWhole(outFile, result.policy, { command: CMD, exclusive, makeDir: true });
  writeFileWhole(testFile, result.tests, { command: CMD, exclusive, makeDir: true });
  err(`wrote ${outFile} and ${testFile} (run: mcppolicy test ${nodePath.dirname(outFile) || "."})`);
  return EXIT.ok;
}
