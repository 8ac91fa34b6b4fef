/**
 * What a name (of a tool, role, prompt, resource or server) may hold. Request validation refuses a
 * name with a fault, the checker refuses the same characters in name patterns, so a lookalike can never
 * slip past a rule written for the name it imitates.
 */
/**
 * Characters a name never holds: controls (C0, DEL, C1), format characters (zero-width, bidi), lone
 * surrogates, line and paragraph separators, and every other default-ignorable code point (variation
 * selectors, the Hangul fillers, combining grapheme joiner, Mongolian selectors, reserved ones): these
 * render as nothing, so `read_file\uFE0F` or `read_file\u3164` would look like `read_file`. Shared
 * with the checker, which refuses the same characters in name patterns (glob-syntax.ts).
 */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const EDGE_SPACE = /^\s|\s$/u;

/**
 * Why a name (of a tool, role, prompt or resource) is refused, or undefined when it is fine: it is empty,
 * holds a control, format or separator character (NUL included) or a lone surrogate, or starts or ends
 * with white space. Such names could only be typos or attempts to look like another name (or to collide
 * in a cache key). Hot path: plain printable ASCII is settled by one loop.
 */
export function nameFault(s: string): string | undefined {
  // Hot path: the same few names arrive on every call; a name found fine once is fine for good. First a
  // slot picked by length, first, middle and last character holding the last fine name seen there (a
  // string compare, no hashing: a Set lookup of a name a request just built cost 10-20 ns), then the Set.
  // The middle character and 256 slots keep numbered names (`t_8`, `t_11`, `r_2`) out of each other's
  // slots: with 64 slots and no middle character a quarter of the peers benchmark's names missed.
  // This part is kept small so that V8 inlines it where names are checked; the rest is `nameFaultSlow`.
  const n = s.length;
  if (n !== 0 && RECENT[slotOf(s, n)] === s) return undefined;
  return nameFaultSlow(s);
}

const slotOf = (s: string, n: number): number => (n * 7 + s.charCodeAt(0) * 31 + s.charCodeAt(n >> 1) * 17 + s.charCodeAt(n - 1) * 131) & (RECENT_SLOTS - 1);

function nameFaultSlow(s: string): string | undefined {
  const n = s.length;
  const slot = n === 0 ? 0 : slotOf(s, n);
  if (VALID_NAMES.has(s)) {
    RECENT[slot] = s;
    return undefined;
  }
  const fault = nameFaultOf(s);
  if (fault === undefined && n <= MAX_CACHED_NAME_LENGTH) {
    if (VALID_NAMES.size >= MAX_VALID_NAMES) VALID_NAMES.clear();
    VALID_NAMES.add(s);
    RECENT[slot] = s;
  }
  return fault;
}

/** Fine names seen last, one per slot (a name is only ever put in a slot after it was found fine). */
const RECENT_SLOTS = 256;
/**
 * Empty slots hold null, which no name equals (they held "\u0000", so the one-character name NUL, whose
 * slot was empty, was taken for a fine name: a request naming tool "\u0000" was decided, not refused).
 * Packed: filled by push, not `new Array(n).fill`, which leaves a holey array whose reads check for holes.
 */
const RECENT: (string | null)[] = [];
for (let i = 0; i < RECENT_SLOTS; i++) RECENT.push(null);

/** Names already found fine (bounded, cleared when full). */
const VALID_NAMES = new Set<string>();
const MAX_VALID_NAMES = 4096;
/** Longer names are scanned every time, so the set holds at most 4096 x 256 code units. */
const MAX_CACHED_NAME_LENGTH = 256;

function nameFaultOf(s: string): string | undefined {
  if (s.length === 0) return "is empty";
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) return undefined;
  if (INVISIBLE.test(s)) return "holds a control or invisible character (or a lone surrogate)";
  if (EDGE_SPACE.test(s)) return "starts or ends with white space";
  return undefined;
}
