/**
 * The browser stand-ins the playground bundle uses for Node built-ins (playground/src/shims) agree with
 * Node on what the compiler asks of them: SHA-256 (the policy hash), POSIX path resolution, and the
 * Buffer decodings the secret detectors run (base64, base64url, hex to latin1; UTF-8 byte length), and
 * the deps stand-in (re2js and ipaddr.js bundled) answering as src/source/deps.ts does.
 * Properties over generated inputs, with Node's own modules as the oracle.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash as nodeCreateHash } from "node:crypto";
import nodePath from "node:path";
import { createHash } from "../playground/src/shims/node-crypto.js";
import * as shimPath from "../playground/src/shims/node-path.js";
import { Buffer as ShimBuffer } from "../playground/src/shims/globals.js";
import { createRequire, readFileSync } from "../playground/src/shims/node-unavailable.js";
import * as shimDeps from "../playground/src/shims/deps.js";
import * as nodeDeps from "../src/source/deps.js";

describe("playground shims agree with Node", () => {
  it("sha256 digests equal node:crypto's for any text (hex, base64, base64url)", () => {
    for (const known of ["", "abc", "a".repeat(55), "a".repeat(56), "a".repeat(64), "é😀"]) {
      expect(createHash("sha256").update(known, "utf8").digest("hex")).toBe(nodeCreateHash("sha256").update(known, "utf8").digest("hex"));
    }
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), fc.constantFrom("hex", "base64", "base64url"), (text, enc) => {
        expect(createHash("sha256").update(text, "utf8").digest(enc)).toBe(nodeCreateHash("sha256").update(text, "utf8").digest(enc as "hex"));
      }),
    );
    expect(() => createHash("md5")).toThrow(/not available in the playground/);
  });

  it("path functions equal path.posix's (cwd taken as /)", () => {
    const segment = fc.constantFrom("a", "b", "..", ".", "", "dir", "x.mcppolicy");
    const p = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 })).map(([abs, parts]) => (abs ? "/" : "") + parts.join("/"));
    fc.assert(
      fc.property(p, p, (a, b) => {
        expect(shimPath.resolve("/", a, b)).toBe(nodePath.posix.resolve("/", a, b));
        expect(shimPath.join(a, b)).toBe(nodePath.posix.join(a, b));
        expect(shimPath.normalize(a || ".")).toBe(nodePath.posix.normalize(a || "."));
        expect(shimPath.relative(`/${a}`, `/${b}`)).toBe(nodePath.posix.relative(`/${a}`, `/${b}`));
        const abs = nodePath.posix.resolve("/", a);
        expect(shimPath.dirname(abs)).toBe(nodePath.posix.dirname(abs));
      }),
    );
  });

  it("Buffer decodings used by the detectors equal Node's", () => {
    const b64 = fc.string({ unit: fc.constantFrom(..."ABCxyz019+/-_=. \n".split("")), maxLength: 60 });
    const hex = fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFxz".split("")), maxLength: 40 });
    fc.assert(
      fc.property(b64, hex, fc.string({ unit: "grapheme", maxLength: 50 }), (b, h, t) => {
        expect(ShimBuffer.from(b, "base64").toString("latin1")).toBe(Buffer.from(b, "base64").toString("latin1"));
        expect(ShimBuffer.from(b, "base64url").toString("latin1")).toBe(Buffer.from(b, "base64url").toString("latin1"));
        expect(ShimBuffer.from(h, "hex").toString("latin1")).toBe(Buffer.from(h, "hex").toString("latin1"));
        expect(ShimBuffer.byteLength(t, "utf8")).toBe(Buffer.byteLength(t, "utf8"));
      }),
    );
  });

  it("file system and module loading throw a clear error (callers then fail closed)", () => {
    expect(() => readFileSync("/etc/passwd")).toThrow(/not available in the playground/);
    expect(() => createRequire("about:playground")("libpg-query/wasm/libpg-query.js")).toThrow(/not available in the playground/);
  });

  it("the deps stand-in (static re2js and ipaddr.js) answers as source/deps.ts (their CommonJS builds) does", () => {
    expect(Object.keys(shimDeps).sort()).toEqual(Object.keys(nodeDeps).sort());
    const pattern = fc.stringMatching(/^[a-z.*+?^$|()[\]\\0-9-]{0,12}$/);
    fc.assert(
      fc.property(pattern, fc.string({ maxLength: 12 }), (p, s) => {
        const compile = (d: typeof nodeDeps) => {
          try {
            return { test: d.re2js().RE2JS.compile(p).test(s) };
          } catch (e) {
            return { error: String((e as Error).message ?? e) };
          }
        };
        expect(compile(shimDeps)).toEqual(compile(nodeDeps));
      }),
    );
    for (const a of ["10.1.2.3", "::ffff:1.2.3.4", "fe80::1", "1.2.3", "x"]) {
      const read = (d: typeof nodeDeps) => (d.ipaddr().isValid(a) ? d.ipaddr().parse(a).toNormalizedString() : null);
      expect(read(shimDeps), a).toBe(read(nodeDeps));
    }
  });
});

