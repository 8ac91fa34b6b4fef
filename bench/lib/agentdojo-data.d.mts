// Types of agentdojo-data.mjs (a plain-JS module so the benchmarks need no build), for the TypeScript tests.

export interface SuiteCall {
  fn: string;
  args: Record<string, unknown>;
  result: string;
  sideEffects?: boolean;
  injectionsSeen?: string[];
}
export interface InjectionTask {
  id: string;
  goal: string;
  calls: SuiteCall[];
  synthesizedCalls?: SuiteCall[];
  firstSideEffectCallIndex: number | null;
  synthesizedFirstSideEffectCallIndex?: number | null;
}
export interface UserTask {
  id: string;
  prompt: string;
  calls: SuiteCall[];
  injectionVectorsSeen: string[];
  firstInjectedCallIndex: number | null;
}
export interface Suite {
  suite: string;
  benchmarkVersion?: string;
  tools: { name: string; description: string | null; inputSchema: Record<string, unknown>; sideEffects: boolean }[];
  injectionVectors: Record<string, { description: string; default: string }>;
  userTasks: UserTask[];
  injectionTasks: InjectionTask[];
}
export interface TraceCall {
  tool: string;
  args: Record<string, unknown>;
  result: string;
  sideEffects: boolean;
  part: "user" | "injection";
  index: number;
}
export interface Trace {
  suite: string;
  kind: "benign" | "attack";
  id: string;
  userTask: string;
  injectionTask?: string;
  template?: string;
  synthesized?: boolean;
  injectedAt?: number;
  firstSideEffect?: number | null;
  injectionStart?: number;
  calls: TraceCall[];
}
export interface Template {
  id: string;
  text: string;
}

export const MARKER_RE: RegExp;
export const USER_NAME: string;
export const INJECTION_TEMPLATES: readonly Template[];
export function injectionText(goal: string, template?: Template): string;
export function defaultDataDir(): string;
export function loadSuites(dir: string): Suite[];
export function injectionCalls(it: InjectionTask): { calls: SuiteCall[]; firstSideEffect: number | null; synthesized: boolean };
export function isInjectable(u: UserTask): boolean;
export function benignTraces(suite: Suite): Trace[];
export function attackTraces(suite: Suite, options?: { templates?: readonly Template[] }): Trace[];
export function fillResult(text: string, fill: (vector: string) => string): string;
export function jsonEscape(s: string): string;
export function reprEscape(s: string): string;
export function attackerConstants(suite: Suite, options?: { environment?: boolean }): string[];
export function withOtherConstants(suite: Suite, seed?: number): { suite: Suite; replaced: Map<string, string> };
