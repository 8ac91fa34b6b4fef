/**
 * The symbol index of a policy and its imports, built from the parsed ASTs (the parser recovers, so a
 * file with syntax errors still gives the declarations it could read). Each occurrence of a set,
 * constant, role, tool or label is recorded with its exact span (a name, never a whole declaration),
 * keyed `KIND:NAME` (uses in expressions, set items, budgets, approvals and a tool's argument types);
 * imports with the span of their path string and the file they name.
 * GUARANTEES: an occurrence's span covers exactly the name's text in its file (the quotes of a quoted
 * tool name are outside it), so replacing every occurrence's text renames the symbol; glob patterns
 * (`"read_*"`) are no occurrence of any tool. Building never throws on any AST the parser returns.
 */
import * as nodePath from "node:path";
import type * as A from "../ast/nodes.js";
import type { Span } from "../source/source.js";

export type SymbolKind = "set" | "const" | "role" | "tool" | "label";

export interface Occurrence {
  readonly key: string;
  readonly kind: SymbolKind;
  readonly name: string;
  readonly span: Span;
  readonly isDefinition: boolean;
}

export interface ImportLink {
  readonly span: Span;
  /** The absolute path the import names. */
  readonly target: string;
}

export interface SymbolIndex {
  readonly occurrences: readonly Occurrence[];
  readonly imports: readonly ImportLink[];
  /** Declarations by key (a set, role, tool, ... may be declared once; duplicates are all kept). */
  readonly declarations: ReadonlyMap<string, readonly A.Declaration[]>;
  readonly rules: readonly { readonly rule: A.RuleDecl; readonly role?: string }[];
  readonly limits: readonly { readonly limit: A.LimitDecl; readonly owner: string }[];
  readonly tools: readonly A.ToolDecl[];
}

export const keyOf = (kind: SymbolKind, name: string): string => `${kind}:${name}`;

export const isGlob = (p: { text: string }) => /[*?[\]{}]/.test(p.text);

/** The span of a name written first in `span` (a path's root), quoted or not. */
function nameSpan(p: { text: string; quoted: boolean; span: Span }): Span {
  return p.quoted ? { file: p.span.file, start: p.span.start + 1, end: p.span.end - 1 } : p.span;
}

