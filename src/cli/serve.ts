/**
 * `mcppolicy serve --config FILE [--check]`: loads and validates the gateway's config, compiles the policy,
 * and runs the gateway (gateway/gateway.ts) until SIGTERM or SIGINT; SIGHUP reloads the policy.
 * GUARANTEES: a config or policy with errors prints its diagnostics (rendered like rustc, to stderr) and
 * exits 1 without listening; a signal stops the gateway gracefully and exits 0; a second SIGTERM/SIGINT
 * during the shutdown exits 1 at once.
 */
import { EXIT, parseArgs, UsageError } from "./args.js";
import { err, out } from "./io.js";

const COMMAND = "serve";

export async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv, [{ name: "config", value: true }, { name: "check" }], COMMAND);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`, COMMAND);
  const file = parsed.flags.get("config");
  if (typeof file !== "string") throw new UsageError("--config FILE is required", COMMAND);

  const { loadGatewayConfig, renderConfigDiagnostics } = await import("../gateway/config/index.js");
  const loaded = loadGatewayConfig(file);
  if (!loaded.ok) {
    err(renderConfigDiagnostics(loaded.diagnostics, loaded.source).trimEnd());
    err(`mcppolicy serve: '${file}' has errors; the gateway was not started`);
    return EXIT.errors;
  }
  if (loaded.warnings.length > 0) err(renderConfigDiagnostics(loaded.warnings, loaded.source).trimEnd());
  const config = loaded.config;

  const { startGateway, GatewayStartError } = await import("../gateway/gateway.js");
  const { compilePolicyFile } = await import("../gateway/policy-watcher.js");
  if (parsed.flags.get("check") === true) {
    const compiled = await compilePolicyFile(config.policy, { importRoots: config.importRoots });
    if (!("policy" in compiled)) {
      err((compiled.render?.() ?? compiled.diagnostics.map((d) => d.message).join("\n")).trimEnd());
      err(`mcppolicy serve: the policy '${config.policy}' does not compile`);
      return EXIT.errors;
    }
    out(`config ok: ${config.upstreams.length} upstream(s) (${config.upstreams.map((u) => u.name).join(", ")}), policy ${compiled.policy.name} compiled, listen ${config.listen.tls ? "https" : "http"}://${config.listen.host}:${config.listen.port}${config.listen.path}`);
    return EXIT.ok;
  }

  let gateway;
  try {
    gateway = await startGateway(config);
  } catch (e) {
    if (e instanceof GatewayStartError) {
      if (e.rendered) err(e.rendered.trimEnd());
      err(`mcppolicy serve: ${e.message}; the gateway was not started`);
      return EXIT.errors;
    }
    throw e;
  }
  const g = gateway;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        err(`mcppolicy serve: ${signal} again: exiting now`);
        process.exit(EXIT.errors);
      }
      stopping = true;
      void g.close().then(() => resolve(EXIT.ok));
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      void g.reload();
    });
  });
}
