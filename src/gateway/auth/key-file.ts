/**
 * The API key file: `keys: [{id, hash: "sha256:<hex>", principal: {...}, expires?: ISO, created: ISO}]`, YAML
 * or JSON (YAML is read for both; written as JSON when the name ends in `.json`). Read by the gateway,
 * written only by `mcppolicy keys`.
 * GUARANTEES: parseKeyFile is strict (unknown fields, bad ids or hashes, malformed principals, unparsable dates,
 * duplicate ids are errors) and never throws; its messages name the file and the entry, never a hash.
 * writeKeyFile replaces the file atomically (a temp file in the same folder, mode 0600, fsync, rename): a reader
 * sees the old file or the new one, never half of one. The file holds no key, only hashes.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import * as nodePath from "node:path";
import { randomBytes } from "node:crypto";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { Principal } from "../../contract/index.js";
import { validateRequest } from "../../eval/request.js";
import { isKeyHash, KEY_ID_PATTERN } from "./api-key-format.js";

export interface KeyRecord {
  readonly id: string;
  readonly hash: string;
  readonly principal: Principal;
  /** ISO 8601; absent: never expires. */
  readonly expires?: string;
  readonly created: string;
}

export type KeyFileResult = { ok: true; keys: KeyRecord[] } | { ok: false; error: string };

const ENTRY_FIELDS = new Set(["id", "hash", "principal", "expires", "created"]);
const PRINCIPAL_FIELDS = new Set(["id", "roles", "scopes", "claims"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isDate(v: unknown): v is string {
  return typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v) && Number.isFinite(Date.parse(v));
}

/** The keys of a key file's text; `where` names the file in messages. */
export function parseKeyFile(text: string, where: string): KeyFileResult {
  let doc: unknown;
  try {
    doc = text.trim() === "" ? {} : parseYaml(text, { uniqueKeys: true, maxAliasCount: 0 });
  } catch (e) {
    return { ok: false, error: `${where}: not valid YAML or JSON: ${(e as Error).message.split("\n")[0]}` };
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObject(doc)) return { ok: false, error: `${where}: expected an object with a \`keys\` list` };
  for (const k of Object.keys(doc)) if (k !== "keys") return { ok: false, error: `${where}: unknown field \`${k}\` (a key file has \`keys\`)` };
  const list = doc.keys ?? [];
  if (!Array.isArray(list)) return { ok: false, error: `${where}: \`keys\` must be a list` };
  const keys: KeyRecord[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const at = `${where}: keys[${i}]`;
    const e: unknown = list[i];
    if (!isObject(e)) return { ok: false, error: `${at} must be an object` };
    for (const k of Object.keys(e)) if (!ENTRY_FIELDS.has(k)) return { ok: false, error: `${at}: unknown field \`${k}\`` };
    if (typeof e.id !== "string" || !KEY_ID_PATTERN.test(e.id)) return { ok: false, error: `${at}: \`id\` must match ${KEY_ID_PATTERN.source}` };
    if (seen.has(e.id)) return { ok: false, error: `${at}: duplicate id \`${e.id}\`` };
    seen.add(e.id);
    if (typeof e.hash !== "string" || !isKeyHash(e.hash)) return { ok: false, error: `${at} (\`${e.id}\`): \`hash\` must be sha256:<64 hex digits>` };
    const p = e.principal ?? {};
    if (!isObject(p)) return { ok: false, error: `${at} (\`${e.id}\`): \`principal\` must be an object` };
    for (const k of Object.keys(p)) if (!PRINCIPAL_FIELDS.has(k)) return { ok: false, error: `${at} (\`${e.id}\`): unknown principal field \`${k}\`` };
    if (p.id !== undefined && typeof p.id !== "string") return { ok: false, error: `${at} (\`${e.id}\`): \`principal.id\` must be a string` };
    const shape = validateRequest({ principal: p, method: "tools/list" });
    if ("error" in shape) return { ok: false, error: `${at} (\`${e.id}\`): ${shape.error}` };
    if (e.expires !== undefined && !isDate(e.expires)) return { ok: false, error: `${at} (\`${e.id}\`): \`expires\` must be an ISO 8601 date-time` };
    if (!isDate(e.created)) return { ok: false, error: `${at} (\`${e.id}\`): \`created\` must be an ISO 8601 date-time` };
    keys.push({ id: e.id, hash: e.hash, principal: p as Principal, ...(e.expires !== undefined && { expires: e.expires as string }), created: e.created });
  }
  return { ok: true, keys };
}

const HEADER = "# mcppolicy API keys: sha256 hashes only (a key is shown once, when created).\n# Managed by `mcppolicy keys create|list|revoke`; the gateway re-reads this file when it changes.\n";

/** The file's text for these keys (JSON for `*.json`, else YAML with a header comment). */
export function serializeKeyFile(file: string, keys: readonly KeyRecord[]): string {
  const doc = { keys: keys.map((k) => ({ id: k.id, hash: k.hash, principal: k.principal, ...(k.expires !== undefined && { expires: k.expires }), created: k.created })) };
  if (file.toLowerCase().endsWith(".json")) return `${JSON.stringify(doc, null, 2)}\n`;
  return HEADER + stringifyYaml(doc);
}

/** Replace the file atomically with this text (mode 0600). */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = nodePath.join(nodePath.dirname(file), `.${nodePath.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
