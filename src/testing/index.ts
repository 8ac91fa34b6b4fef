/**
 * `mcppolicy/testing`: a fast-check kit for property-testing compiled policies — arbitraries derived
 * from a policy, property helpers that read like the sentence they test, and equivalence of two
 * policies for refactors. fast-check (^4) is a peer dependency, needed only by hosts that import this.
 * Guarantees: nothing here changes a policy or decides differently from `policy.decide`; every helper
 * that finds a failure throws a PolicyPropertyError whose message holds the shrunk request as JSON.
 */
export { arbitraries } from "./arbitraries.js";
export type { PolicyArbitraries, Scenario } from "./arbitraries.js";
export { forAllRequests, never, always, toolsListMatchesCalls, isInside, describeScenario } from "./properties.js";
export type { Effects } from "./properties.js";
export { equivalence, findDifference, assertEquivalent, sameEffect } from "./equivalence.js";
export type { Difference, EquivalenceOptions, EquivalenceReport } from "./equivalence.js";
export { PolicyPropertyError, DEFAULT_RUNS } from "./report.js";
export type { RunOptions } from "./report.js";
export { HOSTILE_STRINGS, ALL_HOSTILE_STRINGS, hostileString } from "./hostile.js";
export type { HostileFamily } from "./hostile.js";
export { cidrEdges, respellings } from "./addresses.js";
export type { CidrEdges } from "./addresses.js";
export type { ValueMode, Classified } from "./values.js";
export type { PolicyFacts, CheckParams, Hints, HistoryFacts } from "./facts.js";
