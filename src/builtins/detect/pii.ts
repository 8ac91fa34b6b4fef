/**
 * The `pii` detector: email addresses, phone numbers, payment card numbers (issuer prefix + Luhn), IBANs
 * (registry length + mod-97), US social security numbers (issued ranges only); also percent-encoded (percent.ts).
 * Phones: E.164 (`+` and 9-15 digits), NANP formats (`(415) 555-2671`, `415-555-2671`, `1 415 555 2671`),
 * national numbers with a trunk 0 and one kind of separator (`020 7946 0958`, `06 12 34 56 78`), and any
 * 7-15 digit number right after a word such as `phone:` or `tel`. A bare run of digits is not a phone (ids,
 * timestamps and amounts look the same).
 * GUARANTEES: linear. Number patterns are sticky regexes with bounded quantifiers tried only where a run of
 * digits (or `+`, `(`) starts; the email regex has bounded parts behind a run-start guard.
 */
import { percentSpans } from "./percent.js";
import { cardIssuer, IBAN_LENGTHS, ibanValid, luhn, nanpValid, ssnValid } from "./pii-checks.js";
import { isAlnum, isDigit, isUpper, mergeSpans, type Span } from "./text.js";

const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
const FILE_EXT = /^(?:png|jpe?g|gif|svg|webp|ico|bmp|js|mjs|cjs|ts|tsx|jsx|css|scss|json|ya?ml|txt|html?|xml|pdf|zip|gz|tgz|lock|map|wasm|woff2?)$/i;

function emailSpans(text: string, out: Span[]): void {
  if (!text.includes("@")) return;
  EMAIL.lastIndex = 0;
  for (let m = EMAIL.exec(text); m !== null; m = EMAIL.exec(text)) {
    const s = m[0];
    const at = s.indexOf("@");
    const local = s.slice(0, at);
    if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) continue;
    const tld = s.slice(s.lastIndexOf(".") + 1);
    if (FILE_EXT.test(tld)) continue; // logo@2x.png, pkg@1.2.3-beta.js
    const end = m.index + s.length;
    if (local === "git" && text.charCodeAt(end) === 58) continue; // git@github.com:org/repo.git
    if (m.index >= 2 && text.startsWith("//", m.index - 2)) continue; // scheme://user@host: URL userinfo
    if (text.charCodeAt(end) === 58 && isDigit(text.charCodeAt(end + 1))) continue; // user:pw@host:5432
    out.push({ start: m.index, end, kind: "email" });
  }
}

