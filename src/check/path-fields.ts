/**
 * THE lookup of path-typed arguments: for the tools a name or rule target can be, which arguments their
 * `args` blocks type `path(...)`, where (at any depth: object fields, and every item of an `array(...)`)
 * and with which path type (lowered as data, the same object every time for one declaration). Typed
 * path reads (path-reads.ts) and `any path arg` (any-path-arg.ts) read tools only through here, so
 * tool families are seen in one place (`toolPaths`, `targetBlocks`).
 * Guarantees: a type that does not lower cleanly (its problems are reported by the `tools` stage) is
 * not a path type here; unions and open objects' undeclared fields are not followed (a union member
 * typed `path` is reported by `unionPaths` so the caller can refuse to guess).
 */
import type * as A from "../ast/nodes.js";
import type { IrArgStep, IrPathField, IrPattern, IrToolPaths } from "../ir/ir.js";
import type { PathSpec } from "../builtins/registry.js";
import { lowerType } from "./arg-types.js";
import type { Symbols } from "./scope.js";
import { blocksOfName, familyCovering, isFamilyName } from "./arg-typing.js";

const memo = new WeakMap<A.ToolDecl, IrPathField[] | undefined>();

/** The path-typed fields of one declared tool's `args` block; undefined when it has no object `args`. */
export function pathFieldsOf(sym: Symbols, tool: A.ToolDecl): readonly IrPathField[] | undefined {
  if (memo.has(tool)) return memo.get(tool);
  const args = tool.args;
  const out = args && args.kind === "object" ? walk(sym, args, [], "args") : undefined;
  memo.set(tool, out);
  return out;
}

function walk(sym: Symbols, t: A.TypeExpr, at: IrArgStep[], text: string, out: IrPathField[] = []): IrPathField[] {
  if (t.kind === "object") {
    for (const f of t.fields) walk(sym, f.type, [...at, f.name.text], `${text}.${f.name.text}`, out);
  } else if (t.kind === "named" && t.name.text === "path") {
    // Lowered on a scratch sink: the `tools` stage reports this type's problems once.
    const lowered = lowerType({ ...sym, diagnostics: [] }, t);
    if (lowered.t === "check" && lowered.kind === "path") {
      const spec: PathSpec = { kind: "path", params: lowered.params, ...(lowered.maxLength !== undefined && { maxLength: lowered.maxLength }) };
      out.push({ at, text, spec });
    }
  } else if (t.kind === "named" && t.name.text === "array") {
    const item = t.positional[0];
    if (item && item.kind !== "string" && item.kind !== "number" && item.kind !== "boolean") walk(sym, item, [...at, null], `${text}[]`, out);
  }
  return out;
}

/** Whether a union anywhere in the tool's `args` has a `path(...)` member (not followed by `walk`). */
export function unionPaths(tool: A.ToolDecl): boolean {
  const seen = (t: A.TypeExpr, inUnion: boolean): boolean => {
    if (t.kind === "object") return t.fields.some((f) => seen(f.type, inUnion));
    if (t.kind === "union") return t.members.some((m) => seen(m, true));
    if (t.name.text === "path") return inUnion;
    return t.positional.some((p) => (p.kind === "object" || p.kind === "named" || p.kind === "union") && seen(p, inUnion));
  };
  return !!tool.args && seen(tool.args, false);
}

/**
 * Per declared tool with path-typed arguments, its pattern and fields (source order): what an
 * `any path arg` node carries; a family carries its glob.
 */
export function toolPaths(sym: Symbols): IrToolPaths[] {
  const out: IrToolPaths[] = [];
  const add = (t: A.ToolDecl, server: string | undefined) => {
    const fields = pathFieldsOf(sym, t);
    const text = t.name.text;
    if (fields && fields.length > 0) out.push({ tool: isFamilyName(text) ? { kind: "glob", text, syntax: "name" } : { kind: "exact", text }, fields, ...(server !== undefined && { server }) });
  };
  for (const t of sym.tools.values()) add(t, undefined);
  for (const s of sym.servers.values()) for (const t of s.tools) add(t, s.name.text);
  return out;
}

/**
 * The declared tool blocks that apply to every call each of a rule's patterns can target (an exact
 * name: its block and the families matching it; a glob: the family of that glob, or `"*"`), or
 * undefined when some target has none (an undeclared name, a glob no family covers). Every block of a
 * call must pass, so an argument one of them types `path(...)` is a path for that target.
 */
export function targetBlocks(sym: Symbols, patterns: readonly IrPattern[], server?: string): { pattern: IrPattern; decls: A.ToolDecl[] }[] | undefined {
  const out: { pattern: IrPattern; decls: A.ToolDecl[] }[] = [];
  for (const p of patterns) {
    const family = p.kind === "glob" ? familyCovering(sym, p.text) : undefined;
    const decls = p.kind === "exact" ? blocksOfName(sym, p.text, server) : family ? [family] : [];
    if (decls.length === 0) return undefined;
    out.push({ pattern: p, decls });
  }
  return out;
}
