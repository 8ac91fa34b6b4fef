// URL checks: `url(schemes: [...], hosts: SET, deny: CIDRS, allow: CIDRS, ports: [...])`.
// Guarantees: options are compiled once; the check is pure, never throws, and fails closed. The raw
// string is screened (whitespace, control characters, backslash, userinfo) before WHATWG parsing, and
// the host is judged in its WHATWG-normalised form (so `http://2130706433/` is 127.0.0.1). An IP-literal
// host never matches `hosts`. Names that are loopback (`localhost`) or a cloud metadata service
// (`metadata.google.internal`, `instance-data`) are judged as 127.0.0.1 and 169.254.169.254 are.
// Without `schemes`, only http and https are accepted. A compiled check keeps its answers per text
// (bounded), which the purity makes the same answers.
import { type CidrSet, parseIpStrict, type Ip } from "../cidr/cidr.js";
import type { DomainSet } from "../domain/domain.js";
import { rememberAnswers } from "../answer-memo.js";

export interface UrlOptions {
  schemes?: string[];
  hosts?: DomainSet;
  deny?: CidrSet;
  allow?: CidrSet;
  ports?: number[];
}

export type UrlCheck = (value: unknown) => string | null;

const MAX_LENGTH = 8192;
const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };
const SPECIAL = new Set(["http", "https", "ws", "wss", "ftp", "file"]);
/** Whitespace (ASCII and Unicode), control characters, and the backslash. */
const RAW_BAD = /[\s\u0000-\u001f\u007f-\u009f\\]/;
const NUMERIC_HOST = /(^|\.)(0x[0-9a-f]*|[0-9]+)\.?$/i;
const LOOPBACK_NAME = /(^|\.)localhost\.?$/;
/** Names cloud instances resolve to their metadata service (GCP, AWS), which answers on 169.254.169.254. */
const METADATA_NAME = /^(?:metadata|metadata\.google\.internal|metadata\.goog|instance-data|instance-data\.ec2\.internal)\.?$/;

export function compileUrlCheck(opts: UrlOptions): UrlCheck {
  const o: UrlOptions = opts && typeof opts === "object" ? opts : {};
  const schemes = new Set((o.schemes ?? ["http", "https"]).map((s) => String(s).toLowerCase().replace(/:$/, "")));
  const ports = o.ports ? new Set(o.ports) : null;
  const { hosts, deny, allow } = o;
  const localhostDenied = deny ? deny.hasString("127.0.0.1") === true : false;
  const localhostAllowed = allow ? allow.hasString("127.0.0.1") === true : true;
  const metadataDenied = deny ? deny.hasString("169.254.169.254") === true : false;
  const metadataAllowed = allow ? allow.hasString("169.254.169.254") === true : true;

  const judgeIp = (ip: Ip, shown: string): string | null => {
    if (deny && deny.has(ip)) return `host ${shown} is in a denied address range`;
    if (allow && !allow.has(ip)) return `host ${shown} is not in an allowed address range`;
    return null;
  };

  const judge = (value: string): string | null => {
    try {
      const bad = RAW_BAD.exec(value);
      if (bad) {
        const c = bad[0].charCodeAt(0);
        if (c === 0x5c) return "contains a backslash";
        return c <= 0x1f || (c >= 0x7f && c <= 0x9f) ? "contains a control character" : "contains whitespace";
      }
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return "is not a valid absolute url";
      }
      const scheme = url.protocol.slice(0, -1).toLowerCase();
      if (!schemes.has(scheme)) return `scheme \`${scheme}\` is not allowed`;
      if (url.username !== "" || url.password !== "" || rawUserinfo(value, scheme)) return "contains userinfo (`user@`)";

      const hostname = url.hostname;
      const bracketed = hostname.startsWith("[") && hostname.endsWith("]");
      const ip = parseIpStrict(bracketed ? hostname.slice(1, -1) : hostname);
      if ((deny || allow || hosts) && hostname === "") return "has no host";
      if (ip) {
        const fault = judgeIp(ip, hostname);
        if (fault) return fault;
        if (hosts) return `host ${hostname} is an ip address, not an allowed host name`;
      } else if (hostname !== "") {
        // Opaque hosts (non-special schemes) are not normalised by WHATWG: refuse what looks numeric.
        if (NUMERIC_HOST.test(hostname) || hostname.includes("%")) return `host \`${hostname}\` looks like a non-canonical ip address`;
        if (hosts && !hosts.has(hostname)) return `host \`${hostname}\` is not allowed`;
        // A `localhost` name is loopback by definition (RFC 6761).
        if (LOOPBACK_NAME.test(hostname) && (localhostDenied || !localhostAllowed)) {
          return `host \`${hostname}\` is a loopback name`;
        }
        if (METADATA_NAME.test(hostname) && (metadataDenied || !metadataAllowed)) {
          return `host \`${hostname}\` is a cloud metadata service name`;
        }
      }
      // Last, so that a denied address or host is named as such: the same host in a non-canonical spelling.
      if (SPECIAL.has(scheme) && scheme !== "file") {
        const differential = canonicalFault(value, url.hostname);
        if (differential) return differential;
      }
      if (ports) {
        const port = url.port !== "" ? Number(url.port) : DEFAULT_PORTS[scheme];
        if (port === undefined || !ports.has(port)) return `port ${port ?? "(none)"} is not allowed`;
      }
      return null;
    } catch {
      return UNCHECKED;
    }
  };
  // The check is pure (fixed options, immutable sets), so its answer for a text is kept
  // (builtins/answer-memo.ts): hosts send the same few URLs again and again, and a WHATWG parse with the
  // canonical-form checks is ~1 µs. An unexpected throw (not a fault of the text) is not kept.
  const remembered = rememberAnswers(judge, MEMO_MAX_URL, (result) => result !== UNCHECKED);
  return (value: unknown): string | null => {
    if (typeof value !== "string") return "must be a string";
    if (value.length === 0) return "is empty";
    if (value.length > MAX_LENGTH) return `is longer than ${MAX_LENGTH} characters`;
    return remembered(value);
  };
}

