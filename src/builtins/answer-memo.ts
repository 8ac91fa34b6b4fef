/**
 * A pure check's answers kept per text (the `url`, `path` and `sql` checks): hosts send the same texts
 * again and again, and judging one can take microseconds (escapes, a parser).
 * GUARANTEES: the memoized check answers exactly what `check` answers for the text (only answers of
 * `check` itself are kept, by the exact string); bounded: at most MEMO_MAX_ENTRIES texts per check
 * (cleared when full, so attacker-chosen texts cost at most that), texts longer than `maxText` are never
 * kept, and an answer `keep` refuses (an unexpected throw, a transient fault) is never kept, so the next
 * call checks again.
 */

/** The most texts one check keeps. */
export const MEMO_MAX_ENTRIES = 512;

/** `check`, with its answers kept per text (see the module header). */
export function rememberAnswers(check: (text: string) => string | null, maxText: number, keep: (answer: string | null) => boolean): (text: string) => string | null {
  const memo = new Map<string, string | null>();
  return (text: string): string | null => {
    const hit = memo.get(text);
    if (hit !== undefined) return hit;
    const answer = check(text);
    if (text.length <= maxText && keep(answer)) {
      if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
      memo.set(text, answer);
    }
    return answer;
  };
}
