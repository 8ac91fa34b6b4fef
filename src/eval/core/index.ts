/** The shared decision core (see decide.ts): what the interpreter and the compiled function build on. */
export * from "./types.js";
export { decideRequest, decideWith } from "./decide.js";
export { decision, denyOf, EMPTY, internalError, noRoleReasons, noRuleReasons } from "./decision.js";
export { budgetsOf, ruleBaseBudgets } from "./match.js";
export { resourceSeeds } from "./templates.js";
export { coreRule, coreBlock, type Conditions } from "./rule.js";
export { blockSetKey, mergeBlocks, missingServerFault, missingServerLimitFault } from "./tools.js";
