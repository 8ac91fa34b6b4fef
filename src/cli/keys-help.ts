/**
 * The help text of `mcppolicy keys` (its own file so main.ts can show it without loading the command).
 */
export const KEYS_HELP = `Usage:
  mcppolicy keys create --file FILE --id ID [--principal FILE.json | --role R ...] [--expires 90d|ISO] [--json]
  mcppolicy keys list --file FILE [--json]
  mcppolicy keys revoke --file FILE --id ID

API keys for the gateway (\`mcppolicy serve\`, auth.apiKeys.file). A key is \`mcpp_<id>_<secret>\`; the file
keeps only its SHA-256 hash, so a key is shown once, by create, and never again. Clients send it as
\`Authorization: Bearer <key>\` or \`X-API-Key: <key>\`. A running gateway re-reads the file within a second
of a change.

create   makes a key for ID, adds its hash to FILE (created, mode 0600, if missing) and prints the key on
         stdout (only the key: \`KEY=$(mcppolicy keys create ...)\`); what to do with it goes to stderr
list     the keys in FILE: id, principal, created, expiry (never hashes)
revoke   removes ID from FILE: the key stops working at the gateway's next read

Options:
  --file FILE        the key file (YAML; JSON when it ends in .json); written atomically
  --id ID            the key's name: letters, digits, '.', '-' (at most 64); shown in logs and audit
  --principal FILE   the principal the key acts as (JSON, e.g. {"id": "ci", "roles": ["deployer"]});
                     its id defaults to the key's id
  --role R           a role of the principal (repeatable; instead of --principal)
  --expires WHEN     Nd, Nh or Nm from now (90d), or an ISO 8601 date-time; default: never
  --json             print JSON (create: {"id","key","expires"}; list: {"keys": [...]})
  -h, --help         show this help

Exit codes:
  0   done
  1   revoke: no such id
  2   usage error: unknown flag, bad id or date, a duplicate id, an unreadable or invalid key file
`;
