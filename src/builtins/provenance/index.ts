/**
 * Provenance fingerprints for `VALUE derives from LABEL`: what a result's text leaves behind (`fingerprint`)
 * and the test whether an argument copied enough of it (`derives`). docs/provenance.md is the user's account,
 * with what this misses.
 *
 * A result's pieces (leaves.ts) are normalised (normalize.ts: invisible characters stripped, NFKC, lowercase,
 * white space collapsed) and leave three kinds of 52-bit hashes (hash.ts), printed in base 36:
 *   - winnowed k-grams (K = 16 code points, window W = 4): GUARANTEE, any normalised run of at least
 *     THRESHOLD = W + K - 1 = 19 code points that an argument leaf (other than a single address, below)
 *     shares with a result leaf is found; a shared run of K to THRESHOLD - 1 code points may be found, a
 *     shorter one never is;
 *   - the whole leaf, for a string leaf of MIN_EXACT = 6 to THRESHOLD - 1 code points (an account number,
 *     a short id): an argument leaf EQUAL to it (after normalisation) is found; and the same for a number
 *     (its decimal form, at least MIN_EXACT characters);
 *   - identifier tokens inside text: a run of letters, digits, marks and `@ . _ + -` (ends trimmed of
 *     `. _ -`) of MIN_EXACT to MAX_TOKEN code points that holds a digit, `@` or `.` (an email address, a
 *     phone number written without spaces, an IBAN, a domain such as `evil2.io`): an argument holding the
 *     same token, or equal to it, is found, however long the result (the k-gram guarantee does not hold
 *     there: see below); so is an argument equal to the host part of such a token (`evil.io` in
 *     `www.evil.io` or `ann@evil.io`). Object keys leave their identifier tokens (never the whole key).
 * An argument leaf that is itself a single identifier token (`isIdentifierLeaf`) is compared whole: GUARANTEE,
 * it is found when the result holds it as a token (inside any text, with the same normalisation). So are the
 * identifier tokens between its separators (`<key>.evil.io` holds a result's `<key>`), except its proper
 * suffixes holding `.` or `@` (its domain). An ADDRESS (a token holding `@`) is compared whole only, never by
 * k-grams: one that merely shares a long run with one of the result's (`maria@ex.io` and `emma@ex.io` share
 * `@ex.io`) is not found. Any other identifier (an IBAN, a domain, a key) keeps the k-gram test as well, so
 * one glued into the text around it (a single longer token there) is still found. Free-text leaves, and
 * tokens with more than MAX_SEPARATORS separators, keep the k-gram test.
 * Echoes (`echoes`, from `echoesOf(the call's arguments)`): a string leaf or key of the result equal, after
 * normalisation, to one of the call's own argument strings is skipped (the result repeats what the call
 * said: a review list keyed by the names asked for), and inside longer text each occurrence of one that
 * stands on its own (not part of a longer token) is cut out: the text around it is read in segments, so no
 * token or k-gram spans it. GUARANTEE: everything else is read as without echoes (a copied run of 19 code
 * points of the result that holds no echo is still found; so is an identifier token that is no echo).
 * Bounded: at most `max` fingerprints per result (LIMITS.maxResultFingerprints). The whole-string hashes
 * (leaves, numbers, identifier tokens) come first, in document order; the k-grams fill what is left. A
 * longer result is winnowed with a wider window (8, 16, ... up to 1024) until it fits, so the threshold for
 * that result grows to W' + K - 1 over the whole text rather than holding for a prefix only;
 * `fingerprintDetails` says which. When the whole-string hashes alone are more than `max`, the first `max`
 * in document order are kept (`truncated`): later identifiers and every k-gram of the result are lost.
 * Deterministic: the same value gives the same list, in the same order, in every process.
 * GUARANTEES: pure; never throws; linear in the size of the value; `derives` caches the parsed set per
 * fingerprint array (WeakMap: treat the arrays as immutable, as session facts are).
 */
