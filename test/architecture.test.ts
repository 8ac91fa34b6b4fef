/**
 * The house keeps its shape: every import of src/ follows the declared order (scripts/architecture.mjs,
 * explained in ARCHITECTURE.md), no folders import each other in a cycle, and tests reach internals one way
 * (through src/, never by a path into dist/).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { checkArchitecture, importsOf, LAYERS } from "../scripts/architecture.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(ts|mts|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

describe("architecture", () => {
  it("src/ follows the declared import order, with zero cycles", () => {
    const { violations, cycles } = checkArchitecture(path.join(ROOT, "src"));
    expect(violations).toEqual([]);
    expect(cycles).toEqual([]);
  });

  it("every folder of src/ has a declared layer", () => {
    const declared = new Set((LAYERS as string[][]).flat());
    const present = readdirSync(path.join(ROOT, "src")).map((n) => (n.endsWith(".ts") ? n : n));
    expect(present.filter((n) => !declared.has(n))).toEqual([]);
  });

  it("tests never import dist/ by path", () => {
    const offenders = files(path.join(ROOT, "test")).filter((f) => /["'](?:\.\.?\/)+dist\//.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  describe("the check itself finds what it must", () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "mcppolicy-arch-"));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const tree = (name: string, layout: Record<string, string>) => {
      const root = path.join(tmp, name);
      for (const [file, text] of Object.entries(layout)) {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      }
      return root;
    };

    it("an import up the order is a violation", () => {
      const root = tree("up", { "contract/a.ts": 'import { x } from "../eval/b.js";\n', "eval/b.ts": "export const x = 1;\n" });
      const { violations } = checkArchitecture(root);
      expect(violations).toHaveLength(1);
      expect(violations[0]).toMatch(/contract\/a\.ts: imports `\.\.\/eval\/b\.js`, but eval .* is above contract/);
    });

    it("an import between folders of one layer, a dynamic import, and an undeclared folder are violations", () => {
      const root = tree("same", {
        "analysis/a.ts": 'export const a = () => import("../testing/t.js");\n',
        "testing/t.ts": "export const t = 1;\n",
        "misc/m.ts": 'export * from "../contract/c.js";\n',
        "contract/c.ts": "export const c = 1;\n",
      });
      const { violations } = checkArchitecture(root);
      expect(violations.some((v: string) => v.startsWith("analysis/a.ts") && v.includes("share layer"))).toBe(true);
      expect(violations.some((v: string) => v.includes("`misc` has no declared layer"))).toBe(true);
    });

    it("a folder-level cycle is reported even between undeclared folders", () => {
      const root = tree("cycle", { "p/a.ts": 'import "../q/b.js";\n', "q/b.ts": 'import type { A } from "../p/a.js";\n' });
      expect(checkArchitecture(root).cycles).toEqual([["p", "q"]]);
    });

    it("reads every import form", () => {
      const text = [
        'import a from "./a.js";',
        'import type { B } from "../b.js";',
        'export { c } from "./c.js";',
        'export * from "./d.js";',
        'import "./e.js";',
        'const f = await import("./f.js");',
        'import {\n  g,\n  h,\n} from "./g.js";',
        'import fs from "node:fs";',
      ].join("\n");
      expect(importsOf(text)).toEqual(["./a.js", "../b.js", "./c.js", "./d.js", "./e.js", "./g.js", "./f.js"].sort((x, y) => text.indexOf(x) - text.indexOf(y)));
    });
  });
});
