// Windows "best-fit" characters refused in `path(...)` arguments. Data only.
//
// Source: Unicode's published Windows best-fit tables (https://www.unicode.org/Public/MAPPINGS/VENDORS/
// MICSFT/WindowsBestFit/), as WideCharToMultiByte applies them (without WC_NO_BEST_FIT_CHARS) when a
// program converts a wide path to an ANSI code page, and the "WorstFit" research (Orange Tsai and
// Splitline, DEVCORE, Black Hat Europe 2024 / 2025) that turned them into path traversal and argument
// injection (`¥` and `₩` are `\` in cp932 and cp949; `∕`, `⁄`, `／` are `/`; `．`, `․` are `.`).
// The table was first written by hand and checked against bestfit1252.txt; it was then completed from the
// WCTABLE sections of bestfit874.txt, bestfit932.txt, bestfit936.txt, bestfit949.txt, bestfit950.txt,
// bestfit1250.txt, bestfit1251.txt, bestfit1253.txt, bestfit1254.txt, bestfit1255.txt, bestfit1256.txt,
// bestfit1257.txt, bestfit1258.txt and bestfit1361.txt (read from the copy in the Interlisp/medley
// repository, unicode/vendors/micsft/WindowsBestFit/): every code point >= U+0080 that one of them maps
// to a single byte among `" % * . / : < > ? \ |` is here, with the code pages that map it (the byte 0x5C
// counts as `\` in cp932 and cp949/cp1361 too, where it is drawn as yen or won: Windows treats it as the
// path separator). In the double-byte tables (932, 936, 949, 950, 1361) the WCTABLE ranges read are
// U+0000..U+33FF and U+E000..U+FFFF; the CJK ideograph and Hangul syllable ranges between map to
// double-byte codes only and were not read line by line. The OEM tables (bestfit437.txt and the like)
// were not checked; the entries marked "OEM code pages" come from the WorstFit research.
// The table also holds the fullwidth and small forms of those characters.
// Fullwidth forms (U+FF01..U+FF5E) that best-fit to other ASCII (letters, digits, `(`, `#`, ...) are
// NOT here: they cannot form a separator, a dot segment, a drive, a stream or a wildcard.
//
// RULE: refuse, don't map. A path argument holding any of these characters, in any reading the path
// check makes (as given, percent- or %u-decoded, NFKC-normalised), is denied; the check never rewrites
// a character into its ASCII best fit and judges the result, because which code page (if any) the tool
// converts to is unknown to the policy. That also refuses a few characters common in names (`¿`, `´`,
// arrows): a tool on cp1250/cp1253/cp932/cp950 would see `?` or `/` there.
//
// Not covered, by design: WideCharToMultiByte turns characters a code page cannot hold into its default
// character `?` (a wildcard); refusing every such character would refuse all non-Latin file names.

