/**
 * Stage: load (file access). How the compiler and the CLI read the files they are given or that a
 * policy names (imports, JSON Schema files): those files are input too.
 * GUARANTEES:
 * - readRegularFile reads only a regular file: a FIFO, device, socket or directory is refused before it
 *   is opened, and again by fstat after an O_NONBLOCK open (so a swap cannot block the open or stream
 *   without end); at most `maxBytes + 1` bytes are read, and a file over `maxBytes` is refused.
 * - policyFileReader keeps the files a policy names inside its import roots (by default the directory
 *   of the top policy file): lexically always, and, with the default file-system reader, also after
 *   following symbolic links (realpath before the open, and on Linux the opened descriptor's own path).
 * - Every refusal is a FileRefusal with a kind and a plain message that names the path, never the
 *   file's content.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import * as nodePath from "node:path";
import { LIMITS } from "./limits.js";

export type ReadFile = (path: string) => string;

export type RefusalKind = "outside" | "not-regular" | "too-large" | "unreadable";

/** A file the compiler or the CLI will not read, and why (no content of the file is quoted). */
export class FileRefusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    /** The errno code behind an `unreadable` refusal (`ENOENT`, `EACCES`, ...). */
    readonly code?: string,
  ) {
    super(message);
    this.name = "FileRefusal";
  }
}

/** What a non-regular file is, in words. */
export function describeFileType(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (fifo)";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "something other than a file";
}

function errnoText(err: unknown): { code: string | undefined; text: string } {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return { code, text: "no such file" };
    case "ENOTDIR":
      return { code, text: "a part of the path is not a directory" };
    case "EACCES":
    case "EPERM":
      return { code, text: "permission denied" };
    case "ELOOP":
      return { code, text: "too many symbolic links" };
    case "ENAMETOOLONG":
      return { code, text: "the path is too long" };
    default:
      return { code, text: code ? `cannot be read (${code})` : "cannot be read" };
  }
}

const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * The text (UTF-8, without a leading byte-order mark) of the regular file at `path`, read with at most
 * `maxBytes + 1` bytes. `onOpen` may inspect the open descriptor and throw to refuse it.
 * Throws FileRefusal only.
 */
export function readRegularFile(path: string, maxBytes: number = LIMITS.maxFileBytes, onOpen?: (fd: number) => void): string {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    const e = errnoText(err);
    throw new FileRefusal("unreadable", e.text, e.code);
  }
  if (!st.isFile()) throw new FileRefusal("not-regular", `it is ${describeFileType(st)}, not a regular file`);
  if (st.size > maxBytes) throw tooLarge(maxBytes);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NONBLOCK);
  } catch (err) {
    const e = errnoText(err);
    throw new FileRefusal("unreadable", e.text, e.code);
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw new FileRefusal("not-regular", `it is ${describeFileType(fst)}, not a regular file`);
    if (fst.dev !== st.dev || fst.ino !== st.ino) throw new FileRefusal("unreadable", "it changed while it was being opened");
    if (fst.size > maxBytes) throw tooLarge(maxBytes);
    onOpen?.(fd);
    const chunks: Buffer[] = [];
    let total = 0;
    // INVARIANT: never more than maxBytes + 1 bytes are read, whatever the file does meanwhile.
    while (total <= maxBytes) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
    if (total > maxBytes) throw tooLarge(maxBytes);
    return decode(Buffer.concat(chunks, total));
  } catch (err) {
    if (err instanceof FileRefusal) throw err;
    const e = errnoText(err);
    throw new FileRefusal("unreadable", e.text, e.code);
  } finally {
    closeSync(fd);
  }
}

function decode(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function tooLarge(maxBytes: number): FileRefusal {
  return new FileRefusal("too-large", `it is larger than ${maxBytes} bytes`);
}

/** The default reader: regular files only, at most LIMITS.maxFileBytes. */
export const fsReader: ReadFile = (p) => readRegularFile(p);

/** Whether `p` is `root` or below it (both absolute and normalised). */
export function isUnder(p: string, root: string): boolean {
  if (p === root) return true;
  const prefix = root.endsWith(nodePath.sep) ? root : root + nodePath.sep;
  return p.startsWith(prefix);
}

/**
 * The import roots: the host's `importRoots` when given (resolved against the working directory),
 * otherwise the directory of the top policy file. An invalid root (not a non-empty string without
 * NUL) makes the result `{ invalid }` and nothing can be imported.
 */
export function importRootsFor(filename: string, importRoots: readonly unknown[] | undefined): string[] | { invalid: string } {
  if (importRoots === undefined) return [nodePath.dirname(nodePath.resolve(filename))];
  if (!Array.isArray(importRoots)) return { invalid: String(importRoots) };
  const out: string[] = [];
  for (const r of importRoots) {
    if (typeof r !== "string" || r === "" || r.includes("\u0000")) return { invalid: typeof r === "string" ? JSON.stringify(r) : String(r) };
    out.push(nodePath.resolve(r));
  }
  return out;
}

/**
 * A reader for the files a policy names, kept inside `roots`. With the default fs reader the
 * check is also physical (symbolic links are followed before judging); a host-supplied reader gets the
 * lexical check only (it decides what its paths mean) and must return a string of at most the limit.
 */
export function policyFileReader(readFile: ReadFile, roots: readonly string[]): ReadFile {
  const physical = readFile === fsReader;
  let realRoots: string[] | undefined;
  const real = (): string[] => {
    if (!realRoots) {
      realRoots = [];
      for (const r of roots) {
        try {
          realRoots.push(realpathSync.native(r));
        } catch {
          // A root that does not exist holds nothing.
        }
      }
    }
    return realRoots;
  };
  return (path: string): string => {
    const target = nodePath.resolve(path);
    if (!roots.some((r) => isUnder(target, r))) throw new FileRefusal("outside", "it is outside the import roots");
    if (!physical) {
      let text: unknown;
      try {
        text = readFile(target);
      } catch (err) {
        if (err instanceof FileRefusal) throw err;
        const e = errnoText(err);
        throw new FileRefusal("unreadable", e.code ? e.text : (err as Error)?.message ?? "cannot be read", e.code);
      }
      if (typeof text !== "string") throw new FileRefusal("unreadable", "the host's reader did not return text");
      if (text.length > LIMITS.maxFileBytes || Buffer.byteLength(text, "utf8") > LIMITS.maxFileBytes) throw tooLarge(LIMITS.maxFileBytes);
      return text;
    }
    let resolved: string;
    try {
      resolved = realpathSync.native(target);
    } catch (err) {
      const e = errnoText(err);
      throw new FileRefusal("unreadable", e.text, e.code);
    }
    const inside = (p: string) => real().some((r) => isUnder(p, r));
    if (!inside(resolved)) throw new FileRefusal("outside", "it leads outside the import roots through a symbolic link");
    return readRegularFile(resolved, LIMITS.maxFileBytes, (fd) => {
      // Linux names the opened file itself: a link swapped in after the realpath above is caught here.
      let opened: string;
      try {
        opened = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return; // no /proc: the realpath check above stands
      }
      if (opened.startsWith("/") && !inside(opened)) throw new FileRefusal("outside", "it leads outside the import roots through a symbolic link");
    });
  };
}
