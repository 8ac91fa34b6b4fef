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

export function normalise(src: string): Normalised {
  const parts: string[] = [];
  const map = new Int32Array(src.length * 2 + 1);
  let k = 0;
  let lastSpace = true;
  let runStart = 0; // start of the pending ASCII run (copied in one piece)
  const flush = (i: number) => {
    if (i > runStart) parts.push(src.slice(runStart, i).toLowerCase());
  };
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c > 32 && c < 127) {
      map[k++] = i;
      lastSpace = false;
      continue;
    }
    flush(i);
    runStart = i + 1;
    const ch = src[i]!;
    if (c <= 32 || SPACE.test(ch)) {
      if (!lastSpace) {
        parts.push(" ");
        map[k++] = i;
        lastSpace = true;
      }
      continue;
    }
    if (c === 127 || INVISIBLE.test(ch)) continue;
    let folded: string;
    if (c === 0x2018 || c === 0x2019 || c === 0x201b) folded = "'";
    else if (c === 0x201c || c === 0x201d) folded = '"';
    else if (c >= 0xd800 && c <= 0xdfff) folded = ch;
    else folded = ch.normalize("NFKC").toLowerCase();
    if (folded.length > 2) folded = folded.slice(0, 2);
    for (let j = 0; j < folded.length; j++) map[k++] = i;
    parts.push(folded);
    lastSpace = false;
  }
  flush(src.length);
  map[k] = src.length;
  const text = parts.join("");
  return { text, map: map.subarray(0, text.length + 1) };
}
