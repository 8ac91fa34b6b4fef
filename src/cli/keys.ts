/**
 * `mcppolicy keys create|list|revoke`: the gateway's API key file (help: keys-help.ts).
 * GUARANTEES: the key is printed once, on stdout, and only its sha256 hash is written; the file is replaced
 * atomically (temp file + rename, mode 0600), so a gateway reading it sees the old set or the new one; a
 * duplicate id is refused and nothing is written; list never prints hashes. An invalid existing file is a usage
 * error naming the problem, and is left as it is. Changes hold `FILE.lock` (created exclusively) from read to
 * rename, so two commands at once never lose a key; a lock left by a crash is named in the error.
 */
import { closeSync, existsSync, openSync, rmSync } from "node:fs";
import type { Principal } from "../contract/index.js";
import { generateApiKey, KEY_ID_PATTERN } from "../gateway/auth/api-key-format.js";
import { parseKeyFile, serializeKeyFile, writeFileAtomic, type KeyRecord } from "../gateway/auth/key-file.js";
import { EXIT, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { err, out, readTextFile } from "./io.js";
import { parsePrincipalJson } from "./principal.js";
import { nameFault } from "../contract/names.js";

const CMD = "keys";
const ACTIONS = ["create", "list", "revoke"] as const;
type Action = (typeof ACTIONS)[number];

export async function run(argv: readonly string[], now: () => number = Date.now): Promise<number> {
  const parsed = parseArgs(
    argv,
    [{ name: "file", value: true }, { name: "id", value: true }, { name: "principal", value: true }, { name: "role", value: true }, { name: "expires", value: true }, { name: "json" }],
    CMD,
  );
  const [action, ...extra] = parsed.positionals;
  if (action === undefined) throw new UsageError("keys needs an action: create, list or revoke", CMD);
  if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown keys action '${action}': expected create, list or revoke`, CMD);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, CMD);
  const act = action as Action;
  const file = parsed.flags.get("file");
  if (typeof file !== "string") throw new UsageError(`keys ${act} needs --file FILE (the gateway's auth.apiKeys.file)`, CMD);
  for (const flag of ["principal", "role", "expires"]) {
    if (act !== "create" && parsed.flags.has(flag)) throw new UsageError(`--${flag} is for keys create`, CMD);
  }
  if (act === "list" && parsed.flags.has("id")) throw new UsageError("keys list takes no --id", CMD);
  const json = parsed.flags.get("json") === true;
  switch (act) {
    case "create":
      return withLock(file, () => create(file, parsed, json, now));
    case "list":
      return list(file, json, now);
    case "revoke": {
      const id = idOf(parsed, act);
      return withLock(file, () => revoke(file, id));
    }
  }
}

/** Run a read-modify-write of the key file under `FILE.lock`. */
function withLock(file: string, fn: () => number): number {
  const lock = `${file}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new UsageError(`'${lock}' exists: another keys command is changing '${file}' (if none is, remove the lock file)`, CMD);
    throw new UsageError(`cannot create '${lock}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, CMD);
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

function idOf(parsed: ParsedArgs, act: Action): string {
  const id = parsed.flags.get("id");
  if (typeof id !== "string") throw new UsageError(`keys ${act} needs --id ID`, CMD);
  if (!KEY_ID_PATTERN.test(id)) throw new UsageError(`invalid key id '${id}': letters, digits, '.' and '-', starting with a letter or digit, at most 64`, CMD);
  return id;
}

/** The keys in the file, or none when it does not exist yet (create only). */
function readKeys(file: string, mayBeMissing: boolean): KeyRecord[] {
  if (mayBeMissing && !existsSync(file)) return [];
  const parsed = parseKeyFile(readTextFile(file, CMD), file);
  if (!parsed.ok) throw new UsageError(parsed.error, CMD);
  return parsed.keys;
}

/** `90d`, `12h`, `30m` from now, or an ISO 8601 date-time; must be in the future. */
export function parseExpiry(text: string, now: number): string {
  const rel = /^(\d{1,6})([dhm])$/.exec(text);
  let at: number;
  if (rel) at = now + Number(rel[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as "d" | "h" | "m"];
  else if (/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(text) && Number.isFinite(Date.parse(text))) at = Date.parse(text);
  else throw new UsageError(`invalid --expires '${text}': expected Nd, Nh, Nm (e.g. 90d) or an ISO 8601 date-time`, CMD);
  if (at <= now) throw new UsageError(`--expires '${text}' is not in the future`, CMD);
  return new Date(at).toISOString();
}

function principalOf(parsed: ParsedArgs, id: string): Principal {
  const file = parsed.flags.get("principal");
  const roles = parsed.lists.get("role") ?? [];
  if (typeof file === "string" && roles.length > 0) throw new UsageError("give --principal FILE or --role, not both", CMD);
  if (typeof file === "string") {
    const p = parsePrincipalJson(readTextFile(file, CMD), `'${file}'`, CMD);
    if (p.id !== undefined && (typeof p.id !== "string" || p.id === "")) throw new UsageError(`the principal's "id" in '${file}' must be a non-empty string`, CMD);
    return { ...p, id: p.id ?? id };
  }
  for (const r of roles) {
    const fault = nameFault(r);
    if (fault) throw new UsageError(`the role name '${r}' ${fault}`, CMD);
  }
  return roles.length > 0 ? { id, roles: [...new Set(roles)] } : { id };
}

function create(file: string, parsed: ParsedArgs, json: boolean, now: () => number): number {
  const id = idOf(parsed, "create");
  const principal = principalOf(parsed, id);
  const expiresFlag = parsed.flags.get("expires");
  const t = now();
  const expires = typeof expiresFlag === "string" ? parseExpiry(expiresFlag, t) : undefined;
  const keys = readKeys(file, true);
  if (keys.some((k) => k.id === id)) throw new UsageError(`a key with id '${id}' is already in '${file}' (revoke it first, or choose another id)`, CMD);
  const { key, hash } = generateApiKey(id);
  const record: KeyRecord = { id, hash, principal, ...(expires !== undefined && { expires }), created: new Date(t).toISOString() };
  writeFileAtomic(file, serializeKeyFile(file, [...keys, record]));
  out(json ? JSON.stringify({ id, key, ...(expires !== undefined && { expires }) }) : key);
  err(
    `mcppolicy: created API key '${id}' for principal '${principal.id}'${expires !== undefined ? `, expires ${expires}` : ""}; its hash is in '${file}'.\n` +
      `  The key above is shown only now: store it in a secret manager. Clients send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.\n` +
      `  A running gateway picks it up within a second. Revoke with: mcppolicy keys revoke --file ${file} --id ${id}`,
  );
  return EXIT.ok;
}

function list(file: string, json: boolean, now: () => number): number {
  const keys = readKeys(file, false);
  const t = now();
  const rows = keys.map((k) => ({
    id: k.id,
    principal: k.principal.id ?? k.id,
    roles: k.principal.roles ?? [],
    created: k.created,
    ...(k.expires !== undefined && { expires: k.expires }),
    expired: k.expires !== undefined && Date.parse(k.expires) <= t,
  }));
  if (json) {
    out(JSON.stringify({ keys: rows }, null, 2));
    return EXIT.ok;
  }
  if (rows.length === 0) out("no keys");
  for (const r of rows) {
    out(`${r.id}  principal ${r.principal}${r.roles.length > 0 ? ` (roles ${r.roles.join(", ")})` : ""}  created ${r.created}  ${r.expires === undefined ? "never expires" : `${r.expired ? "EXPIRED" : "expires"} ${r.expires}`}`);
  }
  return EXIT.ok;
}

function revoke(file: string, id: string): number {
  const keys = readKeys(file, false);
  const kept = keys.filter((k) => k.id !== id);
  if (kept.length === keys.length) {
    err(`mcppolicy: no key with id '${id}' in '${file}'`);
    return EXIT.errors;
  }
  writeFileAtomic(file, serializeKeyFile(file, kept));
  out(`revoked ${id}`);
  return EXIT.ok;
}
