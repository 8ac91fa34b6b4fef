/**
 * The `exfil` detector: an http(s) URL, anywhere in a string, whose host labels, path, query or fragment carry
 * encoded data. What counts (after percent-decoding each part):
 *   - a data run: 16+ characters of base64/hex alphabet that read as random: mixed case with digits, or one case
 *     with digits (base32, base36), above an entropy floor that grows with the length; all-hex runs only past 64
 *     characters (a SHA-256 in a path is an identifier, not a payload); UUIDs are identifiers;
 *   - the URL carries data out (kind `url-data`) when one data run is 48+ characters, or its data runs add up to
 *     96+, or its UUIDs push that sum there (each one past the second counts 32: five alone suffice); a part
 *     (segment, value) that is one short random run of 10-15 characters adds to the sum too;
 *   - the host (kind `url-host-data`) when it has more than 10 labels, or labels that read as random (DNS
 *     tunnelling: hex of 12+, others of 16+ characters) add up to 20+ (with 3+ labels) or 40+;
 *   - a URL longer than DETECT_LIMITS.maxUrlLength is not parsed and counts (kind `url-too-long`).
 * Values of well-known click-tracking parameters (gclid, fbclid, ...) up to 256 characters are not scored: they are
 * random by design and everywhere. Natural language in a URL (`?q=my+password+is+hunter2`) is not data to this
 * detector; `carries secret` and `carries pii` read the same URL for known secrets and personal data.
 * GUARANTEES: linear. URLs are found by a run-start-guarded literal regex and read by hand.
 */
import { DETECT_LIMITS } from "./limits.js";
import { entropy, isDigit, isLower, isUpper, mergeSpans, type Span } from "./text.js";

const URL_START = /(?<![A-Za-z0-9+.-])https?:\/\//gi;
const TRACKING = new Set([
  "gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "yclid", "igshid", "ttclid", "twclid", "li_fat_id",
  "mc_eid", "mc_cid", "_gl", "_ga", "_hsenc", "_hsmi", "mkt_tok", "oly_enc_id", "oly_anon_id", "vero_id", "rb_clickid",
  "s_cid", "ef_id", "srsltid", "epik",
]);

const isUrlChar = (c: number): boolean =>
  c > 32 && c < 127 && c !== 34 && c !== 39 && c !== 60 && c !== 62 && c !== 96 && c !== 123 && c !== 125 && c !== 124 && c !== 92 && c !== 94;
const isRunChar = (c: number): boolean =>
  isDigit(c) || isUpper(c) || isLower(c) || c === 43 || c === 47 || c === 61 || c === 95 || c === 45;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const floor = (len: number, cap: number) => Math.min(cap, 0.85 * Math.log2(len));

/** Whether a run of base64/hex alphabet reads as encoded data (see the header). */
export function isDataRun(r: string): boolean {
  if (r.length < 16) return false;
  let up = 0;
  let lo = 0;
  let dg = 0;
  let hex = true;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    if (isUpper(c)) up++;
    else if (isLower(c)) lo++;
    else if (isDigit(c)) dg++;
    if (!(isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) hex = false;
  }
  if (hex) return r.length > 64;
  const letters = up + lo;
  if (up > 0 && lo > 0 && dg > 0) return entropy(r) >= floor(r.length, 4);
  // base64 can lack digits (of text, or a short random run): 24+ characters, or 3+ capitals (fewer than camelCase has)
  if (up > 0 && lo > 0) return (r.length >= 24 || up >= 3) && entropy(r) >= floor(r.length, 4.2);
  if (dg > 0 && letters > 0 && dg / r.length >= 0.15) return entropy(r) >= floor(r.length, 3.8);
  return false;
}

/**
 * A run of 10-15 characters that reads as random: upper and lower case, and digits or 3+ capitals (base64 of
 * 8-11 bytes can lack digits; a camelCase word has fewer capitals), at the entropy floor.
 */
function isShortDataRun(r: string): boolean {
  if (r.length < 10) return false;
  let up = 0;
  let lo = 0;
  let dg = 0;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    if (isUpper(c)) up++;
    else if (isLower(c)) lo++;
    else if (isDigit(c)) dg++;
  }
  return up > 0 && lo > 0 && (dg > 0 || up >= 3) && entropy(r) >= floor(r.length, 4);
}

interface Tally {
  longest: number;
  sum: number;
  uuids: number;
}

