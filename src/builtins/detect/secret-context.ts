/**
 * Secrets recognised by their context: `Bearer` and `Basic` credentials, a password in a URL, an AWS secret
 * access key near its key id, and `password=` / `"client_secret": "..."` assignments whose value reads as random.
 * GUARANTEES: linear. Assignments are found at each `=` or `:` by looking back at most 64 characters for the key
 * and forward at most 256 for the value; the other patterns have bounded quantifiers behind run-start guards.
 */
import { entropy, isAlnum, isPlaceholder, looksRandom, type Span } from "./text.js";

const BEARER = /(?<![A-Za-z0-9_-])(?:Bearer|Token)[ \t]+([A-Za-z0-9._~+/-]{12,4096}=*)(?![A-Za-z0-9._~+/=-])/gi;
const BASIC = /(?<![A-Za-z0-9_-])Basic[ \t]+([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])/gi;
const URL_PASSWORD = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s/?#@:"'<>]{0,256}:([^\s/?@"'<>]{1,256})@/g;

const PASSWORD_WORDS = new Set([
  "password", "passwd", "pass", "secret", "changeme", "example", "postgres", "root", "admin", "user",
  "test", "guest", "demo", "mysql", "redis", "token", "pwd", "default", "letmein",
]);

/** `Bearer <token>`, `Token <token>` (the token only): 12+ characters that read as random. */
function bearerSpans(text: string, out: Span[]): void {
  if (!/bearer|token/i.test(text)) return;
  BEARER.lastIndex = 0;
  for (let m = BEARER.exec(text); m !== null; m = BEARER.exec(text)) {
    const tok = m[1]!;
    if (!looksRandom(tok)) continue;
    const start = m.index + m[0].length - tok.length;
    out.push({ start, end: m.index + m[0].length, kind: "bearer-token" });
  }
}

/** `Basic <base64>` whose base64 decodes to printable `user:password`. */
function basicSpans(text: string, out: Span[]): void {
  if (!/basic/i.test(text)) return;
  BASIC.lastIndex = 0;
  for (let m = BASIC.exec(text); m !== null; m = BASIC.exec(text)) {
    const b64 = m[1]!;
    if (b64.length % 4 === 1) continue;
    const plain = Buffer.from(b64, "base64").toString("latin1");
    if (!/^[\x20-\x7e]+$/.test(plain) || !/^[^:]{1,256}:.{3,}$/.test(plain)) continue;
    out.push({ start: m.index + m[0].length - b64.length, end: m.index + m[0].length, kind: "basic-auth" });
  }
}

/** `scheme://user:PASSWORD@host`: the password, unless it is a placeholder or a stock word (`postgres:postgres`). */
function urlPasswordSpans(text: string, out: Span[]): void {
  if (!text.includes("://")) return;
  URL_PASSWORD.lastIndex = 0;
  for (let m = URL_PASSWORD.exec(text); m !== null; m = URL_PASSWORD.exec(text)) {
    const pw = m[1]!;
    if (pw.length < 6 || isPlaceholder(pw) || PASSWORD_WORDS.has(pw.toLowerCase())) continue;
    const end = m.index + m[0].length - 1;
    out.push({ start: end - pw.length, end, kind: "url-password" });
  }
}

const SECRET_LAST = new Set(["password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential", "credentials"]);
const KEY_BEFORE = new Set(["api", "secret", "access", "private", "signing", "encryption", "master", "auth", "client", "app", "account", "session"]);
const NOT_SECRET_BEFORE = new Set(["page", "next", "prev", "previous", "continuation", "cursor", "sync", "max", "min", "num", "total", "count", "public", "csrf", "xsrf"]);

/** Whether a key (`DB_PASSWORD`, `clientSecret`, `aws_secret_access_key`, `api-key`) names a secret. */
export function isSecretKeyName(key: string): boolean {
  if (key.length === 0 || key.length > 64) return false;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
  const last = words[words.length - 1];
  const before = words[words.length - 2];
  if (last === undefined) return false;
  if (before !== undefined && NOT_SECRET_BEFORE.has(before)) return false;
  if (SECRET_LAST.has(last)) return true;
  if (last === "auth" && before === undefined) return true; // `"auth": "<base64 user:password>"` (Docker's config.json)
  if (last === "pass" && (before === undefined || before === "db" || before === "user" || before === "admin")) return true;
  return last === "key" && before !== undefined && KEY_BEFORE.has(before);
}

