/**
 * Policy equivalence for refactors: search for a request on which two policies decide differently.
 * Guarantees: both policies decide the same generated requests, drawn from the union of what either
 * mentions (roles, tools, arguments, literals, address ranges of both), so a rule only one of them has
 * is exercised; a difference found is shrunk to a small request and reported with both decisions; "no
 * difference" is reported with the number of requests tried and the seed (a search, not a proof).
 * By default two decisions are the same when their effect and their tools/list visibility are (rule
 * ids, messages and budget ids may change in a refactor); `same` overrides that.
 */
import type { Policy } from "../policy.js";
import type { Decision, PolicyRequest } from "../contract/index.js";
import { arbitraries, outsideScenario, type Scenario } from "./arbitraries.js";
import { DEFAULT_RUNS, failureMessage, PolicyPropertyError, search, type RequestCheck, type RunOptions } from "./report.js";

export interface EquivalenceOptions extends RunOptions {
  /** When two decisions count as the same (default: same effect and same visibility). */
  same?: (a: Decision, b: Decision) => boolean;
  /** Narrow the requests compared (default: every request). */
  scenario?: Scenario;
}

export interface Difference {
  request: PolicyRequest;
  a: Decision;
  b: Decision;
}

export interface EquivalenceReport {
  equivalent: boolean;
  /** The shrunk request the policies disagree on, with both decisions. */
  difference?: Difference;
  /** How many requests were compared (up to the first difference). */
  numRuns: number;
  seed: number;
  /** One paragraph: "no difference in N requests (seed S)", or the difference as JSON. */
  summary: string;
}

export const sameEffect = (a: Decision, b: Decision): boolean => a.effect === b.effect && a.visibility === b.visibility;

const labels = (a: Policy, b: Policy): [string, string] =>
  a.name === b.name ? ["a", "b"] : [`a (policy "${a.name}")`, `b (policy "${b.name}")`];

/** Compare two policies on generated requests. */
export function equivalence(a: Policy, b: Policy, options: EquivalenceOptions = {}): EquivalenceReport {
  const same = options.same ?? sameEffect;
  const [la, lb] = labels(a, b);
  const scenario = options.scenario ?? {};
  const check: RequestCheck = (request) => {
    const da = a.decide(request);
    const db = b.decide(request);
    if (outsideScenario(scenario, request, [da, db])) return "skip";
    if (same(da, db)) return undefined;
    const vis = (d: Decision) => (d.visibility ? ` (visibility \`${d.visibility}\`)` : "");
    const why = sameEffect(da, db)
      ? `${la} and ${lb} both decide \`${da.effect}\`${vis(da)}, but their decisions differ as \`same\` compares them`
      : `${la} decides \`${da.effect}\`${vis(da)}, ${lb} decides \`${db.effect}\`${vis(db)}`;
    return { why, decisions: { [la]: da, [lb]: db } };
  };
  const arb = arbitraries([a, b]).requests(scenario);
  const result = search(arb, check, { ...options, numRuns: options.numRuns ?? DEFAULT_RUNS });
  const { details, failure } = result;
  const title = `policies "${a.name}" and "${b.name}" decide differently`;
  if (!details.failed) {
    return { equivalent: true, numRuns: details.numRuns, seed: details.seed, summary: `no difference between policies "${a.name}" and "${b.name}" in ${details.numRuns} requests (seed ${details.seed})` };
  }
  const difference = failure ? { request: failure.request, a: failure.violation.decisions[la]!, b: failure.violation.decisions[lb]! } : undefined;
  return { equivalent: false, ...(difference && { difference }), numRuns: details.numRuns, seed: details.seed, summary: failureMessage(title, result) };
}

/** The shrunk request two policies decide differently, with both decisions; undefined when none was found. */
export function findDifference(a: Policy, b: Policy, options?: EquivalenceOptions): Difference | undefined {
  return equivalence(a, b, options).difference;
}

/** Throw a PolicyPropertyError (the difference as JSON) unless no difference is found. */
export function assertEquivalent(a: Policy, b: Policy, options?: EquivalenceOptions): void {
  const report = equivalence(a, b, options);
  if (report.equivalent) return;
  const d = report.difference;
  throw new PolicyPropertyError(report.summary, d?.request, d ? { a: d.a, b: d.b } : {}, report.seed, undefined);
}
