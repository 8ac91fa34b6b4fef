/**
 * Policy test files (`NAME.test.yaml`): named requests with their expected decisions, run against a
 * policy with rule coverage. `mcppolicy test` is this module on the command line.
 */
export { loadPolicyTests, parsePolicyTests, defaultPolicyPath, mergeRequest, TEST_FILE_SUFFIXES } from "./load.js";
export type { LoadResult, PolicyTestCase, PolicyTestFile, Position, Reference, TestExpectation, TestFileError } from "./load.js";
export { runPolicyTests, compare } from "./run.js";
export type { CaseResult, CaseStatus, FileResult, PolicyTestReport, RunOptions, TestSummary } from "./run.js";
export { coverageItems, exercisedItems } from "./coverage.js";
export type { CoverageItem, CoverageKind, CoveredItem, PolicyCoverage } from "./coverage.js";
export { formatText, formatJson, formatJunit, formatError } from "./report.js";
