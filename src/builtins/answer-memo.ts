/**
 * A pure function's answers kept per text: the `url`, `path` and `sql` checks (hosts send the same texts
 * again and again, and judging one can take microseconds: escapes, a parser), and the parts of a
 * recorded session event (eval/history-window.ts: a field's JSON text, the arguments parsed and frozen).
 * GUARANTEES: the memoized function answers exactly what `compute` answers for the text (only answers of
 * `compute` itself are kept, by the exact string); bounded: at most `maxEntries` texts (default
 * MEMO_MAX_ENTRIES; cleared when full, so attacker-chosen texts cost at most that), texts longer than
 * `maxText` are never kept, and an answer `keep` refuses (an unexpected throw, a transient fault) is never
 * kept, so the next call computes again. A throw of `compute` is thrown, and nothing is kept.
 */

/** The most texts one check keeps. */
export const MEMO_MAX_ENTRIES = 512;

/** Keeps every answer. */
export const KEEP_ALL = (): boolean => true;

/** `compute`, with its answers kept per text (see the module header). `undefined` is never an answer kept. */
export function rememberAnswers<A>(compute: (text: string) => A, maxText: number, keep: (answer: A) => boolean, maxEntries = MEMO_MAX_ENTRIES): (text: string) => A {
  const memo = new Map<string, A>();
  return (text: string): A => {
    const hit = memo.get(text);
    if (hit !== undefined) return hit;
    const answer = compute(text);
    if (answer !== undefined && text.length <= maxText && keep(answer)) {
      if (memo.size >= maxEntries) memo.clear();
      memo.set(text, answer);
    }
    return answer;
  };
}
