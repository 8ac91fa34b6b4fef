/** The --help texts of `mcppolicy init` and `mcppolicy drift` (kept apart so main.ts loads no command code for help). */

export const INIT_HELP = `Usage: mcppolicy init (--tools FILE | --url URL | --from -- COMMAND ARGS...) [--out FILE] [--force]
                      [--name NAME] [--timeout SECONDS]

Write a policy skeleton for an MCP server from its tools: a tool block per tool with an args block
derived from its input schema (types, required and optional fields, enums, lengths, bounds), comments
suggesting path(...), url(...) or sql(...) where names and descriptions say so, a role for reading
(tools annotated readOnlyHint) and one for changing (the rest: absent annotations read as the MCP
spec's defaults), approval on destructive tools, and a rate limit. What the language cannot say
(null, allOf, tuples, ...) becomes a NOTE and a looser type, never a stricter one.

Where the tools come from (exactly one):
  --tools FILE         a saved tools/list result: {"tools": [...]}, a JSON-RPC response, or an array
  --url URL            a server over Streamable HTTP
  --from -- CMD ARGS   a server started over stdio (everything after -- is its command line)

Options:
  --out FILE           write the policy to FILE and its test file (one case per tool) beside it
                       (FILE without .mcppolicy, plus .test.yaml; a missing directory is created);
                       without --out, print the policy
  --force              overwrite existing files
  --name NAME          the policy's name (default: the server's name, or the tool file's name)
  --timeout SECONDS    how long to wait for a server (default 30)
  -h, --help           show this help

Exit codes:
  0   written
  2   usage error: a missing or malformed tool file, a server that cannot start, fails or does not
      answer in time, an existing output file without --force
`;

export const DRIFT_HELP = `Usage: mcppolicy drift <policy> (--tools FILE | --url URL | --from -- COMMAND ARGS...)
                       [--format text|json] [--timeout SECONDS]

Compare the policy's tool blocks (exact names, top level) with the server's tools: a tool on one side
only, and in object args blocks, arguments added or removed, required-ness and types changed, at any
depth. Refinements are not drift: path/url/sql/ip for a string, integer for a number, bounds, a closed
or open block. Types the language cannot express, and fields typed any or json(...), are not compared.

Options:
  --tools FILE / --url URL / --from -- CMD ARGS   where the tools come from, as for init
  --format text|json   text (default): one line per difference. json: {"policy","source","drift":[...],"ok"}
  --timeout SECONDS    how long to wait for a server (default 30)
  --import-root DIR    imports may come from DIR (repeatable); replaces the policy's own directory
  -h, --help           show this help

Exit codes:
  0   no drift
  1   drift found, or the policy has errors
  2   usage error: as for init, or a missing policy file
`;
