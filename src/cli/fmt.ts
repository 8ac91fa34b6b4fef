/**
 * `mcppolicy fmt [--check] <file-or-dir | ->...`: rewrite policies in the canonical layout
 * (syntax/format.ts), or with --check list the files that are not in it.
 * GUARANTEES: a file with a syntax error is never written (its diagnostics go to stderr, exit 1);
 * a file is rewritten only when its text changes, by writing a temporary file beside it and renaming
 * it over the original (a crash leaves the old text or the new, never a mix; a linked file is written
 * at its target, so the link stays); --check and `-` (stdin to stdout) write no file. Every file is
 * handled even after one fails.
 * Exit: 0 done (--check: every file formatted), 1 a file has syntax errors (--check: or is not
 * formatted), 2 usage error (unknown flag, missing file, unwritable file).
 */
import { realpathSync, statSync } from "node:fs";
import { lookupFrom, renderAll } from "../diagnostics/render.js";
import { SourceFile } from "../source/source.js";
import { formatPolicy } from "../syntax/format.js";
import { EXIT, parseArgs, UsageError } from "./args.js";
import { collectPolicyFiles, err, out, readStdin, readTextFile, writeFileWhole } from "./io.js";

const COMMAND = "fmt";

/** Replace `path`'s content with `text` atomically (temporary file in the same directory, then rename). */
function writeAtomically(path: string, text: string): void {
  let target: string;
  let mode: number;
  try {
    target = realpathSync(path);
    mode = statSync(target).mode & 0o7777;
  } catch (e) {
    throw new UsageError(`cannot write '${path}': ${e instanceof Error ? e.message : String(e)}`, COMMAND);
  }
  writeFileWhole(target, text, { command: COMMAND, mode, shownAs: path });
}

function refuse(file: string, text: string, result: Extract<ReturnType<typeof formatPolicy>, { ok: false }>): void {
  err(`mcppolicy: not formatting '${file}': it has errors`);
  err(renderAll(result.diagnostics, lookupFrom([new SourceFile(file, text)])).trimEnd());
}

export async function run(argv: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, [{ name: "check" }], COMMAND);
  if (positionals.length === 0) throw new UsageError("fmt needs at least one file or directory (or - for stdin)", COMMAND);
  const check = flags.get("check") === true;

  if (positionals.includes("-")) {
    if (positionals.length > 1) throw new UsageError("- (stdin) cannot be combined with files", COMMAND);
    const text = await readStdin(COMMAND);
    const result = formatPolicy(text, "<stdin>");
    if (!result.ok) {
      refuse("<stdin>", text, result);
      return EXIT.errors;
    }
    if (check) {
      if (result.text !== text) out("<stdin>");
      return result.text === text ? EXIT.ok : EXIT.errors;
    }
    process.stdout.write(result.text);
    return EXIT.ok;
  }

  // Resolve every argument before touching anything: a typo in the last path fails fast.
  const files = collectPolicyFiles(positionals, COMMAND);
  let failed = false;
  const changed: string[] = [];
  for (const file of files) {
    const text = readTextFile(file, COMMAND);
    const result = formatPolicy(text, file);
    if (!result.ok) {
      refuse(file, text, result);
      failed = true;
      continue;
    }
    if (result.text === text) continue;
    if (!check) writeAtomically(file, result.text);
    changed.push(file);
  }
  if (changed.length > 0) out(changed.join("\n"));
  return failed || (check && changed.length > 0) ? EXIT.errors : EXIT.ok;
}
