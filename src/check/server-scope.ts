/**
 * A deny written inside `server "NAME" { ... }` is a top-level deny with one more condition:
 * `server.name == "NAME"`, put FIRST in its `when`. Guarantees: the rule can only deny calls to that
 * server; a request that names no server makes the read of `server.name` err, so the deny turns into an
 * `evaluation_error` deny (an attacker cannot dodge a server's denies by leaving `server` out).
 */
import type { IrExpr, IrRule } from "../ir/ir.js";

export function serverCondition(server: string): IrExpr {
  return { k: "eq", l: { k: "attr", root: "server.name", path: [], text: "server.name" }, r: { k: "lit", value: server } };
}

export function scopeToServer(rule: IrRule, server: string): IrRule {
  const cond = serverCondition(server);
  return { ...rule, when: rule.when ? { k: "and", es: [cond, rule.when] } : cond };
}
