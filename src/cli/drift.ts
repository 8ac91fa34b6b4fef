/**
 * `mcppolicy drift <policy> (--tools FILE | --url URL | --from -- CMD ARGS...) [--format text|json]`.
 * Compiles the policy, lists the server's tools and reports where the tool blocks no longer match
 * (init/drift.ts).
 * GUARANTEES: exit 0 without drift, 1 with drift or when the policy does not compile (its diagnostics
 * rendered on stderr), 2 on bad input; the policy is read before any server is started.
 */
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs, UsageError } from "./args.js";
import { err, out, readTextFile } from "./io.js";
import { describeSource } from "./init/connect.js";
import { SOURCE_FLAGS, sourceFrom, splitCommand, timeoutFrom } from "./init/source-args.js";

const COMMAND = "drift";

export async function run(argv: readonly string[]): Promise<number> {
  const { flags: flagArgs, command } = splitCommand(argv);
  const parsed = parseArgs(flagArgs, [...SOURCE_FLAGS, { name: "format", value: true, choices: ["text", "json"] }, IMPORT_ROOT_FLAG], COMMAND);
  if (parsed.positionals.length !== 1) {
    throw new UsageError(parsed.positionals.length === 0 ? "drift needs a policy file" : `drift takes one policy file; got ${parsed.positionals.length}`, COMMAND);
  }
  const policyPath = parsed.positionals[0] as string;
  const source = sourceFrom(parsed, command, COMMAND);
  const timeout = timeoutFrom(parsed, COMMAND);
  const text = readTextFile(policyPath, COMMAND);
  const { compilePolicy, PolicyCompileError } = await import("../policy.js");
  let policy;
  try {
    policy = compilePolicy(text, { filename: policyPath, ...importRootsOption(parsed) });
  } catch (e) {
    if (!(e instanceof PolicyCompileError)) throw e;
    err(e.render().trimEnd());
    err(`mcppolicy: '${policyPath}' does not compile; nothing was compared`);
    return EXIT.errors;
  }
  const { listTools } = await import("./init/connect.js");
  const listed = await listTools(source, timeout, COMMAND);
  const { findDrift, driftLine } = await import("./init/drift.js");
  const drift = findDrift(policy.ir, listed.tools);
  if (parsed.flags.get("format") === "json") {
    out(JSON.stringify({ policy: policyPath, source: describeSource(source).slice(1, -1), drift, ok: drift.length === 0 }, null, 2));
  } else if (drift.length === 0) {
    out(`no drift: the tool blocks of '${policyPath}' match ${listed.label} (${listed.tools.length} tools)`);
  } else {
    for (const d of drift) out(driftLine(d));
    out(`${drift.length} difference${drift.length === 1 ? "" : "s"} between '${policyPath}' and ${listed.label}`);
  }
  return drift.length === 0 ? EXIT.ok : EXIT.errors;
}
