/**
 * Stage `lower`: assembles the IR from the products of the stages before it. Runs only on a policy
 * without errors. Guarantees: the IR exists only for an error-free check; it names the policy (header
 * name, else the main file), defaults to deny, holds each redaction key once and every set that
 * lowered (declared ones in declaration order, then built-in ones in the order first named).
 */
import type { IrPolicy, IrSet } from "../../ir/ir.js";
import { defineStage } from "../state.js";

export const lowerStage = defineStage({
  name: "lower",
  needs: ["declarations", "retention", "sets", "ruleCount", "topDenies", "roles", "tools", "families", "servers", "budgets", "results"],
  produces: ["ir"],
  input: "error-free",
  run({ main, declarations, retention, sets, ruleCount, topDenies, roles, tools, families, servers, budgets, results }) {
    const ir: IrPolicy = {
      name: main.header?.name ?? main.file,
      ...(main.header?.version !== undefined && { version: main.header.version }),
      defaultEffect: declarations.defaultDecl?.effect ?? "deny",
      shadow: declarations.shadow,
      roles,
      topDenies,
      tools,
      families,
      servers,
      budgets,
      redactKeys: [...new Set(declarations.redactKeys)],
      sets: new Map([...sets].filter((e): e is [string, IrSet] => e[1] !== null)),
      ruleCount,
      results,
      session: { retain: retention },
    };
    return { ir };
  },
});
