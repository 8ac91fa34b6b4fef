/**
 * Golden diagnostics: each test/diagnostics/cases/*.mcppolicy is checked and its diagnostics rendered
 * both like rustc and as JSON; the result must equal the committed golden files beside it. Limit
 * diagnostics that need huge inputs are generated here and compared the same way. Every code in the
 * catalog must appear in some golden. Set UPDATE_GOLDEN=1 to rewrite the goldens after a deliberate change.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOG, checkPolicy } from "mcppolicy";

const DIR = join(import.meta.dirname, "diagnostics", "cases");
const ROOT = join(import.meta.dirname, "..");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function golden(path: string, actual: string) {
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE && process.env.CI) throw new Error(`missing golden ${path}`);
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

function check(text: string, filename: string, readFile?: (p: string) => string) {
  const r = checkPolicy(text, { filename, ...(readFile && { readFile }) });
  return { text: r.render(), json: JSON.stringify(r.toJSON(), null, 2) + "\n", codes: r.diagnostics.map((d) => d.code) };
}

const seen = new Set<string>();
const files = readdirSync(DIR).filter((f) => f.endsWith(".mcppolicy") && !f.includes(".lib.")).sort();

describe("golden diagnostics", () => {
  for (const f of files) {
    it(f, () => {
      const path = join(DIR, f);
      const r = check(readFileSync(path, "utf8"), relative(ROOT, path));
      expect(r.codes.length).toBeGreaterThan(0);
      r.codes.forEach((c) => seen.add(c));
      const code = /^([EW]\d{4})-/.exec(f)?.[1];
      if (code) expect(r.codes).toContain(code);
      golden(path.replace(/\.mcppolicy$/, ".txt"), r.text);
      golden(path.replace(/\.mcppolicy$/, ".json"), r.json);
    });
  }

  it("E0005: a source over the size limit", () => {
    const r = check('policy "big"\n' + "// padding\n".repeat(400_000), "big.mcppolicy");
    r.codes.forEach((c) => seen.add(c));
    golden(join(DIR, "generated-E0005.txt"), r.text);
  });

  it("E0008: a file that is not a policy stops after 100 errors", () => {
    const junk = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? "$" : i % 3 === 1 ? "@@" : "\u0001")).join(" ");
    const r = check('policy "junk"\n' + junk, "junk.mcppolicy");
    r.codes.forEach((c) => seen.add(c));
    expect(r.codes.filter((c) => c !== "E0008").length).toBe(100);
    expect(r.codes.at(-1)).toBe("E0008");
    golden(join(DIR, "generated-E0008.txt"), r.text.split("\n\n").slice(-2).join("\n\n"));
  });

  it("E0302: more rules than the limit", () => {
    const rules = Array.from({ length: 1001 }, (_, i) => `role r${i} {\n${"  allow tool t\n".repeat(100)}}`).join("\n");
    const r = check('policy "many"\n' + rules, "many.mcppolicy");
    r.codes.forEach((c) => seen.add(c));
    expect(r.codes).toContain("E0302");
    golden(join(DIR, "generated-E0302.txt"), r.text.split("\n\n").filter((b) => b.includes("E0302")).join("\n\n") + "\n");
  });

  it("E0108: more imports than the limit", () => {
    const files = new Map<string, string>();
    for (let i = 0; i < 70; i++) files.set(`/virtual/lib${i}.mcppolicy`, `policy "lib${i}"\n${i < 69 ? `import "./lib${i + 1}.mcppolicy"` : ""}\n`);
    const r = check('policy "root"\nimport "./lib0.mcppolicy"\nrole dev { allow tool x }\n', "/virtual/root.mcppolicy", (p) => {
      const t = files.get(p);
      if (t === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      return t;
    });
    r.codes.forEach((c) => seen.add(c));
    expect(r.codes).toContain("E0108");
  });

  // Files a policy names (source/files.ts): E0122 and E0123 need compile options, not a file.
  it("E0122: an imported file over the size limit", () => {
    const big = "x".repeat(4 * 1024 * 1024 + 1);
    const r = check('policy "root"\nimport "./big.mcppolicy"\n', "/virtual/root.mcppolicy", () => big);
    r.codes.forEach((c) => seen.add(c));
    expect(r.codes).toEqual(["E0122"]);
    golden(join(DIR, "generated-E0122.txt"), r.text);
  });

  it("E0123: an invalid import root", () => {
    const r = checkPolicy('policy "root"\nimport "./lib.mcppolicy"\n', { filename: "root.mcppolicy", importRoots: [""] });
    r.diagnostics.forEach((d) => seen.add(d.code));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E0123"]);
    golden(join(DIR, "generated-E0123.txt"), r.render());
  });

  it("every catalog code has a golden", () => {
    // The gateway config's codes (E10xx, W10xx) have their goldens in test/gateway/config-goldens/,
    // checked by test/gateway/config-goldens.test.ts.
    for (const f of readdirSync(join(import.meta.dirname, "gateway", "config-goldens"))) {
      const code = /^(?:generated-)?([EW]10\d\d)-.*\.txt$/.exec(f)?.[1];
      if (code) seen.add(code);
    }
    const missing = Object.keys(CATALOG).filter((c) => !seen.has(c));
    expect(missing).toEqual([]);
  });
});
