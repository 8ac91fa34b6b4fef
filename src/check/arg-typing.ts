/**
 * Which `args` blocks a condition is typed against, and what they say about one `args.PATH`.
 * `argScopeOfRule` / `argScopeOfApproval` are THE lookup of "the tool blocks that apply to the calls
 * this condition sees" (tool families join here). A field's static type is read from the AST type:
 * `string`, `path`, `url`, `ip`, `sql` (constraint kinds read strings) are strings, `number` and
 * `integer` numbers, `boolean`, `enum(...)` (the type of its values when they share one), `array(...)`
 * a list, `{ ... }` an object; unions, `any`, `json(...)` and anything under an open object's
 * undeclared keys are not followed (any).
 * Guarantees: pure over the symbol tables; an undeclared tool, a glob or a tool set makes the scope
 * `open` (some call may reach a tool no block describes).
 */
import type * as A from "../ast/nodes.js";
import type { IrPattern } from "../ir/ir.js";
import type { Symbols } from "./scope.js";
import { compileGlob } from "../builtins/registry.js";

/** A tool block name holding a wildcard names a family (as stages/tools.ts reads it). */
export const isFamilyName = (text: string): boolean => /[*?]/.test(text);

/** The static types a field can have (a subset of the checker's). */
export type FieldType = "string" | "number" | "boolean" | "list" | "object" | "any";

export interface ArgBlock {
  /** The tool (or family) the block is declared for. */
  readonly tool: string;
  /** Its `args` type; undefined: the block declares no arguments (any call arguments pass). */
  readonly args: A.TypeExpr | undefined;
}

export interface ArgScope {
  /** Every block that applies to some call the condition sees. */
  readonly blocks: readonly ArgBlock[];
  /** Whether some call may reach a tool none of `blocks` describes (a glob, a tool set, an undeclared tool). */
  readonly open: boolean;
  /** The first target that makes it open, as written. */
  readonly openBy?: string;
  /** What reads the arguments: a deny or allow rule, or a tool's approval condition. */
  readonly reader: "deny" | "allow" | "approval";
}

/**
 * The blocks that apply to every call of the exact tool `name`: its exact block, then the families
 * whose glob matches it (source order); for a rule written in a server block, that server's blocks too
 * (other servers' blocks apply to some calls only).
 */
export function blocksOfName(sym: Symbols, name: string, server?: string): A.ToolDecl[] {
  const out: A.ToolDecl[] = [];
  const add = (decls: Iterable<A.ToolDecl>) => {
    const list = [...decls];
    for (const d of list) if (d.name.text === name && !isFamilyName(name)) out.push(d);
    for (const d of list) if (isFamilyName(d.name.text) && compileGlob(d.name.text, "name")(name)) out.push(d);
  };
  add(sym.tools.values());
  // Inside a server block, that server's blocks apply to every call the rule sees too.
  const s = server === undefined ? undefined : sym.servers.get(server);
  if (s) add(s.tools);
  return out;
}

/**
 * One block per target tool for typing: every block of a tool must pass, so a field is typed by the
 * first of its blocks that declares `args` (the exact block, then the families). A glob target is
 * described only by a family with the same glob or `"*"` (every tool it matches gets that block);
 * otherwise it is open.
 */
function blockOfTarget(sym: Symbols, p: IrPattern, server: string | undefined): ArgBlock | undefined {
  if (p.kind === "exact") {
    const decls = blocksOfName(sym, p.text, server);
    if (decls.length === 0) return undefined;
    const typed = decls.find((d) => d.args !== undefined) ?? decls[0]!;
    return { tool: typed.name.text, args: typed.args };
  }
  const family = familyCovering(sym, p.text);
  return family ? { tool: family.name.text, args: family.args } : undefined;
}

/** The top-level family that applies to every tool the glob target `glob` matches: its own, or `"*"`. */
export function familyCovering(sym: Symbols, glob: string): A.ToolDecl | undefined {
  const family = sym.tools.get(glob) ?? sym.tools.get("*");
  return family && isFamilyName(family.name.text) ? family : undefined;
}

