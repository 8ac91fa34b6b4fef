/**
 * Input and output for the CLI. Reading a file, a directory tree or stdin either returns text or
 * throws a UsageError with a readable message (`cannot read 'x': no such file`) — never a raw errno.
 * GUARANTEES: every file the CLI reads (policies, test files, requests, principals) is read through
 * source/files.ts: regular files only (a FIFO or a device is refused without blocking), at most
 * LIMITS.maxFileBytes; stdin too is read to that limit plus one byte at most.
 * collectPolicyFiles returns paths as the user wrote them (joined under a directory argument), each
 * file once, the files of one directory in a stable code-unit order. A directory walk never leaves the
 * directory it was given: it does not descend into symbolically linked directories, takes a linked
 * file only when the link's target is a regular file inside the walked directory, and skips FIFOs,
 * sockets and devices. A leading byte-order mark is removed from every text read.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, lstatSync, linkSync, mkdirSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import * as nodePath from "node:path";
import { FileRefusal, isUnder, readRegularFile } from "../source/files.js";
import { LIMITS } from "../source/limits.js";
import { UsageError } from "./args.js";

export const POLICY_EXTENSION = ".mcppolicy";

/** Directories a recursive walk does not enter (they can still be named on the command line). */
const SKIPPED_DIRS = new Set(["node_modules"]);

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The text of a regular file, as UTF-8 (at most LIMITS.maxFileBytes). */
export function readTextFile(path: string, command?: string): string {
  try {
    return stripBom(readRegularFile(path));
  } catch (err) {
    throw new UsageError(`cannot read '${path}': ${err instanceof FileRefusal ? err.message : describe(err)}`, command);
  }
}

/** All of stdin, as UTF-8; more than LIMITS.maxFileBytes is a UsageError (read no further than one byte past it). */
export async function readStdin(command?: string, limit: number = LIMITS.maxFileBytes): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(b);
    total += b.length;
    if (total > limit) {
      process.stdin.destroy();
      throw new UsageError(`cannot read stdin: it is larger than ${limit} bytes`, command);
    }
  }
  return stripBom(Buffer.concat(chunks).toString("utf8"));
}

/** A file's text, or stdin's when the path is `-`. */
export async function readInput(path: string, command?: string): Promise<string> {
  return path === "-" ? readStdin(command) : readTextFile(path, command);
}

/**
 * The policy files named by the arguments: a file is taken as is (whatever its extension); a
 * directory contributes every `*.mcppolicy` file below it, recursively, sorted. A missing path, or a
 * directory without a policy file, is a UsageError.
 */
export function collectPolicyFiles(paths: readonly string[], command?: string): string[] {
  return collectFiles(paths, [POLICY_EXTENSION], command);
}

/**
 * The files named by the arguments: a file is taken as is (whatever its name); a directory
 * contributes every file below it whose name ends with one of `suffixes`, recursively, sorted. A
 * missing path, or a directory without such a file, is a UsageError.
 */
export function collectFiles(paths: readonly string[], suffixes: readonly string[], command?: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    const key = nodePath.resolve(p);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(p);
  };
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      throw new UsageError(`cannot read '${p}': ${describe(err)}`, command);
    }
    if (!isDir) {
      add(p);
      continue;
    }
    const found: string[] = [];
    walk(p, suffixes, found, new Set(), command);
    if (found.length === 0) throw new UsageError(`no ${suffixes.join(" or ")} files in directory '${p}'`, command);
    found.sort(compareCodeUnits);
    for (const f of found) add(f);
  }
  return out;
}

