// Windows "best-fit" characters refused in `path(...)` arguments. Data only.
//
// Source: Unicode's published Windows best-fit tables (https://www.unicode.org/Public/MAPPINGS/VENDORS/
// MICSFT/WindowsBestFit/, `bestfit1252.txt`, `bestfit932.txt`, `bestfit936.txt`, `bestfit949.txt`,
// `bestfit950.txt`, `bestfit125x.txt`, and the OEM tables such as `bestfit437.txt`), as WideCharToMultiByte
// applies them when a program converts a wide path to an ANSI/OEM code page, and the "WorstFit" research
// (Orange Tsai and Splitline, DEVCORE, Black Hat Europe 2024 / 2025) that turned them into path traversal
// and argument injection (`¥` and `₩` are `\` in cp932 and cp949; `∕`, `⁄`, `／` are `/`; `．`, `․` are `.`).
// The table below was written by hand from those sources (no network here to regenerate it), and then
// checked against every WCTABLE entry of bestfit1252.txt that maps to one of the characters below: every
// character we know of that some common code page best-fits to one of the path-meaningful ASCII
// characters `/ \ . : " < > | ? * %`, plus the fullwidth and small forms of those characters.
// Fullwidth forms (U+FF01..U+FF5E) that best-fit to other ASCII (letters, digits, `(`, `#`, ...) are
// NOT here: they cannot form a separator, a dot segment, a drive, a stream or a wildcard.
//
// RULE: refuse, don't map. A path argument holding any of these characters, in any reading the path
// check makes (as given, percent- or %u-decoded, NFKC-normalised), is denied; the check never rewrites
// a character into its ASCII best fit and judges the result, because which code page (if any) the tool
// converts to is unknown to the policy.
//
// Not covered, by design: WideCharToMultiByte turns characters a code page cannot hold into its default
// character `?` (a wildcard); refusing every such character would refuse all non-Latin file names.

