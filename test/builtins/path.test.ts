import fc from "fast-check";
import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { BEST_FIT } from "../../src/builtins/path/bestfit.js";
import { checkSandboxPath, compilePathCheck } from "../../src/builtins/path/path.js";

const root = { root: "/workspace" };

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
const check = (v: unknown): string | null => checkSandboxPath(v, root);

describe("compilePathCheck", () => {
  it("validates the root", () => {
    for (const r of ["/workspace", "/", "/srv/data/app"]) expect(typeof compilePathCheck({ root: r }), r).toBe("function");
    for (const r of ["workspace", "", "/workspace/", "/a//b", "/a/./b", "/a/../b", "/a\\b", "/a\u0000", "C:\\x", "/ﬁle", "/data¥x", "/a∕b"]) {
      const c = compilePathCheck({ root: r });
      expect(typeof c, r).toBe("object");
      if (typeof c === "object") expect(c.error).toMatch(/root/);
    }
    expect(typeof compilePathCheck(undefined as unknown as { root: string })).toBe("object");
    expect(checkSandboxPath("a", { root: "rel" })).toMatch(/^invalid sandbox root/);
  });
});

describe("checkSandboxPath", () => {
  it("accepts paths inside the root", () => {
    for (const p of [
      "/workspace",
      "/workspace/",
      "/workspace/src/a.ts",
      "src/a.ts",
      "./src/../README.md",
      "a/b/../../c",
      "/workspace/../workspace/x",
      "file with spaces.txt",
      "na%C3%AFve.txt",
      "100%.txt",
      "a\\b.txt",
      "ünïcödé/ファイル.md",
      "...",
      "..foo",
    ]) {
      expect(check(p), p).toBeNull();
    }
  });

  it("decodes to a fixed point: any number of percent and %u rounds, in any order (triple encodings)", () => {
    const cases: Array<[string, RegExp]> = [
      ["%25252e%25252e/etc/passwd", /outside.*after 3 rounds of percent-decoding/],
      ["..%25252f..%25252fetc", /outside.*after 3 rounds of percent-decoding/],
      ["%2525252e%2525252e/etc", /outside.*after 4 rounds of percent-decoding/],
      ["%2525u002e%2525u002e/etc", /outside.*after double percent-decoding and %u-decoding/],
      ["%u0025252e%u0025252e/etc", /outside/],
      ["%25252500/x", /control character after 4 rounds/],
      ["%" + "25".repeat(100) + "2e", /more than 64 readings/],
    ];
    for (const [p, re] of cases) expect(check(p), p).toMatch(re);
    for (const p of ["100%25.txt", "report%25202024.txt", "a%2525b", "x/%25252e%25252e/y", "%25252e%25252e.txt"]) expect(check(p), p).toBeNull();
    // NFKC (and so best-fit) before a decoding: `%２ｅ` is `%2e`
    expect(check("%２ｅ%２ｅ/etc/passwd")).toMatch(/outside.*after unicode normalisation and percent-decoding/);
    expect(check("..%５ｃ..%５ｃwindows")).toMatch(/outside.*separator.*after unicode normalisation and percent-decoding/);
    expect(check("%u００２ｅ%u００２ｅ/etc")).toMatch(/outside.*after unicode normalisation and %u-decoding/);
    for (const p of ["１００%.txt", "ｆｉｌｅ%２０１.txt"]) expect(check(p), p).toBeNull();
  });

  it("denies traversal out of the root", () => {
    for (const p of ["../etc/passwd", "/etc/passwd", "/workspace/../etc", "/workspace-evil/x", "/workspacex", "a/../../x", "/", ".."]) {
      expect(check(p), p).toMatch(/resolves outside the sandbox root `\/workspace`/);
    }
  });

  it("denies escapes under backslash, percent-decoding and NFKC readings", () => {
    const cases: Array<[string, RegExp]> = [
      ["..\\..\\etc\\passwd", /outside.*`\\` is read as a separator/],
      ["\\etc\\passwd", /outside/],
      ["%2e%2e%2fetc%2fpasswd", /outside.*after percent-decoding/],
      ["%2E%2E/etc", /outside/],
      ["..%2f..%2fetc", /outside/],
      ["%252e%252e%252fetc", /outside.*after double percent-decoding/],
      ["..%5c..%5cetc", /outside.*separator.*percent-decoding/],
      // U+FE30 is `..` under NFKC: refused as a compatibility form of `.` before the NFKC reading is reached
      ["\ufe30/etc", /U\+FE30.*best-fit code pages turn into `\.`/],
      ["%ef%b8%b0/etc", /U\+FE30.*after percent-decoding/],
      ["%c0%ae%c0%ae/etc", /overlong/],
      ["%c0%af", /overlong/],
      ["%e0%80%ae", /overlong/],
      ["%25c0%25ae", /overlong/],
      ["%00", /control character/],
      ["a%0ab", /control character/],
    ];
    for (const [p, re] of cases) expect(check(p), p).toMatch(re);
  });

  it("denies drive letters, UNC/device paths, `~` and control characters outright", () => {
    const cases: Array<[unknown, RegExp]> = [
      ["C:\\Windows", /windows drive/],
      ["c:/windows", /windows drive/],
      ["C:", /windows drive/],
      ["\\\\server\\share", /unc or device/],
      ["\\\\?\\C:\\x", /unc or device/],
      ["//./pipe/x", /unc or device/],
      ["//server/share", /unc or device/],
      ["~", /starts with `~`/],
      ["~/.ssh/id_rsa", /starts with `~`/],
      ["~root", /starts with `~`/],
      ["a\u0000b", /control character/],
      ["a\nb", /control character/],
      ["a\u007fb", /control character/],
      ["", /non-empty string/],
      [null, /non-empty string/],
      [42, /non-empty string/],
      [["a"], /non-empty string/],
      ["a".repeat(5000), /longer than/],
    ];
    for (const [p, re] of cases) expect(check(p), JSON.stringify(p)).toMatch(re);
  });

  it("reads IIS-style %uXXXX escapes (with %XX in the same pass, twice when a `%` is left)", () => {
    const cases: Array<[string, RegExp]> = [
      ["%u002e%u002e%u002fetc", /outside.*after %u-decoding/],
      ["%U002E%U002E/etc", /outside.*after %u-decoding/],
      ["%u002e%2e/etc", /outside.*after %u-decoding/],
      ["..%u005c..%u005cetc", /outside.*separator.*after %u-decoding/],
      ["%25u002e%25u002e%25u002fetc", /outside.*after percent-decoding and %u-decoding/],
      ["%u0025u002e%u0025u002e/etc", /outside.*after %u-decoding twice/],
      ["%u0025%u0032%u0065%u0025%u0032%u0065/etc", /outside.*after %u-decoding twice/],
      ["%u0000", /control character after %u-decoding/],
      ["%u007e/x", /starts with `~` after %u-decoding/],
      ["%u0043%u003a/x", /windows drive path after %u-decoding/],
      ["%uff0e%uff0e/etc", /U\+FF0E.*after %u-decoding/],
      ["%uD800", /lone surrogate/],
      ["a%uDC00", /lone surrogate/],
      ["%uD83Dx", /lone surrogate/],
    ];
    for (const [p, re] of cases) expect(check(p), p).toMatch(re);
    for (const p of ["%u0041.txt", "a%u002fb", "a/%u002e%u002e/b", "%uD83D%uDE00.png", "100%user.txt", "%u12.txt", "%u65e5.txt"]) expect(check(p), p).toBeNull();
  });

  it("refuses every windows best-fit character of the table, in every reading", () => {
    expect(BEST_FIT.size).toBeGreaterThan(50);
    for (const [cp, ascii] of BEST_FIT) {
      const ch = String.fromCodePoint(cp);
      const utf8 = [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
      const u = `%u${cp.toString(16).padStart(4, "0")}`;
      for (const v of [`a${ch}b`, `${ch}`, `dir/${ch}x.txt`, `a${utf8}b`, `a${utf8.replace(/%/g, "%25")}b`, `a${u}b`]) {
        expect(check(v), `${v} (${ascii})`).toMatch(/windows best-fit code pages turn into/);
      }
    }
    // The separators, dots and colons the issue names, and the NFKC forms of ¥ and ₩.
    for (const ch of ["¥", "₩", "∖", "∕", "⁄", "⧸", "／", "＼", "．", "：", "￥", "￦", "․", "﹒", "﹨"]) expect(check(`..${ch}etc`), ch).toMatch(/best-fit/);
  });

  it("holds the entries completed from the WCTABLE sections of the other WindowsBestFit tables", () => {
    // bestfit1253: ACUTE ACCENT is `/`; 932, 950, 1250: INVERTED QUESTION MARK is `?`; 1250, 1251, 1253,
    // 1254: arrows, pointers and MALE SIGN are `<` `>` `|`; 1254: the double prime quotation marks are `"`.
    const completed: [number, string][] = [
      [0x00b4, "/"], [0x00bf, "?"], [0x2190, "<"], [0x2192, ">"], [0x2195, "|"], [0x21a8, "|"],
      [0x25c4, "<"], [0x25ba, ">"], [0x2642, ">"], [0x301d, '"'], [0x301e, '"'],
    ];
    for (const [cp, ascii] of completed) {
      expect(BEST_FIT.get(cp), `U+${cp.toString(16)}`).toBe(ascii);
      const ch = String.fromCodePoint(cp);
      expect(check(`..${ch}..${ch}etc`), ch).toMatch(/windows best-fit code pages turn into/);
    }
    for (const p of ["¡hola.txt", "a↑b.txt", "a↓b.txt", "a↔b.txt", "♀/x.txt", "▲▼.txt", "a〟b.txt"]) expect(check(p), p).toBeNull();
  });

  it("keeps names without best-fit characters: CJK, fullwidth letters and digits, other punctuation", () => {
    for (const p of ["日本語/ファイル名.txt", "写真（1）.jpg", "価格100円.txt", "ｆｉｌｅ１.txt", "한국어/파일.txt", "a＃b", "a～b", "€.txt", "a’b"]) {
      expect(check(p), p).toBeNull();
    }
  });

  it("property: an accepted value stays inside after %u-decoding and holds no best-fit character in any reading", () => {
    const c = compilePathCheck(root);
    if (typeof c !== "function") throw new Error(c.error);
    const iis = (t: string) => safeDecode(t.replace(/%u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
    const piece = fc.constantFrom("..", ".", "/", "a", "%u002e", "%u002f", "%U002E", "%u005c", "%u2215", "%uff0e", "%u0025", "%25u002e", "2e", "2f", "%", "u", "∕", "¥", "．", "／", "Ａ", "日本");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const p = parts.join("");
        if (c(p) !== null) return;
        const once = safeDecode(p);
        for (const base of [p, once, safeDecode(once), iis(p), iis(once), iis(iis(p))]) {
          for (const reading of [base, base.normalize("NFKC")]) {
            for (const ch of reading) expect(BEST_FIT.has(ch.codePointAt(0)!), `${p}: ${ch}`).toBe(false);
            for (const q of [reading, reading.replace(/\\/g, "/")]) {
              const resolved = posix.resolve("/workspace", q);
              expect(resolved === "/workspace" || resolved.startsWith("/workspace/"), `${p} -> ${resolved}`).toBe(true);
            }
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("works with `/` as root", () => {
    const c = compilePathCheck({ root: "/" });
    if (typeof c !== "function") throw new Error(c.error);
    expect(c("/etc/passwd")).toBeNull();
    expect(c("../..")).toBeNull();
    expect(c("~")).toMatch(/~/);
  });

  it("never throws, and every accepted path stays inside the root", () => {
    const c = compilePathCheck(root);
    if (typeof c !== "function") throw new Error(c.error);
    const piece = fc.oneof(fc.constantFrom("..", ".", "/", "\\", "%2e", "%2f", "%25", "a", "workspace", "\uff0e", "~", "C:"), fc.string({ unit: "binary", maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const p = parts.join("");
        const r = c(p);
        expect(r === null || typeof r === "string").toBe(true);
        if (r === null) {
          // Independent reference: node's POSIX resolver over the same readings.
          const once = safeDecode(p);
          for (const base of [p, once, safeDecode(once)]) {
            for (const reading of [base, base.normalize("NFKC")]) {
              for (const q of [reading, reading.replace(/\\/g, "/")]) {
                const resolved = posix.resolve("/workspace", q);
                expect(resolved === "/workspace" || resolved.startsWith("/workspace/"), `${p} -> ${resolved}`).toBe(true);
              }
            }
          }
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const r = c(s);
        expect(r === null || typeof r === "string").toBe(true);
      }),
    );
  });
});

describe("path: compatibility forms of path-meaningful characters (beyond the best-fit table)", () => {
  it("refuses any non-ASCII character whose NFKC form holds / \\ . : \" < > | ? * or %", () => {
    // ℀ is `a/c`, ⒈ is `1.`, ﹟ is `#` (allowed), ⑴ is `(1)` (allowed), ︙ is `...`
    for (const p of ["\u2100", "x\u2488y", "\ufe19", "a\u2101b", "\u2474\u2488"]) {
      expect(check(p), p).toMatch(/best-fit code pages turn into/);
    }
  });
  it("keeps names whose compatibility forms are harmless", () => {
    for (const p of ["\ufe5f", "\u2474", "\u65e5\u672c\u8a9e.txt", "\uff21\uff22\uff23", "caf\u00e9/x"]) {
      expect(check(p), p).toBeNull();
    }
  });
});