/** The blocks of the tools a tool rule can target (from its lowered patterns). Undefined: not a tool rule. */
export function argScopeOfRule(sym: Symbols, rule: A.RuleDecl, patterns: readonly IrPattern[], server?: string): ArgScope | undefined {
  if (rule.target !== "tool" || patterns.length === 0) return undefined;
  const blocks: ArgBlock[] = [];
  let openBy: string | undefined;
  for (const p of patterns) {
    const block = blockOfTarget(sym, p, server);
    if (!block) openBy ??= p.text;
    else blocks.push(block);
  }
  return { blocks, open: openBy !== undefined, ...(openBy !== undefined && { openBy }), reader: rule.effect };
}

/** The block of the tool whose `approval required when` this is. */
export function argScopeOfApproval(tool: A.ToolDecl): ArgScope {
  return { blocks: [{ tool: tool.name.text, args: tool.args }], open: false, reader: "approval" };
}

/** What one block says about `args.<segs>`. */
export type FieldFact =
  /** The block closes an object on the way and declares no such key: valid calls never carry it. */
  | { readonly kind: "undeclared"; readonly field: string; readonly known: readonly string[] }
  /**
   * Declared. `optionalDepth`: how many leading segments reach the last optional key (`x?:`) on the
   * way (0: none), so a guard must cover that prefix.
   */
  | { readonly kind: "declared"; readonly type: FieldType; readonly declared: string; readonly optionalDepth: number }
  /**
   * Not known: `no-args` (the block declares no `args`), `open` (an open object's other keys): a call may
   * lack it; `not-followed` (a union, `json(...)`, `any`): the analysis says nothing.
   */
  | { readonly kind: "unknown"; readonly reason: "no-args" | "open" | "not-followed"; readonly field: string };

function staticType(t: A.TypeExpr): { type: FieldType; declared: string } {
  if (t.kind === "object") return { type: "object", declared: "{ ... }" };
  if (t.kind === "union") return { type: "any", declared: "a union" };
  const name = t.name.text;
  switch (name) {
    case "string":
    case "path":
    case "url":
    case "ip":
    case "sql":
      return { type: "string", declared: name };
    case "number":
    case "integer":
      return { type: "number", declared: name };
    case "boolean":
      return { type: "boolean", declared: name };
    case "array":
      return { type: "list", declared: "array" };
    case "enum": {
      const kinds = new Set(t.positional.map((v) => v.kind));
      const only = kinds.size === 1 ? [...kinds][0] : undefined;
      return only === "string" || only === "number" || only === "boolean" ? { type: only, declared: "enum" } : { type: "any", declared: "enum" };
    }
    default:
      return { type: "any", declared: name };
  }
}

/** Walk `segs` through a block's type. */
export function fieldFact(block: ArgBlock, segs: readonly string[]): FieldFact {
  let t: A.TypeExpr | undefined = block.args;
  let optionalDepth = 0;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (!t) return { kind: "unknown", reason: "no-args", field: seg };
    if (t.kind !== "object") return { kind: "unknown", reason: "not-followed", field: seg };
    const f = t.fields.find((x) => x.name.text === seg);
    if (!f) return t.open ? { kind: "unknown", reason: "open", field: seg } : { kind: "undeclared", field: seg, known: t.fields.map((x) => x.name.text) };
    if (f.optional) optionalDepth = i + 1;
    t = f.type;
  }
  if (!t) return { kind: "unknown", reason: "no-args", field: "" };
  return { kind: "declared", ...staticType(t), optionalDepth };
}

/** A typed read: the type every block agrees on, and where it is declared (for the hint). */
export interface ArgType {
  readonly type: FieldType;
  readonly declared: string;
  readonly tool: string;
}

/**
 * The static type of `args.<segs>` when every call the condition sees goes to a block that declares it
 * with one type; undefined otherwise (any).
 */
export function argTypeOf(scope: ArgScope | undefined, segs: readonly string[]): ArgType | undefined {
  if (!scope || scope.open || scope.blocks.length === 0 || segs.length === 0) return undefined;
  let out: ArgType | undefined;
  for (const b of scope.blocks) {
    const f = fieldFact(b, segs);
    if (f.kind !== "declared" || f.type === "any") return undefined;
    if (out && out.type !== f.type) return undefined;
    out ??= { type: f.type, declared: f.declared, tool: b.tool };
  }
  return out;
}
