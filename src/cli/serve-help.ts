/**
 * The help text of `mcppolicy serve`, apart from serve.ts so that `--help` loads no gateway code.
 */
export const SERVE_HELP = `Usage: mcppolicy serve --config FILE [--check]

Run the gateway: a Streamable HTTP MCP endpoint in front of one or several MCP servers (HTTP URLs or
stdio commands), authenticating every request (OAuth 2.1 bearer tokens, API keys, client
certificates), deciding every call with the policy, with budgets and approvals in memory or Redis.
The config is YAML; docs/gateway-config.md lists every option and its default.

Options:
  --config FILE   the gateway's YAML config (required)
  --check         validate the config and compile the policy, print what would run, and exit
  -h, --help      show this help

Logs are JSON lines on stderr; the line {"msg":"listening","url":...} says where it listens.
The policy file and its imports are watched: a changed policy that compiles replaces the running
one (budget counters kept) and clients are told their lists changed; one with errors is refused and
the old one stays. SIGHUP reloads too. SIGTERM or SIGINT stop it gracefully: no new requests, calls
in flight get limits.shutdownGraceMs to finish, then it exits 0.

Exit codes:
  0   stopped by a signal after a graceful shutdown (--check: the config and policy are valid)
  1   the config or the policy has errors, or the gateway could not start (port, TLS, store, files)
  2   usage error: unknown flag, no --config
`;
