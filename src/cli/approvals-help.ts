/**
 * The help text of `mcppolicy approvals` (its own file so main.ts can show it without loading the
 * command, and the command can print it too).
 */
export const APPROVALS_HELP = `Usage:
  mcppolicy approvals list [--status pending|approved|rejected] --store redis://HOST:PORT [--prefix P] [--policy FILE] [--json]
  mcppolicy approvals approve ID --store redis://HOST:PORT [--prefix P] --policy FILE [--approver ID] [--principal FILE] [--json]
  mcppolicy approvals reject ID --store redis://HOST:PORT [--prefix P] --policy FILE [--approver ID] [--principal FILE] [--json]

List and decide approval requests out of band: the calls a policy sent to approval (\`approval required\`)
that are waiting in the shared store the proxy or the engine uses. Out of band needs a shared store: the
approvals of an engine on its default in-memory store live in that process only.

Who may approve is the policy's (\`approval required ... by ...\`):
  by others (default)   anyone but the caller
  by caller             the caller too (its own call)
  by role R1, R2        a principal holding one of the roles as the policy resolves them (derived roles
                        count: pass --principal), and never the caller (four eyes)
Rejecting needs no role; the caller may reject only where it could approve.

Options:
  --store URL          the Redis store (redis:// or rediss://); required
  --prefix P           the store's key prefix (default mcppolicy:)
  --policy FILE        the policy, to resolve the approver's roles (approve, reject); list marks the
                       approvals bound to another version of it
  --approver ID        who decides (default: the principal's id)
  --principal FILE     the approver as a principal (JSON, e.g. {"id": "sam", "roles": ["security"]});
                       default: the MCPPOLICY_PRINCIPAL environment variable, if set
  --status S           list: only pending, approved or rejected approvals
  --json               print JSON (list: {"approvals": [...], "truncated": bool}; decide: the record)
  --import-root DIR    imports of the policy may come from DIR (repeatable)
  -h, --help           show this help

Exit codes:
  0   listed, or decided
  1   cannot be decided: no such approval, expired, already decided; the store is unreachable; the
      policy does not compile
  2   usage error: no --store, unknown flag, missing ID or approver, unreadable file
  3   refused: this approver may not decide it (not holding a role it needs, or the caller itself)
`;