/** Code point -> the ASCII character a Windows best-fit code page turns it into. */
export const BEST_FIT: ReadonlyMap<number, string> = new Map<number, string>([
  // `/`
  [0x0337, "/"], // COMBINING SHORT SOLIDUS OVERLAY
  [0x0338, "/"], // COMBINING LONG SOLIDUS OVERLAY
  [0x2044, "/"], // FRACTION SLASH
  [0x2215, "/"], // DIVISION SLASH
  [0x2571, "/"], // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
  [0x27cb, "/"], // MATHEMATICAL RISING DIAGONAL
  [0x29f8, "/"], // BIG SOLIDUS
  [0xff0f, "/"], // FULLWIDTH SOLIDUS
  // `\`
  [0x00a5, "\\"], // YEN SIGN (cp932: the byte 0x5C)
  [0x20a9, "\\"], // WON SIGN (cp949: the byte 0x5C)
  [0x2216, "\\"], // SET MINUS
  [0x2572, "\\"], // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
  [0x27cd, "\\"], // MATHEMATICAL FALLING DIAGONAL
  [0x29f5, "\\"], // REVERSE SOLIDUS OPERATOR
  [0x29f9, "\\"], // BIG REVERSE SOLIDUS
  [0xfe68, "\\"], // SMALL REVERSE SOLIDUS
  [0xff3c, "\\"], // FULLWIDTH REVERSE SOLIDUS
  [0xffe5, "\\"], // FULLWIDTH YEN SIGN (NFKC: U+00A5)
  [0xffe6, "\\"], // FULLWIDTH WON SIGN (NFKC: U+20A9)
  // `.`
  [0x2024, "."], // ONE DOT LEADER
  [0x2025, "."], // TWO DOT LEADER (NFKC: `..`)
  [0x2026, "."], // HORIZONTAL ELLIPSIS (NFKC: `...`)
  [0x3002, "."], // IDEOGRAPHIC FULL STOP
  [0xfe52, "."], // SMALL FULL STOP
  [0xff0e, "."], // FULLWIDTH FULL STOP
  [0xff61, "."], // HALFWIDTH IDEOGRAPHIC FULL STOP
  // `:` (drive letters, NTFS alternate data streams)
  [0x02d0, ":"], // MODIFIER LETTER TRIANGULAR COLON
  [0x2236, ":"], // RATIO
  [0xa789, ":"], // MODIFIER LETTER COLON
  [0x0589, ":"], // ARMENIAN FULL STOP (bestfit1252.txt)
  [0xfe13, ":"], // PRESENTATION FORM FOR VERTICAL COLON
  [0xfe55, ":"], // SMALL COLON
  [0xff1a, ":"], // FULLWIDTH COLON
  // `"` (DOS_QM wildcard; quoting on a command line)
  [0x02ba, '"'], // MODIFIER LETTER DOUBLE PRIME
  [0x02dd, '"'], // DOUBLE ACUTE ACCENT
  [0x02ee, '"'], // MODIFIER LETTER DOUBLE APOSTROPHE
  [0x030e, '"'], // COMBINING DOUBLE VERTICAL LINE ABOVE (bestfit1252.txt)
  [0x201c, '"'], // LEFT DOUBLE QUOTATION MARK (OEM code pages)
  [0x201d, '"'], // RIGHT DOUBLE QUOTATION MARK (OEM code pages)
  [0x201e, '"'], // DOUBLE LOW-9 QUOTATION MARK (OEM code pages)
  [0x201f, '"'], // DOUBLE HIGH-REVERSED-9 QUOTATION MARK
  [0x2033, '"'], // DOUBLE PRIME
  [0xff02, '"'], // FULLWIDTH QUOTATION MARK
  // `<` and `>` (DOS_STAR and DOS_DOT wildcards)
  [0x2039, "<"], // SINGLE LEFT-POINTING ANGLE QUOTATION MARK (OEM code pages)
  [0x2329, "<"], // LEFT-POINTING ANGLE BRACKET
  [0x3008, "<"], // LEFT ANGLE BRACKET (bestfit1252.txt)
  [0xfe64, "<"], // SMALL LESS-THAN SIGN
  [0xff1c, "<"], // FULLWIDTH LESS-THAN SIGN
  [0x203a, ">"], // SINGLE RIGHT-POINTING ANGLE QUOTATION MARK (OEM code pages)
  [0x232a, ">"], // RIGHT-POINTING ANGLE BRACKET
  [0x3009, ">"], // RIGHT ANGLE BRACKET (bestfit1252.txt)
  [0xfe65, ">"], // SMALL GREATER-THAN SIGN
  [0xff1e, ">"], // FULLWIDTH GREATER-THAN SIGN
  // `|`
  [0x00a6, "|"], // BROKEN BAR (OEM code pages)
  [0x01c0, "|"], // LATIN LETTER DENTAL CLICK
  [0x2223, "|"], // DIVIDES
  [0x2758, "|"], // LIGHT VERTICAL BAR
  [0xffe8, "|"], // HALFWIDTH FORMS LIGHT VERTICAL
  [0xff5c, "|"], // FULLWIDTH VERTICAL LINE
  // `?` and `*` (wildcards)
  [0xfe56, "?"], // SMALL QUESTION MARK
  [0xff1f, "?"], // FULLWIDTH QUESTION MARK
  [0x2217, "*"], // ASTERISK OPERATOR
  [0xfe61, "*"], // SMALL ASTERISK
  [0xff0a, "*"], // FULLWIDTH ASTERISK
  // `%` (a best-fit `％２ｅ` is `%2e`, one more decoding away)
  [0x066a, "%"], // ARABIC PERCENT SIGN (bestfit1252.txt: `٪2e٪2e` is `%2e%2e`)
  [0xfe6a, "%"], // SMALL PERCENT SIGN
  [0xff05, "%"], // FULLWIDTH PERCENT SIGN
]);

/** The path-meaningful ASCII characters a best-fit or compatibility mapping must never produce. */
const PATH_MEANINGFUL = /[/\\.:"<>|?*%]/;

/**
 * The first best-fit character in `text`, or null. Only non-ASCII text can hold one.
 * Beside the table, any non-ASCII character whose compatibility form (NFKC) holds a path-meaningful
 * ASCII character is refused too (`℀` is `a/c`, `⒈` is `1.`, `﹖` is `?`): best-fit tables follow the
 * compatibility decompositions closely, so this catches the class where the hand-written table has gaps.
 */
export function firstBestFit(text: string): { ch: string; cp: number; ascii: string } | null {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) continue;
    const ascii = BEST_FIT.get(cp);
    if (ascii !== undefined) return { ch, cp, ascii };
    const compat = PATH_MEANINGFUL.exec(ch.normalize("NFKC"));
    if (compat !== null) return { ch, cp, ascii: compat[0] };
  }
  return null;
}
