/**
 * Redaction of secret-looking VALUES (keys are the policy's business: `policy.redact`). `redactSecrets`
 * returns a JSON-safe copy in which the secret part of every string is replaced by `[REDACTED:kind]`:
 *
 *   kind             what                                                     how it is recognised
 *   private_key      PEM private key blocks (RSA, EC, OPENSSH, ENCRYPTED,     `-----BEGIN ... PRIVATE KEY-----` to its END line;
 *                    PGP ... BLOCK)                                           no END: to the end of the string
 *   jwt              JSON Web Tokens (JWS, and the first parts of a JWE)      `eyJ` + 5 base64url chars, then 2 to 4 more `.` parts
 *   bearer_token     `Bearer <token>` (the token only)                        a token of 8+ chars holding a letter and a digit
 *   basic_auth       `Basic <base64>` (the credentials only)                  base64 that decodes to printable `user:password`
 *   url_password     `scheme://user:PASSWORD@host` (the password only)        a non-empty password before `@`
 *   aws_access_key   AKIA / ASIA + 16 upper-case letters or digits            exact length, not inside a longer word
 *   github_token     ghp_ gho_ ghu_ ghs_ ghr_ (30+ chars), github_pat_ (22+)
 *   slack_token      xoxa- xoxb- xoxp- xoxr- xoxs- (10+ chars)
 *   anthropic_key    sk-ant-... (20+ chars)
 *   openai_key       sk-... and sk-proj-... (20+ chars holding a letter and a digit)
 *   stripe_key       sk_live_ rk_live_ sk_test_ rk_test_ (10+ chars)
 *   google_api_key   AIza + 30+ chars
 *
 * NOT redacted (false positives would blind the audit): hex digests and git SHAs, UUIDs, base64 in
 * general (images, hashes), high-entropy words without a known prefix (an AWS secret access key, a
 * random password in a field not named as one: the policy's key redaction is for those), `password=`
 * pairs in query strings, `Basic` credentials that do not decode to `user:password`, certificates and
 * public keys (`-----BEGIN CERTIFICATE-----`), object KEYS.
 *
 * Guarantees: linear in the total length of the strings. Every pattern starts with a literal prefix
 * and a look-behind that admits only the start of a run of its own characters, and its bodies are
 * greedy runs of classes that exclude the separators that follow them, so a failed attempt costs at most
 * its run and runs do not overlap; PEM blocks are found with indexOf, not a regex. Strings past a total of
 * MAX_TOTAL_CHARS are replaced by `[TRUNCATED]` rather than scanned. The copy: arrays and plain objects
 * copied (every own enumerable key as an own data property, `__proto__` included), a cycle's back edge is
 * `"[CIRCULAR]"`, a shared object is copied once, deeper than `maxDepth` is `"[TRUNCATED]"`; what JSON
 * cannot hold becomes JSON: bigint → its decimal string, NaN and ±Infinity → null, undefined / functions /
 * symbols → left out of objects and null in arrays, a valid Date → its ISO string, any other non-plain
 * object → "[UNSERIALIZABLE]".
 */

export type SecretKind =
  | "private_key"
  | "jwt"
  | "bearer_token"
  | "basic_auth"
  | "url_password"
  | "aws_access_key"
  | "github_token"
  | "slack_token"
  | "anthropic_key"
  | "openai_key"
  | "stripe_key"
  | "google_api_key";

/** Characters scanned in one `redactSecrets` call before strings are truncated instead. */
export const MAX_TOTAL_CHARS = 32 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 62;

const mark = (kind: SecretKind) => `[REDACTED:${kind}]`;
const hasLetterAndDigit = (s: string) => /[A-Za-z]/.test(s) && /[0-9]/.test(s);

interface Pattern {
  /** A cheap test that the pattern could match at all (most strings hold none of these). */
  readonly hint: RegExp;
  readonly re: RegExp;
  /** The replacement of one match; returning the match itself keeps it. */
  readonly replace: (match: string, ...groups: string[]) => string;
}

