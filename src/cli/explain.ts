/**
 * `mcppolicy explain <policy> <request.json | -> [--format text|json]`.
 * Prints the decision of the reference interpreter, then every rule of the policy (top-level denies
 * and each role's rules, in the policy's order) with its effect, line and outcome: a table in text,
 * the Explanation object in json.
 * Exit: 0 when explained (whatever the decision), 1 when the policy has errors, 2 usage error.
 */
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs } from "./args.js";
import { loadPolicyAndRequest } from "./eval.js";
import { formatDecision, formatRules } from "../contract/format.js";
import { out } from "./io.js";

const COMMAND = "explain";

export async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv, [{ name: "format", value: true, choices: ["text", "json"] }, IMPORT_ROOT_FLAG], COMMAND);
  const { flags, positionals } = parsed;
  const loaded = await loadPolicyAndRequest(positionals, COMMAND, importRootsOption(parsed));
  if (typeof loaded === "number") return loaded;
  const explanation = loaded.policy.explain(loaded.request);
  if ((flags.get("format") ?? "text") === "json") {
    out(JSON.stringify(explanation, null, 2));
  } else {
    out([...formatDecision(explanation.decision), "", "rules:", ...formatRules(explanation.rules)].join("\n"));
  }
  return EXIT.ok;
}
