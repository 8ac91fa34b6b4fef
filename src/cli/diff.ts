/**
 * `mcppolicy diff OLD NEW [--format text|json|markdown] [--allow-widening] [--runs N] [--seed N]`: what a
 * policy change opens and closes (authoring/diff.ts), for review and for CI.
 * GUARANTEES: both policies must compile (else their diagnostics, exit 1, nothing compared); exit 1 when NEW
 * widens access (allows or sends to approval a request OLD denied, or allows one OLD sent to approval) unless
 * --allow-widening; 0 otherwise; 2 for usage errors.
 */
import { EXIT, parseArgs, UsageError } from "./args.js";
import { err, out, readTextFile } from "./io.js";

const CMD = "diff";

export async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(
    argv,
    [{ name: "format", value: true, choices: ["text", "json", "markdown"] }, { name: "allow-widening" }, { name: "runs", value: true }, { name: "seed", value: true }],
    CMD,
  );
  if (parsed.positionals.length !== 2) throw new UsageError(`diff needs two policy files, OLD and NEW; got ${parsed.positionals.length}`, CMD);
  const [oldPath, newPath] = parsed.positionals as [string, string];
  const count = (flag: string, min: number, max: number): number | undefined => {
    const v = parsed.flags.get(flag);
    if (v === undefined) return undefined;
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}`, CMD);
    return n;
  };
  const runs = count("runs", 1, 100_000);
  const seed = count("seed", 0, 2 ** 31 - 1);
  const texts = [readTextFile(oldPath, CMD), readTextFile(newPath, CMD)];
  const [{ compilePolicy, PolicyCompileError }, { diffPolicies, diffText, diffMarkdown }] = await Promise.all([import("../policy.js"), import("../authoring/diff.js")]);
  const policies = [];
  for (const [i, path] of [oldPath, newPath].entries()) {
    try {
      policies.push(compilePolicy(texts[i]!, { filename: path }));
    } catch (e) {
      if (!(e instanceof PolicyCompileError)) throw e;
      err(e.render().trimEnd());
      err(`mcppolicy: '${path}' does not compile; nothing was compared`);
      return EXIT.errors;
    }
  }
  const diff = diffPolicies(policies[0]!, policies[1]!, { ...(runs !== undefined && { runs }), ...(seed !== undefined && { seed }) });
  const format = parsed.flags.get("format") ?? "text";
  if (format === "json") out(JSON.stringify({ old: oldPath, new: newPath, ...diff }, null, 2));
  else if (format === "markdown") out(diffMarkdown(diff, oldPath, newPath));
  else out(diffText(diff, oldPath, newPath));
  if (diff.widening && parsed.flags.get("allow-widening") !== true) {
    if (format !== "json") err(`mcppolicy: '${newPath}' allows what '${oldPath}' did not (pass --allow-widening to accept)`);
    return EXIT.errors;
  }
  return EXIT.ok;
}
