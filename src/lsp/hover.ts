/**
 * Hover: what the thing under the cursor means. A set: its kind and members; a constant: its value; a
 * role: what it includes and grants; a tool: its risk, approval and arguments; a label: the result
 * blocks that give it; a rule: its id (name or positional id), effect and target; a budget: its amount,
 * window and keys; an attribute path: its type (an argument: the type its tool's args block declares);
 * an argument type's name in an args block: what it accepts and its parameters; a keyword: its line of
 * words.ts. GUARANTEE: returns undefined (no hover) rather than guessing.
 */
import type * as A from "../ast/nodes.js";
import { ATTRIBUTES, ATTRIBUTE_PATHS } from "../contract/attributes.js";
import type { Span } from "../source/source.js";
import { occurrenceAt } from "./symbols.js";
import { textOf, type Analysis } from "./project.js";
import { TYPE_PARAMS } from "../check/arg-types.js";
import { KEYWORD_DOCS, TYPE_DOCS } from "./words.js";

const MAX_SHOWN = 20;

function src(a: Analysis, span: Span, max = 200): string {
  const t = (textOf(a, span.file) ?? "").slice(span.start, span.end).replace(/\s+/g, " ");
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

const within = (span: Span, file: string, offset: number) => span.file === file && offset >= span.start && offset <= span.end;

function listed(items: readonly string[]): string {
  return items.length > MAX_SHOWN ? `${items.slice(0, MAX_SHOWN).join(", ")}, … (${items.length} in all)` : items.join(", ");
}

function ruleId(a: Analysis, rule: A.RuleDecl): string | undefined {
  const all = a.ir ? [...a.ir.topDenies, ...[...a.ir.roles.values()].flatMap((r) => r.rules)] : [];
  return all.find((r) => r.span.file === rule.span.file && r.span.start === rule.span.start)?.id ?? rule.name?.text;
}

function ruleLine(a: Analysis, rule: A.RuleDecl): string {
  const id = ruleId(a, rule);
  return `${rule.effect} ${rule.target} ${rule.patterns.map((p) => p.text).join(", ")}${id ? ` (rule \`${id}\`)` : ""}`;
}

function declHover(a: Analysis, kind: string, name: string, decls: readonly A.Declaration[]): string {
  const lines: string[] = [];
  for (const d of decls) {
    switch (d.kind) {
      case "set":
        lines.push(`**set** \`${name}\`: ${d.setKind.text}, ${d.items.items.length} member(s)`, listed(d.items.items.map((v) => src(a, v.span, 80))));
        break;
      case "const":
        lines.push(`**const** \`${name}\` = ${src(a, d.value.span)}`);
        break;
      case "role": {
        lines.push(`**role** \`${name}\``);
        if (d.includes.length > 0) lines.push(`includes ${d.includes.map((i) => i.text).join(", ")}`);
        if (d.members.length > 0) lines.push(`members: ${d.members.map((m) => src(a, m.when.span, 80)).join("; ")}`);
        for (const r of d.rules) lines.push(`- ${ruleLine(a, r)}`);
        for (const l of d.limits) lines.push(`- budget: ${src(a, l.span, 120)}`);
        if (d.rules.length === 0 && d.includes.length === 0) lines.push("grants nothing of its own");
        break;
      }
      case "tool":
        toolLines(a, d, lines);
        break;
      case "server":
        for (const t of d.tools) if (t.name.text === name) toolLines(a, t, lines, d.name.text);
        break;
      case "result":
        lines.push(`**label** \`${name}\`: given by \`result of ${d.target} ${d.patterns.map((p) => p.text).join(", ")}\``);
        break;
      default:
        break;
    }
  }
  return lines.length > 0 ? lines.join("\n\n") : `**${kind}** \`${name}\``;
}

function toolLines(a: Analysis, t: A.ToolDecl, lines: string[], server?: string): void {
  lines.push(`**tool** \`${t.name.text}\`${server ? ` (server \`${server}\`)` : ""}`);
  if (t.risk) lines.push(`risk ${t.risk.text}`);
  if (t.approval) lines.push(src(a, t.approval.span, 120));
  if (t.args?.kind === "object") for (const f of t.args.fields) lines.push(`- \`${f.name.text}${f.optional ? "?" : ""}\`: ${src(a, f.type.span, 100)}`);
  else if (t.args) lines.push(`args ${src(a, t.args.span, 120)}`);
  for (const l of t.limits) lines.push(`- budget: ${src(a, l.span, 120)}`);
}

function limitHover(l: A.LimitDecl, owner: string): string {
  const amount = l.amount ? `${l.amount.value}` : l.namedAmounts.map((n) => `${n.name.text} ${n.value}`).join(", ");
  const window = l.window ? `per ${l.windowCount ? `${l.windowCount.value} ` : ""}${l.window.text}` : "(no window)";
  const keys = l.keys?.length ? `by ${l.keys.map((k) => [k.root.text, ...k.segments].join(".")).join(", ")}` : "shared by every caller";
  return [
    `**budget** (${owner}): ${l.limitKind.text} ${amount} ${window}`,
    `limit: ${amount} ${l.limitKind.text} · window: ${window} · ${keys}${l.burst ? ` · burst ${l.burst.value}` : ""}${l.failMode ? ` · fail ${l.failMode.text}` : ""}`,
  ].join("\n\n");
}

