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
  /** The largest `cap N bytes` a result block may set (issue 14). */
  maxResultCapBytes: 64 * 1024 * 1024,
  /** Runtime: the most events a session keeps (the hard cap on `session retain N events`; stores refuse more). */
  maxSessionEvents: 10_000,
  /** Runtime: the most distinct labels one session holds (an append past it is refused: a label is never lost). */
  maxSessionLabels: 256,
  /** Runtime: the longest label, in UTF-16 units. */
  maxSessionLabelLength: 128,
  /** Runtime: the most provenance fingerprints a session keeps per label (the oldest are dropped past the session's own cap). */
  maxSessionFingerprintsPerLabel: 4096,
  /** Runtime: the longest provenance fingerprint (printable ASCII), in characters. */
  maxSessionFingerprintLength: 64,
  /** Runtime: the longest a session lives after its last record (the hard cap on `session retain ... for DURATION`), in ms. */
  maxSessionTtlMs: 366 * 24 * 60 * 60 * 1000,
  /** Runtime: the largest session event, as UTF-8 JSON bytes (stores refuse larger ones). */
  maxSessionEventBytes: 8192,
  /** Runtime: the engine drops a recorded call's arguments (`argsDropped: true`) when their JSON is larger, in UTF-8 bytes. */
  sessionEventArgBytes: 4096,
  /** Runtime: fingerprints `fingerprint` keeps for one result (builtins/provenance; docs/provenance.md). */
  maxResultFingerprints: 2048,
  /** Runtime: UTF-16 units of string leaves provenance reads from one value (a result, or an argument: beyond it `derives` is true). */
  maxProvenanceScanChars: 1_048_576,
  /** Runtime: the longest text content `result.structured` parses as JSON, in UTF-16 units (longer: absent). */
  maxStructuredTextChars: 1_048_576,
  /** Runtime: values one field label marks in one result (more: the first ones; eval/core/results.ts). */
  maxFieldLabelValues: 1024,
  /** Runtime: JSON nodes (objects, arrays, leaves) provenance visits in one value (beyond it, as above). */
  maxProvenanceNodes: 100_000,
  /** `session retain N events ...`: the most events a policy may ask the engine to keep per session (E0264). */
  maxSessionRetainEvents: 10_000,
  /** `session retain ... for DURATION`: the longest retention a policy may ask for, in ms (30 days; E0264). */
  maxSessionRetainMs: 30 * 24 * 60 * 60 * 1000,
} as const;
