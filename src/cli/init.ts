/**
 * `mcppolicy init (--tools FILE | --url URL | --from -- CMD ARGS...) [--out FILE] [--force] [--name N] [--timeout S]`.
 * Lists a server's tools (init/connect.ts) and writes the skeleton and its test file (init/skeleton.ts).
 * GUARANTEES: without --out the policy goes to stdout and nothing is written; with --out, neither file
 * is written when either exists and --force is not given (checked before the server is contacted),
 * and the files are written only once the skeleton compiled. Every bad input is a UsageError (exit 2).
 */
import * as nodePath from "node:path";
import { EXIT, parseArgs, UsageError } from "./args.js";
import { err, out, refuseExisting, writeFileWhole } from "./io.js";
import { SOURCE_FLAGS, sourceFrom, splitCommand, timeoutFrom } from "./init/source-args.js";

const COMMAND = "init";

/** The test file written beside a policy file: `a/p.mcppolicy` -> `a/p.test.yaml`. */
export function testFileFor(policyPath: string): string {
  return policyPath.replace(/\.mcppolicy$/, "") + ".test.yaml";
}

export async function run(argv: readonly string[]): Promise<number> {
  const { flags: flagArgs, command } = splitCommand(argv);
  const parsed = parseArgs(flagArgs, [...SOURCE_FLAGS, { name: "out", value: true }, { name: "force" }, { name: "name", value: true }], COMMAND);
  if (parsed.positionals.length > 0) throw new UsageError(`init takes no file argument (got '${parsed.positionals[0]}'); did you mean --tools FILE or --out FILE?`, COMMAND);
  const source = sourceFrom(parsed, command, COMMAND);
  const timeout = timeoutFrom(parsed, COMMAND);
  const outFlag = parsed.flags.get("out");
  const outPath = typeof outFlag === "string" ? outFlag : undefined;
  const force = parsed.flags.get("force") === true;
  const nameFlag = parsed.flags.get("name");
  if (nameFlag === "") throw new UsageError("--name needs a non-empty name", COMMAND);
  const testPath = outPath === undefined ? undefined : testFileFor(outPath);
  if (outPath !== undefined) refuseExisting([outPath, testPath as string], force, COMMAND);
  const { listTools } = await import("./init/connect.js");
  const listed = await listTools(source, timeout, COMMAND);
  const { writeSkeleton } = await import("./init/skeleton.js");
  const fallbackName = source.kind === "file" ? nodePath.basename(source.path).replace(/\.json$/i, "") : "server";
  const skeleton = writeSkeleton({
    tools: listed.tools,
    policyName: typeof nameFlag === "string" ? nameFlag : (listed.serverName ?? fallbackName),
    source: listed.label,
    policyFile: outPath === undefined ? "policy.mcppolicy" : nodePath.basename(outPath),
  });
  for (const s of skeleton.skipped) err(`mcppolicy: tool '${s.name}' left out: ${s.why}`);
  if (listed.tools.length === skeleton.skipped.length) err(`mcppolicy: warning: ${listed.label} lists no tools the skeleton could use; the policy has no tool blocks and denies every call`);
  if (outPath === undefined || testPath === undefined) {
    out(skeleton.policy);
    return EXIT.ok;
  }
  // Without --force, a file that appeared while the server answered is still never replaced.
  writeFileWhole(outPath, skeleton.policy, { command: COMMAND, exclusive: !force, makeDir: true });
  writeFileWhole(testPath, skeleton.tests, { command: COMMAND, exclusive: !force, makeDir: true });
  const blocks = listed.tools.length - skeleton.skipped.length;
  err(`mcppolicy: wrote '${outPath}' (${blocks} tool block${blocks === 1 ? "" : "s"}) and '${testPath}'`);
  return EXIT.ok;
}
