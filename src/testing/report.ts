/**
 * Running a check over generated requests, and reporting a failure: fast-check searches and shrinks;
 * the error names the property, prints the shrunk request and the decisions involved as JSON, and
 * says how to replay the run.
 * Guarantees: a failing run always throws a PolicyPropertyError whose message contains the shrunk
 * request as pretty JSON (exactly `JSON.stringify(request, null, 2)`, which reads back as the same
 * request) and every decision the check named; a run that skips too many requests (a scenario whose
 * filters almost never hold) fails too, saying so, rather than passing without having checked anything.
 */
import fc from "fast-check";
import type { Decision, PolicyRequest } from "../contract/index.js";

export interface RunOptions {
  /** How many requests to generate (default 1000). */
  numRuns?: number;
  /** The random seed (default: a new one each run; the failure message prints it). */
  seed?: number;
  /** With `seed`, replay one failing run from the `path` a failure printed. */
  path?: string;
}

export const DEFAULT_RUNS = 1000;

/** Why a request fails a check, and the decisions that show it (labelled: `decision`, `tools/list`, `a`, ...). */
export interface Violation {
  why: string;
  decisions: Record<string, Decision>;
}

/** A check: undefined when the request passes, "skip" when it is outside the scenario, else a violation. */
export type RequestCheck = (request: PolicyRequest) => Violation | "skip" | undefined;

export class PolicyPropertyError extends Error {
  constructor(
    message: string,
    /** The shrunk counterexample (undefined when the run failed for want of requests). */
    readonly request: PolicyRequest | undefined,
    readonly decisions: Record<string, Decision>,
    readonly seed: number,
    readonly path: string | undefined,
  ) {
    super(message);
    this.name = "PolicyPropertyError";
  }
}

export const pretty = (x: unknown): string => JSON.stringify(x, null, 2);

/** The first failing request (shrunk) with its violation, or undefined when every run passed. */
export function search(
  arb: fc.Arbitrary<PolicyRequest>,
  check: RequestCheck,
  options: RunOptions = {},
): { failure?: { request: PolicyRequest; violation: Violation }; details: fc.RunDetails<[PolicyRequest]> } {
  const property = fc.property(arb, (request) => {
    const v = check(request);
    fc.pre(v !== "skip");
    return v === undefined;
  });
  const params: fc.Parameters<[PolicyRequest]> = { numRuns: options.numRuns ?? DEFAULT_RUNS };
  if (options.seed !== undefined) params.seed = options.seed;
  if (options.path !== undefined) params.path = options.path;
  const details = fc.check(property, params);
  const request = details.counterexample?.[0];
  if (!details.failed || request === undefined) return { details };
  let violation: Violation;
  try {
    const v = check(request);
    violation = typeof v === "object" ? v : { why: `the check threw: ${String((details.errorInstance as Error)?.message ?? details.errorInstance)}`, decisions: {} };
  } catch (err) {
    violation = { why: `the check threw: ${(err as Error)?.message ?? String(err)}`, decisions: {} };
  }
  return { failure: { request, violation }, details };
}

export type SearchResult = ReturnType<typeof search>;

/** The report of a failed search: the title, the shrunk request and decisions as JSON, how to replay. */
export function failureMessage(title: string, result: SearchResult): string {
  const { failure, details } = result;
  const where = `seed ${details.seed}${details.counterexamplePath ? `, path "${details.counterexamplePath}"` : ""}`;
  if (!failure) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : "too many generated requests were outside the scenario";
    return `${title}\nthe run could not check enough requests (${where}): ${cause}`;
  }
  const { request, violation } = failure;
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const lines = [
    title,
    `counterexample after ${plural(details.numRuns, "run")}, shrunk ${plural(details.numShrinks, "time")} (${where}):`,
    "",
    "request:",
    pretty(request),
    "",
    violation.why,
  ];
  for (const [label, d] of Object.entries(violation.decisions)) lines.push("", `${label}:`, pretty(d));
  const replay = `{ seed: ${details.seed}${details.counterexamplePath ? `, path: "${details.counterexamplePath}"` : ""} }`;
  lines.push("", `replay: pass ${replay} in the options, or save the request as request.json and run`, "`npx mcppolicy explain <policy> request.json`");
  return lines.join("\n");
}

/** Run a check over generated requests; throw a PolicyPropertyError on the first (shrunk) failure. */
export function run(title: string, arb: fc.Arbitrary<PolicyRequest>, check: RequestCheck, options: RunOptions = {}): void {
  const result = search(arb, check, options);
  if (!result.details.failed) return;
  const { failure, details } = result;
  throw new PolicyPropertyError(failureMessage(title, result), failure?.request, failure?.violation.decisions ?? {}, details.seed, details.counterexamplePath ?? undefined);
}