/** Code point -> the ASCII character a Windows best-fit code page turns it into. */
export const BEST_FIT: ReadonlyMap<number, string> = new Map<number, string>([
  // `/`
  [0x0337, "/"], // COMBINING SHORT SOLIDUS OVERLAY
  [0x0338, "/"], // COMBINING LONG SOLIDUS OVERLAY
  [0x2044, "/"], // FRACTION SLASH (1250, 1254)
  [0x2215, "/"], // DIVISION SLASH (1250, 1254)
  [0x2571, "/"], // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
  [0x27cb, "/"], // MATHEMATICAL RISING DIAGONAL
  [0x29f8, "/"], // BIG SOLIDUS
  [0xff0f, "/"], // FULLWIDTH SOLIDUS (874, 1250, 1251, 1253-1258)
  [0x00b4, "/"], // ACUTE ACCENT (1253)
  // `\`
  [0x00a5, "\\"], // YEN SIGN (932: the byte 0x5C)
  [0x20a9, "\\"], // WON SIGN (949, 1361: the byte 0x5C)
  [0x2216, "\\"], // SET MINUS (1250, 1254)
  [0x2572, "\\"], // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
  [0x27cd, "\\"], // MATHEMATICAL FALLING DIAGONAL
  [0x29f5, "\\"], // REVERSE SOLIDUS OPERATOR
  [0x29f9, "\\"], // BIG REVERSE SOLIDUS
  [0xfe68, "\\"], // SMALL REVERSE SOLIDUS
  [0xff3c, "\\"], // FULLWIDTH REVERSE SOLIDUS (874, 1250, 1251, 1253-1258)
  [0xffe5, "\\"], // FULLWIDTH YEN SIGN (NFKC: U+00A5)
  [0xffe6, "\\"], // FULLWIDTH WON SIGN (NFKC: U+20A9)
  // `.`
  [0x2024, "."], // ONE DOT LEADER
  [0x2025, "."], // TWO DOT LEADER (NFKC: `..`)
  [0x2026, "."], // HORIZONTAL ELLIPSIS (NFKC: `...`)
  [0x3002, "."], // IDEOGRAPHIC FULL STOP
  [0xfe52, "."], // SMALL FULL STOP
  [0xff0e, "."], // FULLWIDTH FULL STOP (874, 1250, 1251, 1253-1258)
  [0xff61, "."], // HALFWIDTH IDEOGRAPHIC FULL STOP
  // `:` (drive letters, NTFS alternate data streams)
  [0x02d0, ":"], // MODIFIER LETTER TRIANGULAR COLON
  [0x2236, ":"], // RATIO (1250, 1254)
  [0xa789, ":"], // MODIFIER LETTER COLON
  [0x0589, ":"], // ARMENIAN FULL STOP (bestfit1252.txt; 1250, 1254)
  [0xfe13, ":"], // PRESENTATION FORM FOR VERTICAL COLON
  [0xfe55, ":"], // SMALL COLON
  [0xff1a, ":"], // FULLWIDTH COLON (874, 1250, 1251, 1253-1258)
  // `"` (DOS_QM wildcard; quoting on a command line)
  [0x02ba, '"'], // MODIFIER LETTER DOUBLE PRIME (1250, 1254)
  [0x02dd, '"'], // DOUBLE ACUTE ACCENT
  [0x02ee, '"'], // MODIFIER LETTER DOUBLE APOSTROPHE
  [0x030e, '"'], // COMBINING DOUBLE VERTICAL LINE ABOVE (bestfit1252.txt; 1250)
  [0x201c, '"'], // LEFT DOUBLE QUOTATION MARK (OEM code pages)
  [0x201d, '"'], // RIGHT DOUBLE QUOTATION MARK (OEM code pages)
  [0x201e, '"'], // DOUBLE LOW-9 QUOTATION MARK (OEM code pages)
  [0x201f, '"'], // DOUBLE HIGH-REVERSED-9 QUOTATION MARK
  [0x301d, '"'], // REVERSED DOUBLE PRIME QUOTATION MARK (1254)
  [0x301e, '"'], // DOUBLE PRIME QUOTATION MARK (1254)
  [0x2033, '"'], // DOUBLE PRIME
  [0xff02, '"'], // FULLWIDTH QUOTATION MARK (874, 1250, 1251, 1253-1258)
  // `<` and `>` (DOS_STAR and DOS_DOT wildcards)
  [0x2039, "<"], // SINGLE LEFT-POINTING ANGLE QUOTATION MARK (OEM code pages)
  [0x2329, "<"], // LEFT-POINTING ANGLE BRACKET (1250, 1254)
  [0x3008, "<"], // LEFT ANGLE BRACKET (bestfit1252.txt; 1250, 1254)
  [0xfe64, "<"], // SMALL LESS-THAN SIGN
  [0xff1c, "<"], // FULLWIDTH LESS-THAN SIGN (874, 1250, 1251, 1253-1258)
  [0x2190, "<"], // LEFTWARDS ARROW (1251, 1253)
  [0x25c4, "<"], // BLACK LEFT-POINTING POINTER (1250, 1251, 1253, 1254)
  [0x203a, ">"], // SINGLE RIGHT-POINTING ANGLE QUOTATION MARK (OEM code pages)
  [0x232a, ">"], // RIGHT-POINTING ANGLE BRACKET (1250, 1254)
  [0x3009, ">"], // RIGHT ANGLE BRACKET (bestfit1252.txt; 1250, 1254)
  [0xfe65, ">"], // SMALL GREATER-THAN SIGN
  [0xff1e, ">"], // FULLWIDTH GREATER-THAN SIGN (874, 1250, 1251, 1253-1258)
  [0x2192, ">"], // RIGHTWARDS ARROW (1251, 1253)
  [0x25ba, ">"], // BLACK RIGHT-POINTING POINTER (1250, 1251, 1253, 1254)
  [0x2642, ">"], // MALE SIGN (1250, 1251, 1253, 1254)
  // `|`
  [0x00a6, "|"], // BROKEN BAR (932, 936, 949, 950; OEM code pages)
  [0x01c0, "|"], // LATIN LETTER DENTAL CLICK (1250, 1254)
  [0x2223, "|"], // DIVIDES (1250, 1254)
  [0x2758, "|"], // LIGHT VERTICAL BAR (1250, 1254)
  [0xffe8, "|"], // HALFWIDTH FORMS LIGHT VERTICAL
  [0x2195, "|"], // UP DOWN ARROW (1250, 1254)
  [0x21a8, "|"], // UP DOWN ARROW WITH BASE (1250, 1254)
  [0xff5c, "|"], // FULLWIDTH VERTICAL LINE (874, 1250, 1251, 1253-1258)
  // `?` and `*` (wildcards)
  [0xfe56, "?"], // SMALL QUESTION MARK
  [0xff1f, "?"], // FULLWIDTH QUESTION MARK (874, 1250, 1251, 1253-1258)
  [0x00bf, "?"], // INVERTED QUESTION MARK (932, 950, 1250)
  [0x2217, "*"], // ASTERISK OPERATOR (1250, 1254)
  [0xfe61, "*"], // SMALL ASTERISK
  [0xff0a, "*"], // FULLWIDTH ASTERISK (874, 1250, 1251, 1253-1258)
  // `%` (a best-fit `％２ｅ` is `%2e`, one more decoding away)
  [0x066a, "%"], // ARABIC PERCENT SIGN (bestfit1252.txt: `٪2e٪2e` is `%2e%2e`; 1250, 1254)
  [0xfe6a, "%"], // SMALL PERCENT SIGN
  [0xff05, "%"], // FULLWIDTH PERCENT SIGN (874, 1250, 1251, 1253-1258)
]);

/** The path-meaningful ASCII characters a best-fit or compatibility mapping must never produce. */
const PATH_MEANINGFUL = /[/\\.:"<>|?*%]/;

/**
 * The first best-fit character in `text`, or null. Only non-ASCII text can hold one.
 * Beside the table, any non-ASCII character whose compatibility form (NFKC) holds a path-meaningful
 * ASCII character is refused too (`℀` is `a/c`, `⒈` is `1.`, `﹖` is `?`): best-fit tables follow the
 * compatibility decompositions closely, so this catches the class where the table has gaps (the OEM
 * tables were not read).
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
