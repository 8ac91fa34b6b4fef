/**
 * Stage `role-includes`: resolves `includes` between roles. Reports includes of unknown roles (E0101,
 * with the nearest name) and each include cycle once (E0104). Guarantees: every declared role has a
 * closure (itself and every role it includes, transitively, sorted); unknown includes and the edge
 * that closes a cycle are left out, so the closure is finite and well defined.
 */
import { includesCycle, unknownRole } from "../../diagnostics/catalog.js";
import type { Symbols } from "../scope.js";
import { defineStage } from "../state.js";

export const roleIncludesStage = defineStage({
  name: "role-includes",
  needs: ["declarations"],
  produces: ["closures"],
  input: "any",
  run({ sym }) {
    return { closures: roleClosures(sym) };
  },
});

function roleClosures(sym: Symbols): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of sym.roles.values()) {
    for (const inc of r.includes) if (!sym.roles.has(inc.text)) sym.diagnostics.push(unknownRole(inc.span, inc.text, sym.roles.keys()));
  }
  const state = new Map<string, "visiting" | "done">();
  const reported = new Set<string>();
  const visit = (name: string, stack: string[]): Set<string> => {
    const acc = new Set<string>([name]);
    if (state.get(name) === "done") {
      for (const x of out.get(name) ?? []) acc.add(x);
      return acc;
    }
    state.set(name, "visiting");
    const decl = sym.roles.get(name)!;
    for (const inc of decl.includes) {
      if (!sym.roles.has(inc.text)) continue;
      if (state.get(inc.text) === "visiting") {
        const chain = [...stack.slice(stack.indexOf(inc.text)), name, inc.text];
        const key = [...new Set(chain)].sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          sym.diagnostics.push(includesCycle(inc.span, chain.slice(chain.indexOf(inc.text))));
        }
        continue;
      }
      for (const x of visit(inc.text, [...stack, name])) acc.add(x);
    }
    state.set(name, "done");
    out.set(name, [...acc].sort());
    return acc;
  };
  for (const name of sym.roles.keys()) if (state.get(name) !== "done") visit(name, []);
  return out;
}
