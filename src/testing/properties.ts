/**
 * Property helpers over a compiled policy, written to read like the sentence they test:
 * `never(policy, { tool: "execute_command", lacking: "admin" }, "allow")`,
 * `forAllRequests(policy, { tool: "read_file" }, (req, d) => d.effect !== "allow" || isInside(...))`,
 * `toolsListMatchesCalls(policy)`.
 * Guarantees: each helper generates requests with the policy's own arbitraries, decides them with
 * `policy.decide`, and returns normally only when every generated request passed; otherwise it throws
 * a PolicyPropertyError carrying the shrunk request (printed as JSON in the message) and the decisions
 * that show the failure. A scenario's `lacking` roles are judged on each decision (a role derived from
 * `member when` counts as held), never on the host's role list alone.
 */
import * as nodePath from "node:path";
import fc from "fast-check";
import { checkValue } from "../eval/args.js";
import { toolBlocks } from "../ir/queries.js";
import type { Policy } from "../policy.js";
import type { Decision, Effect, PolicyRequest } from "../contract/index.js";
import { arbitraries, asList, outsideScenario, type PolicyArbitraries, type Scenario } from "./arbitraries.js";
import { run, type RequestCheck, type RunOptions, type Violation } from "./report.js";

const cache = new WeakMap<Policy, PolicyArbitraries>();

/** The arbitraries of a policy, built once per policy object. */
export function arbitrariesOf(policy: Policy): PolicyArbitraries {
  let a = cache.get(policy);
  if (!a) cache.set(policy, (a = arbitraries(policy)));
  return a;
}

const names = (xs: readonly string[]) => xs.map((x) => `\`${x}\``).join(", ");

/** `tools/call of `read_file` by principals lacking `admin`` — the scenario in words, for titles. */
export function describeScenario(s: Scenario): string {
  const tools = asList(s.tool);
  const methods = asList(s.method);
  const parts = [methods.length ? methods.join(", ") : tools.length ? "tools/call" : "every request"];
  if (tools.length) parts.push(`of ${names(tools)}`);
  const who: string[] = [];
  if (asList(s.holding).length) who.push(`holding ${names(asList(s.holding))}`);
  if (asList(s.lacking).length) who.push(`lacking ${names(asList(s.lacking))}`);
  if (who.length) parts.push(`by principals ${who.join(" and ")}`);
  if (s.args === "valid") parts.push("with valid arguments");
  if (s.principal || s.where) parts.push("(filtered)");
  return parts.join(" ");
}

/** Decide each request of the scenario, skipping those outside it, and judge it with `judge`. */
function scenarioCheck(policy: Policy, s: Scenario, judge: (r: PolicyRequest, d: Decision) => Violation | undefined): RequestCheck {
  return (request) => {
    const decision = policy.decide(request);
    return outsideScenario(s, request, [decision]) ? "skip" : judge(request, decision);
  };
}

const policyLabel = (p: Policy) => `policy "${p.name}"`;

/**
 * Every request of the scenario satisfies the predicate (returning false, or throwing, fails it;
 * returning nothing passes, so `expect` works inside).
 */
export function forAllRequests(
  policy: Policy,
  scenario: Scenario,
  predicate: (request: PolicyRequest, decision: Decision) => boolean | void,
  options?: RunOptions,
): void {
  const arb = arbitrariesOf(policy).requests(scenario);
  const check = scenarioCheck(policy, scenario, (request, decision) => {
    let ok: boolean | void;
    try {
      ok = predicate(request, decision);
    } catch (err) {
      return { why: `the predicate threw: ${(err as Error)?.message ?? String(err)}`, decisions: { decision } };
    }
    return ok === false ? { why: "the predicate returned false", decisions: { decision } } : undefined;
  });
  run(`${policyLabel(policy)}: the predicate must hold for ${describeScenario(scenario)}`, arb, check, options);
}

export type Effects = Effect | readonly Effect[];

function effectCheck(policy: Policy, scenario: Scenario, effects: Effects, wanted: boolean): RequestCheck {
  const list = asList(effects);
  return scenarioCheck(policy, scenario, (_request, decision) =>
    list.includes(decision.effect) === wanted
      ? undefined
      : { why: `the decision is \`${decision.effect}\` (${decision.reasons.map((r) => r.code).join(", ")})`, decisions: { decision } },
  );
}

/** No request of the scenario is decided with one of these effects. */
export function never(policy: Policy, scenario: Scenario, effects: Effects, options?: RunOptions): void {
  const title = `${policyLabel(policy)}: never ${asList(effects).map((e) => `\`${e}\``).join(" or ")} for ${describeScenario(scenario)}`;
  run(title, arbitrariesOf(policy).requests(scenario), effectCheck(policy, scenario, effects, false), options);
}

/** Every request of the scenario is decided with one of these effects. */
export function always(policy: Policy, scenario: Scenario, effects: Effects, options?: RunOptions): void {
  const title = `${policyLabel(policy)}: always ${asList(effects).map((e) => `\`${e}\``).join(" or ")} for ${describeScenario(scenario)}`;
  run(title, arbitrariesOf(policy).requests(scenario), effectCheck(policy, scenario, effects, true), options);
}

/**
 * tools/list agrees with tools/call, for the same principal, annotations, client, session and time:
 * a tool it hides (`never`) is denied on every call, and a tool it shows as `always` is allowed,
 * without approval, on every call whose arguments satisfy the tool's `args` block. (A tool shown as
 * `depends` is allowed for some arguments only; no finite search can prove that one call exists.)
 */
export function toolsListMatchesCalls(policy: Policy, options: RunOptions & { scenario?: Omit<Scenario, "method" | "args"> } = {}): void {
  const scenario: Scenario = { ...options.scenario, method: "tools/call" };
  const gen = arbitrariesOf(policy);
  const arb = fc.oneof(
    { weight: 3, arbitrary: gen.requests({ ...scenario, args: "valid" }) },
    { weight: 1, arbitrary: gen.requests({ ...scenario, args: "mixed" }) },
  );
  const check = scenarioCheck(policy, scenario, (call, decision) => {
    const { arguments: _args, ...rest } = call;
    const listed = policy.decide({ ...rest, method: "tools/list" });
    const tool = `\`${call.tool}\``;
    const decisions = { "tools/list": listed, "tools/call": decision };
    if (listed.visibility === "never" && decision.effect !== "deny") {
      return { why: `tools/list hides ${tool} (visibility \`never\`), but this call is \`${decision.effect}\``, decisions };
    }
    if (listed.visibility === "always") {
      // Valid for every block that applies (tool families, the server's blocks).
      const server = typeof call.server?.name === "string" ? call.server.name : undefined;
      const valid = toolBlocks(policy.ir, call.tool ?? "", server).every((b) => !b.args || checkValue(b.args, call.arguments ?? {}, "args") === null);
      if (valid && decision.effect !== "allow") {
        return { why: `tools/list shows ${tool} as always allowed, but this call, whose arguments are valid, is \`${decision.effect}\``, decisions };
      }
    }
    return undefined;
  });
  run(`${policyLabel(policy)}: tools/list must agree with tools/call for ${describeScenario(scenario)}`, arb, check, options);
}

/**
 * Whether a path lies in a root (the root itself or below it), read the plain POSIX way: relative
 * paths from the root, `..` resolved. A reference for properties, independent of the policy engine.
 */
export function isInside(path: unknown, root: string): boolean {
  if (typeof path !== "string") return false;
  const resolved = nodePath.posix.resolve(root, path);
  return resolved === root || resolved.startsWith(root.endsWith("/") ? root : `${root}/`);
}