const US_A = /(?:1[ .-])?([2-9]\d{2})([ .-])(\d{3})\2(\d{4})(?![0-9])/y;
const US_B = /(?:1 ?)?\(([2-9]\d{2})\) ?(\d{3})[ .-]?(\d{4})(?![0-9])/y;
const TRUNK = /0\d{1,4}([ .-])\d{2,4}(?:\1\d{2,4}){0,3}(?![0-9]|[.:/,-][0-9])/y;
const LOOSE = /\(?\d[\d ().-]{5,22}\d(?![0-9])/y;
const PHONE_WORD = /(?:phone|tel|mobile|cell|fax|whatsapp|telefon|telephone)(?: ?(?:number|no\.?|#))?[ \t]*[:.]?[ \t]*$/i;

const CARD_RUN = /\d{13,19}(?![0-9])/y;
const CARD_GROUPED = /\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?(?![0-9])|\d{4}([ -])\d{6}\2\d{4,5}(?![0-9])|\d{4}([ -])\d{4}\3\d{4}\3\d{1,3}(?![0-9])/y;
const SSN = /(\d{3})([- ])(\d{2})\2(\d{4})(?![0-9]|-[0-9])/y;
const SSN_PLAIN = /(\d{3})(\d{2})(\d{4})(?![0-9])/y;
const SSN_WORD = /(?:ssn|social security(?: number| no\.?)?|soc\.? sec\.?)[ \t]*[:#]?[ \t]*$/i;

const stick = (re: RegExp, text: string, at: number): RegExpExecArray | null => {
  re.lastIndex = at;
  return re.exec(text);
};
const digitsOf = (s: string) => s.replace(/[^0-9]/g, "");

const isPhoneChar = (c: number): boolean => isDigit(c) || c === 32 || c === 40 || c === 41 || c === 46 || c === 45;

/** `+` and 9-15 digits in groups separated by single spaces, dots, dashes or parentheses. */
function e164At(text: string, p: number): Span | undefined {
  const first = text.charCodeAt(p + 1);
  if (!isDigit(first) || first === 48) return undefined;
  let i = p + 1;
  let lastDigit = p + 1;
  while (i < text.length && i - p <= 24 && isPhoneChar(text.charCodeAt(i))) {
    if (isDigit(text.charCodeAt(i))) lastDigit = i;
    i++;
  }
  const end = lastDigit + 1;
  const s = text.slice(p, end);
  const next = text.charCodeAt(end);
  if (isDigit(next) || (/[.:/,-]/.test(text[end] ?? "") && isDigit(text.charCodeAt(end + 1)))) return undefined;
  const n = digitsOf(s).length;
  if (n < 9 || n > 15 || /[ .-]{2}|\(\(|\)\)/.test(s)) return undefined;
  return { start: p, end, kind: "phone" };
}

/** The longest number-shaped PII starting at `p` (a run start), or undefined. */
function numberAt(text: string, p: number): Span | undefined {
  const c = text.charCodeAt(p);
  const before = text.slice(Math.max(0, p - 32), p);
  let m: RegExpExecArray | null;
  if (isDigit(c)) {
    if ((m = stick(CARD_GROUPED, text, p)) || (m = stick(CARD_RUN, text, p))) {
      const d = digitsOf(m[0]);
      if (luhn(d) && cardIssuer(d) !== undefined) return { start: p, end: p + m[0].length, kind: "card-number" };
    }
    if ((m = stick(SSN, text, p)) && ssnValid(m[1]!, m[3]!, m[4]!)) return { start: p, end: p + m[0].length, kind: "ssn" };
    if (SSN_WORD.test(before) && (m = stick(SSN_PLAIN, text, p)) && ssnValid(m[1]!, m[2]!, m[3]!))
      return { start: p, end: p + m[0].length, kind: "ssn" };
    if ((m = stick(US_A, text, p)) && nanpValid(m[1]!, m[3]!)) return { start: p, end: p + m[0].length, kind: "phone" };
    if (c === 48 && (m = stick(TRUNK, text, p))) {
      const n = digitsOf(m[0]).length;
      if (n >= 10 && n <= 11) return { start: p, end: p + m[0].length, kind: "phone" };
    }
  }
  if (c === 40 && (m = stick(US_B, text, p)) && nanpValid(m[1]!, m[2]!)) return { start: p, end: p + m[0].length, kind: "phone" };
  if (c === 49 && (m = stick(US_B, text, p)) && nanpValid(m[1]!, m[2]!)) return { start: p, end: p + m[0].length, kind: "phone" };
  if (c === 43) return e164At(text, p);
  if ((isDigit(c) || c === 40) && PHONE_WORD.test(before) && (m = stick(LOOSE, text, p))) {
    const n = digitsOf(m[0]).length;
    if (n >= 7 && n <= 15) return { start: p, end: p + m[0].length, kind: "phone" };
  }
  return undefined;
}

/** An IBAN starting at `p` (two capitals, two check digits), compact or in groups of four. */
function ibanAt(text: string, p: number): Span | undefined {
  const len = IBAN_LENGTHS[text.slice(p, p + 2)];
  if (len === undefined || !isDigit(text.charCodeAt(p + 2)) || !isDigit(text.charCodeAt(p + 3))) return undefined;
  let compact = "";
  let i = p;
  let grouped: boolean | undefined;
  while (i < text.length && compact.length < len) {
    const c = text.charCodeAt(i);
    if (isDigit(c) || isUpper(c)) {
      compact += text[i];
      i++;
    } else if (c === 32 && compact.length % 4 === 0 && compact.length > 0 && grouped !== false) {
      grouped = true;
      i++;
    } else break;
    if (grouped === undefined && compact.length === 5) grouped = false;
  }
  if (compact.length !== len || (i < text.length && isAlnum(text.charCodeAt(i)))) return undefined;
  return ibanValid(compact) ? { start: p, end: i, kind: "iban" } : undefined;
}

/** Characters that keep a number from starting: it would be the middle of a word, version, path or id. */
const glued = (c: number): boolean => isAlnum(c) || c === 95 || c === 46 || c === 47 || c === 45 || c === 43;

function numberSpans(text: string, out: Span[]): void {
  const n = text.length;
  for (let p = 0; p < n; p++) {
    const c = text.charCodeAt(p);
    const prev = p > 0 ? text.charCodeAt(p - 1) : 32;
    let found: Span | undefined;
    if ((isDigit(c) || c === 43 || c === 40) && !glued(prev)) found = numberAt(text, p);
    else if (isUpper(c) && !isAlnum(prev)) found = ibanAt(text, p);
    if (found) {
      out.push(found);
      p = found.end - 1;
    }
  }
}

function plainPiiSpans(text: string): Span[] {
  const out: Span[] = [];
  emailSpans(text, out);
  numberSpans(text, out);
  return out;
}

/** The `pii` detector's spans of `text`, percent-encoded ones included (`emma%40example.com` in a URL). */
export function piiSpans(text: string): Span[] {
  return mergeSpans([...plainPiiSpans(text), ...percentSpans(text, plainPiiSpans)]);
}
