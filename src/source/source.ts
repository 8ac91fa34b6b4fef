/**
 * Source files and spans. Spans are half-open UTF-16 offsets [start, end) into one file's text;
 * line and column are computed only when rendering.
 */

export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export class SourceFile {
  private lineStarts: number[] | undefined;
  constructor(readonly name: string, readonly text: string) {}

  /** 1-based line and column of an offset (column counts UTF-16 units, like editors' default). */
  position(offset: number): { line: number; column: number } {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const starts = this.starts();
    const start = starts[line - 1] ?? this.text.length;
    const next = starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, "");
  }

  private starts(): number[] {
    if (this.lineStarts) return this.lineStarts;
    const starts = [0];
    for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
    this.lineStarts = starts;
    return starts;
  }
}

// Offsets arrive as doubles (the lexer's token fields hold NaN at first), and one double stored in a
// Span's field makes every Span keep its offsets as boxed heap numbers (12 bytes each; issue 16):
// `small` hands V8 the same integer as a small integer (anything else unchanged).
const small = (n: number): number => ((n | 0) === n ? n | 0 : n);

export function span(file: string, start: number, end: number): Span {
  return { file, start: small(start), end: small(Math.max(start, end)) };
}

export function joinSpans(a: Span, b: Span): Span {
  return { file: a.file, start: small(Math.min(a.start, b.start)), end: small(Math.max(a.end, b.end)) };
}
