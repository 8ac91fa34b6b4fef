#!/usr/bin/env node
/**
 * The `mcppolicy` command: parses the command name, answers --help and --version itself (loading no
 * compiler code), and loads only the module of the command it runs.
 * GUARANTEES: never crashes with a stack trace. A mistake on the command line or an unreadable input
 * is `mcppolicy: <message>` on stderr with a hint to run --help, exit 2; an unexpected exception is
 * `mcppolicy: internal error: <message>`, exit 70 (set MCPPOLICY_DEBUG=1 for the stack). Output is
 * left to flush: the exit code is set, the process is not cut short.
 */
import { readFileSync } from "node:fs";
import { closest } from "../diagnostics/suggest.js";
import { EXIT, UsageError, wantsHelp } from "./args.js";
import { err, out } from "./io.js";
import { AUDIT_HELP } from "./audit-help.js";
import { KEYS_HELP } from "./keys-help.js";
import { IMPORT_HELP } from "./import-help.js";
import { DIFF_HELP } from "./diff-help.js";
import { APPROVALS_HELP } from "./approvals-help.js";
import { PROXY_HELP } from "./proxy-help.js";
import { SERVE_HELP } from "./serve-help.js";
import { DRIFT_HELP, INIT_HELP } from "./init-help.js";
import { LSP_HELP } from "./lsp-help.js";

const MAIN_HELP = `mcppolicy — check, evaluate, test and analyse .mcppolicy policies for MCP servers

Usage:
  mcppolicy <command> [options]

Commands:
  check <file-or-dir>...        compile policies and report errors and warnings
  fmt [--check] <file-or-dir>...  rewrite policies in the canonical layout (--check: list the others)
  eval <policy> <request>       decide one request (a JSON file, or - for stdin)
  explain <policy> <request>    decide one request and show every rule's outcome
  analyze <policy>              find dead rules; who may call what (--can, --who, --principal)
  test [file-or-dir]...         run policy test files (*.test.yaml) and report rule coverage
  init --tools F|--from -- CMD  write a policy skeleton and its tests from a server's tool list
  drift <policy> --tools F|...  report tool blocks that no longer match a server's tool schemas
  audit verify <file>           verify an audit log's hash chain
  approvals list|approve|reject  approval requests in the shared store, decided out of band
  keys create|list|revoke       the gateway's API keys (a key is printed once; only hashes are stored)
  diff <old> <new>              what a policy change opens and closes, with a witness request each
  import <guide.yaml>           the hardening guide's YAML tool policy as a .mcppolicy and a test file
  proxy --policy F -- CMD...    run the stdio MCP server CMD behind the policy (an enforcing proxy)
  serve --config F              run the HTTP gateway (OAuth, API keys, mTLS) in front of MCP servers
  lsp --stdio                   run the language server for editors (LSP over stdin/stdout)

Options:
  -h, --help                    show help (also: mcppolicy <command> --help)
  -V, --version                 print the version

Exit codes:
  0   success (check: no errors; eval: allow)
  1   the policy has errors (check --deny-warnings: or warnings; test: a case failed or coverage
      is below --min-coverage; analyze --deny-findings: a finding; fmt --check: a file not formatted;
      drift: drift found)
  2   usage error: unknown flag or command, missing or unreadable file, invalid request JSON
  3   eval: the decision is deny
  4   eval: the decision is require_approval
  70  internal error (a bug in mcppolicy; set MCPPOLICY_DEBUG=1 for the stack)
`;

const CHECK_HELP = `Usage: mcppolicy check <file-or-dir>... [--format text|json] [--deny-warnings]

Compile each policy and report its diagnostics, rendered like rustc. A directory is searched
recursively for *.mcppolicy files (skipping node_modules and directories whose name starts with a
dot), in sorted order; a walk never leaves the directory (linked directories are not entered, a
linked file is taken only when its target is inside). A file named explicitly is checked whatever its
extension. Imports resolve relative to the importing file and must stay inside the policy's
directory (or the --import-root directories); only regular files of at most 4 MiB are read.

Options:
  --format text|json   text (default): diagnostics, then "checked N files: E errors, W warnings".
                       json: one document {"files":[{"file","diagnostics":[...]}],"errors":E,"warnings":W}
  --deny-warnings      treat warnings as errors for the exit code
  --import-root DIR    imports may come from DIR (repeatable); replaces the policy's own directory
  -h, --help           show this help

Exit codes:
  0   no errors (warnings allowed unless --deny-warnings)
  1   at least one error (or warning, with --deny-warnings)
  2   usage error: unknown flag, missing file, directory without policies
`;

