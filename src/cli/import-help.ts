/** Help text of `mcppolicy import` (cli/import.ts). */
export const IMPORT_HELP = `Usage: mcppolicy import <guide.yaml> [--out FILE.mcppolicy] [--name NAME] [--force]

Turn the hardening guide's YAML tool policy (section 5.1: policies of role / allowed_tools /
denied_tools, and dangerous_tools of name / risk / requires_approval / max_executions_per_session /
allowed_operations) into an equivalent .mcppolicy. Equivalent means: for every role and tool, the
policy allows what the guide's isToolAllowed allows (sending it to approval where the guide's
requires_approval says so) and denies the rest, quirks included (denied_tools: ["*"] also cancels
allowed_tools: ["*"]; the first entry of a role wins; names are compared literally, so
"query_database:SELECT" is a tool name). Each quirk kept is a warning on stderr.

Without --out the policy is printed. With --out, FILE.mcppolicy and FILE.test.yaml are written (the
test file has a case per role and tool the YAML names, plus one of each it does not, with the
guide's answer; run it with 'mcppolicy test'). Nothing is written when the input has an error.

Options:
  --out FILE        write the policy there and its test file beside it (FILE.test.yaml); a missing
                    directory is created
  --name NAME       the policy's name (default: the input file's name)
  --force           replace existing files

Exit codes: 0 written or printed, 1 the input has errors (FILE:LINE:COL: message), 2 usage error.
`;
