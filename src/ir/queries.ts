/**
 * Pure questions about IR, shared by the evaluators so that they answer them the same way.
 */
import type { IrExpr, IrPolicy, IrTool } from "./ir.js";
import { familyTest } from "./match.js";

/** Whether evaluating `e` reads the request's arguments (unknown when answering tools/list). */
export function readsArgs(e: IrExpr): boolean {
  switch (e.k) {
    case "attr":
    case "has":
      return e.root === "args";
    case "not":
      return readsArgs(e.e);
    case "and":
    case "or":
      return e.es.some(readsArgs);
    case "eq":
    case "ne":
    case "lt":
    case "le":
    case "gt":
    case "ge":
    case "in":
    case "contains":
      return readsArgs(e.l) || readsArgs(e.r);
    case "inSet":
    case "matches":
    case "regex":
    case "carries":
    case "derives":
      return readsArgs(e.l);
    case "default":
      return readsArgs(e.e) || readsArgs(e.d);
    case "pathRead":
    case "anyPathArg":
      return true;
    case "history":
      // A `where` reads the current call too (`event.*` is the past event's).
      return (e.m.where !== undefined && readsArgs(e.m.where)) || (e.since?.where !== undefined && readsArgs(e.since.where));
    case "lit":
    case "list":
    case "event":
      return false;
  }
}

/** A canonical text of an expression: equal texts mean the same condition (for duplicate detection). */
export function exprText(e: IrExpr): string {
  switch (e.k) {
    case "lit":
      return JSON.stringify(e.value);
    case "list":
      return `[${e.values.map((v) => JSON.stringify(v)).join(",")}]`;
    case "attr":
      return e.text;
    case "has":
      return `has ${e.text}`;
    case "not":
      return `not(${exprText(e.e)})`;
    case "and":
    case "or":
      return `${e.k}(${e.es.map(exprText).join(",")})`;
    case "eq":
    case "ne":
    case "lt":
    case "le":
    case "gt":
    case "ge":
    case "in":
    case "contains":
      return `${e.k}${e.k === "in" && e.negate ? "!" : ""}(${exprText(e.l)},${exprText(e.r)})`;
    case "inSet":
      return `inSet${e.negate ? "!" : ""}(${exprText(e.l)},${e.set.name})`;
    case "matches":
      return `matches(${exprText(e.l)},${JSON.stringify(e.pattern)})`;
    case "default":
      return `default(${exprText(e.e)},${exprText(e.d)})`;
    case "regex":
      return `regex(${exprText(e.l)},${JSON.stringify(e.pattern)},${JSON.stringify(e.flags)})`;
    case "pathRead":
      return `path(${exprText(e.l)},${e.op ?? "-"},${e.op ? exprText(e.r) : "-"},${e.op && e.set ? e.set.name : "-"},${JSON.stringify(e.byTool)})`;
    case "anyPathArg":
      return `anyPathArg(${e.op},${exprText(e.r)},${e.set ? e.set.name : "-"},${JSON.stringify(e.byTool)})`;
    case "carries":
      return `carries(${exprText(e.l)},${e.detector})`;
    case "derives":
      return `derives(${exprText(e.l)},${JSON.stringify(e.label)})`;
    case "history": {
      const m = (x: NonNullable<typeof e.since>) => `${x.kind}:${JSON.stringify(x.tools)}:${x.where ? exprText(x.where) : "-"}`;
      return `history(${e.op},${m(e.m)},${e.since ? m(e.since) : "-"},${e.windowMs ?? "-"},${e.value ? e.value.text : "-"})`;
    }
    case "event":
      return `${e.has ? "has " : ""}${e.text}`;
  }
}

/**
 * Every tool block that applies to a call of tool `name` on upstream `server` (undefined: the request
 * names no server), in the order their parts are checked: the top-level exact block, the top-level
 * families whose glob matches (source order), then the server block's exact block and its matching
 * families. THE one answer to "which blocks apply to this tool": the evaluators, the policy facade, the
 * analysis and the testing kit all ask it.
 */
export function toolBlocks(ir: IrPolicy, name: string, server?: string): IrTool[] {
  const out: IrTool[] = [];
  const exact = ir.tools.get(name);
  if (exact) out.push(exact);
  for (const f of ir.families) if (familyTest(f)(name)) out.push(f);
  const s = server === undefined ? undefined : ir.servers.get(server);
  if (s) {
    const e = s.tools.get(name);
    if (e) out.push(e);
    for (const f of s.families) if (familyTest(f)(name)) out.push(f);
  }
  return out;
}

/**
 * The server-scoped tool blocks that would apply to `name` for some server: when a request names no
 * server, these cannot be told apart from calls to their servers, so the call is denied (never skipped).
 */
export function serverScopedBlocks(ir: IrPolicy, name: string): IrTool[] {
  const out: IrTool[] = [];
  for (const s of ir.servers.values()) {
    const e = s.tools.get(name);
    if (e) out.push(e);
    for (const f of s.families) if (familyTest(f)(name)) out.push(f);
  }
  return out;
}

/** Every tool block of the policy (top-level exact, families, then each server's), for walks over all of them. */
export function allToolBlocks(ir: IrPolicy): IrTool[] {
  const out: IrTool[] = [...ir.tools.values(), ...ir.families];
  for (const s of ir.servers.values()) out.push(...s.tools.values(), ...s.families);
  return out;
}

/** The budget ids of each server block's own limits, by server (servers with limits only), frozen. */
export function serverBudgetsOf(ir: IrPolicy): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const s of ir.servers.values()) if (s.budgets.length) out.set(s.name, Object.freeze(s.budgets.map((b) => b.id)));
  return out;
}
