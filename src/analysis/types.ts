/**
 * The analysis' public result types: findings about a policy, and answers to "can role R call T?",
 * "which roles reach T?", "what may principal P do?" with witness requests.
 * Every witness in these types has been run through `policy.decide` and decided as its field says.
 */
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { TargetKind } from "../ir/ir.js";
import type { Effect, PolicyRequest } from "../contract/index.js";

/**
 * - `always`: every call (in the question's scope) whose arguments pass the tool's `args` block is allowed.
 * - `with-approval`: every such call is `require_approval`.
 * - `never`: no call is allowed or sent for approval.
 * - `depends`: some calls are allowed (or need approval) and others are not; `witness` shows both.
 * - `unknown`: the analysis could not decide, and the witness search found no request proving `depends`.
 */
export type Answer = "always" | "with-approval" | "depends" | "never" | "unknown";

export interface Witnesses {
  /** A request `decide` allows. */
  allowed?: PolicyRequest;
  /** A request `decide` answers with require_approval. */
  approval?: PolicyRequest;
  /** A request `decide` denies. */
  denied?: PolicyRequest;
}

export interface Verdict {
  target: TargetKind;
  /** The tool, resource URI or prompt name asked about. */
  name: string;
  answer: Answer;
  /** The effects some request in scope gets: proven by the analysis, or by a witness. */
  effects: Effect[];
  /** The attributes whose values change the answer (`annotations.readOnlyHint`, `args.branch`, `client.ip`). */
  dependsOn: string[];
  /** Whether the tool's `args` block refuses some arguments (then `always` means: with arguments that pass it). */
  argsChecked: boolean;
  witness: Witnesses;
  /** Why, in words: the rules that decide, the approval, the arguments. */
  because: string[];
}

export interface RoleVerdict extends Verdict {
  role: string;
}

export interface PatternVerdict extends Verdict {
  /** Set when the verdict stands for the names a glob matches: `name` is one such name. */
  pattern?: string;
}

/** A principal's possibilities: `whatMay`. */
export interface PrincipalReport {
  /** Roles the principal holds on every request, and roles it holds on some requests only (derived membership). */
  roles: { always: string[]; sometimes: string[] };
  tools: PatternVerdict[];
  resources: PatternVerdict[];
  prompts: PatternVerdict[];
}

export type FindingKind = "never-fires" | "shadowed" | "redundant" | "grants-nothing" | "unreachable-tool" | "member-never" | "best-effort" | "history-never";

/** A finding: a warning-shaped diagnostic (codes A0001-A0008) with what it is about. */
export interface Finding extends Diagnostic {
  readonly kind: FindingKind;
  readonly rule?: string;
  readonly role?: string;
  readonly tool?: string;
}

export interface AnalysisReport {
  policy: string;
  findings: Finding[];
}

/** Facts a `whatMay` question fixes besides the principal; the parts left out range over every value. */
export interface RequestContext {
  client?: PolicyRequest["client"];
  session?: PolicyRequest["session"];
  /** The upstream server (`server.name`), for gateways that front several. */
  server?: PolicyRequest["server"];
  time?: PolicyRequest["time"];
}
