/**
 * Stage: load. Parses the main file and follows its `import`s (relative to the importing file),
 * depth first, each file once. Reports missing files, cycles and the import limit as diagnostics.
 * File access goes through a host-supplied reader, so hosts without a file system can compile.
 */
import { readFileSync } from "node:fs";
import * as nodePath from "node:path";
import type { PolicyFileAst } from "../ast/nodes.js";
import { importCycle, importNotFound, tooManyImports } from "../diagnostics/catalog.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { SourceFile } from "../source/source.js";
import { LIMITS } from "../syntax/limits.js";
import { parsePolicy } from "../syntax/parse.js";

export type ReadFile = (path: string) => string;

export const fsReader: ReadFile = (p) => readFileSync(p, "utf8");

export interface Loaded {
  /** Main file first, then imports in merge order. */
  asts: PolicyFileAst[];
  sources: SourceFile[];
  diagnostics: Diagnostic[];
}

export function loadPolicy(text: string, filename: string, readFile: ReadFile | undefined): Loaded {
  const out: Loaded = { asts: [], sources: [], diagnostics: [] };
  const main = parseOne(out, text, filename);
  if (!main) return out;
  const seen = new Set<string>([nodePath.resolve(filename)]);
  const imported: PolicyFileAst[] = [];
  const visit = (ast: PolicyFileAst, stack: string[]) => {
    for (const decl of ast.declarations) {
      if (decl.kind !== "import") continue;
      const target = nodePath.resolve(nodePath.dirname(ast.file), decl.path);
      if (stack.includes(target)) {
        out.diagnostics.push(importCycle(decl.span, [...stack.slice(stack.indexOf(target)), target].map((p) => nodePath.relative(process.cwd(), p) || p)));
        continue;
      }
      if (seen.has(target)) continue;
      if (seen.size > LIMITS.maxImports) {
        out.diagnostics.push(tooManyImports(decl.span, LIMITS.maxImports));
        return;
      }
      if (!readFile) {
        out.diagnostics.push(importNotFound(decl.span, decl.path, "this host gives no way to read files"));
        continue;
      }
      let src: string;
      try {
        src = readFile(target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException)?.code;
        out.diagnostics.push(importNotFound(decl.span, decl.path, code === "ENOENT" ? "no such file" : (err as Error)?.message ?? "unreadable"));
        continue;
      }
      seen.add(target);
      const name = nodePath.join(nodePath.dirname(ast.file), decl.path);
      const child = parseOne(out, src, name);
      if (!child) continue;
      visit(child, [...stack, target]);
      imported.push(child);
    }
  };
  visit(main, [nodePath.resolve(filename)]);
  out.asts = [main, ...imported];
  return out;
}

function parseOne(out: Loaded, text: string, name: string): PolicyFileAst | undefined {
  out.sources.push(new SourceFile(name, text));
  const r = parsePolicy(text, name);
  out.diagnostics.push(...r.diagnostics);
  return r.ast;
}
