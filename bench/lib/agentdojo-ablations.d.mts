// Types of agentdojo-ablations.mjs, for the TypeScript tests.
export interface Ablation {
  suite: string;
  ruleId: string;
  rule: string;
  from: string;
  to: string;
}
export const ABLATIONS: readonly Ablation[];
export function applyAblation(text: string, ab: Ablation): string;
