/**
 * The help text of `mcppolicy lsp`, apart from lsp.ts so that `--help` loads no server code.
 */
export const LSP_HELP = `Usage: mcppolicy lsp --stdio

Run the language server for .mcppolicy files, speaking LSP (JSON-RPC) on stdin and stdout; an
editor starts it. It offers diagnostics as you type (the compiler's, with their codes and hints),
hover (sets, roles, tools, rules and their ids, budgets, attributes, keywords), go to definition and
find references (sets, constants, roles, tools, labels; an import goes to its file), completion
(keywords, attributes, set and role names, the enclosing tool's argument names, tool names from a
tools.json beside the policy: a tools/list result or a bare array) and rename. Imports are read
from the editor's unsaved buffers first, then from the disk. Logs go to the editor's output.

Options:
  --stdio      talk LSP over stdin and stdout (required: the only transport)
  -h, --help   show this help

Exit codes:
  0   the editor sent shutdown, then exit (or closed stdin)
  1   the editor sent exit or closed stdin without shutdown; or the message framing broke (stderr says how)
  2   usage error: unknown flag, --stdio missing
`;