const FMT_HELP = `Usage: mcppolicy fmt [--check] <file-or-dir | ->...

Rewrite each policy in the one canonical layout: a line per declaration and block item, two spaces
of indentation per block, bracket or parenthesis (two more on a line that continues an item), one
space around operators and after commas, at most one blank line in a row, no trailing spaces, one
final newline. Comments stay where they were; the line breaks inside an item are kept (long lines are
not broken). Only the layout changes: the tokens and comments are checked to be the same before a
file is written, so the policy decides exactly as before. A file is replaced atomically (a temporary
file beside it, then a rename) and only when its text changes; the rewritten files are listed.
A file with syntax errors is not formatted: its diagnostics are printed. Directories are searched
recursively for *.mcppolicy files, as check does. - formats stdin to stdout.

Options:
  --check      write nothing: list the files that are not formatted (exit 1 if any)
  -h, --help   show this help

Exit codes:
  0   formatted (--check: every file is already formatted)
  1   a file has syntax errors (--check: or is not formatted)
  2   usage error: unknown flag, missing file, directory without policies, unwritable file
`;

const EVAL_HELP = `Usage: mcppolicy eval <policy> <request.json | -> [--format json|text] [--interpreter]

Compile the policy and decide one request. The request is a JSON object
{ principal, method, tool, arguments, annotations, resource, prompt, client, session, time };
pass - to read it from stdin. Compile errors are printed to stderr (exit 1).

Options:
  --format json|text   json (default): the Decision object, pretty-printed.
                       text: "effect: ...", the reasons ("  - [code] rule: message"), roles, budgets
  --interpreter        decide with the reference interpreter instead of the compiled function
  --import-root DIR    imports may come from DIR (repeatable); replaces the policy's own directory
  -h, --help           show this help

Exit codes (so scripts can branch on the decision):
  0   allow
  1   the policy has errors
  2   usage error: unknown flag, missing file, invalid request JSON
  3   deny
  4   require_approval
`;

const EXPLAIN_HELP = `Usage: mcppolicy explain <policy> <request.json | -> [--format text|json]

Decide one request with the reference interpreter and show, for every rule of the policy, its
outcome: matched, condition-false, target-mismatch (its pattern did not match), not-held (the
principal does not hold its role) or error.

Options:
  --format text|json   text (default): the decision, then a table of rules (id, effect, line, outcome).
                       json: the Explanation object {"decision", "rules": [...]}
  --import-root DIR    imports may come from DIR (repeatable); replaces the policy's own directory
  -h, --help           show this help

Exit codes:
  0   explained (whatever the decision; use eval to branch on it)
  1   the policy has errors
  2   usage error: unknown flag, missing file, invalid request JSON
`;

const TEST_HELP = `Usage: mcppolicy test [file-or-dir]... [--format text|json|junit] [--min-coverage N]

Run policy test files: named requests with the decision each must get, next to the policy
(NAME.test.yaml tests NAME.mcppolicy, or the file its \`policy:\` names). Each case is decided by the
compiled function and by the interpreter (they must agree) and compared with its \`expect\`; then the
rules no case exercised are listed. A directory (default: the current one) is searched recursively
for *.test.yaml and *.test.yml files, skipping node_modules and directories starting with a dot.

  policy: seed.mcppolicy
  defaults: { principal: { id: agent-7 } }
  cases:
    - name: developers may not run commands
      request: { principal: { roles: [developer] }, tool: execute_command }
      expect: { effect: deny, rule: developer/2 }

Options:
  --format text|json|junit   text (default): ✓/✗ per case, what differed, coverage, a summary.
                             json: the report {"errors","files","coverage","summary","ok",...}
                             junit: JUnit XML, one testsuite per test file
  --min-coverage N           fail unless every policy's tests exercise at least N% of its rules
  --import-root DIR          imports may come from DIR (repeatable); replaces each policy's directory
  -h, --help                 show this help

Exit codes:
  0   every case passed (and coverage reached --min-coverage)
  1   a case failed, a policy does not compile, or coverage is below --min-coverage
  2   usage error, or a mistake in a test file (reported as file:line:column; no case is run)
`;

