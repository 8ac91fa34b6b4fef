import fc from "fast-check";
import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSandboxPath, compilePathCheck } from "../../src/eval/builtins/path.js";

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
    for (const r of ["workspace", "", "/workspace/", "/a//b", "/a/./b", "/a/../b", "/a\\b", "/a\u0000", "C:\\x", "/ﬁle"]) {
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
      ["\uff0e\uff0e\uff0fetc", /outside.*unicode normalisation/],
      ["%ef%bc%8e%ef%bc%8e%ef%bc%8fetc", /outside.*percent-decoding and unicode normalisation/],
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