const isKeyChar = (c: number): boolean => isAlnum(c) || c === 95 || c === 45 || c === 46; // _ - .
const isValueChar = (c: number): boolean =>
  c > 32 && c !== 34 && c !== 39 && c !== 96 && c !== 44 && c !== 59 && c !== 38 && c !== 41 && c !== 40 && c !== 125 && c !== 123 && c !== 60 && c !== 62 && c !== 93;

/**
 * `KEY = VALUE`, `KEY: VALUE`, `"KEY": "VALUE"`, `KEY => VALUE` (quotes optional) where KEY names a secret and
 * VALUE reads as random (text.ts `looksRandom`). The span is the value.
 */
function assignmentSpans(text: string, out: Span[]): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== 61 && c !== 58) continue; // = :
    // the key: back over spaces and one quote, then the key's characters (at most 64)
    let j = i - 1;
    while (j >= 0 && i - j <= 4 && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j--;
    if (j >= 0 && (text.charCodeAt(j) === 34 || text.charCodeAt(j) === 39)) j--;
    for (let b = 0; b < 8 && j >= 0 && text.charCodeAt(j) === 92; b++) j--; // `\"key\":` (JSON inside a JSON string)
    const keyEnd = j + 1;
    while (j >= 0 && keyEnd - j <= 65 && isKeyChar(text.charCodeAt(j))) j--;
    const key = text.slice(j + 1, keyEnd);
    if (!isSecretKeyName(key)) continue;
    // the value: after `=`, `:`, `=>`, `:=`, spaces and one opening quote
    let k = i + 1;
    if (k < n && (text.charCodeAt(k) === 62 || text.charCodeAt(k) === 61)) k++;
    if (c === 58 && text.charCodeAt(k) === 47 && text.charCodeAt(k + 1) === 47) continue; // a URL scheme
    while (k < n && k - i <= 8 && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
    let quote = 0;
    const escStart = k;
    while (k < n && k - escStart < 8 && text.charCodeAt(k) === 92) k++; // `\"` opening an escaped string
    const escaped = k > escStart;
    if (k < n && (text.charCodeAt(k) === 34 || text.charCodeAt(k) === 39)) quote = text.charCodeAt(k++);
    else k = escStart;
    const vStart = k;
    while (k < n && k - vStart < 256 && (quote !== 0 ? text.charCodeAt(k) !== quote && text.charCodeAt(k) !== 10 : isValueChar(text.charCodeAt(k)))) k++;
    if (escaped && quote !== 0) while (k > vStart && text.charCodeAt(k - 1) === 92) k--; // the closing `\"`'s backslashes
    const value = text.slice(vStart, k);
    if (quote !== 0 && /\s/.test(value)) continue; // a sentence, not a secret
    if (value.includes("://")) continue; // a URL (a password inside one is url-password's)
    i = Math.max(i, k - 1); // the value is read: no key starts inside it (keeps the scan linear)
    if (!looksRandom(value)) continue;
    out.push({ start: vStart, end: k, kind: "password-assignment" });
  }
}

const AWS_KEY_ID = /(?<![A-Za-z0-9])A(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const AWS_NEAR = 256;

/** A 40-character AWS secret access key within 256 characters of an access key id (`AKIA...`/`ASIA...`). */
function awsSecretSpans(text: string, out: Span[]): void {
  if (!/A(?:KIA|SIA)/.test(text)) return;
  const ids: number[] = [];
  AWS_KEY_ID.lastIndex = 0;
  for (let m = AWS_KEY_ID.exec(text); m !== null; m = AWS_KEY_ID.exec(text)) ids.push(m.index);
  if (ids.length === 0) return;
  AWS_SECRET.lastIndex = 0;
  let p = 0;
  for (let m = AWS_SECRET.exec(text); m !== null; m = AWS_SECRET.exec(text)) {
    while (p < ids.length - 1 && ids[p + 1]! <= m.index) p++;
    const near = (q: number | undefined) => q !== undefined && Math.abs(q - m!.index) <= AWS_NEAR;
    if (!near(ids[p]) && !near(ids[p + 1])) continue;
    const s = m[0];
    if (!/[a-z]/.test(s) || !/[A-Z]/.test(s) || !/[0-9]/.test(s) || entropy(s) < 4) continue;
    out.push({ start: m.index, end: m.index + s.length, kind: "aws-secret-key" });
  }
}

/** All context-recognised secrets of `text`. */
export function contextSpans(text: string, out: Span[]): void {
  bearerSpans(text, out);
  basicSpans(text, out);
  urlPasswordSpans(text, out);
  assignmentSpans(text, out);
  awsSecretSpans(text, out);
}
