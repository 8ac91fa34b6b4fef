/**
 * The checker: runs the named stages over the merged declarations of a policy and its imports —
 * declarations (collect, duplicates, placement) -> sets -> roles (includes, closure) -> rules
 * (patterns, conditions) -> tools (risk, approval, args, limits) -> lints — and lowers the result to
 * IR. Returns the IR only when no error was found.
 */
import type * as A from "../ast/nodes.js";
import {
  defaultAllow,
  duplicateDeclaration,
  includesCycle,
  invalidRisk,
  invalidToolBlockName,
  notAPattern,
  quotedSetName,
  redactPattern,
  unresolvedDenyName,
  unsupportedGlob,
  misplaced,
  missingHeader,
  typeMismatch,
  tooManyRules,
  topLevelAllow,
  undeclaredTool,
  unknownRole,
} from "../diagnostics/catalog.js";
import { hasErrors, type Diagnostic } from "../diagnostics/diagnostic.js";
import { closest } from "../diagnostics/suggest.js";
import { globLiteral } from "../builtins/glob/glob.js";
import { globProblem } from "../builtins/glob/glob-syntax.js";
import type { IrBudget, IrPattern, IrPolicy, IrRole, IrRule, IrTool, Risk } from "../ir/ir.js";
import { span } from "../source/source.js";
import { LIMITS } from "../source/limits.js";
import { lowerType } from "./arg-types.js";
import { checkDenyArgs } from "./deny-args.js";
import { lowerCondition } from "./expressions.js";
import { lowerLimit } from "./limits.js";
import { runLints } from "./lints.js";
import { newSymbols, type CheckOptions, type Symbols } from "./scope.js";
import { resolveSet } from "./sets.js";

/** Characters of glob or regex syntax, refused where text is matched plainly (redaction keys). */
const PATTERN_CHARS = /[*?[\]{}()|^$+\\]/;
const longestPlainRun = (text: string) => text.split(new RegExp(`${PATTERN_CHARS.source}+`)).reduce((a, b) => (b.length > a.length ? b : a), "");

export interface CheckResult {
  ir: IrPolicy | undefined;
  diagnostics: Diagnostic[];
}