/** The dotted word around `offset` (`principal.claims.org`) and where it starts. */
function dottedWordAt(text: string, offset: number): { word: string; start: number } | undefined {
  const isW = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_.-]/.test(c);
  let s = offset;
  while (s > 0 && isW(text[s - 1])) s--;
  let e = offset;
  while (e < text.length && isW(text[e])) e++;
  const word = text.slice(s, e).replace(/^[.-]+|[.-]+$/g, "");
  return word ? { word, start: s } : undefined;
}

/**
 * The tool whose arguments `args.` at `offset` reads: the tool block around it, else the one declared
 * tool a rule (or result block) around it targets.
 */
export function enclosingTool(a: Analysis, offset: number): A.ToolDecl | undefined {
  const block = a.index.tools.find((t) => within(t.span, a.file, offset));
  if (block) return block;
  for (const { rule } of a.index.rules) {
    if (!within(rule.span, a.file, offset) || rule.target !== "tool") continue;
    const named = rule.patterns.flatMap((p) => a.index.tools.filter((t) => t.name.text === p.text && t.args));
    if (named.length === 1) return named[0];
  }
  return undefined;
}

function attributeHover(a: Analysis, word: string, offset: number): string | undefined {
  const segs = word.split(".");
  if (segs[0] === "args" && segs.length > 1) {
    const tool = enclosingTool(a, offset);
    const field = tool?.args?.kind === "object" ? tool.args.fields.find((f) => f.name.text === segs[1]) : undefined;
    if (tool && field) return `**argument** \`${segs[1]}\` of tool \`${tool.name.text}\`: ${src(a, field.type.span, 120)}`;
    return `**attribute** \`args\`: the call's arguments (any keys; an args block types them)`;
  }
  for (let n = segs.length; n > 0; n--) {
    const key = segs.slice(0, n).join(".");
    if ((ATTRIBUTE_PATHS as readonly string[]).includes(key)) {
      const row = ATTRIBUTES[key as keyof typeof ATTRIBUTES];
      return `**attribute** \`${key}\`: ${row.type}${row.open ? " (a free path of keys follows)" : ""}${row.afterTool ? " — known after the tool ran (result blocks only)" : ""}`;
    }
  }
  return undefined;
}

/** The named type (`path(...)`, `string`, ...) whose name holds `offset`, in a tool's args block. */
function typeNameAt(a: Analysis, offset: number): { name: string; span: Span } | undefined {
  const visit = (t: A.TypeExpr | A.Literal | undefined): { name: string; span: Span } | undefined => {
    if (!t || !("kind" in t)) return undefined;
    if (t.kind === "named") {
      if (within(t.name.span, a.file, offset)) return { name: t.name.text, span: t.name.span };
      for (const p of t.positional) {
        const hit = visit(p);
        if (hit) return hit;
      }
      return undefined;
    }
    if (t.kind === "object") {
      for (const f of t.fields) {
        const hit = visit(f.type);
        if (hit) return hit;
      }
      return undefined;
    }
    if (t.kind === "union") {
      for (const m of t.members) {
        const hit = visit(m);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  const tool = a.index.tools.find((t) => t.args && within(t.args.span, a.file, offset));
  return tool ? visit(tool.args) : undefined;
}

export function hoverAt(a: Analysis, offset: number): { contents: string; span?: Span } | undefined {
  const occ = occurrenceAt(a.index, a.file, offset);
  if (occ) return { contents: declHover(a, occ.kind, occ.name, a.index.declarations.get(occ.key) ?? []), span: occ.span };
  for (const { rule } of a.index.rules) {
    const head = rule.patterns[0]?.span.start ?? rule.span.end;
    if (within({ ...rule.span, end: head }, a.file, offset)) return { contents: `**rule** ${ruleLine(a, rule)}${rule.because ? `\n\nbecause "${rule.because}"` : ""}` };
  }
  const type = typeNameAt(a, offset);
  if (type && Object.prototype.hasOwnProperty.call(TYPE_DOCS, type.name)) {
    const params = TYPE_PARAMS[type.name] ?? [];
    return { contents: `**type** \`${type.name}\`: ${TYPE_DOCS[type.name]}${params.length ? `\n\nparameters: ${params.join(", ")}` : ""}`, span: type.span };
  }
  const text = a.doc.getText();
  const w = dottedWordAt(text, offset);
  if (w && w.word.includes(".")) {
    const attr = attributeHover(a, w.word, offset);
    if (attr) return { contents: attr };
  }
  for (const { limit, owner } of a.index.limits) {
    if (within(limit.span, a.file, offset)) return { contents: limitHover(limit, owner), span: limit.span };
  }
  if (w && Object.prototype.hasOwnProperty.call(KEYWORD_DOCS, w.word)) return { contents: `**${w.word}** — ${KEYWORD_DOCS[w.word]}` };
  return undefined;
}
