/**
 * The API key format and its hash, shared by the gateway (verifying) and `mcppolicy keys` (creating).
 * A key is `mcpp_<id>_<secret>`: the id names the key (not secret: logs and audit show it), the secret is 32
 * random bytes as 43 base64url characters. Only `sha256:<hex of sha256(whole key)>` is ever stored.
 * GUARANTEES: parseApiKey never throws; it splits on the fixed secret length, so ids and secrets may both hold
 * `_`. sameHash compares digests in constant time (timingSafeEqual over equal-length buffers).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const API_KEY_PREFIX = "mcpp_";
/** 32 bytes as base64url without padding. */
export const SECRET_CHARS = 43;
/** What a key id may be: it appears in the key, the key file, logs and audit records. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/;
const KEY_PATTERN = /^mcpp_([A-Za-z0-9][A-Za-z0-9.-]{0,63})_([A-Za-z0-9_-]{43})$/;
const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Whether a presented credential claims to be an API key (then it is judged as one, never as a JWT). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

/** The key's id, or undefined when the text is not a well-formed key. */
export function parseApiKey(credential: string): { id: string } | undefined {
  const m = KEY_PATTERN.exec(credential);
  return m ? { id: m[1] as string } : undefined;
}

/** `sha256:<hex>` of the whole key text. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash("sha256").update(key, "utf8").digest("hex")}`;
}

export function isKeyHash(text: string): boolean {
  return HASH_PATTERN.test(text);
}

/** Constant-time equality of two `sha256:<hex>` hashes (false when either is malformed). */
export function sameHash(a: string, b: string): boolean {
  if (!isKeyHash(a) || !isKeyHash(b)) return false;
  return timingSafeEqual(Buffer.from(a.slice(7), "hex"), Buffer.from(b.slice(7), "hex"));
}

/** A new key for this id and its hash. The key is shown once; only the hash is kept. */
export function generateApiKey(id: string): { key: string; hash: string } {
  if (!KEY_ID_PATTERN.test(id)) throw new RangeError(`invalid key id ${JSON.stringify(id)}`);
  const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString("base64url")}`;
  return { key, hash: hashApiKey(key) };
}
