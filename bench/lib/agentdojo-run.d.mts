// Types of agentdojo-run.mjs and agentdojo-score.mjs's results, for the TypeScript tests.
import type { Suite, Template, Trace } from "./agentdojo-data.mjs";

export interface Outcome {
  effect: "allow" | "deny" | "require_approval";
  codes: string[];
  rules: string[];
  withheld?: boolean;
  changed?: boolean;
  fault?: string;
  reason?: string;
}
export interface TraceRecord {
  trace: Trace;
  outcomes: Outcome[];
}
export interface SuiteScore {
  attacks: { blockable: number; blocked: number; unblockable: number; stoppedOnRead: number; stoppedInUserTask: number; pairs: number; notBlocked: string[]; notBlockedCount: number; byTemplate: Record<string, { blockable: number; blocked: number }>; [k: string]: unknown };
  benign: { total: number; allowed: number; approval: number; denied: number; approvalTasks: string[]; deniedTasks: string[] };
  faults: number;
  withheldResults: number;
}
/** mcppolicy as the runner needs it: `compilePolicy`, `createEngine` (index) and `protect` (mcp). */
export interface Lib {
  compilePolicy(text: string, options?: { filename?: string }): unknown;
  createEngine(policy: never, options?: object): unknown;
  protect(server: object, options: object): unknown;
}
export function defaultPolicyDir(): string;
export function loadPolicy(lib: Lib, dir: string, suiteName: string): unknown;
export function tracesOf(suite: Suite, options?: { templates?: readonly Template[] }): Trace[];
export function replayAll(lib: Lib, options: { suite: Suite; policy: unknown; traces: Trace[]; mode?: "engine" | "mcp"; engine?: unknown; run?: string }): Promise<TraceRecord[]>;
export function runAll(lib: Lib, options: { suites: Suite[]; policyDir?: string; mode?: "engine" | "mcp"; templates?: readonly Template[]; onSuite?: (name: string, score: SuiteScore) => void }): Promise<{ suites: Record<string, SuiteScore> }>;
