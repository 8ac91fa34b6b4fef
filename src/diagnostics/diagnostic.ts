/**
 * The Diagnostic type. Every user mistake the compiler finds is one of these, made by a named
 * constructor in `catalog.ts` — never a bare string or a thrown Error.
 */
import type { Span } from "../source/source.js";

export type Severity = "error" | "warning";

export interface Related {
  readonly message: string;
  readonly span: Span;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  /** Lowercase, one line, no final period; user text in backticks. */
  readonly message: string;
  readonly span: Span;
  /** A likely fix, when there is one. */
  readonly hint?: string;
  readonly related?: readonly Related[];
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Stable order for reporting: file, then offset, then code. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) =>
      (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : 0) ||
      a.span.start - b.span.start ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/** Keep at most `max` errors (warnings too, up to the last error kept), then one E0008 saying so. */
export function capDiagnostics(diags: readonly Diagnostic[], max: number, tooMany: (at: Diagnostic, shown: number) => Diagnostic): Diagnostic[] {
  let errors = 0;
  const out: Diagnostic[] = [];
  for (const d of diags) {
    if (d.severity === "error" && ++errors > max) {
      out.push(tooMany(d, max));
      return out;
    }
    out.push(d);
  }
  return out;
}
