// Types of mcppolicy.mjs, for the TypeScript tests.
import type { Scenario } from "../scenario.mjs";
import type { Adapter } from "./adapter.mjs";
export function policyText(sc: Scenario): string;
export function load(sc: Scenario): Adapter;
