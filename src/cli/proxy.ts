/**
 * `mcppolicy proxy --policy FILE [--principal FILE] [--store redis://...] [--audit FILE] [--audit-fail-open]
 * [--shadow] [--server-name NAME] [--encoding E] [--allow-method M]... -- COMMAND [ARGS...]`.
 * Compiles the policy, sets up the engine (memory or Redis store), the audit sink and the token counter,
 * then runs the stdio proxy (adapters/stdio-proxy.ts) until the upstream server exits.
 * GUARANTEES: stdout carries MCP messages only — every message of the proxy itself goes to stderr.
 * A mistake on the command line, an unreadable or malformed principal, a bad store URL or an audit file
 * that cannot be opened is a UsageError (exit 2) and the server is not started; a policy with errors
 * prints its diagnostics and exits 1 without starting the server. Otherwise the exit code is the
 * server's (see stdio-proxy.ts). One run is one session, with a random id.
 */
import { randomUUID } from "node:crypto";
import type { Principal } from "../contract/index.js";
import { TOKEN_ENCODINGS, tokenCounter, type TokenEncoding } from "../adapters/tokens.js";
import type { Caller } from "../mcp/index.js";
import type { Store } from "../runtime/store/store.js";
import type { AuditSink } from "../audit/sink.js";
import { parsePrincipalJson } from "./principal.js";
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs, UsageError } from "./args.js";
import { err, readTextFile } from "./io.js";

const COMMAND = "proxy";

/** Splits `FLAGS -- COMMAND ARGS`: the flags are ours, everything after the first `--` is the server's. */
function splitCommand(argv: readonly string[]): { ours: readonly string[]; server: readonly string[] } {
  const i = argv.indexOf("--");
  if (i < 0) throw new UsageError("no server command: put it after `--`, e.g. `mcppolicy proxy --policy p.mcppolicy -- npx my-server`", COMMAND);
  const server = argv.slice(i + 1);
  if (server.length === 0 || server[0] === "") throw new UsageError("no server command after `--`", COMMAND);
  return { ours: argv.slice(0, i), server };
}


function principalOf(path: string | undefined): Principal {
  if (path !== undefined) return parsePrincipalJson(readTextFile(path, COMMAND), `'${path}'`, COMMAND);
  const env = process.env.MCPPOLICY_PRINCIPAL;
  if (env !== undefined && env.trim() !== "") return parsePrincipalJson(env, "MCPPOLICY_PRINCIPAL", COMMAND);
  err("mcppolicy proxy: no --principal and no MCPPOLICY_PRINCIPAL: the client acts as the principal {} (it holds no role)");
  return {};
}

async function storeOf(url: string | undefined, prefix: string | undefined): Promise<Store | undefined> {
  if (url === undefined) {
    if (prefix !== undefined) throw new UsageError("--prefix is for --store (the keys' prefix in Redis)", COMMAND);
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`invalid --store URL '${url}': expected redis://HOST:PORT[/DB]`, COMMAND);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new UsageError(`invalid --store URL '${url}': only redis:// and rediss:// are supported`, COMMAND);
  let mod: typeof import("../runtime/store/redis.js");
  try {
    mod = await import("../runtime/store/redis.js");
  } catch (e) {
    throw new UsageError(`--store needs the package \`ioredis\` (npm install ioredis): ${(e as Error).message}`, COMMAND);
  }
  return new mod.RedisStore(prefix !== undefined ? { url, prefix } : { url });
}

export async function run(argv: readonly string[]): Promise<number> {
  const { ours, server } = splitCommand(argv);
  const parsed = parseArgs(
    ours,
    [
      { name: "policy", value: true },
      { name: "principal", value: true },
      { name: "store", value: true },
      { name: "prefix", value: true },
      { name: "audit", value: true },
      { name: "audit-fail-open" },
      { name: "shadow" },
      { name: "server-name", value: true },
      { name: "encoding", value: true, choices: TOKEN_ENCODINGS },
      { name: "allow-method", value: true },
      IMPORT_ROOT_FLAG,
    ],
    COMMAND,
  );
  const { flags, lists, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' before \`--\` (the server's command goes after it)`, COMMAND);
  const policyPath = flags.get("policy");
  if (typeof policyPath !== "string") throw new UsageError("--policy FILE is required", COMMAND);
  const str = (name: string) => {
    const v = flags.get(name);
    return typeof v === "string" ? v : undefined;
  };
  const source = readTextFile(policyPath, COMMAND);
  const principal = principalOf(str("principal"));

  const { compilePolicy, PolicyCompileError } = await import("../policy.js");
  let policy;
  try {
    policy = compilePolicy(source, { filename: policyPath, ...importRootsOption(parsed) });
  } catch (e) {
    if (!(e instanceof PolicyCompileError)) throw e;
    err(e.render().trimEnd());
    err(`mcppolicy: '${policyPath}' does not compile; the server was not started`);
    return EXIT.errors;
  }

  const store = await storeOf(str("store"), str("prefix"));
  let audit: AuditSink | undefined;
  const auditPath = str("audit");
  if (auditPath !== undefined) {
    const { JsonlAuditSink } = await import("../audit/sink.js");
    try {
      audit = new JsonlAuditSink(auditPath);
    } catch (e) {
      await store?.close?.();
      throw new UsageError(`cannot open the audit file '${auditPath}': ${(e as Error).message}`, COMMAND);
    }
  }
  const tokens = tokenCounter((str("encoding") ?? "o200k_base") as TokenEncoding);
  // The encoding's ranks load on first use (0.1-0.7 s): with token budgets, pay that before the first call.
  if (policy.budgets.some((b) => b.kind === "tokens")) tokens.load();
  // Spans and metrics through @opentelemetry/api: a no-op unless an OpenTelemetry SDK is registered in
  // this process (e.g. NODE_OPTIONS="--import ./otel-setup.mjs").
  const { createTelemetry } = await import("../adapters/telemetry.js");
  const telemetry = createTelemetry({ onError: (e) => err(`mcppolicy proxy: telemetry: ${(e as Error)?.message ?? String(e)}`) });
  const { createEngine } = await import("../runtime/engine.js");
  const { runStdioProxy } = await import("../adapters/stdio-proxy.js");
  const engine = createEngine(policy, store ? { store } : {});
  const session = { id: randomUUID() };
  const caller: Caller = { principal, session };

  // stdout is the protocol: the proxy handles its errors (a client that went away) itself.
  process.stdout.removeAllListeners("error");
  let code: number;
  try {
    code = await runStdioProxy({
      command: server[0] as string,
      args: server.slice(1),
      forwardSignals: ["SIGINT", "SIGTERM", "SIGHUP"],
      enforcer: {
        engine,
        identify: () => caller,
        audit,
        auditFailOpen: flags.get("audit-fail-open") === true,
        shadow: flags.get("shadow") === true,
        tokens,
        telemetry,
        serverName: str("server-name"),
        allowMethods: lists.get("allow-method") ?? [],
      },
    });
  } finally {
    process.stdin.destroy();
    try {
      await audit?.close?.();
    } catch (e) {
      err(`mcppolicy proxy: closing the audit file failed: ${(e as Error).message}`);
    }
    try {
      await store?.close?.();
    } catch {
      // the store is going away with the process
    }
  }
  // Anything left holding the event loop (a store's reconnect) does not keep the proxy alive.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}