const ANALYZE_HELP = `Usage: mcppolicy analyze <policy> [--format text|json] [--can ROLE:TOOL] [--who TOOL]
                         [--principal <principal.json | ->] [--role ROLE --tool TOOL --after LABEL]
                         [--deny-findings]

Without a question: the compiler's warnings, then the analysis findings, like rustc: rules that can
never fire (A0001), allows shadowed by a deny (A0002) or made redundant by another allow (A0003),
roles that grant nothing (A0004), declared tools no role can call (A0005), membership conditions that
never hold (A0006), rules that lean on \`derives from\`, which sees verbatim copies only (A0007),
rules whose history predicate (\`after\`, \`previous\`, \`count\`, \`sum\`, \`no\` over allowed, completed
or failed events) needs a call no role holding the rule can be allowed to make (A0008).

With questions, their answers instead — always, with-approval, depends, never or unknown — with the
rules that decide and example requests (each run through the decision function first):
  --can ROLE:TOOL      can a principal given ROLE (holding it and what it includes) call TOOL?
  --who TOOL           which roles can call TOOL?
  --principal FILE     what may this principal do? FILE holds a principal object, or a request
                       whose principal, client, session and time are taken as fixed; - for stdin
  --role ROLE --tool TOOL --after LABEL
                       can ROLE call TOOL once its session holds LABEL? yes or no, with the shortest
                       sequence of calls found (a call whose result gives LABEL, then TOOL), replayed
                       through the engine in a fresh session; best effort: the calls tried are the
                       analysis's example requests with a few sample results. All three together;
                       LABEL must be one a result block gives
Roles, tools, the MCP annotations and client.tls/mtls are enumerated exactly; scopes, claims,
addresses, time and arguments are searched (depends is shown by two examples; unknown when none).
"always" counts calls whose arguments pass the tool's args block.

Options:
  --format text|json   text (default). json: one document {"file","policy","warnings","findings"} or
                       {"file","policy","can","who","principal","after"} with the answers and their
                       witnesses ("after": the answer, "yes", "replayed" and the "witness" steps)
  --deny-findings      exit 1 when there are findings
  --import-root DIR    imports may come from DIR (repeatable); replaces the policy's own directory
  -h, --help           show this help

Exit codes:
  0   analysed (findings are informational)
  1   the policy has errors (or findings, with --deny-findings)
  2   usage error: unknown flag, missing file, unknown role, invalid principal JSON
`;

interface Command {
  readonly help: string;
  readonly load: () => Promise<{ run(argv: readonly string[]): Promise<number> | number }>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  check: { help: CHECK_HELP, load: () => import("./check.js") },
  fmt: { help: FMT_HELP, load: () => import("./fmt.js") },
  eval: { help: EVAL_HELP, load: () => import("./eval.js") },
  explain: { help: EXPLAIN_HELP, load: () => import("./explain.js") },
  analyze: { help: ANALYZE_HELP, load: () => import("./analyze.js") },
  test: { help: TEST_HELP, load: () => import("./test.js") },
  audit: { help: AUDIT_HELP, load: () => import("./audit.js") },
  approvals: { help: APPROVALS_HELP, load: () => import("./approvals.js") },
  keys: { help: KEYS_HELP, load: () => import("./keys.js") },
  diff: { help: DIFF_HELP, load: () => import("./diff.js") },
  import: { help: IMPORT_HELP, load: () => import("./import.js") },
  proxy: { help: PROXY_HELP, load: () => import("./proxy.js") },
  serve: { help: SERVE_HELP, load: () => import("./serve.js") },
  init: { help: INIT_HELP, load: () => import("./init.js") },
  drift: { help: DRIFT_HELP, load: () => import("./drift.js") },
  lsp: { help: LSP_HELP, load: () => import("./lsp.js") },
};

function commandOf(name: string): Command | undefined {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    err(MAIN_HELP);
    return EXIT.usage;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined) {
      const cmd = commandOf(topic);
      if (!cmd) throw new UsageError(`no help for unknown command '${topic}'`);
      out(cmd.help);
    } else {
      out(MAIN_HELP);
    }
    return EXIT.ok;
  }
  if (first === "--version" || first === "-V") {
    out(`mcppolicy ${version()}`);
    return EXIT.ok;
  }
  const cmd = commandOf(first);
  if (!cmd) {
    if (first.startsWith("-")) throw new UsageError(`unknown flag '${first}'`);
    const guess = closest(first, Object.keys(COMMANDS));
    throw new UsageError(`unknown command '${first}'${guess ? ` (did you mean '${guess}'?)` : ""}`);
  }
  if (wantsHelp(rest)) {
    out(cmd.help);
    return EXIT.ok;
  }
  const mod = await cmd.load();
  return await mod.run(rest);
}

function internalError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  err(`mcppolicy: internal error: ${message}`);
  if (process.env.MCPPOLICY_DEBUG && e instanceof Error && e.stack) err(e.stack);
  process.exitCode = EXIT.internal;
}

function report(e: unknown): void {
  if (e instanceof UsageError) {
    err(`mcppolicy: ${e.message}`);
    err(`Run 'mcppolicy ${e.command ? `${e.command} ` : ""}--help' for usage.`);
    process.exitCode = EXIT.usage;
  } else {
    internalError(e);
  }
}

// A reader that closes the pipe early (`mcppolicy explain ... | head`) is not a failure.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  internalError(e);
});
process.on("uncaughtException", internalError);
process.on("unhandledRejection", internalError);

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, report);