/** `files[0]` is the main file; the rest are its imports, in the order they were merged. */
export function checkPolicyFiles(files: readonly A.PolicyFileAst[], options: CheckOptions = {}): CheckResult {
  const sym = newSymbols(options);
  const d = sym.diagnostics;
  const main = files[0];
  if (!main) return { ir: undefined, diagnostics: d };
  if (!main.header) d.push(missingHeader(span(main.file, 0, 0)));

  // ---- stage: declarations ----
  let defaultDecl: A.DefaultDecl | undefined;
  const topRules: A.RuleDecl[] = [];
  const topLimits: A.LimitDecl[] = [];
  const redact: string[] = [];
  const firstSpan = new Map<string, A.Name["span"]>();
  const declare = <T>(map: Map<string, T>, what: string, name: A.Name, decl: T) => {
    const key = `${what}:${name.text}`;
    const first = firstSpan.get(key);
    if (first) {
      d.push(duplicateDeclaration(name.span, what, name.text, first));
      return;
    }
    firstSpan.set(key, name.span);
    map.set(name.text, decl);
  };
  // Imports are merged before the main file's own declarations (rule numbering follows this order).
  const ordered = [...files.slice(1), main];
  for (const f of ordered) {
    for (const decl of f.declarations) {
      switch (decl.kind) {
        case "header":
          d.push(misplaced(decl.span, "the `policy` header must come first, once", "move it to the top of the file"));
          break;
        case "default":
          if (f !== main) d.push(misplaced(decl.span, "an imported file cannot set the default effect", "set `default` in the main policy file"));
          else if (defaultDecl) d.push(duplicateDeclaration(decl.span, "default", "default", defaultDecl.span));
          else defaultDecl = decl;
          break;
        case "import":
          break; // resolved by the loader
        case "const":
          declare(sym.consts, "constant", decl.name, decl);
          break;
        case "set":
          declare(sym.setDecls, "set", decl.name, decl);
          break;
        case "role":
          declare(sym.roles, "role", decl.name, decl);
          break;
        case "tool":
          declare(sym.tools, "tool", decl.name, decl);
          break;
        case "rule":
          if (decl.effect === "allow") d.push(topLevelAllow(decl.span));
          else topRules.push(decl);
          break;
        case "limit":
          topLimits.push(decl);
          break;
        case "audit":
          for (const k of decl.redact) {
            // Keys match by substring: a glob or regex here would silently redact nothing (E0212).
            if (PATTERN_CHARS.test(k.text)) d.push(redactPattern(k.span, k.text, longestPlainRun(k.text)));
            else redact.push(k.text.toLowerCase());
          }
          break;
      }
    }
  }
  if (defaultDecl?.effect === "allow") d.push(defaultAllow(defaultDecl.span));

  // ---- stage: sets ----
  for (const name of sym.setDecls.keys()) resolveSet(sym, name);

  // ---- stage: roles (includes and their closure) ----
  const closures = roleClosures(sym);

  // ---- stage: rules ----
  let ruleCount = topRules.length;
  for (const r of sym.roles.values()) ruleCount += r.rules.length;
  if (ruleCount > LIMITS.maxRules) {
    d.push(tooManyRules(span(main.file, 0, 0), LIMITS.maxRules));
    return { ir: undefined, diagnostics: d };
  }
  const topDenies = topRules.map((r, i) => lowerRule(sym, r, `policy/${i + 1}`, undefined));
  const roles = new Map<string, IrRole>();
  for (const r of sym.roles.values()) {
    const members = r.members.map((m) => lowerCondition(sym, m.when).ir);
    const rules = r.rules.map((rule, i) => lowerRule(sym, rule, `${r.name.text}/${i + 1}`, r.name.text));
    const budgets = lowerLimits(sym, r.limits, r.name.text, { level: "role", role: r.name.text });
    roles.set(r.name.text, {
      name: r.name.text,
      members,
      includes: r.includes.filter((i) => sym.roles.has(i.text)).map((i) => i.text),
      closure: closures.get(r.name.text) ?? [r.name.text],
      rules,
      budgets,
      span: r.name.span,
    });
  }

  // ---- stage: tools ----
  const tools = new Map<string, IrTool>();
  for (const t of sym.tools.values()) tools.set(t.name.text, lowerTool(sym, t));
  const budgets = lowerLimits(sym, topLimits, "policy", { level: "policy" });

  // ---- stage: lints (only on a policy without errors: a broken rule would lint falsely) ----
  if (!hasErrors(d)) runLints(sym, { topDenies, roles, defaultDecl });

  if (hasErrors(d)) return { ir: undefined, diagnostics: d };
  const ir: IrPolicy = {
    name: main.header?.name ?? main.file,
    ...(main.header?.version !== undefined && { version: main.header.version }),
    defaultEffect: defaultDecl?.effect ?? "deny",
    roles,
    topDenies,
    tools,
    budgets,
    redactKeys: [...new Set(redact)],
    sets: new Map([...sym.sets].filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== null)),
    ruleCount,
  };
  return { ir, diagnostics: d };
}

function lowerLimits(sym: Symbols, limits: readonly A.LimitDecl[], prefix: string, scope: IrBudget["scope"]): IrBudget[] {
  const out: IrBudget[] = [];
  limits.forEach((l, i) => {
    const b = lowerLimit(sym, l, `${prefix}/limit/${i + 1}`, scope);
    if (b) out.push(b);
  });
  return out;
}

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

/** Names that differ only in their numbers (`tool_216`, `tool_21`) are families, not typos. */
function sameButNumbers(a: string, b: string): boolean {
  return a.replace(/\d+/g, "#") === b.replace(/\d+/g, "#");
}

/** The W0006 suggestion for an undeclared bare tool name, memoized per name (large policies repeat names). */
function toolNameSuggestion(sym: Symbols, name: string): string | undefined {
  const memo = (sym.suggestions ??= new Map());
  if (memo.has(name)) return memo.get(name) ?? undefined;
  sym.toolNames ??= [...sym.tools.keys(), ...[...sym.setDecls.values()].filter((s) => s.setKind.text === "tool").map((s) => s.name.text)];
  const near = closest(name, sym.toolNames);
  const hint = near && near !== name && !sameButNumbers(near, name) ? near : undefined;
  memo.set(name, hint ?? null);
  return hint;
}

