/**
 * THE checker stage list (OPA's `ast/compile.go` stage table is the model): one ordered list of named
 * stages, each in its own file under stages/, each a function over the explicit state (state.ts).
 * check.ts runs them in this order. Stages marked `any` run after earlier errors too, so one check
 * reports as many mistakes as it can; the check stops before the first `error-free` stage once an
 * error was reported, and right after a `haltsOnError` stage that reported one.
 * INVARIANT: every product a stage needs is produced by an earlier stage, and each product by exactly
 * one stage (test/check-stages.test.ts holds the list to this).
 * INVARIANT: the order is also the order diagnostics are reported in before sorting; goldens in
 * test/diagnostics/cases/ depend on it for diagnostics at the same place with the same code.
 */
import { declarationsStage } from "./stages/declarations.js";
import { lintsStage } from "./stages/lints.js";
import { lowerStage } from "./stages/lower.js";
import { policyLimitsStage } from "./stages/policy-limits.js";
import { policyRulesStage } from "./stages/policy-rules.js";
import { roleIncludesStage } from "./stages/role-includes.js";
import { rolesStage } from "./stages/roles.js";
import { ruleCountStage } from "./stages/rule-count.js";
import { ruleIdsStage } from "./stages/rule-ids.js";
import { setsStage } from "./stages/sets.js";
import { sessionStage } from "./stages/session.js";
import { toolsStage } from "./stages/tools.js";
import { resultsStage } from "./stages/results.js";
import type { AnyStage } from "./state.js";

export const STAGES = [
  declarationsStage, // symbol tables; duplicates, placement, default, redaction keys
  sessionStage, // `session retain ...`: the retention windows are checked against
  setsStage, // every declared set lowered
  roleIncludesStage, // includes resolved, closures, cycles
  ruleCountStage, // the rule limit (halts)
  ruleIdsStage, // rule ids: names (malformed, duplicate) or positional
  policyRulesStage, // top-level denies
  rolesStage, // members, rules, limits of each role
  toolsStage, // tool blocks
  policyLimitsStage, // policy-level limits
  resultsStage, // result blocks (issue 14)
  lintsStage, // warnings (error-free only)
  lowerStage, // the IR (error-free only)
] as const satisfies readonly AnyStage[];

export type StageName = (typeof STAGES)[number]["name"];

export const STAGE_NAMES: readonly StageName[] = STAGES.map((s) => s.name);
