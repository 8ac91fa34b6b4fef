/**
 * The help text of `mcppolicy proxy`, apart from proxy.ts so that `--help` loads no proxy code.
 */
export const PROXY_HELP = `Usage: mcppolicy proxy --policy FILE [options] -- COMMAND [ARGS...]

Run the MCP server COMMAND (a stdio server, started without a shell) and sit between it and the
client on stdin/stdout: every request is decided by the policy before it reaches the server, lists
are filtered, budgets are charged, and (with --audit) every decision is recorded. In an MCP host's
config, put \`mcppolicy proxy --policy FILE --\` in front of the server's command.

The principal of the session comes from --principal FILE, else from the environment variable
MCPPOLICY_PRINCIPAL (the same JSON); with neither, the client is the principal {} (it holds no
role). Each run is one session with a generated id (\`by session\` budgets count per run).

Options:
  --policy FILE          the policy (required); compile errors are printed and the server is not started
  --principal FILE       a JSON file {"id", "roles", "scopes", "claims"}, as \`eval\` takes it
  --store URL            keep budgets and approvals in Redis (redis://HOST:PORT[/DB]); default: memory
  --prefix P             the Redis keys' prefix (default: the store's); the same as \`approvals --prefix\`
  --audit FILE           append hash-chained audit records (JSON lines) to FILE
  --audit-fail-open      forward calls even when the audit file cannot be written (default: deny them)
  --shadow               decide, audit and trace, but forward everything (also: \`mode shadow\` in the policy)
  --server-name NAME     the upstream's name, for \`server.name\` and server blocks
  --encoding E           tokenizer for \`limit tokens\`: o200k_base (default), cl100k_base, p50k_base, r50k_base
  --allow-method M       let method M through undecided (e.g. logging/setLevel); repeatable
  --import-root DIR      imports may come from DIR (repeatable); replaces the policy's own directory
  -h, --help             show this help

Nothing but MCP messages is written to stdout; the server's stderr and the proxy's own messages go to
stderr.

Exit codes:
  the server's exit code (128+N when it was killed by signal N)
  1     the policy has errors (the server is not started)
  2     usage error: unknown flag, no COMMAND after --, unreadable policy or principal
  126   the server's COMMAND is not executable
  127   the server's COMMAND was not found
`;
