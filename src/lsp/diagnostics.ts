/**
 * The compiler's diagnostics as LSP diagnostics: the code, the severity, the range of the span, the
 * message with the hint on a second line (`hint: ...`), the related spans as relatedInformation, and
 * `source: "mcppolicy"`. A diagnostic in an imported file is shown on the import that leads to it
 * (its message says which file; the real place is its related information). The catalog carries no
 * documentation links, so no codeDescription is set.
 * GUARANTEE: every compiler diagnostic of the policy's graph is published on the open file, once.
 */
import * as nodePath from "node:path";
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type DiagnosticRelatedInformation } from "vscode-languageserver";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Span } from "../source/source.js";
import { rangeOf, uriOfPath } from "./documents.js";
import { docOf, type Analysis } from "./project.js";

function location(a: Analysis, span: Span): { uri: string; range: LspDiagnostic["range"] } | undefined {
  const doc = docOf(a, span.file);
  return doc && { uri: uriOfPath(span.file), range: rangeOf(doc, span) };
}

/** The span in the main file through which `file` is imported (its first import), or the file's start. */
function importSpanFor(a: Analysis, file: string): Span {
  const chain = (target: string, seen: Set<string>): Span | undefined => {
    for (const imp of a.index.imports) {
      if (nodePath.resolve(imp.target) !== nodePath.resolve(target) || seen.has(imp.span.file)) continue;
      if (imp.span.file === a.file) return imp.span;
      seen.add(imp.span.file);
      const up = chain(imp.span.file, seen);
      if (up) return up;
    }
    return undefined;
  };
  return chain(file, new Set()) ?? { file: a.file, start: 0, end: 0 };
}

export function toLspDiagnostics(a: Analysis): LspDiagnostic[] {
  return a.diagnostics.map((d: Diagnostic) => {
    const here = d.span.file === a.file;
    const at = here ? d.span : importSpanFor(a, d.span.file);
    const related: DiagnosticRelatedInformation[] = [];
    if (!here) {
      const loc = location(a, d.span);
      if (loc) related.push({ location: loc, message: d.message });
    }
    for (const r of d.related ?? []) {
      const loc = location(a, r.span);
      if (loc) related.push({ location: loc, message: r.message });
    }
    const prefix = here ? "" : `in ${nodePath.relative(nodePath.dirname(a.file), d.span.file) || d.span.file}: `;
    return {
      range: rangeOf(a.doc, at),
      severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: d.code,
      source: "mcppolicy",
      message: prefix + d.message + (d.hint ? `\nhint: ${d.hint}` : ""),
      ...(related.length > 0 && { relatedInformation: related }),
    };
  });
}
