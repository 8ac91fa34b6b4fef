/**
 * `mcppolicy audit verify <file | -> [--json]`: checks an audit log's hash chain (audit/verify.ts).
 * Reads the file as a stream, line by line (logs of any size; stops at the first broken line).
 * Output: `FILE: ok, N records, last hash H` (exit 0), or `FILE:LINE: PROBLEM` and how many records
 * verified before it (exit 1); with --json one object `{ file, ok, records, lastHash }` or
 * `{ file, ok: false, records, line, problem }`. Exit 2: usage error, missing or unreadable file.
 */
import { createReadStream, statSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { AuditLogVerifier, type VerifyResult } from "../audit/verify.js";
import { EXIT, parseArgs, UsageError } from "./args.js";
import { out } from "./io.js";

const COMMAND = "audit";


async function verifyStream(stream: NodeJS.ReadableStream & { destroy?: () => void }): Promise<VerifyResult> {
  const v = new AuditLogVerifier();
  const decoder = new StringDecoder("utf8");
  let rest = "";
  let broken = false;
  for await (const chunk of stream) {
    rest += typeof chunk === "string" ? chunk : decoder.write(chunk as Buffer);
    let start = 0;
    for (let nl = rest.indexOf("\n", start); nl >= 0; nl = rest.indexOf("\n", start)) {
      if (!v.line(rest.slice(start, nl))) {
        broken = true;
        break;
      }
      start = nl + 1;
    }
    if (broken) break;
    rest = rest.slice(start);
  }
  if (!broken) {
    rest += decoder.end();
    if (rest.length > 0) v.partial(rest);
  }
  stream.destroy?.();
  return v.result();
}

export async function run(argv: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, [{ name: "json" }], COMMAND);
  const [sub, file, ...extra] = positionals;
  if (sub !== "verify") throw new UsageError(sub === undefined ? "missing subcommand: audit verify <file>" : `unknown subcommand '${sub}' (expected 'verify')`, COMMAND);
  if (file === undefined) throw new UsageError("missing audit log: audit verify <file>", COMMAND);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, COMMAND);
  let stream: NodeJS.ReadableStream;
  if (file === "-") stream = process.stdin;
  else {
    try {
      const st = statSync(file);
      if (st.isDirectory()) throw new UsageError(`cannot read '${file}': it is a directory`, COMMAND);
      if (!st.isFile()) throw new UsageError(`cannot read '${file}': not a regular file`, COMMAND);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = (e as NodeJS.ErrnoException)?.code;
      throw new UsageError(`cannot read '${file}': ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String((e as Error)?.message ?? e)}`, COMMAND);
    }
    stream = createReadStream(file);
  }
  let result: VerifyResult;
  try {
    result = await verifyStream(stream);
  } catch (e) {
    throw new UsageError(`cannot read '${file}': ${(e as Error)?.message ?? String(e)}`, COMMAND);
  }
  const shown = file === "-" ? "<stdin>" : file;
  if (flags.has("json")) out(JSON.stringify({ file: shown, ...result }));
  else if (result.ok) out(`${shown}: ok, ${result.records} record${result.records === 1 ? "" : "s"}, last hash ${result.lastHash}`);
  else out(`${shown}:${result.line}: ${result.problem}\n${result.records} record${result.records === 1 ? "" : "s"} verified before line ${result.line}`);
  return result.ok ? EXIT.ok : EXIT.errors;
}
