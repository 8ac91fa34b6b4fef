/**
 * Names and globs (issue 9, point 3) as data: test/names-and-globs/*.yaml. Every unsupported glob is
 * refused (E0210) in every place a glob is written, every supported one compiles there; tool block names,
 * names that are not patterns and near misses in deny rules fail with their codes; the benign
 * neighbours compile. The format is in test/names-and-globs/README.md.
 */
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkPolicy, compilePolicy, type PolicyRequest } from "mcppolicy";

const DIR = join(import.meta.dirname, "names-and-globs");

interface GlobCases {
  places: Record<string, string>;
  refuse: string[];
  accept: string[];
}
interface PolicyCase {
  name: string;
  code?: string;
  warnings?: string[];
  policy: string;
}
interface CaseFile {
  globs?: GlobCases;
  policies?: PolicyCase[];
}

const check = (text: string) => checkPolicy(text, { readFile: null }).diagnostics;
const errors = (text: string) => check(text).filter((d) => d.severity === "error");

const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ file: f, data: parse(readFileSync(join(DIR, f), "utf8")) as CaseFile }));

describe("names and globs", () => {
  it("has cases of every kind", () => {
    const globs = files.flatMap((f) => (f.data.globs ? [f.data.globs] : []));
    const policies = files.flatMap((f) => f.data.policies ?? []);
    expect(globs.reduce((n, g) => n + g.refuse.length * Object.keys(g.places).length, 0)).toBeGreaterThan(100);
    for (const code of ["E0114", "E0115", "E0116"]) expect(policies.some((p) => p.code === code), code).toBe(true);
    expect(policies.filter((p) => p.code === undefined).length).toBeGreaterThan(5);
  });

  for (const { file, data } of files) {
    describe(file, () => {
      if (data.globs) {
        const { places, refuse, accept } = data.globs;
        for (const [place, template] of Object.entries(places)) {
          const policy = (p: string) => template.replaceAll("{P}", JSON.stringify(p));
          it(`${place}: every supported glob compiles`, () => {
            for (const p of accept) expect(errors(policy(p)).map((d) => d.message), p).toEqual([]);
          });
          it(`${place}: every unsupported glob is refused (E0210)`, () => {
            for (const p of refuse) expect(errors(policy(p)).map((d) => d.code), p).toContain("E0210");
          });
        }
      }
      for (const c of data.policies ?? []) {
        it(c.name, () => {
          const ds = check(c.policy);
          const errs = ds.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
          if (c.code) expect(errs.some((e) => e.startsWith(c.code!)), errs.join("\n")).toBe(true);
          else expect(errs).toEqual([]);
          if (c.warnings) expect(ds.filter((d) => d.severity === "warning").map((d) => d.code)).toEqual(c.warnings);
        });
      }
    });
  }
});

/** The documented meaning of a name glob, as a regex: `*` any run, `?` one code point, `[c]` c. */
function documented(pattern: string): RegExp {
  let re = "";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "[" && chars[i + 2] === "]" && i + 1 < chars.length) {
      re += chars[i + 1]!.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
      i += 2;
    } else if (c === "*") re += "[^]*";
    else if (c === "?") re += "[^]";
    else re += c.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
  }
  return new RegExp(`^(?:${re})$`, "u");
}

describe("names and globs: every tool glob is refused or means what the spec says, on both evaluators", () => {
  it("random patterns over glob, class, alternative and regex characters", () => {
    const patternChar = fc.constantFrom("a", "b", ".", "*", "?", "[", "]", "{", "}", ",", "^", "$", "|", "(", ")", "+", "\\", "!", "-");
    const nameChar = fc.constantFrom("a", "b", ".", "*", "?", "[", "]", "{", "}", ",", "^", "$", "|", "(", ")", "+", "\\", "!", "-");
    fc.assert(
      fc.property(fc.array(patternChar, { minLength: 1, maxLength: 6 }), fc.array(fc.array(nameChar, { minLength: 1, maxLength: 6 }), { maxLength: 6 }), (p, names) => {
        const pattern = p.join("");
        const text = `policy "t"\nrole r {\n  allow tool "*"\n  deny tool ${JSON.stringify(pattern)}\n}`;
        const errs = errors(text);
        if (errs.length > 0) {
          expect(errs.map((d) => d.code)).toEqual(["E0210"]);
          return;
        }
        const policy = compilePolicy(text, { readFile: null });
        const ref = documented(pattern);
        for (const n of [...names.map((x) => x.join("")), pattern]) {
          const request = { principal: { roles: ["r"] }, tool: n } as PolicyRequest;
          const want = ref.test(n) ? "deny" : "allow";
          expect(policy.decide(request).effect, `${pattern} vs ${n}`).toBe(want);
          expect(policy.interpret(request).effect, `${pattern} vs ${n}`).toBe(want);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
