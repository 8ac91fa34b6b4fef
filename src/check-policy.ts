/**
 * `checkPolicy`: a policy's diagnostics, without compiling it (never throws), and the options every
 * compile shares. Apart from policy.ts so that checking loads the front end only: not the code
 * generator, the interpreter or the runtime (the CLI's `check` starts faster).
 */
import { runFrontEnd } from "./check/front-end.js";
import { fsReader, type ReadFile } from "./syntax/load.js";
import { hasErrors, type Diagnostic } from "./diagnostics/diagnostic.js";
import { lookupFrom, renderAll, toJson, type JsonDiagnostic } from "./diagnostics/render.js";

export interface CompileOptions {
  /** Shown in diagnostics; imports resolve relative to it. Default `policy.mcppolicy`. */
  filename?: string;
  /**
   * How to read imported files (and JSON Schema files). Default: the file system, reading only regular
   * files of at most 4 MiB. Pass `null` to forbid. A host reader gets absolute paths already checked
   * (lexically) against the import roots; symbolic links are only checked with the default reader.
   */
  readFile?: ReadFile | null;
  /**
   * The directories the files a policy names (imports, JSON Schema files) must lie in. Default: the
   * directory of `filename` (and its subdirectories). When given, these replace the default; relative
   * entries resolve against the working directory. An empty list forbids every import.
   */
  importRoots?: readonly string[];
  /**
   * A synchronous realpath, for hosts that run where the files are (e.g. `fs.realpathSync.native`):
   * `path(root: ...)` arguments then also check the physical path of the nearest existing ancestor,
   * so a symlink inside the sandbox cannot lead out of it.
   */
  realpath?: (path: string) => string;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  /** Rendered like rustc. */
  render(): string;
  toJSON(): JsonDiagnostic[];
  ok: boolean;
}

export function readerOf(options: CompileOptions | undefined): ReadFile | undefined {
  return options?.readFile === null ? undefined : options?.readFile ?? fsReader;
}

export function checkOptionsOf(options: CompileOptions | undefined) {
  return options?.realpath ? { realpath: options.realpath } : {};
}

export function checkPolicy(source: string, options?: CompileOptions): CheckResult {
  const text = typeof source === "string" ? source : "";
  const fe = runFrontEnd(text, options?.filename ?? "policy.mcppolicy", readerOf(options), checkOptionsOf(options), options?.importRoots);
  const lookup = lookupFrom(fe.sources);
  return {
    diagnostics: fe.diagnostics,
    ok: !hasErrors(fe.diagnostics),
    render: () => renderAll(fe.diagnostics, lookup),
    toJSON: () => fe.diagnostics.map((d) => toJson(d, lookup)),
  };
}
