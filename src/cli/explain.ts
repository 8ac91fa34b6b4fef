/**
 * `mcppolicy explain <policy> <request.json | -> [--format text|json]`.
 * Prints the decision of the reference interpreter, then every rule of the policy (top-level denies
 * and each role's rules, in the policy's order) with its effect, line and outcome: a table in text,
 * the Explanation object in json.
 * Exit: 0 when explained (whatever the decision), 1 when the policy has errors, 2 usage error.
 */
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs } from "./args.js";
import { formatDecision, loadPolicyAndRequest } from "./eval.js";
import { out } from "./io.js";
import type { ExplainedRule } from "../contract/index.js";

const COMMAND = "explain";

/** One aligned row per rule: `  developer/1  allow  line 7   matched  (detail)`. */
export function formatRules(rules: readonly ExplainedRule[]): string[] {
  if (rules.length === 0) return ["  (no rule was considered)"];
  const idWidth = Math.max(...rules.map((r) => r.rule.length));
  const lineWidth = Math.max(...rules.map((r) => String(r.line).length));
  const outcomeWidth = Math.max(...rules.map((r) => r.outcome.length));
  return rules.map((r) => {
    const row = `  ${r.rule.padEnd(idWidth)}  ${r.effect.padEnd(5)}  line ${String(r.line).padEnd(lineWidth)}  ${r.outcome}`;
    return r.detail ? `${row.padEnd(row.length - r.outcome.length + outcomeWidth)}  ${r.detail}` : row;
  });
}

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
