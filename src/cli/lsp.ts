/**
 * `mcppolicy lsp --stdio`: the language server (src/lsp/server.ts) over stdin and stdout.
 * GUARANTEES: without --stdio, or with any other flag or an argument, a usage error (exit 2) before
 * anything is read; once started, stdout carries only LSP messages. The server ends the process on
 * the editor's `exit` (0 after shutdown, else 1), and the same way when stdin has closed (even in the
 * middle of a message) and every message read before is answered; a broken message framing ends it
 * with 1 and a line on stderr saying why.
 */
import { parseArgs, UsageError } from "./args.js";

const COMMAND = "lsp";

export async function run(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [{ name: "stdio" }], COMMAND);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`, COMMAND);
  if (args.flags.get("stdio") !== true) throw new UsageError("--stdio is required (the only transport)", COMMAND);
  const { startServer } = await import("../lsp/server.js");
  let shutdown = false;
  startServer(process.stdin, process.stdout, {
    onShutdown: () => void (shutdown = true),
    onBrokenFraming: (reason) => {
      process.stderr.write(`mcppolicy lsp: ${reason}\n`);
      process.exit(1);
    },
  });
  // Stdin closed and every message read is answered: nothing is left to do (exit as `exit` would).
  process.once("beforeExit", () => process.exit(shutdown ? 0 : 1));
  // The connection ends the process on `exit`; until then the open stdin keeps it alive.
  return await new Promise<number>(() => {});
}

