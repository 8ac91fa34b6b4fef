// The url and path checks keep their answers per text (issue 16, seed mix): a kept answer is the answer a
// fresh check gives, through memo overflow (more distinct texts than the memo holds) and repeats; the
// realpath step of a path check is never kept (a file system changes); an unexpected throw is not kept.
import fs from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CidrSet } from "../../src/builtins/cidr/cidr.js";
import { DomainSet } from "../../src/builtins/domain/domain.js";
import { compileUrlCheck } from "../../src/builtins/url/url.js";
import { compilePathCheck, type PathCheck } from "../../src/builtins/path/path.js";

const corpus = (file: string): string[] => {
  const text = fs.readFileSync(new URL(`../adversarial/${file}`, import.meta.url), "utf8");
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(parse(text, { logLevel: "silent" }));
  return out;
};

const urlOptions = () => {
  const hosts = DomainSet.from(["api.github.com", "*.example.com"]);
  const deny = CidrSet.from(["10.0.0.0/8", "127.0.0.0/8", "169.254.169.254/32", "fd00::/8"]);
  if (!("set" in hosts) || !("set" in deny)) throw new Error("fixture sets did not compile");
  return { schemes: ["https", "http"], hosts: hosts.set, deny: deny.set };
};

describe("url check memo", () => {
  it("every corpus text, checked twice by one check and once by a fresh one, gets one answer", () => {
    const kept = compileUrlCheck(urlOptions());
    const texts = [...corpus("url.yaml"), "https://api.github.com/x", "http://[::1]/", "https://a.example.com./", "https://user@api.github.com/"];
    for (const t of [...texts, ...texts]) expect(kept(t), t).toBe(compileUrlCheck(urlOptions())(t));
  });

  it("generated texts, past the memo's bound and back", () => {
    const kept = compileUrlCheck(urlOptions());
    const text = fc.oneof(
      fc.webUrl(),
      fc.string(),
      fc.constantFrom("https://api.github.com/", "https://10.0.0.1/", "https://x.example.com/a", "ftp://a/", "https://API.github.com/"),
    );
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 700 }), (ts) => {
        const fresh = compileUrlCheck(urlOptions());
        for (const t of [...ts, ...ts]) expect(kept(t)).toBe(fresh(t));
      }),
      { numRuns: 30 },
    );
  });
});

describe("path check memo", () => {
  const check = (opts: Parameters<typeof compilePathCheck>[0]): PathCheck => {
    const c = compilePathCheck(opts);
    if (typeof c !== "function") throw new Error(c.error);
    return c;
  };

  it("every corpus text, checked twice by one check and once by a fresh one, gets one answer", () => {
    const opts = { root: "/workspace", exclude: ["**/.env", "**/.git/**"] };
    const kept = check(opts);
    const texts = [...corpus("path.yaml"), ...corpus("path-exclude.yaml"), "src/a.ts", "../x", "%2e%2e/x", "a/.env"];
    for (const t of [...texts, ...texts]) expect(kept(t), t).toBe(check(opts)(t));
  });

  it("generated texts, past the memo's bound and back", () => {
    const kept = check({ root: "/srv" });
    const seg = fc.constantFrom("a", "..", ".", "%2e%2e", "%252e", "b c", ". .", "\\", "~", "C:", "\uff0e\uff0e", "é", "");
    const text = fc.oneof(fc.array(seg, { maxLength: 5 }).map((s) => s.join("/")), fc.string(), fc.constantFrom("/srv/x", "/etc", "x"));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 700 }), (ts) => {
        const fresh = check({ root: "/srv" });
        for (const t of [...ts, ...ts]) expect(kept(t)).toBe(fresh(t));
      }),
      { numRuns: 30 },
    );
  });

  it("the realpath step runs on every call: a file system that changes is seen", () => {
    let outside = false;
    const realpath = (p: string): string => {
      if (p === "/srv") return "/srv";
      if (p.startsWith("/srv/link")) {
        if (outside) return "/etc" + p.slice("/srv/link".length);
        return p;
      }
      throw Object.assign(new Error("missing"), { code: "ENOENT" });
    };
    const c = check({ root: "/srv", realpath });
    expect(c("link/passwd")).toBeNull();
    outside = true; // the directory became a symbolic link out of the sandbox
    expect(c("link/passwd")).toMatch(/symbolic link/);
    outside = false;
    expect(c("link/passwd")).toBeNull();
  });

  it("a realpath that throws unexpectedly is asked again next time (not kept as an answer)", () => {
    let fail = true;
    const realpath = (p: string): string => {
      if (fail) throw new Error("EIO");
      return p;
    };
    const c = check({ root: "/srv", realpath });
    expect(c("a/b")).not.toBeNull();
    fail = false;
    expect(c("a/b")).toBeNull();
  });
});
