// Types of plain.mjs, for the TypeScript tests.
import type { Scenario } from "../scenario.mjs";
import type { Adapter } from "./adapter.mjs";
export function load(sc: Scenario): Adapter;