/**
 * A rule's patterns. A bare name is a `tool` set (tool rules), else an exact name; a quoted string is a
 * glob, refused when it says more than globs support (E0210). Names that would make a rule silently
 * match nothing are errors: a constant or a non-tool set used as a name (E0116), the quoted name of a
 * tool set in a deny (E0116), and, in a deny, a near miss of a declared tool or set (E0114; in an
 * allow, where it can only grant less, it stays the W0006 warning).
 */
function lowerPatterns(sym: Symbols, r: A.RuleDecl): IrPattern[] {
  const out: IrPattern[] = [];
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
      out.push(pattern(p.text, r.target));
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
        if (lowered && lowered.kind === "tool") for (const item of lowered.patterns) out.push(pattern(item, "tool"));
        continue;
      }
      if (!sym.tools.has(p.text)) {
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
    out.push(pattern(p.text, r.target));
  }
  return out;
}

function pattern(text: string, target: A.TargetKind): IrPattern {
  const lit = globLiteral(text);
  if (lit !== undefined) return { kind: "exact", text: lit };
  return { kind: "glob", text, syntax: target === "resource" ? "uri" : "name" };
}

function lowerRule(sym: Symbols, r: A.RuleDecl, id: string, role: string | undefined): IrRule {
  const when = r.when && lowerCondition(sym, r.when);
  const unless = r.unless && lowerCondition(sym, r.unless);
  const patterns = lowerPatterns(sym, r);
  checkDenyArgs(sym, r, patterns);
  return {
    id,
    effect: r.effect,
    target: r.target,
    patterns,
    ...(when && { when: when.ir }),
    ...(unless && { unless: unless.ir }),
    ...(r.because !== undefined && { because: r.because }),
    ...(role !== undefined && { role }),
    span: r.span,
  };
}

const RISKS: Risk[] = ["low", "medium", "high", "critical"];

/** A tool block describes one tool by the exact name requests carry: no glob, no reserved character. */
function checkToolBlockName(sym: Symbols, name: A.Name): void {
  if (/[*?]/.test(name.text)) {
    sym.diagnostics.push(
      invalidToolBlockName(name.span, name.text, "a glob would name a family of tools, and a tool block describes exactly one tool", "write one `tool` block per tool; rules may still use the glob (`allow tool \"github__*\"`)"),
    );
    return;
  }
  const problem = /[[\]]/.test(name.text) ? { what: "brackets are glob syntax" } : globProblem(name.text, "tool");
  if (problem) sym.diagnostics.push(invalidToolBlockName(name.span, name.text, problem.what, "a tool block names one tool exactly as requests carry it (MCP tool names use letters, digits, `_`, `-` and `.`)"));
}

function lowerTool(sym: Symbols, t: A.ToolDecl): IrTool {
  checkToolBlockName(sym, t.name);
  for (const rep of t.repeated) sym.diagnostics.push(misplaced(rep.span, `\`${rep.what}\` is given twice in tool \`${t.name.text}\``, "keep one"));
  let risk: Risk | undefined;
  if (t.risk) {
    if (RISKS.includes(t.risk.text as Risk)) risk = t.risk.text as Risk;
    else sym.diagnostics.push(invalidRisk(t.risk.span, t.risk.text));
  }
  if (t.args && t.args.kind !== "object" && !(t.args.kind === "named" && t.args.name.text === "json")) {
    sym.diagnostics.push(typeMismatch(t.args.span, "a tool's `args` must be an object type `{ ... }` or `json(schema: ...)`", "the arguments of an MCP tool call are always an object"));
  }
  let approval: IrTool["approval"];
  if (t.approval) {
    if (t.approval.required.text !== "required") {
      sym.diagnostics.push(misplaced(t.approval.required.span, `expected \`approval required\`, found \`approval ${t.approval.required.text}\``, "write `approval required` or `approval required when ...`"));
    }
    const when = t.approval.when && lowerCondition(sym, t.approval.when);
    approval = when ? { when: when.ir } : {};
  }
  return {
    name: t.name.text,
    ...(risk && { risk }),
    ...(approval && { approval }),
    ...(t.args && { args: lowerType(sym, t.args) }),
    budgets: lowerLimits(sym, t.limits, `tool:${t.name.text}`, { level: "tool", tool: t.name.text }),
    span: t.name.span,
  };
}
