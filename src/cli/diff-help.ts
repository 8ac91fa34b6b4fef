/** Help text of `mcppolicy diff` (cli/diff.ts). */
export const DIFF_HELP = `Usage: mcppolicy diff <old.mcppolicy> <new.mcppolicy> [--format text|json|markdown] [--allow-widening] [--runs N] [--seed N]

What a policy change opens and closes, for review. For every role either policy declares and every
tool either names (an instance of each glob, and one tool neither names), the analysis answers "can
the role call it?" in both; where the answers differ or depend on the request, a search looks for a
request the two decide differently and shows it with both decisions (ready for 'mcppolicy eval').
A search, not a proof: --runs sets the requests tried per pair (default 200), --seed repeats a run.

Lines start with + (opens: NEW allows, or sends to approval, what OLD did not), - (closes) or ~.
--format markdown prints a table for a pull-request comment.

Exit codes: 0 no widening (or --allow-widening), 1 NEW widens access or a policy does not compile,
2 usage error.
`;
