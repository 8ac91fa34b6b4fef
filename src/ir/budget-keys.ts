/**
 * What a policy's budgets read from a request to count it: the attribute key parts (`by
 * principal.claims.tenant`, `by args.repo`) as attribute reads, and `by server` as a read of
 * `server.name`. For the testing kit (requests carry the claims and arguments budgets are keyed by) and
 * any other consumer that enumerates budget keys. Pure: reads the IR, changes nothing.
 */
import type { IrBudget, IrExpr, IrPolicy } from "./ir.js";
import { allToolBlocks } from "./queries.js";

/** Every budget of a policy: top level, roles, every tool block (families and server blocks too), server blocks. */
export function allBudgets(ir: IrPolicy): IrBudget[] {
  return [...ir.budgets, ...[...ir.roles.values()].flatMap((r) => r.budgets), ...allToolBlocks(ir).flatMap((t) => t.budgets), ...[...ir.servers.values()].flatMap((s) => s.budgets)];
}

/** The attribute reads the budgets' keys make, one per distinct attribute (as `attr` IR nodes). */
export function budgetKeyReads(ir: IrPolicy): (IrExpr & { k: "attr" })[] {
  const out = new Map<string, IrExpr & { k: "attr" }>();
  for (const b of allBudgets(ir)) {
    for (const k of b.keys) {
      const read: (IrExpr & { k: "attr" }) | undefined =
        k.k === "attr" ? { k: "attr", root: k.root, path: k.path, text: k.text }
        : k.name === "server" ? { k: "attr", root: "server.name", path: [], text: "server.name" }
        : k.name === "principal" ? { k: "attr", root: "principal.id", path: [], text: "principal.id" }
        : k.name === "session" ? { k: "attr", root: "session.id", path: [], text: "session.id" }
        : k.name === "client" ? { k: "attr", root: "client.ip", path: [], text: "client.ip" }
        : undefined; // `role`, `tool`: from the decision and the target
      if (read === undefined) continue;
      out.set(JSON.stringify([read.root, read.path]), read);
    }
  }
  return [...out.values()];
}
