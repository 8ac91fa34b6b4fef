/**
 * The documents the server knows: the editor's open buffers (by URI) overlaid on the disk. A policy's
 * imports are read from an open buffer first (its unsaved text), then from the disk through the same
 * guarded reader the compiler uses (regular files inside the import roots, judged after following
 * symbolic links, size-limited).
 * Also the conversions between LSP positions and the compiler's UTF-16 offsets, for any file of a
 * policy's graph (open or not). GUARANTEE: positions out of range are clamped, never thrown on.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import * as nodePath from "node:path";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Position, Range } from "vscode-languageserver";
import { fsReader, policyFileReader, type ReadFile } from "../source/files.js";
import type { Span } from "../source/source.js";

/** The file-system path of a `file:` URI; other schemes (untitled:) keep the URI as their name. */
export function pathOfUri(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return nodePath.resolve(fileURLToPath(uri));
  } catch {
    return uri;
  }
}

export function uriOfPath(path: string): string {
  return nodePath.isAbsolute(path) ? pathToFileURL(path).href : path;
}

export class DocumentStore {
  private readonly open = new Map<string, TextDocument>();

  set(doc: TextDocument): void {
    this.open.set(pathOfUri(doc.uri), doc);
  }
  delete(uri: string): void {
    this.open.delete(pathOfUri(uri));
  }
  get(uri: string): TextDocument | undefined {
    return this.open.get(pathOfUri(uri));
  }
  all(): TextDocument[] {
    return [...this.open.values()];
  }

  /**
   * A reader for the policy `file`: open buffer first, then the disk through the compiler's own
   * guarded reader for the default import root (the policy's directory), so a symbolic link that
   * leads outside it is refused as the CLI refuses it (regular files only, size-limited).
   */
  readerFor(file: string): ReadFile {
    const disk = policyFileReader(fsReader, [nodePath.dirname(nodePath.resolve(file))]);
    return (path: string) => {
      const doc = this.open.get(nodePath.resolve(path));
      return doc ? doc.getText() : disk(path);
    };
  }

  /** A document for positions in `path` (the open buffer, or `text` as loaded). */
  docFor(path: string, text: string): TextDocument {
    const open = this.open.get(nodePath.resolve(path));
    return open && open.getText() === text ? open : TextDocument.create(uriOfPath(path), "mcppolicy", 0, text);
  }
}

export function rangeOf(doc: TextDocument, span: Span): Range {
  return { start: doc.positionAt(span.start), end: doc.positionAt(span.end) };
}

/** The offset of a position, or undefined when the position is not inside the text (bad input). */
export function offsetOf(doc: TextDocument, pos: Position | undefined): number | undefined {
  if (!pos || !Number.isInteger(pos.line) || !Number.isInteger(pos.character) || pos.line < 0 || pos.character < 0) return undefined;
  if (pos.line >= doc.lineCount) return undefined;
  return doc.offsetAt(pos);
}