export function buildIndex(asts: readonly A.PolicyFileAst[]): SymbolIndex {
  const occurrences: Occurrence[] = [];
  const imports: ImportLink[] = [];
  const declarations = new Map<string, A.Declaration[]>();
  const rules: { rule: A.RuleDecl; role?: string }[] = [];
  const limits: { limit: A.LimitDecl; owner: string }[] = [];
  const tools: A.ToolDecl[] = [];
  // A quoted name (`tool "read_*" {`, `role "on-call"`) has a span with its quotes: the name is inside them.
  const add = (kind: SymbolKind, name: string, at: Span, isDefinition: boolean) => {
    const span = at.end - at.start === name.length + 2 ? { file: at.file, start: at.start + 1, end: at.end - 1 } : at;
    occurrences.push({ key: keyOf(kind, name), kind, name, span, isDefinition });
  };
  const declare = (kind: SymbolKind, name: A.Name, decl: A.Declaration) => {
    add(kind, name.text, name.span, true);
    const k = keyOf(kind, name.text);
    declarations.set(k, [...(declarations.get(k) ?? []), decl]);
  };
  const toolRefs = (patterns: readonly { text: string; quoted: boolean; span: Span }[]) => {
    for (const p of patterns) if (!isGlob(p)) add("tool", p.text, nameSpan(p), false);
  };

  // Every expression, value and nested item below a declaration: paths naming sets and constants,
  // history predicates naming tools, `derives from LABEL`.
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const x of node) walk(x);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const n = node as Record<string, unknown> & { kind?: unknown };
    if (n.kind === "path") {
      const p = n as unknown as A.PathExpr;
      if (p.segments.length === 0) add("set", p.root, { file: p.span.file, start: p.span.start, end: p.span.start + p.root.length }, false);
    } else if (n.kind === "ref") {
      const r = n as unknown as A.RefValue;
      add("set", r.name, r.span, false);
    } else if (n.kind === "derives") {
      const d = n as unknown as { label: A.Name };
      add("label", d.label.text, d.label.span, false);
    } else if (n.kind === "history") {
      const h = n as unknown as A.HistoryExpr;
      toolRefs(h.match.names);
      if (h.since) toolRefs(h.since.names);
    }
    if (Array.isArray(n.roles) && n.who && typeof n.who === "object") {
      for (const r of n.roles as A.Name[]) add("role", r.text, r.span, false);
    }
    for (const [k, v] of Object.entries(n)) if (k !== "span" && v && typeof v === "object") walk(v);
  };

  const visitRule = (rule: A.RuleDecl, role?: string) => {
    rules.push(role === undefined ? { rule } : { rule, role });
    if (rule.target === "tool") toolRefs(rule.patterns);
    walk(rule.when);
    walk(rule.unless);
  };
  const visitTool = (t: A.ToolDecl, decl: A.Declaration) => {
    declare("tool", t.name, decl);
    tools.push(t);
    for (const l of t.limits) limits.push({ limit: l, owner: `tool ${t.name.text}` });
    walk(t.approval);
    walk(t.args); // sets named in argument types: `url(hosts: allowed_domains)`
    walk(t.limits);
  };

  for (const ast of asts) {
    for (const d of ast.declarations) {
      switch (d.kind) {
        case "set":
          declare("set", d.name, d);
          walk(d.items);
          break;
        case "const":
          declare("const", d.name, d);
          break;
        case "role":
          declare("role", d.name, d);
          for (const inc of d.includes) add("role", inc.text, inc.span, false);
          for (const r of d.rules) visitRule(r, d.name.text);
          for (const l of d.limits) limits.push({ limit: l, owner: `role ${d.name.text}` });
          walk(d.members);
          walk(d.limits);
          break;
        case "tool":
          visitTool(d, d);
          break;
        case "rule":
          visitRule(d);
          break;
        case "limit":
          limits.push({ limit: d, owner: "policy" });
          walk(d);
          break;
        case "server":
          for (const r of d.rules) visitRule(r);
          for (const t of d.tools) visitTool(t, d);
          for (const l of d.limits) limits.push({ limit: l, owner: `server ${d.name.text}` });
          break;
        case "result":
          if (d.target === "tool") toolRefs(d.patterns);
          walk(d.when);
          for (const item of d.items) {
            if (item.kind === "label") {
              add("label", item.label.text, item.label.span, true);
              const k = keyOf("label", item.label.text);
              declarations.set(k, [...(declarations.get(k) ?? []), d]);
            }
            walk(item);
          }
          break;
        case "import":
          imports.push({ span: d.pathSpan, target: nodePath.resolve(nodePath.dirname(ast.file), d.path) });
          break;
        default:
          break;
      }
    }
  }
  // A path root that names no set is a constant (or an unknown name): re-key it by what is declared.
  const fixed = occurrences.map((o) =>
    o.kind === "set" && !declarations.has(o.key) && declarations.has(keyOf("const", o.name)) ? { ...o, key: keyOf("const", o.name), kind: "const" as const } : o,
  );
  return { occurrences: fixed, imports, declarations, rules, limits, tools };
}

/** The innermost occurrence whose span holds `offset` (its end included: the cursor right after a name). */
export function occurrenceAt(index: SymbolIndex, file: string, offset: number): Occurrence | undefined {
  let best: Occurrence | undefined;
  for (const o of index.occurrences) {
    if (o.span.file !== file || offset < o.span.start || offset > o.span.end) continue;
    if (!best || o.span.end - o.span.start < best.span.end - best.span.start) best = o;
  }
  return best;
}
