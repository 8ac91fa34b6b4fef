/**
 * `mcppolicy eval <policy> <request.json | -> [--format json|text] [--interpreter]`.
 * Compiles the policy, reads one request, prints the decision. Also the shared loading and
 * decision formatting used by `explain`.
 * GUARANTEES: compile errors go to stderr, rendered, exit 1; an unreadable file or a request that is
 * not valid JSON (or holds a key twice) is a UsageError (exit 2) and nothing is decided; otherwise the exit code is the
 * decision's: 0 allow, 3 deny, 4 require_approval. The decision itself never throws (Policy's contract).
 */
import type { Policy } from "../policy.js";
import type { Decision, PolicyRequest } from "../contract/index.js";
import { formatDecision } from "../contract/format.js";
export { formatDecision };
import { parseRequestJson, RequestJsonError } from "../eval/request-json.js";
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs, UsageError } from "./args.js";
import { err, out, readInput, readTextFile } from "./io.js";

export interface Loaded {
  policy: Policy;
  request: PolicyRequest;
}

/**
 * Reads and compiles the policy, then reads and parses the request. Returns the exit code 1 (after
 * printing the diagnostics to stderr) when the policy has errors; throws UsageError on bad input.
 */
export async function loadPolicyAndRequest(positionals: readonly string[], command: string, importRoots: { importRoots?: string[] } = {}): Promise<Loaded | number> {
  if (positionals.length !== 2) {
    throw new UsageError(
      positionals.length < 2
        ? `${command} needs a policy file and a request (a JSON file, or - for stdin)`
        : `${command} takes two arguments, a policy and a request; got ${positionals.length}`,
      command,
    );
  }
  const [policyPath, requestPath] = positionals as [string, string];
  if (policyPath === "-") throw new UsageError("the policy must be a file; only the request can be read from stdin (-)", command);
  const source = readTextFile(policyPath, command);
  // Read the request before compiling: a missing request file is a usage error whatever the policy.
  const requestText = await readInput(requestPath, command);
  const where = requestPath === "-" ? "stdin" : `'${requestPath}'`;
  let request: unknown;
  try {
    // Duplicate keys are refused: JSON.parse would keep the last, a tool server's parser maybe the first.
    request = parseRequestJson(requestText);
  } catch (e) {
    throw new UsageError(`invalid request JSON in ${where}: ${e instanceof RequestJsonError ? e.message : jsonErrorMessage(e, requestText)}`, command);
  }
  // The compiler is loaded only once the inputs are known to be good: usage errors stay fast.
  const { compilePolicy, PolicyCompileError } = await import("../policy.js");
  let policy: Policy;
  try {
    policy = compilePolicy(source, { filename: policyPath, ...importRoots });
  } catch (e) {
    if (!(e instanceof PolicyCompileError)) throw e;
    err(e.render().trimEnd());
    err(`mcppolicy: '${policyPath}' does not compile; nothing was decided`);
    return EXIT.errors;
  }
  // Not an object (an array, a number, null): the evaluators deny it as invalid_request, by design.
  return { policy, request: request as PolicyRequest };
}

/** JSON.parse's message, with the line and column when it names a position. */
function jsonErrorMessage(e: unknown, text: string): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /at position (\d+)/.exec(message);
  if (!m) return message;
  const offset = Math.min(Number(m[1]), text.length);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `${message} (line ${line}, column ${column})`;
}

export function exitCodeFor(decision: Decision): number {
  switch (decision.effect) {
    case "allow":
      return EXIT.allow;
    case "require_approval":
      return EXIT.approval;
    default:
      return EXIT.deny;
  }
}

export async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(
    argv,
    [
      { name: "format", value: true, choices: ["json", "text"] },
      { name: "interpreter" },
      IMPORT_ROOT_FLAG,
    ],
    "eval",
  );
  const { flags, positionals } = parsed;
  const loaded = await loadPolicyAndRequest(positionals, "eval", importRootsOption(parsed));
  if (typeof loaded === "number") return loaded;
  const { policy, request } = loaded;
  const decision = flags.get("interpreter") === true ? policy.interpret(request) : policy.decide(request);
  if ((flags.get("format") ?? "json") === "json") out(JSON.stringify(decision, null, 2));
  else out(formatDecision(decision).join("\n"));
  return exitCodeFor(decision);
}