import { LIMITS } from "../../source/limits.js";
import { exactHash, kgramHashes, winnow } from "./hash.js";
import { resultPieces, valuePieces, type PieceKind } from "./leaves.js";
import { codePoints, normalize } from "./normalize.js";

export { normalize } from "./normalize.js";

/**
 * The k-gram length, in normalised code points: the shortest shared run that can ever match. Longer than
 * common boilerplate (`https://www.` is 12, `@gmail.com` 10) and than most stock phrases, which at 12 made
 * unrelated links match each other (test: "another URL").
 */
export const K = 16;
/** The winnowing window, in k-grams (the narrowest; long results get a wider one): THRESHOLD = 19. */
export const W = 4;
/** The guaranteed threshold: any shared normalised run this long is found (W + K - 1). */
export const THRESHOLD = W + K - 1;
/** The shortest leaf or token compared whole. */
export const MIN_EXACT = 6;
/** The longest identifier token compared whole, in code points (longer ones: k-grams only). */
export const MAX_TOKEN = 256;
/** The widest window a long result is winnowed with before its list is cut. */
export const MAX_WINDOW = 1024;

const TOKEN = /[\p{L}\p{M}\p{N}@._+-]+/gu;
const TOKEN_ENDS = /^[._-]+|[._-]+$/g;
const IDENTIFIER = /[\p{Nd}@.]/u;
const SINGLE_TOKEN = /^[\p{L}\p{M}\p{N}@._+-]+$/u;

/** What `fingerprintDetails` produced, and how much of the guarantee holds for it. */
export interface Fingerprints {
  /** The fingerprints (base-36 strings), at most `max`. */
  readonly fingerprints: string[];
  /** The winnowing window used (W, or wider for a long result). */
  readonly window: number;
  /** The run length found for certain in this result: window + K - 1. */
  readonly threshold: number;
  /** True when even the widest window gave more than `max` and the list was cut (later text is not covered). */
  readonly truncated: boolean;
  /** False when the result was larger than the scan bounds (LIMITS) and only its beginning was read. */
  readonly complete: boolean;
}

/**
 * The whole-string hashes of a normalised piece: its identifier tokens, and on the result side (`result`)
 * the piece itself when short enough and the host part of each token (after its `@`, or after a `.`:
 * `www.evil.io` leaves `evil.io`, `ann@mail.ex.io` leaves `mail.ex.io` and `ex.io`), so an argument that is a
 * domain or a host the result names inside a longer token is found. A key leaves its tokens only. (The
 * argument side, `derives`, tests the whole piece itself at any length.)
 */
function exactHashesOf(norm: string, cps: readonly number[], kind: PieceKind, result: boolean, out: (h: number) => void): void {
  if (kind === "exact") {
    if (result && cps.length >= MIN_EXACT) out(exactHash(cps));
    return;
  }
  if (result && kind === "text" && cps.length >= MIN_EXACT && cps.length < THRESHOLD) out(exactHash(cps));
  if (cps.length < MIN_EXACT) return;
  for (const m of norm.matchAll(TOKEN)) {
    const token = m[0].replace(TOKEN_ENDS, "");
    if (token.length < MIN_EXACT || !IDENTIFIER.test(token)) continue;
    const tcps = codePoints(token);
    // Any length up to MAX_TOKEN (not only below THRESHOLD): a long result is winnowed with a wider
    // window, whose k-gram guarantee no longer covers a 25-character address; the token's own hash does.
    if (tcps.length < MIN_EXACT || tcps.length > MAX_TOKEN) continue;
    out(exactHash(tcps));
    if (result) hostHashes(token, out);
  }
}

/** The hashes of a token's host parts: each suffix after `@` or `.` that holds a `.` and no `@` (MIN_EXACT or longer). */
function hostHashes(token: string, out: (h: number) => void): void {
  const at = token.lastIndexOf("@");
  for (let i = 0; i < token.length; i++) {
    const c = token[i];
    if (c !== "." && c !== "@") continue;
    if (i < at) continue; // a suffix holding the `@` is another address, never a host
    const host = token.slice(i + 1).replace(TOKEN_ENDS, "");
    if (host.length < MIN_EXACT || !host.includes(".")) continue;
    const hcps = codePoints(host);
    if (hcps.length >= MIN_EXACT) out(exactHash(hcps));
  }
}

