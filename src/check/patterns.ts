/**
 * A rule's patterns, checked and lowered (called by the rule stages for every rule). A bare name is a
 * `tool` set (tool rules), else an exact name; a quoted string is a glob, refused when it says more
 * than globs support (E0210). Names that would make a rule silently match nothing are errors: a
 * constant or a non-tool set used as a name (E0116), the quoted name of a tool set in a deny (E0116),
 * and, in a deny, a near miss of a declared tool or set (E0114; in an allow, where it can only grant
 * less, it stays the W0006 warning). Guarantees: every pattern returned is one `irPattern` built.
 */
import type * as A from "../ast/nodes.js";
import { notAPattern, quotedSetName, undeclaredTool, unresolvedDenyName, unsupportedGlob } from "../diagnostics/catalog.js";
import { closest } from "../diagnostics/suggest.js";
import { globLiteral } from "../builtins/glob/glob.js";
import { compileGlob } from "../builtins/registry.js";
import { globProblem } from "../builtins/glob/glob-syntax.js";
import type { IrPattern } from "../ir/ir.js";
import type { Symbols } from "./scope.js";
import { resolveSet } from "./sets.js";

/**
 * The IR of one pattern text: an exact name when the text has no glob syntax, else a glob.
 * This is the only place the checker builds a pattern.
 */
export function irPattern(text: string, target: A.TargetKind): IrPattern {
  const lit = globLiteral(text);
  if (lit !== undefined) return { kind: "exact", text: lit };
  return { kind: "glob", text, syntax: target === "resource" ? "uri" : "name" };
}

/** Names that differ only in their numbers (`tool_216`, `tool_21`) are families, not typos. */
function sameButNumbers(a: string, b: string): boolean {
  return a.replace(/\d+/g, "#") === b.replace(/\d+/g, "#");
}

/** The W0006 suggestion for an undeclared bare tool name, memoized per name (large policies repeat names). */
function toolNameSuggestion(sym: Symbols, name: string): string | undefined {
  const memo = (sym.suggestions ??= new Map());
  if (memo.has(name)) return memo.get(name) ?? undefined;
  sym.toolNames ??= [...declaredToolNames(sym), ...[...sym.setDecls.values()].filter((s) => s.setKind.text === "tool").map((s) => s.name.text)];
  const near = closest(name, sym.toolNames);
  const hint = near && near !== name && !sameButNumbers(near, name) ? near : undefined;
  memo.set(name, hint ?? null);
  return hint;
}

/** The exact tool names the policy declares blocks for (top level and in server blocks; families are not names). */
function declaredToolNames(sym: Symbols): string[] {
  const out = [...sym.tools.keys()].filter((n) => !/[*?]/.test(n));
  for (const s of sym.servers.values()) for (const t of s.tools) if (!/[*?]/.test(t.name.text)) out.push(t.name.text);
  return out;
}

/** Whether some tool block (exact, or a family whose glob matches; top level or in a server block) describes `name`. */
function describedTool(sym: Symbols, name: string): boolean {
  const memo = (sym.described ??= new Map());
  let v = memo.get(name);
  if (v === undefined) {
    const blocks = [...sym.tools.values(), ...[...sym.servers.values()].flatMap((s) => s.tools)];
    v = blocks.some((t) => (/[*?]/.test(t.name.text) ? !globProblem(t.name.text, "tool") && !/[[\]]/.test(t.name.text) && compileGlob(t.name.text, "name")(name) : t.name.text === name));
    memo.set(name, v);
  }
  return v;
}

export function lowerPatterns(sym: Symbols, r: A.RuleDecl): IrPattern[] {
  const built: IrPattern[] = [];
  // One pattern object per (target, text) in the whole policy: the IR is immutable, and a policy of many
  // roles names the same tools again and again (issue 16: patterns were a fifth of what a role kept).
  const memo = (sym.patterns ??= new Map());
  const out = {
    push(x: IrPattern): void {
      const key = `${x.kind === "glob" ? x.syntax : "="}\u0000${x.text}`;
      let same = memo.get(key);
      if (same === undefined) memo.set(key, (same = x));
      built.push(same);
    },
  };
  const d = sym.diagnostics;
  const deny = r.effect === "deny";
  for (const p of r.patterns) {
    if (p.quoted) {
      const problem = globProblem(p.text, r.target);
      if (problem) {
        d.push(unsupportedGlob(p.span, p.text, problem.what, problem.hint));
        continue;
      }
      const lit = globLiteral(p.text);
      if (deny && r.target === "tool" && lit !== undefined && !sym.tools.has(lit) && sym.setDecls.get(lit)?.setKind.text === "tool") {
        d.push(quotedSetName(p.span, lit));
        continue;
      }
      out.push(irPattern(p.text, r.target));
      continue;
    }
    if (r.target === "tool") {
      const set = sym.setDecls.get(p.text);
      if (set) {
        const lowered = resolveSet(sym, p.text, p.span);
        if (lowered && lowered.kind !== "tool") {
          d.push({ ...undeclaredTool(p.span, p.text, "this names a set that is not a `tool` set"), code: "E0202", severity: "error", message: `set \`${p.text}\` holds ${lowered.kind} items, but tool patterns are needed here` });
          continue;
        }
        if (lowered && lowered.kind === "tool") for (const item of lowered.patterns) out.push(irPattern(item, "tool"));
        continue;
      }
      if (!describedTool(sym, p.text)) {
        if (sym.consts.has(p.text)) {
          d.push(notAPattern(p.span, p.text, "a constant", "tool"));
          continue;
        }
        const near = toolNameSuggestion(sym, p.text);
        if (near && deny) d.push(unresolvedDenyName(p.span, p.text, near, sym.tools.has(near) ? "tool" : "tool set", "tool"));
        else if (near) d.push(undeclaredTool(p.span, p.text, `did you mean \`${near}\`?`));
      }
    } else {
      // Prompts and resources have no sets: a bare name is the exact prompt name or URI.
      const set = sym.setDecls.get(p.text);
      if (set || sym.consts.has(p.text)) {
        d.push(notAPattern(p.span, p.text, set ? `a set of ${set.setKind.text} items` : "a constant", r.target));
        continue;
      }
      const near = deny ? closest(p.text, sym.setDecls.keys()) : undefined;
      if (near) d.push(unresolvedDenyName(p.span, p.text, near, "set", r.target));
    }
    out.push(irPattern(p.text, r.target));
  }
  return built;
}
