/**
 * A small argv parser for the CLI (no dependency). It knows only the flags a command declares:
 * `--name`, `--name value`, `--name=value`, short aliases (`-h`), `--` to end the flags, and `-` as a
 * positional (stdin). Anything else that starts with `-` is a UsageError — never a silent positional.
 * A flag with a fixed set of values is checked here. A repeated flag keeps its last value in `flags`;
 * `lists` holds every value of a valued flag, in order (for flags that may repeat, `--import-root`).
 * GUARANTEE: parseArgs never throws anything but UsageError. Also home to the exit codes every
 * command shares (main.ts documents them in --help).
 */
import { closest } from "../diagnostics/suggest.js";

/** Exit codes, shared by every command. */
export const EXIT = {
  ok: 0,
  allow: 0,
  errors: 1,
  usage: 2,
  deny: 3,
  approval: 4,
  internal: 70,
} as const;

/** A mistake on the command line: reported as `mcppolicy: <message>`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` the hint points to, if any. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export interface FlagSpec {
  /** Long name without the dashes: `format`. */
  readonly name: string;
  /** One-letter alias without the dash: `h`. */
  readonly short?: string;
  /** Whether the flag takes a value (`--format json`); otherwise it is a switch. */
  readonly value?: boolean;
  /** When set, the only values accepted. */
  readonly choices?: readonly string[];
}

export interface ParsedArgs {
  /** Switches map to `true`, valued flags to their (last) value. Keys are long names. */
  readonly flags: ReadonlyMap<string, string | true>;
  /** Every value given to each valued flag, in order. */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], command?: string): ParsedArgs {
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s]));

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    let shown = arg;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      shown = `--${name}`;
      spec = byLong.get(name);
      if (!spec) {
        const guess = closest(name, byLong.keys());
        throw new UsageError(`unknown flag '${shown}'${guess ? ` (did you mean '--${guess}'?)` : ""}`, command);
      }
    } else {
      spec = arg.length === 2 ? byShort.get(arg.slice(1)) : undefined;
      if (!spec) throw new UsageError(`unknown flag '${arg}'`, command);
    }
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`flag '${shown}' takes no value`, command);
      flags.set(spec.name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-")) {
        throw new UsageError(`flag '${shown}' needs a value${spec.choices ? ` (${spec.choices.join(" or ")})` : ""}`, command);
      }
      value = next;
      i++;
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw new UsageError(`invalid value '${value}' for '${shown}': expected ${spec.choices.join(" or ")}`, command);
    }
    flags.set(spec.name, value);
    lists.set(spec.name, [...(lists.get(spec.name) ?? []), value]);
  }
  return { flags, lists, positionals };
}

/** `--import-root DIR`, which any command that compiles a policy takes (repeatable). */
export const IMPORT_ROOT_FLAG: FlagSpec = { name: "import-root", value: true };

/** The `importRoots` compile option from `--import-root` flags, or undefined (the policy's own directory). */
export function importRootsOption(parsed: ParsedArgs): { importRoots?: string[] } {
  const roots = parsed.lists.get(IMPORT_ROOT_FLAG.name);
  return roots && roots.length > 0 ? { importRoots: [...roots] } : {};
}

/** Whether `--help` or `-h` appears before any `--`: help wins over every other mistake on the line. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}
