/**
 * One open policy as the server sees it: its text, its files (main first, then imports, read through
 * the document store so unsaved buffers count) with their ASTs, the symbol index over all of them,
 * and the compiler's diagnostics and IR. GUARANTEE: `analyze` never throws for any text (the loader
 * and the front end report problems as diagnostics); a policy with syntax errors still has the
 * declarations the parser recovered.
 */
import { TextDocument } from "vscode-languageserver-textdocument";
import type * as A from "../ast/nodes.js";
import { runFrontEnd } from "../check/front-end.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { IrPolicy } from "../ir/ir.js";
import type { SourceFile } from "../source/source.js";
import { loadPolicy } from "../syntax/load.js";
import { DocumentStore, pathOfUri } from "./documents.js";
import { buildIndex, type SymbolIndex } from "./symbols.js";

export interface Analysis {
  readonly file: string;
  readonly doc: TextDocument;
  readonly asts: readonly A.PolicyFileAst[];
  readonly sources: readonly SourceFile[];
  readonly index: SymbolIndex;
  readonly diagnostics: readonly Diagnostic[];
  readonly ir: IrPolicy | undefined;
  readonly store: DocumentStore;
}

const isFile = (file: string) => !file.includes(":") || /^[A-Za-z]:[\\/]/.test(file);

export function analyze(store: DocumentStore, doc: TextDocument): Analysis {
  const file = pathOfUri(doc.uri);
  const read = isFile(file) ? store.readerFor(file) : undefined;
  const text = doc.getText();
  const loaded = loadPolicy(text, file, read);
  const front = runFrontEnd(text, file, read);
  return { file, doc, asts: loaded.asts, sources: loaded.sources, index: buildIndex(loaded.asts), diagnostics: front.diagnostics, ir: front.ir, store };
}

/** The text of a file of the analysis's graph. */
export function textOf(a: Analysis, file: string): string | undefined {
  return a.sources.find((s) => s.name === file)?.text;
}

/** A TextDocument for positions in one file of the graph. */
export function docOf(a: Analysis, file: string): TextDocument | undefined {
  if (file === a.file) return a.doc;
  const text = textOf(a, file);
  return text === undefined ? undefined : a.store.docFor(file, text);
}
