/**
 * The help of `mcppolicy audit`, apart from the command so main.ts can show it without loading it.
 */
export const AUDIT_HELP = `Usage: mcppolicy audit verify <file | -> [--json]

Verify an audit log written by mcppolicy (docs/audit-schema.md): every line a canonical
mcppolicy.audit/1 record whose hash recomputes, numbered from 1 without gaps, each pointing at the
hash of the line before (the first at 64 zeros). An edited, deleted, inserted or reordered line, a
cut head, or a last line without its newline is reported at the line where the chain breaks.
Records cut off the END of a log leave a valid shorter chain: compare the record count and last
hash printed here with a copy kept elsewhere (an external anchor).

Options:
  --json       one JSON object: {"file","ok","records","lastHash"} or {"file","ok":false,"records","line","problem"}
  -h, --help   show this help

Exit codes:
  0   the chain is intact
  1   the chain is broken (the first broken line is reported)
  2   usage error: unknown flag or subcommand, missing or unreadable file
`;