const UNCHECKED = "could not be checked";
const MEMO_MAX_URL = 2048;

/**
 * For special schemes: the raw text must already be in the form WHATWG produces, so that other
 * parsers (curl, Python's urllib, Go's net/url) read the same host. WHATWG repairs `https:host`,
 * `https:///host`, percent-encoded and full-width hosts and numeric IPv4 spellings; urllib does not, so
 * such a URL names two different hosts depending on who reads it. Bracketed IPv6 literals may differ
 * only in spelling (the address itself is what the address sets judge).
 */
function canonicalFault(raw: string, hostname: string): string | null {
  const colon = raw.indexOf(":");
  if (!raw.startsWith("//", colon + 1) || raw.charCodeAt(colon + 3) === 0x2f) return "must be written `scheme://host/...` (with exactly two slashes)";
  const start = colon + 3;
  let end = raw.length;
  for (const c of ["/", "?", "#"]) {
    const j = raw.indexOf(c, start);
    if (j >= 0 && j < end) end = j;
  }
  const authority = raw.slice(start, end);
  if (authority.startsWith("[")) return hostname.startsWith("[") ? null : "has a malformed ip literal";
  const portAt = authority.lastIndexOf(":");
  const rawHost = portAt >= 0 ? authority.slice(0, portAt) : authority;
  // ASCII first: toLowerCase() maps some non-ASCII letters to ASCII (U+212A KELVIN SIGN -> `k`).
  if (/[^\x21-\x7e]/.test(rawHost)) return "host must be written in ASCII (an internationalised name as punycode `xn--...`)";
  const host = rawHost.toLowerCase();
  if (host !== hostname) {
    return `host \`${host.length > 60 ? host.slice(0, 60) + "…" : host}\` is not written in canonical form (it reads as \`${hostname}\`, and other parsers may read it differently)`;
  }
  return null;
}

/** An `@` in the authority of the raw string (WHATWG may have moved or dropped it). */
function rawUserinfo(raw: string, scheme: string): boolean {
  let i = raw.indexOf(":") + 1;
  if (!SPECIAL.has(scheme) && !raw.startsWith("//", i)) return false;
  while (raw.charCodeAt(i) === 0x2f) i++;
  let end = raw.length;
  for (const c of ["/", "?", "#"]) {
    const j = raw.indexOf(c, i);
    if (j >= 0 && j < end) end = j;
  }
  return raw.slice(i, end).includes("@");
}
