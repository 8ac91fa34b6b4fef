/**
 * Rendering diagnostics: rustc-style text (code, file:line:col, the source line, a caret
 * underline, the hint) and plain JSON objects for tools. Rendering never throws, even for a span
 * whose file is unknown.
 */
import { SourceFile } from "../source/source.js";
import type { Diagnostic } from "./diagnostic.js";

export type SourceLookup = (file: string) => SourceFile | undefined;

export interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  file: string;
  start: { offset: number; line: number; column: number };
  end: { offset: number; line: number; column: number };
  hint?: string;
  related?: { message: string; file: string; line: number; column: number }[];
}

function location(lookup: SourceLookup, file: string, offset: number) {
  const src = lookup(file);
  return src ? src.position(offset) : { line: 1, column: offset + 1 };
}

export function toJson(d: Diagnostic, lookup: SourceLookup): JsonDiagnostic {
  const start = location(lookup, d.span.file, d.span.start);
  const end = location(lookup, d.span.file, d.span.end);
  const out: JsonDiagnostic = {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.span.file,
    start: { offset: d.span.start, ...start },
    end: { offset: d.span.end, ...end },
  };
  if (d.hint) out.hint = d.hint;
  if (d.related) {
    out.related = d.related.map((r) => ({ message: r.message, file: r.span.file, ...location(lookup, r.span.file, r.span.start) }));
  }
  return out;
}

const MAX_LINE = 200;
const CONTEXT_BEFORE = 60;
const CONTEXT_AFTER = 60;

function snippet(lookup: SourceLookup, file: string, start: number, end: number, label: string, marker: string): string[] {
  const src = lookup(file);
  if (!src) return [];
  const pos = src.position(start);
  const endPos = src.position(Math.max(start, end - 1));
  // Control characters would garble a terminal; tabs keep the caret aligned as one column.
  let text = src.lineText(pos.line).replace(/[\u0000-\u001f\u007f]/g, (c) => (c === "\t" ? " " : "\ufffd"));
  const width = String(pos.line).length;
  const pad = " ".repeat(width);
  const underlineEnd = endPos.line === pos.line ? endPos.column + 1 : text.length + 1;
  let len = Math.max(1, underlineEnd - pos.column);
  let column = pos.column;
  // Clip very long lines to a window around the caret.
  if (text.length > MAX_LINE) {
    const from = Math.max(0, column - 1 - CONTEXT_BEFORE);
    len = Math.min(len, MAX_LINE - CONTEXT_BEFORE);
    const to = Math.min(text.length, column - 1 + len + CONTEXT_AFTER);
    text = (from > 0 ? "…" : "") + text.slice(from, to) + (to < text.length ? "…" : "");
    column = column - from + (from > 0 ? 1 : 0);
  }
  const underline = " ".repeat(column - 1) + marker.repeat(len) + (label ? ` ${label}` : "");
  return [`${pad} |`, `${pos.line} | ${text}`, `${pad} | ${underline}`];
}

/** One diagnostic, rustc style. */
export function renderText(d: Diagnostic, lookup: SourceLookup): string {
  const pos = location(lookup, d.span.file, d.span.start);
  const width = String(pos.line).length;
  const pad = " ".repeat(width);
  const lines = [`${d.severity}[${d.code}]: ${d.message}`, `${pad}--> ${d.span.file}:${pos.line}:${pos.column}`];
  lines.push(...snippet(lookup, d.span.file, d.span.start, d.span.end, "", "^"));
  for (const r of d.related ?? []) {
    const rp = location(lookup, r.span.file, r.span.start);
    lines.push(`${pad} = note: ${r.message} at ${r.span.file}:${rp.line}:${rp.column}`);
  }
  if (d.hint) lines.push(`${pad} = help: ${d.hint}`);
  return lines.join("\n");
}

export function renderAll(diags: readonly Diagnostic[], lookup: SourceLookup): string {
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.length - errors;
  const parts = diags.map((d) => renderText(d, lookup));
  const summary: string[] = [];
  if (errors) summary.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings) summary.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  if (summary.length) parts.push(summary.join(", "));
  return parts.join("\n\n") + (parts.length ? "\n" : "");
}

export function lookupFrom(files: readonly SourceFile[]): SourceLookup {
  const map = new Map(files.map((f) => [f.name, f]));
  return (name) => map.get(name);
}
