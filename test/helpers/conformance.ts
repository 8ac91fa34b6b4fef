/**
 * Loads the conformance corpus (test/conformance/*.yaml): policy text plus requests and expected
 * decisions, as data. Shared by the conformance test and the differential property test.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";

export interface ExpectedDecision {
  effect: "allow" | "deny" | "require_approval";
  reasons?: { code: string; rule?: string }[];
  visibility?: string;
  roles?: string[];
  budgets?: string[];
  messageIncludes?: string;
  /** The decision's risk (`low` ... `critical`), or `none` for no risk. */
  risk?: string;
  /** Who may approve (`require_approval` only), or `none` when the decision carries no approvers. */
  approvers?: "none" | { kind: "caller" | "others" | "roles"; roles?: string[] };
}

export interface ConformanceCase {
  name: string;
  request: unknown;
  expect: ExpectedDecision;
}

export interface ConformanceGroup {
  file: string;
  policy: string;
  /** Where the policy text came from when the case file names one with `policyFile:` (imports resolve from there). */
  policyPath?: string;
  cases: ConformanceCase[];
}

export const CONFORMANCE_DIR = join(import.meta.dirname, "..", "conformance");

export function loadConformance(): ConformanceGroup[] {
  const groups: ConformanceGroup[] = [];
  for (const f of readdirSync(CONFORMANCE_DIR).filter((n) => n.endsWith(".yaml")).sort()) {
    const doc = parse(readFileSync(join(CONFORMANCE_DIR, f), "utf8")) as {
      policy?: string;
      policyFile?: string;
      cases?: ConformanceCase[];
      policies?: { policy: string; cases: ConformanceCase[] }[];
    };
    if (doc.policyFile !== undefined) {
      const policyPath = resolve(dirname(join(CONFORMANCE_DIR, f)), doc.policyFile);
      groups.push({ file: f, policy: readFileSync(policyPath, "utf8"), policyPath, cases: doc.cases ?? [] });
    }
    if (doc.policy !== undefined) groups.push({ file: f, policy: doc.policy, cases: doc.cases ?? [] });
    for (const g of doc.policies ?? []) groups.push({ file: f, policy: g.policy, cases: g.cases });
  }
  return groups;
}
