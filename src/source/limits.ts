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
  /** Runtime: fingerprints `fingerprint` keeps for one result (builtins/provenance; docs/provenance.md). */
  maxResultFingerprints: 2048,
  /** Runtime: UTF-16 units of string leaves provenance reads from one value (a result, or an argument: beyond it `derives` is true). */
  maxProvenanceScanChars: 1_048_576,
  /** Runtime: JSON nodes (objects, arrays, leaves) provenance visits in one value (beyond it, as above). */
  maxProvenanceNodes: 100_000,
} as const;
