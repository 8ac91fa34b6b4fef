/**
 * Completion, by what the text before the cursor on its line asks for: attributes after `principal.`,
 * `client.`, ... (the attribute registry); argument names after `args.` (the enclosing tool's args
 * block); tool names after `tool` or a comma in a rule target (declared tools, tools a rule names, and
 * a `tools.json` beside the policy); role names after `includes` or `by role`; set names after `in`; keywords at the
 * start of a statement; otherwise keywords, sets, constants and roles.
 * GUARANTEE: never throws; each label is offered once.
 */
import { CompletionItemKind, type CompletionItem } from "vscode-languageserver";
import type * as A from "../ast/nodes.js";
import { ATTRIBUTES, ATTRIBUTE_PATHS } from "../contract/attributes.js";
import { enclosingTool } from "./hover.js";
import type { Analysis } from "./project.js";
import type { ToolInfo } from "./tools-json.js";
import { KEYWORD_DOCS, KEYWORDS, STATEMENT_WORDS } from "./words.js";

const namesOf = (a: Analysis, kind: string) =>
  [...a.index.declarations.keys()].filter((k) => k.startsWith(`${kind}:`)).map((k) => k.slice(kind.length + 1));

function unique(items: CompletionItem[]): CompletionItem[] {
  const seen = new Set<string>();
  return items.filter((i) => (seen.has(i.label) ? false : (seen.add(i.label), true)));
}

const kw = (words: readonly string[]): CompletionItem[] =>
  words.map((w) => ({ label: w, kind: CompletionItemKind.Keyword, detail: KEYWORD_DOCS[w] ?? "" }));
const named = (names: readonly string[], kind: CompletionItemKind, detail: string): CompletionItem[] => names.map((n) => ({ label: n, kind, detail }));

/** The tool block around `offset`: from the AST, else the nearest `tool NAME {` above that is still open. */
function toolAround(a: Analysis, offset: number): A.ToolDecl | undefined {
  const found = enclosingTool(a, offset);
  if (found) return found;
  const before = a.doc.getText().slice(0, offset);
  const m = [...before.matchAll(/(?:^|\n)\s*tool\s+("?)([A-Za-z_][\w-]*)\1\s*\{/g)].pop();
  if (!m || m.index === undefined) return undefined;
  const body = before.slice(m.index);
  if ((body.match(/\{/g)?.length ?? 0) <= (body.match(/\}/g)?.length ?? 0)) return undefined;
  return a.index.tools.find((t) => t.name.text === m[2]);
}

export function completeAt(a: Analysis, offset: number, tools: () => ToolInfo[]): CompletionItem[] {
  const text = a.doc.getText();
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const line = text.slice(lineStart, offset);

  const dotted = /([A-Za-z_][\w-]*(?:\.[\w-]+)*)\.([\w-]*)$/.exec(line);
  if (dotted) {
    const base = dotted[1]!;
    if (base === "args") {
      const tool = toolAround(a, offset);
      const fields = tool?.args?.kind === "object" ? tool.args.fields : [];
      return fields.map((f) => ({ label: f.name.text, kind: CompletionItemKind.Field, detail: `argument of tool ${tool!.name.text}` }));
    }
    if (base === "result") {
      // A tool's result (in `result of ... { }` blocks): the MCP CallToolResult's fields, and `structured`.
      return [
        { label: "structured", kind: CompletionItemKind.Property, detail: "structuredContent, or the result's one text content parsed as JSON" },
        { label: "structuredContent", kind: CompletionItemKind.Property, detail: "the tool's structured result" },
        { label: "content", kind: CompletionItemKind.Property, detail: "the tool's content items" },
        { label: "isError", kind: CompletionItemKind.Property, detail: "boolean: the tool reported an error" },
      ];
    }
    const items: CompletionItem[] = [];
    for (const p of ATTRIBUTE_PATHS) {
      if (!p.startsWith(`${base}.`)) continue;
      const next = p.slice(base.length + 1).split(".")[0]!;
      items.push({ label: next, kind: CompletionItemKind.Property, detail: `${ATTRIBUTES[p].type}` });
    }
    return unique(items);
  }
  const toolNames = () =>
    unique([
      ...named(namesOf(a, "tool"), CompletionItemKind.Function, "tool declared in the policy"),
      ...named([...new Set(a.index.occurrences.filter((o) => o.kind === "tool" && !(o.span.file === a.file && o.span.start <= offset && offset <= o.span.end)).map((o) => o.name))], CompletionItemKind.Function, "tool named in the policy"),
      ...tools().map((t) => ({ label: t.name, kind: CompletionItemKind.Function, detail: t.description ?? "tool from tools.json" })),
    ]);
  if (/\b(?:allow|deny)\b(?:\s+"[^"]*")?\s+tool\s+(?:[^,\s]+\s*,\s*)*[\w"*-]*$/.test(line) || /\b(?:result\s+of|after|no|previous|count)\s+(?:\w+\s+)?tool\s+[\w"-]*$/.test(line) || /^\s*tool\s+[\w"-]*$/.test(line)) {
    return toolNames();
  }
  if (/\b(?:includes|by\s+role)\s+(?:[\w-]+\s*,\s*)*[\w-]*$/.test(line)) {
    // `role R includes ...` offers every role but R (a role including itself is an error).
    const self = /\brole\s+("?)([\w-]+)\1\s+includes\b/.exec(line)?.[2];
    return named(namesOf(a, "role").filter((r) => r !== self), CompletionItemKind.Class, "role");
  }
  if (/\b(?:not\s+)?in\s+[\w-]*$/.test(line)) {
    return [...named(namesOf(a, "set"), CompletionItemKind.Variable, "set"), ...named(namesOf(a, "const"), CompletionItemKind.Constant, "const")];
  }
  // A named parameter of a builtin type, `url(hosts: |`, `path(root: |`: its value is a set, a const or a literal.
  if (/\w\(\s*(?:[^()]*,\s*)?\w+:\s*[\w-]*$/.test(line)) {
    return [...named(namesOf(a, "set"), CompletionItemKind.Variable, "set"), ...named(namesOf(a, "const"), CompletionItemKind.Constant, "const")];
  }
  if (/^\s*[\w-]*$/.test(line)) return kw(STATEMENT_WORDS);
  return unique([
    ...kw(KEYWORDS),
    ...named(namesOf(a, "set"), CompletionItemKind.Variable, "set"),
    ...named(namesOf(a, "const"), CompletionItemKind.Constant, "const"),
    ...named(namesOf(a, "role"), CompletionItemKind.Class, "role"),
    ...named([...new Set(ATTRIBUTE_PATHS.map((p) => p.split(".")[0]!))], CompletionItemKind.Module, "attribute root"),
  ]);
}
