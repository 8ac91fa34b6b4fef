/**
 * The two spellings of a request's `time` the policy accepts, parsed without guessing. Request
 * validation refuses any other; the `time.*` attribute readers read the same parse.
 */
/**
 * The request's time in epoch milliseconds, or undefined when it is neither of the two accepted forms:
 * - a number: whole milliseconds since 1970-01-01T00:00:00Z, from 0 to 8.64e15 (JavaScript's last date);
 * - a string in RFC 3339 `date-time` form with an explicit offset: `YYYY-MM-DDTHH:MM:SS[.fraction]Z` or
 *   `...+HH:MM` / `...-HH:MM` (upper-case `T` and `Z`; 1 to 9 fraction digits; real calendar dates;
 *   seconds 00-59, no leap second). No other spelling (local times, RFC 2822 dates, `Date` objects,
 *   NaN, Infinity, negative or fractional numbers) is guessed at.
 */
export function parseTime(t: unknown): number | undefined {
  if (typeof t === "number") return Number.isSafeInteger(t) && t >= 0 && t <= 8.64e15 ? t : undefined;
  if (typeof t !== "string" || t.length > 40) return undefined;
  const m = RFC3339.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
  const year = +y!, month = +mo!, day = +d!, hour = +h!, minute = +mi!, second = +sec!;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zone !== "Z") {
    const oh = +zone!.slice(1, 3), om = +zone!.slice(4, 6);
    if (oh > 23 || om > 59) return undefined;
    offset = (zone![0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac ? Number(`${frac.slice(1)}00`.slice(0, 3)) : 0; // milliseconds; digits past them are dropped
  // Not Date.UTC(year, ...): it reads years 0-99 as 1900-1999 ("0070-01-04" would be 1970-01-04).
  // setUTCFullYear takes the year as written; years before 1970 then give a negative time, refused below.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const at = date.getTime() - offset * 60_000;
  return at >= 0 && at <= 8.64e15 ? at : undefined;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

