/**
 * Hard limits on what the compiler accepts, so that no input can make it hang or blow the stack.
 * Each limit has its own diagnostic (E0004, E0005, E0108, E0302). The runtime's bounds on what a store
 * answers are named here too (`maxListedApprovals`).
 */
export const LIMITS = {
  /** Source text per file, in UTF-16 units. */
  maxSourceLength: 4 * 1024 * 1024,
  /** Brackets, parentheses, braces and `not` nested inside each other. */
  maxNestingDepth: 64,
  /** Access rules (allow/deny) across the policy and its imports. */
  maxRules: 100_000,
  /** Files a policy may import, transitively. */
  maxImports: 64,
  /** Bytes read from any one file (policy, import, JSON Schema, test or request file); see source/files.ts. */
  maxFileBytes: 4 * 1024 * 1024,
  /** Runtime: approvals one `listApprovals` answers at most (engine.listApprovals, `mcppolicy approvals list`). */
  maxListedApprovals: 1000,
  /** `session retain N events ...`: the most events a policy may ask the engine to keep per session (E0264). */
  maxSessionRetainEvents: 100_000,
  /** `session retain ... for DURATION`: the longest retention a policy may ask for, in ms (30 days; E0264). */
  maxSessionRetainMs: 30 * 24 * 60 * 60 * 1000,
} as const;
