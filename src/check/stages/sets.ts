/**
 * Stage `sets`: lowers every declared `set` (see ../sets.ts), in declaration order, so each one's
 * mistakes are reported once even when no rule names it. Guarantees: `sets` holds every declared set,
 * lowered or null when broken; built-in CIDR sets are added later, when a condition first names one.
 */
import { resolveSet } from "../sets.js";
import { defineStage } from "../state.js";

export const setsStage = defineStage({
  name: "sets",
  needs: ["declarations"],
  produces: ["sets"],
  input: "any",
  run({ sym }) {
    for (const name of sym.setDecls.keys()) resolveSet(sym, name);
    return { sets: sym.sets };
  },
});