/**
 * Whether a normalised argument leaf is a single identifier token (the shape above, 6 to MAX_TOKEN code
 * points, ends trimmed of `. _ -`): such a leaf is compared whole, never by k-grams, so an address at the
 * same domain as one the result names (`maria@ex.io` against `emma@ex.io`: a long shared suffix) is not
 * taken for a copy.
 */
export function isIdentifierLeaf(norm: string): boolean {
  const token = norm.replace(TOKEN_ENDS, "");
  if (token.length < MIN_EXACT || !SINGLE_TOKEN.test(token) || !IDENTIFIER.test(token)) return false;
  const n = codePoints(token).length;
  return n >= MIN_EXACT && n <= MAX_TOKEN;
}

/** Separators inside an identifier token, where a smaller token may start or end. */
const SEPARATOR = /[@._+-]/u;
/** An identifier argument with more separators than this is tested by k-grams instead (bounds the work). */
const MAX_SEPARATORS = 24;

/**
 * The hashes of the identifier tokens inside an argument token, between its separators (`@ . _ + -`), so a
 * result token embedded in a longer argument is found (`<key>.evil.io` holding a result's `<key>`). Left out:
 * the whole token (tested already) and its proper suffixes holding `.` or `@` (its host or domain, or another
 * address at the same domain: sharing a domain is not copying). Undefined when the token has more than
 * MAX_SEPARATORS separators.
 */
function innerTokenHashes(token: string): number[] | undefined {
  const cuts: number[] = [];
  for (let i = 0; i < token.length; i++) if (SEPARATOR.test(token[i] as string)) cuts.push(i);
  if (cuts.length > MAX_SEPARATORS) return undefined;
  const starts = [0, ...cuts.map((c) => c + 1)];
  const ends = [...cuts, token.length];
  const out: number[] = [];
  for (const a of starts) {
    for (const b of ends) {
      if (b <= a || (a === 0 && b === token.length)) continue;
      const sub = token.slice(a, b).replace(TOKEN_ENDS, "");
      if (sub.length < MIN_EXACT || !IDENTIFIER.test(sub)) continue;
      if (b === token.length && (sub.includes(".") || sub.includes("@"))) continue;
      const scps = codePoints(sub);
      if (scps.length >= MIN_EXACT) out.push(exactHash(scps));
    }
  }
  return out;
}

/**
 * The call's own argument strings, normalised (string leaves and keys, at least MIN_EXACT code points): the
 * parts of its result equal to one of them echo the call and are not fingerprinted (`fingerprintDetails`'s
 * `echoes`). Bounded by the argument walk's scan bounds; only the first MAX_ECHOES are cut out of text.
 */
export function echoesOf(args: unknown): Set<string> {
  const out = new Set<string>();
  valuePieces(args, (text, kind) => {
    if (kind !== "text") return;
    const norm = normalize(text);
    if (codePoints(norm).length >= MIN_EXACT) out.add(norm);
  });
  return out;
}

/** At most this many argument strings are taken as echoes (more: the rest are fingerprinted, fail closed). */
export const MAX_ECHOES = 64;
const TOKEN_CHAR = /[\p{L}\p{M}\p{N}@._+-]/u;
const WORD_CHAR = /[\p{L}\p{M}\p{N}@_+]/u;

/**
 * The text of `norm` around its echoes: the occurrences of an argument string that stand on their own (no
 * identifier-token character just before; no letter, digit, mark, `@ _ +` just after, nor a `.` or `-` that
 * goes on into one), so an argument `ex.io` is no echo inside `ann@ex.io` or `www.ex.io`. Undefined when
 * there is none, or when the search passes its budget (linear in the piece): the piece is read whole.
 */
