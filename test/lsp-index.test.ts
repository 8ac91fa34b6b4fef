/**
 * The language server's symbol index and answers, in process, on the bundled policies: every occurrence
 * spans exactly its name's text (what rename relies on), and on any prefix of a policy (a file being
 * typed, full of syntax errors) analysis, hover, definition and completion never throw (fast-check); renaming
 * any set, constant or role of a bundled policy at every occurrence the index holds (as rename does) gives
 * a policy that still compiles (a use the index missed, such as a set in an argument type, would not).
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { TextDocument } from "vscode-languageserver-textdocument";
import { describe, expect, it } from "vitest";
import { loadPolicy, fsReader } from "../src/syntax/load.js";
import { compilePolicy } from "../src/policy.js";
import { buildIndex } from "../src/lsp/symbols.js";
import { DocumentStore } from "../src/lsp/documents.js";
import { analyze } from "../src/lsp/project.js";
import { hoverAt } from "../src/lsp/hover.js";
import { definitionAt } from "../src/lsp/navigate.js";
import { completeAt } from "../src/lsp/completion.js";

const POLICIES = fileURLToPath(new URL("../policies", import.meta.url));
const files = readdirSync(POLICIES).filter((f) => f.endsWith(".mcppolicy")).map((f) => path.join(POLICIES, f));

describe("lsp symbol index", () => {
  it("spans exactly each name's text in every bundled policy and its imports", () => {
    let seen = 0;
    for (const file of files) {
      const loaded = loadPolicy(readFileSync(file, "utf8"), file, fsReader);
      const text = new Map(loaded.sources.map((s) => [s.name, s.text]));
      for (const o of buildIndex(loaded.asts).occurrences) {
        expect(text.get(o.span.file)?.slice(o.span.start, o.span.end), `${o.key} in ${o.span.file}`).toBe(o.name);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(100);
  });

  it("holds every use of a set, constant and role: renaming one at its occurrences still compiles", () => {
    const seedText = readFileSync(path.join(POLICIES, "seed.mcppolicy"), "utf8");
    expect(seedText).toMatch(/hosts: allowed_domains, deny: blocked_cidrs/); // sets used in an argument type
    let renamed = 0;
    for (const file of files) {
      const loaded = loadPolicy(readFileSync(file, "utf8"), file, fsReader);
      const texts = new Map(loaded.sources.map((s) => [s.name, s.text]));
      const occurrences = buildIndex(loaded.asts).occurrences;
      const keys = new Set(occurrences.filter((o) => o.isDefinition && o.kind !== "tool" && o.kind !== "label").map((o) => o.key));
      for (const key of keys) {
        const fresh = `renamed_${renamed}`;
        const edited = new Map(texts);
        // Replace from the end of each file so earlier spans stay valid.
        const spans = occurrences.filter((o) => o.key === key).sort((a, b) => b.span.start - a.span.start);
        for (const o of spans) {
          const t = edited.get(o.span.file)!;
          edited.set(o.span.file, t.slice(0, o.span.start) + fresh + t.slice(o.span.end));
        }
        const read = (f: string) => {
          const t = edited.get(path.resolve(f)) ?? edited.get(f);
          if (t === undefined) throw new Error(`no ${f}`);
          return t;
        };
        expect(() => compilePolicy(edited.get(file)!, { filename: file, readFile: read }), `${key} in ${path.basename(file)}`).not.toThrow();
        renamed++;
      }
    }
    expect(renamed).toBeGreaterThan(30);
  });

  it("links a label used by `derives from` to the result block that gives it", () => {
    const file = fileURLToPath(new URL("../examples/trifecta/trifecta.mcppolicy", import.meta.url));
    const text = readFileSync(file, "utf8");
    const store = new DocumentStore();
    const doc = TextDocument.create(pathToFileURL(file).href, "mcppolicy", 1, text);
    store.set(doc);
    const a = analyze(store, doc);
    const use = text.indexOf("derives from untrusted") + "derives from ".length + 2;
    expect(hoverAt(a, use)?.contents).toMatch(/^\*\*label\*\* `untrusted`: given by `result of tool /);
    const def = definitionAt(a, use);
    expect(def).toHaveLength(1);
    expect(doc.offsetAt(def[0]!.range.start)).toBe(text.search(/label untrusted/) + "label ".length);
  });

  it("answers without throwing on every prefix of a policy (syntax errors included)", () => {
    const file = path.join(POLICIES, "seed.mcppolicy");
    const full = readFileSync(file, "utf8");
    fc.assert(
      fc.property(fc.nat(full.length), fc.nat(full.length), (cut, at) => {
        const store = new DocumentStore();
        const doc = TextDocument.create(pathToFileURL(file).href, "mcppolicy", 1, full.slice(0, cut));
        store.set(doc);
        const a = analyze(store, doc);
        const offset = Math.min(at, cut);
        hoverAt(a, offset);
        expect(Array.isArray(definitionAt(a, offset))).toBe(true);
        expect(Array.isArray(completeAt(a, offset, () => []))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
