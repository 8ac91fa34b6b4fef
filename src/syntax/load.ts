/**
 * Stage: load. Parses the main file and follows its `import`s (relative to the importing file),
 * depth first, each file once. Reports missing files, cycles and the import limit as diagnostics.
 * File access goes through a host-supplied reader, so hosts without a file system can compile.
 * GUARANTEES (see files.ts): an import is read only when it lies inside the import roots (the top
 * policy file's directory, or the host's `importRoots`), after following symbolic links when the
 * default reader is used; only regular files of at most LIMITS.maxFileBytes are read. A refused import
 * is a diagnostic on the import's string that never shows the refused file's content.
 */
import * as nodePath from "node:path";
import type { PolicyFileAst } from "../ast/nodes.js";
import {
  importCycle,
  importNotFound,
  importNotRegular,
  importOutsideRoots,
  importTooLarge,
  invalidImportRoot,
  tooManyImports,
} from "../diagnostics/catalog.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { span } from "../source/source.js";
import { SourceFile } from "../source/source.js";
import { LIMITS } from "../source/limits.js";
import { parsePolicy } from "./parse.js";
import { FileRefusal, importRootsFor, policyFileReader, type ReadFile } from "../source/files.js";

export { fsReader, type ReadFile } from "../source/files.js";

export interface Loaded {
  /** Main file first, then imports in merge order. */
  asts: PolicyFileAst[];
  sources: SourceFile[];
  diagnostics: Diagnostic[];
}

/**
 * The guarded reader for the files a policy names (imports, JSON Schema files), or a diagnostic when the
 * host's import roots are invalid. `undefined` when the host gives no way to read files.
 */
export function policyReader(
  filename: string,
  readFile: ReadFile | undefined,
  importRoots: readonly unknown[] | undefined,
): { read: ReadFile | undefined } | { invalid: Diagnostic } {
  const roots = importRootsFor(filename, importRoots);
  if (!Array.isArray(roots)) return { invalid: invalidImportRoot(span(filename, 0, 0), roots.invalid) };
  return { read: readFile && policyFileReader(readFile, roots) };
}

export function loadPolicy(text: string, filename: string, readFile: ReadFile | undefined, importRoots?: readonly unknown[]): Loaded {
  const out: Loaded = { asts: [], sources: [], diagnostics: [] };
  const main = parseOne(out, text, filename);
  if (!main) return out;
  const reader = policyReader(filename, readFile, importRoots);
  if ("invalid" in reader) {
    out.diagnostics.push(reader.invalid);
    return out;
  }
  const read = reader.read;
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
      if (!read) {
        out.diagnostics.push(importNotFound(decl.pathSpan, decl.path, "this host gives no way to read files"));
        continue;
      }
      let src: string;
      try {
        src = read(target);
      } catch (err) {
        out.diagnostics.push(refusal(decl.pathSpan, decl.path, err));
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

function refusal(at: Parameters<typeof importNotFound>[0], path: string, err: unknown): Diagnostic {
  if (err instanceof FileRefusal) {
    switch (err.kind) {
      case "outside":
        return importOutsideRoots(at, path, err.message);
      case "not-regular":
        return importNotRegular(at, path, err.message);
      case "too-large":
        return importTooLarge(at, path, LIMITS.maxFileBytes);
      case "unreadable":
        return importNotFound(at, path, err.message);
    }
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  return importNotFound(at, path, code === "ENOENT" ? "no such file" : "unreadable");
}

function parseOne(out: Loaded, text: string, name: string): PolicyFileAst | undefined {
  out.sources.push(new SourceFile(name, text));
  const r = parsePolicy(text, name);
  out.diagnostics.push(...r.diagnostics);
  return r.ast;
}