function cutEchoes(norm: string, echoes: ReadonlySet<string>): string[] | undefined {
  let cut: Uint8Array | undefined;
  let n = 0;
  // Overlapping occurrences (`!!!!!!` in a long run of `!`) cost the echo's length each: quadratic in
  // attacker text. Past this budget of code units compared, the piece is read whole (fail closed).
  let work = 0;
  const budget = 8 * norm.length + 65_536;
  for (const e of echoes) {
    if (++n > MAX_ECHOES) break;
    if (e.length === 0 || e.length > norm.length) continue;
    let done = 0;
    for (let i = norm.indexOf(e); i >= 0; i = norm.indexOf(e, i + 1)) {
      work += e.length;
      if (work > budget) return undefined;
      const before = i > 0 ? norm[i - 1] as string : "";
      const j = i + e.length;
      const after = norm[j] ?? "";
      if (before !== "" && TOKEN_CHAR.test(before)) continue;
      if (after !== "" && WORD_CHAR.test(after)) continue;
      if ((after === "." || after === "-") && j + 1 < norm.length && /[\p{L}\p{M}\p{N}]/u.test(norm[j + 1] as string)) continue;
      cut ??= new Uint8Array(norm.length);
      cut.fill(1, Math.max(i, done), j);
      done = j;
    }
  }
  if (cut === undefined) return undefined;
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= norm.length; i++) {
    const kept = i < norm.length && cut[i] === 0;
    if (kept && start < 0) start = i;
    if (!kept && start >= 0) {
      const seg = norm.slice(start, i).trim();
      if (seg.length > 0) out.push(seg);
      start = -1;
    }
  }
  return out;
}

function validMax(max: number | undefined): number {
  if (max === undefined || typeof max !== "number" || Number.isNaN(max)) return LIMITS.maxResultFingerprints;
  return Math.max(0, Math.min(Math.floor(max), Number.MAX_SAFE_INTEGER));
}

/** The fingerprints of a result, with the window and threshold they guarantee (see the header). */
export function fingerprintDetails(value: unknown, max?: number, echoes?: ReadonlySet<string>): Fingerprints {
  const limit = validMax(max);
  const echo = echoes !== undefined && echoes.size > 0 ? echoes : undefined;
  const exact = new Set<number>();
  const grams: number[][] = [];
  const walk = resultPieces(value, (text, kind) => {
    const norm = normalize(text);
    if (norm.length === 0) return;
    const cps = codePoints(norm);
    const add = (h: number): void => void exact.add(h);
    if (echo !== undefined && kind !== "exact") {
      // A string leaf or key equal to one of the call's own argument strings echoes the call: not this result's.
      if (echo.has(norm)) return;
      const segments = cutEchoes(norm, echo);
      if (segments !== undefined) {
        // The piece itself is no echo (its whole-leaf hash stays); the text around the echoes is read
        // segment by segment, so no token or k-gram spans an echo.
        if (kind === "text" && cps.length >= MIN_EXACT && cps.length < THRESHOLD) add(exactHash(cps));
        for (const seg of segments) {
          const scps = codePoints(seg);
          exactHashesOf(seg, scps, "key", true, add);
          if (scps.length >= K) grams.push(kgramHashes(scps, K));
        }
        return;
      }
    }
    exactHashesOf(norm, cps, kind, true, add);
    if (kind !== "exact" && cps.length >= K) grams.push(kgramHashes(cps, K));
  });
  let window = W;
  let selected: Set<number>;
  for (;;) {
    selected = new Set(exact);
    for (const g of grams) winnow(g, window, selected);
    if (selected.size <= limit || window >= MAX_WINDOW) break;
    window *= 2;
  }
  const fingerprints: string[] = [];
  for (const h of selected) {
    if (fingerprints.length >= limit) break;
    fingerprints.push(h.toString(36));
  }
  return {
    fingerprints,
    window,
    threshold: window + K - 1,
    truncated: selected.size > limit,
    complete: walk.complete,
  };
}

/** The fingerprints of every string leaf of `value` (a result), at most `max` of them (LIMITS.maxResultFingerprints). */
export function fingerprint(value: unknown, max?: number, echoes?: ReadonlySet<string>): string[] {
  return fingerprintDetails(value, max, echoes).fingerprints;
}

