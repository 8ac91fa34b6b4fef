/**
 * The text the `instruction` detector reads: ASCII lower-cased, compatibility forms folded (NFKC per character:
 * full-width letters, ligatures), curly quotes straightened, zero-width and soft-hyphen characters dropped,
 * every run of white space one space. A map takes each normalised position back to the original text.
 * GUARANTEES: linear; `map` has one entry per normalised character plus one for the end.
 */

export interface Normalised {
  readonly text: string;
  /** map[k] is the index in the original text of normalised character k; map[text.length] is the original length. */
  readonly map: Int32Array;
}

const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/;
const SPACE = /\s/;

/** Per character code: " " for white space, "" for invisible characters, else its folded form (at most 2 units). */
const FOLDED = new Map<number, string>();

function fold(c: number, ch: string): string {
  if (c >= 0xd800 && c <= 0xdfff) return ch; // a surrogate half: kept as is
  let f = FOLDED.get(c);
  if (f !== undefined) return f;
  if (c <= 32 || SPACE.test(ch)) f = " ";
  else if (c === 127 || INVISIBLE.test(ch)) f = "";
  else if (c === 0x2018 || c === 0x2019 || c === 0x201b) f = "'";
  else if (c === 0x201c || c === 0x201d) f = '"';
  else f = ch.normalize("NFKC").toLowerCase().slice(0, 2);
  FOLDED.set(c, f);
  return f;
}

export function normalise(src: string): Normalised {
  // INVARIANT: a folded form has at most 2 units, so the buffers hold 2 per source character.
  const out = new Uint16Array(src.length * 2);
  const map = new Int32Array(src.length * 2 + 1);
  let k = 0;
  let lastSpace = true;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c > 32 && c < 127) {
      out[k] = c >= 65 && c <= 90 ? c + 32 : c;
      map[k++] = i;
      lastSpace = false;
      continue;
    }
    const folded = c < 128 && c <= 32 ? " " : fold(c, src[i]!);
    if (folded === " ") {
      if (!lastSpace) {
        out[k] = 32;
        map[k++] = i;
        lastSpace = true;
      }
      continue;
    }
    if (folded === "") continue;
    for (let j = 0; j < folded.length; j++) {
      out[k] = folded.charCodeAt(j);
      map[k++] = i;
    }
    lastSpace = false;
  }
  map[k] = src.length;
  let text = "";
  for (let i = 0; i < k; i += 8192) text += String.fromCharCode(...out.subarray(i, Math.min(i + 8192, k)));
  return { text, map: map.subarray(0, k + 1) };
}