/** In order: a later pattern never sees what an earlier one replaced (`[REDACTED:...]` matches none). */
const PATTERNS: readonly Pattern[] = [
  {
    hint: /eyJ/,
    re: /(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){1,3}/g,
    replace: () => mark("jwt"),
  },
  {
    hint: /Bearer/i,
    re: /(?<![A-Za-z0-9])(Bearer[ \t]+)([A-Za-z0-9._~+/-]+=*)/gi,
    replace: (m, head, token) => (token!.length >= 8 && hasLetterAndDigit(token!) ? `${head}${mark("bearer_token")}` : m),
  },
  {
    hint: /Basic/i,
    re: /(?<![A-Za-z0-9])(Basic[ \t]+)([A-Za-z0-9+/]+={0,2})(?![A-Za-z0-9+/=])/gi,
    replace: (m, head, b64) => (isBasicCredentials(b64!) ? `${head}${mark("basic_auth")}` : m),
  },
  {
    hint: /:\/\//,
    re: /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:]*:)([^\s/?#@]+)@/g,
    replace: (_m, head) => `${head}${mark("url_password")}@`,
  },
  {
    hint: /A(?:KIA|SIA)/,
    re: /(?<![A-Za-z0-9])A(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    replace: () => mark("aws_access_key"),
  },
  {
    hint: /gh[pousr]_|github_pat_/,
    re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g,
    replace: () => mark("github_token"),
  },
  {
    hint: /xox[abprs]-/,
    re: /(?<![A-Za-z0-9-])xox[abprs]-[A-Za-z0-9-]{10,}/g,
    replace: () => mark("slack_token"),
  },
  {
    hint: /sk-/,
    re: /(?<![A-Za-z0-9_-])sk-(ant-)?[A-Za-z0-9_-]{20,}/g,
    replace: (m, ant) => (ant ? mark("anthropic_key") : hasLetterAndDigit(m.slice(3)) ? mark("openai_key") : m),
  },
  {
    hint: /[sr]k_(?:live|test)_/,
    re: /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{10,}/g,
    replace: () => mark("stripe_key"),
  },
  {
    hint: /AIza/,
    re: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{30,}/g,
    replace: () => mark("google_api_key"),
  },
];

/** `user:password` in printable ASCII, base64-encoded (what HTTP Basic carries). */
function isBasicCredentials(b64: string): boolean {
  if (b64.length < 8 || b64.length > 1024 || b64.length % 4 === 1) return false;
  const text = Buffer.from(b64, "base64").toString("latin1");
  return /^[\x20-\x7e]+$/.test(text) && /^[^:]+:./.test(text);
}

const PEM_BEGIN = "-----BEGIN ";
const PEM_HEADER = /-----BEGIN ((?:[A-Z0-9]{1,16} ){0,4})PRIVATE KEY(?: BLOCK)?-----/y;

/** PEM private key blocks, BEGIN through the END line (or to the end of the text when it has none). */
function redactPem(s: string): string {
  if (!s.includes(PEM_BEGIN)) return s;
  let out = "";
  let from = 0;
  for (let at = s.indexOf(PEM_BEGIN); at >= 0; at = s.indexOf(PEM_BEGIN, at + 1)) {
    if (at < from) continue;
    PEM_HEADER.lastIndex = at;
    const h = PEM_HEADER.exec(s);
    if (!h) continue;
    const endLine = `-----END ${h[1]}PRIVATE KEY`;
    const end = s.indexOf(endLine, at + h[0].length);
    out += s.slice(from, at) + mark("private_key");
    if (end < 0) return out; // a block cut short is still a key: everything after BEGIN goes
    const close = s.indexOf("-----", end + endLine.length);
    from = close < 0 ? s.length : close + 5;
    at = from - 1;
  }
  return out + s.slice(from);
}

/** One string with every secret-looking part replaced. Linear in its length. */
export function redactSecretString(s: string): string {
  let out = redactPem(s);
  for (const p of PATTERNS) {
    if (!p.hint.test(out)) continue;
    p.re.lastIndex = 0;
    out = out.replace(p.re, p.replace as (m: string, ...a: unknown[]) => string);
  }
  return out;
}

export interface RedactSecretsOptions {
  /** Values nested deeper than this become "[TRUNCATED]". Default 62 (an audit record then stays within canonical JSON's 64 levels). */
  maxDepth?: number;
}

/** A JSON-safe copy of `value` with secret-looking parts of strings replaced (see the header). */
export function redactSecrets(value: unknown, options?: RedactSecretsOptions): unknown {
  const maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
  let budget = MAX_TOTAL_CHARS;
  const copies = new Map<object, unknown>();
  const onPath = new Set<object>();
  const walk = (v: unknown, depth: number): unknown => {
    switch (typeof v) {
      case "string":
        if (v.length > budget) {
          budget = 0;
          return "[TRUNCATED]";
        }
        budget -= v.length;
        return redactSecretString(v);
      case "number":
        return Number.isFinite(v) ? v : null;
      case "bigint":
        return v.toString();
      case "boolean":
        return v;
      case "undefined":
      case "function":
      case "symbol":
        return undefined;
      default:
        break;
    }
    if (v === null) return null;
    const o = v as object;
    if (depth > maxDepth) return "[TRUNCATED]";
    if (onPath.has(o)) return "[CIRCULAR]";
    if (copies.has(o)) return copies.get(o);
    let out: unknown;
    if (Array.isArray(o)) {
      onPath.add(o);
      out = o.map((x) => walk(x, depth + 1) ?? null);
      onPath.delete(o);
    } else {
      const proto = Object.getPrototypeOf(o);
      if (o instanceof Date) out = Number.isNaN(o.getTime()) ? null : o.toISOString();
      else if (proto !== Object.prototype && proto !== null) out = "[UNSERIALIZABLE]";
      else {
        onPath.add(o);
        const copy: Record<string, unknown> = {};
        for (const k of Object.keys(o)) {
          const x = walk((o as Record<string, unknown>)[k], depth + 1);
          if (x !== undefined) Object.defineProperty(copy, k, { value: x, writable: true, enumerable: true, configurable: true });
        }
        onPath.delete(o);
        out = copy;
      }
    }
    copies.set(o, out);
    return out;
  };
  return walk(value, 0);
}