function scoreToken(token: string, t: Tally): void {
  let i = 0;
  while (i < token.length) {
    if (!isRunChar(token.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < token.length && isRunChar(token.charCodeAt(i))) i++;
    const run = token.slice(start, i);
    if (run.length < 16) {
      // a payload cut into many short parts adds up: a part (segment, value) that is one short random run
      if (start === 0 && i === token.length && isShortDataRun(run)) t.sum += run.length;
      continue;
    }
    if (UUID.test(run)) {
      if (++t.uuids > 2) t.sum += 32;
      continue;
    }
    // a run made of UUIDs and words joined by `-` or `_`: score the pieces
    if (isDataRun(run)) {
      t.longest = Math.max(t.longest, run.length);
      t.sum += run.length;
    }
  }
}

function decode(s: string): string {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** Whether a host label reads as random data (DNS tunnelling): 20+ characters, letters and digits, high entropy. */
function isDataLabel(label: string): boolean {
  if (label.length < 12 || label.startsWith("xn--")) return false;
  const l = label.toLowerCase();
  let dg = 0;
  let letters = 0;
  for (let i = 0; i < l.length; i++) {
    const c = l.charCodeAt(i);
    if (isDigit(c)) dg++;
    else if (isLower(c)) letters++;
  }
  if (/^[0-9a-f]+$/.test(l)) return l.length >= 12 && letters > 0 && dg > 0; // hex-encoded bytes
  if (l.length < 16 || letters === 0 || dg === 0) return false;
  // base32 (no `-`) has few digits: 8% of it suffices; a dashed name (`api-eu-west2-prod3`) needs 15%
  if (dg / l.length < (l.includes("-") ? 0.15 : 0.08)) return false;
  return entropy(l) >= floor(l.length, 3.8);
}

/** The kind of data a URL (scheme included) carries out, or undefined for a benign URL. */
export function urlCarries(url: string): string | undefined {
  if (url.length > DETECT_LIMITS.maxUrlLength) return "url-too-long";
  const rest = url.slice(url.indexOf("://") + 3);
  let authEnd = rest.search(/[/?#]/);
  if (authEnd < 0) authEnd = rest.length;
  const authority = rest.slice(0, authEnd);
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : "";
  let host = at >= 0 ? authority.slice(at + 1) : authority;
  if (!host.startsWith("[")) host = host.replace(/:\d*$/, "");
  const labels = host.split(".").filter((l) => l.length > 0);
  if (labels.length > 10) return "url-host-data";
  let hostData = 0;
  for (const l of labels.slice(0, -1)) if (isDataLabel(l)) hostData += l.length;
  if (hostData >= 40 || (hostData >= 20 && labels.length > 2)) return "url-host-data";

  const t: Tally = { longest: 0, sum: 0, uuids: 0 };
  if (userinfo) scoreToken(decode(userinfo), t);
  const tail = rest.slice(authEnd);
  const hash = tail.indexOf("#");
  const beforeHash = hash >= 0 ? tail.slice(0, hash) : tail;
  const fragment = hash >= 0 ? tail.slice(hash + 1) : "";
  const q = beforeHash.indexOf("?");
  const path = q >= 0 ? beforeHash.slice(0, q) : beforeHash;
  const query = q >= 0 ? beforeHash.slice(q + 1) : "";
  for (const seg of path.split("/")) if (seg) scoreToken(decode(seg), t);
  for (const part of [query, fragment]) {
    for (const pair of part.split(/[&;]/)) {
      if (!pair) continue;
      const eq = pair.indexOf("=");
      const key = decode(eq >= 0 ? pair.slice(0, eq) : pair);
      const value = eq >= 0 ? pair.slice(eq + 1) : "";
      scoreToken(key, t);
      if (TRACKING.has(key.toLowerCase()) && value.length <= 256) continue;
      scoreToken(decode(value), t);
    }
  }
  if (t.longest >= 48 || t.sum >= 96) return "url-data";
  return undefined;
}


/** The `exfil` detector's spans of `text`: each URL that carries data, whole. */
export function exfilSpans(text: string): Span[] {
  if (!/https?:\/\//i.test(text)) return [];
  const out: Span[] = [];
  URL_START.lastIndex = 0;
  for (let m = URL_START.exec(text); m !== null; m = URL_START.exec(text)) {
    let end = m.index + m[0].length;
    while (end < text.length && isUrlChar(text.charCodeAt(end)) && end - m.index <= DETECT_LIMITS.maxUrlLength) end++;
    while (end < text.length && isUrlChar(text.charCodeAt(end))) end++; // the rest of a URL past the bound
    while (end > m.index + m[0].length && ".,;:!?".includes(text[end - 1]!)) end--; // prose punctuation
    let url = text.slice(m.index, end);
    if (url.endsWith(")") && !url.includes("(")) url = url.slice(0, -1);
    const kind = urlCarries(url);
    if (kind) out.push({ start: m.index, end: m.index + url.length, kind });
    URL_START.lastIndex = Math.max(end, m.index + 1);
  }
  return mergeSpans(out);
}