/**
 * The fingerprints of the values a field label marks (eval/core/results.ts): one whole-value hash per value
 * (normalised, any length), no k-grams and no tokens, so `derives from` such a label finds an argument leaf
 * EQUAL to a marked value (or holding it as one of its identifier tokens), never one that merely shares a
 * run with it. At most `max` (LIMITS.maxResultFingerprints), in order.
 */
export function valueFingerprints(values: readonly string[], max?: number): string[] {
  const limit = validMax(max);
  const out = new Set<string>();
  for (const v of values) {
    if (out.size >= limit) break;
    if (typeof v !== "string") continue;
    const norm = normalize(v);
    if (norm.length === 0) continue;
    out.add(exactHash(codePoints(norm)).toString(36));
  }
  return [...out];
}

const BASE36 = /^[0-9a-z]{1,11}$/;
const sets = new WeakMap<readonly string[], Set<number>>();

/** The hashes of a fingerprint list, parsed once per array. Entries that are not fingerprints are ignored. */
function hashSet(fingerprints: readonly string[]): Set<number> {
  let set = sets.get(fingerprints);
  if (set !== undefined) return set;
  set = new Set<number>();
  const n = fingerprints.length;
  for (let i = 0; i < n; i++) {
    const f = fingerprints[i];
    if (typeof f !== "string" || !BASE36.test(f)) continue;
    const h = parseInt(f, 36);
    if (h < 2 ** 52) set.add(h);
  }
  sets.set(fingerprints, set);
  return set;
}

/**
 * Whether some string leaf, object key or number of `value` (an argument) shares a normalised run of at
 * least THRESHOLD code points with the fingerprinted results (maybe a shorter one, down to K), equals a short
 * leaf of theirs, or holds one of their identifier tokens. A value beyond the scan bounds (LIMITS) derives
 * from any non-empty list (fail closed: what was not read may be a copy). An empty list: false.
 */
export function derives(value: unknown, fingerprints: readonly string[]): boolean {
  return derivesOrUnknown(value, fingerprints) !== false;
}

/**
 * `derives`, but undefined (rather than true) when no copy was found in what was read and the value was
 * beyond the scan bounds: the caller decides what "could not tell" means (eval/session-ops.ts: an error).
 */
export function derivesOrUnknown(value: unknown, fingerprints: readonly string[]): boolean | undefined {
  if (!Array.isArray(fingerprints)) return false;
  const set = hashSet(fingerprints);
  if (set.size === 0) return false;
  let found = false;
  const walk = valuePieces(value, (text, kind) => {
    const norm = normalize(text);
    if (norm.length === 0) return false;
    const cps = codePoints(norm);
    // The whole leaf, at any length: a short leaf or number of a result (exactHashesOf's result side), or
    // a value a field label marked (valueFingerprints, any length).
    if (set.has(exactHash(cps))) return (found = true);
    exactHashesOf(norm, cps, kind, false, (h) => {
      if (set.has(h)) found = true;
    });
    if (found || kind === "exact" || cps.length < K) return found;
    if (isIdentifierLeaf(norm)) {
      const parts = innerTokenHashes(norm.replace(TOKEN_ENDS, ""));
      if (parts !== undefined) {
        for (const h of parts) if (set.has(h)) return (found = true);
        // An address is compared whole only: another address at the same domain shares a long run and is no
        // copy. Any other identifier (an IBAN, a phone number, a key) also keeps the run test, so one glued
        // into the text around it (`accountDE89370400440532013000now`: one token) is still found.
        if (norm.includes("@")) return false;
      }
      // too many separators to enumerate, or not an address: k-grams, as for free text (over-approximates)
    }
    const grams = kgramHashes(cps, K);
    for (let i = 0; i < grams.length; i++) {
      if (set.has(grams[i] as number)) return (found = true);
    }
    return false;
  });
  return found ? true : walk.complete ? false : undefined;
}
