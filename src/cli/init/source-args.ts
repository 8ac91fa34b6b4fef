/**
 * The flags `init` and `drift` share to name where the tools come from: exactly one of
 * `--tools FILE`, `--url URL`, `--from -- COMMAND ARGS...`, and `--timeout SECONDS`.
 * GUARANTEE: `sourceFrom` returns one source or throws a UsageError saying what is missing or extra.
 */
import { UsageError, type FlagSpec, type ParsedArgs } from "../args.js";
import type { ToolSource } from "./connect.js";

export const SOURCE_FLAGS: readonly FlagSpec[] = [
  { name: "tools", value: true },
  { name: "url", value: true },
  { name: "from" },
  { name: "timeout", value: true },
];

export const DEFAULT_TIMEOUT_S = 30;

/** argv split at the first `--`: the flags before, the server's command line after (undefined without `--`). */
export function splitCommand(argv: readonly string[]): { flags: string[]; command: string[] | undefined } {
  const i = argv.indexOf("--");
  return i < 0 ? { flags: [...argv], command: undefined } : { flags: argv.slice(0, i), command: argv.slice(i + 1) };
}

export function sourceFrom(parsed: ParsedArgs, command: string[] | undefined, name: string): ToolSource {
  const tools = parsed.flags.get("tools");
  const url = parsed.flags.get("url");
  const from = parsed.flags.get("from") === true;
  const given = [tools !== undefined && "--tools", url !== undefined && "--url", from && "--from"].filter((x): x is string => x !== false);
  if (given.length === 0) throw new UsageError(`${name} needs the server's tools: --tools FILE, --url URL or --from -- COMMAND ARGS...`, name);
  if (given.length > 1) throw new UsageError(`${given.join(" and ")} cannot be used together: name one source of tools`, name);
  if (command !== undefined && !from) throw new UsageError("a command after '--' is only read with --from", name);
  if (from) {
    if (command === undefined || command.length === 0 || command[0] === "") throw new UsageError("--from needs the server's command after '--': --from -- COMMAND ARGS...", name);
    return { kind: "stdio", command: command[0] as string, args: command.slice(1) };
  }
  if (typeof tools === "string") return { kind: "file", path: tools };
  return { kind: "http", url: url as string };
}

export function timeoutFrom(parsed: ParsedArgs, name: string): number {
  const v = parsed.flags.get("timeout");
  if (v === undefined || v === true) return DEFAULT_TIMEOUT_S * 1000;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 3600) throw new UsageError(`invalid value '${v}' for '--timeout': expected seconds, more than 0 and at most 3600`, name);
  return n * 1000;
}
