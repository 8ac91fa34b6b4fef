// Types of agentdojo-score.mjs, for the TypeScript tests.
import type { Trace } from "./agentdojo-data.mjs";
import type { Outcome, SuiteScore, TraceRecord } from "./agentdojo-run.mjs";

export function classifyBenign(outcomes: Outcome[]): "allowed" | "approval" | "denied";
export function classifyAttack(trace: Trace, outcomes: Outcome[]): { blockable: boolean; blocked: boolean; at: number | null; where?: "user" | "read" | "sideEffect"; rules?: string[] };
export function scoreSuite(records: TraceRecord[]): SuiteScore;
export const NOT_BLOCKED_LISTED: number;
