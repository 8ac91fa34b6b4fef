/**
 * Go to definition, find references and rename, over a policy's whole import graph (and, for rename
 * and references, every open policy whose graph holds the same file). An import's path goes to the
 * file it names.
 * GUARANTEES: rename refuses (an error the editor shows) a new name that is not an identifier, that is
 * a keyword, or that another declaration of the same kind already has; prepareRename answers null on
 * keywords, builtins, attributes, tool families (globs) and anything not declared by the policy; the edit replaces exactly the
 * occurrences' name text, once each, so renaming to a fresh name and back gives the original text.
 */
import * as nodePath from "node:path";
import { ResponseError, ErrorCodes, type Location, type Range, type TextEdit, type WorkspaceEdit } from "vscode-languageserver";
import { Identifier } from "../syntax/tokens.js";
import { nameText } from "../syntax/name-text.js";
import { rangeOf, uriOfPath } from "./documents.js";
import { docOf, type Analysis } from "./project.js";
import { isGlob, keyOf, occurrenceAt, type Occurrence } from "./symbols.js";

const IDENT = new RegExp(`^(?:${(Identifier.PATTERN as RegExp).source})$`);

function locationOf(a: Analysis, o: { span: Occurrence["span"] }): Location | undefined {
  const doc = docOf(a, o.span.file);
  return doc && { uri: uriOfPath(o.span.file), range: rangeOf(doc, o.span) };
}

export function definitionAt(a: Analysis, offset: number): Location[] {
  const imp = a.index.imports.find((i) => i.span.file === a.file && offset >= i.span.start && offset <= i.span.end);
  if (imp) return [{ uri: uriOfPath(imp.target), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }];
  const occ = occurrenceAt(a.index, a.file, offset);
  if (!occ) return [];
  return a.index.occurrences.filter((o) => o.key === occ.key && o.isDefinition).flatMap((o) => locationOf(a, o) ?? []);
}

/** Every occurrence of `key` in the given analyses, each place once, with the analysis that can place it. */
function occurrencesOf(analyses: readonly Analysis[], key: string): { a: Analysis; o: Occurrence }[] {
  const seen = new Set<string>();
  const out: { a: Analysis; o: Occurrence }[] = [];
  for (const a of analyses) {
    for (const o of a.index.occurrences) {
      const id = `${nodePath.resolve(o.span.file)}:${o.span.start}`;
      if (o.key !== key || seen.has(id)) continue;
      seen.add(id);
      out.push({ a, o });
    }
  }
  return out;
}

/** The analyses that share files with `a`: itself first, then the others whose graph holds a's file. */
export function related(a: Analysis, others: readonly Analysis[]): Analysis[] {
  const mine = new Set(a.sources.map((s) => nodePath.resolve(s.name)));
  return [a, ...others.filter((b) => b.file !== a.file && b.sources.some((s) => mine.has(nodePath.resolve(s.name))))];
}

export function referencesAt(a: Analysis, offset: number, includeDeclaration: boolean, group: readonly Analysis[]): Location[] {
  const occ = occurrenceAt(a.index, a.file, offset);
  if (!occ) return [];
  return occurrencesOf(group, occ.key)
    .filter(({ o }) => includeDeclaration || !o.isDefinition)
    .flatMap(({ a: b, o }) => locationOf(b, o) ?? []);
}

/** The range of a renameable symbol under the cursor, or null: it must be declared by the policy. */
export function prepareRenameAt(a: Analysis, offset: number): { range: Range; placeholder: string } | null {
  const occ = occurrenceAt(a.index, a.file, offset);
  if (!occ || !a.index.declarations.has(occ.key) || isGlob({ text: occ.name })) return null;
  return { range: rangeOf(a.doc, occ.span), placeholder: occ.name };
}

export function renameAt(a: Analysis, offset: number, newName: string, group: readonly Analysis[]): WorkspaceEdit | null {
  const occ = occurrenceAt(a.index, a.file, offset);
  if (!occ || !a.index.declarations.has(occ.key) || isGlob({ text: occ.name })) return null;
  if (typeof newName !== "string" || !IDENT.test(newName) || nameText(newName) !== newName) {
    throw new ResponseError(ErrorCodes.InvalidParams, `\`${String(newName)}\` is not a valid ${occ.kind} name (an identifier, not a keyword)`);
  }
  if (newName === occ.name) return { changes: {} };
  const clash = occ.kind === "set" || occ.kind === "const" ? (["set", "const"] as const) : [occ.kind];
  if (group.some((b) => clash.some((k) => b.index.declarations.has(keyOf(k, newName))))) {
    throw new ResponseError(ErrorCodes.InvalidParams, `a ${occ.kind} named \`${newName}\` already exists`);
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const { a: b, o } of occurrencesOf(group, occ.key)) {
    const loc = locationOf(b, o);
    if (!loc) continue;
    (changes[loc.uri] ??= []).push({ range: loc.range, newText: newName });
  }
  return { changes };
}
