/**
 * Stage `session`: the main file's `session retain N events for DURATION` (defaults 1000 events, 24
 * hours). Guarantees: the retention is bounded by LIMITS (E0264), given once and only in the main file
 * (E0113), and known before any condition is lowered, so a history window longer than the retention is reported where it is written (E0265,
 * check/history.ts).
 */
import { lowerRetention } from "../history.js";
import { defineStage } from "../state.js";

export const sessionStage = defineStage({
  name: "session",
  needs: ["declarations"],
  produces: ["retention"],
  input: "any",
  run({ files, main, sym }) {
    return { retention: lowerRetention(sym, files, main) };
  },
});