function walk(dir: string, suffixes: readonly string[], found: string[], visited: Set<string>, command: string | undefined, top?: string): void {
  let real: string;
  let names: string[];
  try {
    real = realpathSync(dir);
    if (visited.has(real)) return;
    visited.add(real);
    names = readdirSync(dir);
  } catch (err) {
    throw new UsageError(`cannot read directory '${dir}': ${describe(err)}`, command);
  }
  const root = top ?? real; // the real path of the directory the user named: nothing outside it is read
  for (const name of names) {
    const full = nodePath.join(dir, name);
    let st;
    try {
      st = lstatSync(full); // does not follow links
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (name.startsWith(".") || SKIPPED_DIRS.has(name)) continue;
      walk(full, suffixes, found, visited, command, root);
    } else if (!suffixes.some((s) => name.endsWith(s))) {
      continue;
    } else if (st.isFile()) {
      found.push(full);
    } else if (st.isSymbolicLink() && linkedFileInside(full, root)) {
      found.push(full);
    }
    // Anything else (a FIFO, a socket, a device, a link to a directory or out of the tree) is skipped.
  }
}

/** Whether the link at `path` leads to a regular file inside `root` (a real path). */
function linkedFileInside(path: string, root: string): boolean {
  try {
    const target = realpathSync(path);
    return isUnder(target, root) && statSync(target).isFile();
  } catch {
    return false; // dangling, a loop, or unreadable
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Write to stdout, ending with a newline (main.ts treats a closed pipe, `| head`, as no error). */
export function out(text: string): void {
  process.stdout.write(text.endsWith("\n") || text === "" ? text : text + "\n");
}

/** Write to stderr, ending with a newline. */
export function err(text: string): void {
  process.stderr.write(text.endsWith("\n") || text === "" ? text : text + "\n");
}

/**
 * Write `text` to `path` whole: a temporary file beside it, then a rename, so a reader sees the old file or
 * the new one, never a part. With `mode`, the new file gets it (fmt keeps a file's mode); with `exclusive`,
 * an existing file is never replaced (the temporary file is linked in, which fails if the name exists); with
 * `makeDir`, a missing parent directory is created (an `--out` path). A failure is a UsageError naming
 * `shownAs` (default `path`); the temporary file is removed.
 */
export function writeFileWhole(path: string, text: string, opts: { command: string; mode?: number; shownAs?: string; exclusive?: boolean; makeDir?: boolean }): void {
  const temp = nodePath.join(nodePath.dirname(path), `.${nodePath.basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  if (opts.makeDir) {
    try {
      mkdirSync(nodePath.dirname(path), { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "EEXIST" || code === "ENOTDIR" ? "is not a directory" : code === "EACCES" || code === "EPERM" || code === "EROFS" ? "cannot be created: permission denied" : `cannot be created: ${e instanceof Error ? e.message : String(e)}`;
      throw new UsageError(`cannot write '${opts.shownAs ?? path}': '${nodePath.dirname(opts.shownAs ?? path)}' ${why}`, opts.command);
    }
  }
  try {
    writeFileSync(temp, text, { encoding: "utf8", flag: "wx", ...(opts.mode !== undefined && { mode: opts.mode }) });
    if (opts.mode !== undefined) chmodSync(temp, opts.mode);
    if (opts.exclusive) {
      linkSync(temp, path);
      unlinkSync(temp);
    } else renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // the temporary file was never created, or is already gone
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && opts.exclusive) throw new UsageError(`'${opts.shownAs ?? path}' already exists; pass --force to overwrite it`, opts.command);
    const why =
      code === "EACCES" || code === "EPERM" || code === "EROFS"
        ? "permission denied"
        : code === "ENOENT"
          ? `no directory '${nodePath.dirname(opts.shownAs ?? path)}'`
          : code === "ENOTDIR"
            ? `'${nodePath.dirname(opts.shownAs ?? path)}' is not a directory`
            : e instanceof Error
              ? e.message
              : String(e);
    throw new UsageError(`cannot write '${opts.shownAs ?? path}': ${why}`, opts.command);
  }
}

/** Refuse (UsageError) when one of the files a command would create exists, unless `force`. */
export function refuseExisting(paths: readonly string[], force: boolean, command: string): void {
  if (force) return;
  for (const p of paths) if (existsSync(p)) throw new UsageError(`'${p}' already exists; pass --force to overwrite it`, command);
}
