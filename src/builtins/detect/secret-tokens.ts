/**
 * Secrets recognised by their shape alone: vendor tokens with a fixed prefix (cloud keys, Git hosts, chat,
 * payment and AI providers, package registries), JWTs, private key blocks.
 * GUARANTEES: linear. Every regex starts with a literal prefix behind a look-behind that admits only the start
 * of a run of the token's own characters, and its quantifiers are bounded, so one attempt costs at most the
 * bound and attempts start only at run starts. PEM blocks are found with indexOf.
 */
import { entropy, isPlaceholder, type Span } from "./text.js";

export interface TokenSpec {
  readonly kind: string;
  /** A literal every match contains: the regex runs only on texts that hold it. */
  readonly hint: string;
  readonly re: RegExp;
  /** The same pattern, sticky: a token that starts exactly at `lastIndex`. */
  readonly at: RegExp;
  /** Group 1 is the random body (when the pattern has one); the placeholder and entropy tests read it. */
  readonly minEntropy?: number;
}

const B = "(?<![A-Za-z0-9_-])"; // not inside a longer word
const E = "(?![A-Za-z0-9_-])"; // nor followed by more of one

const spec = (kind: string, hint: string, source: string, minEntropy = 3): TokenSpec => ({
  kind,
  hint,
  re: new RegExp(source, "g"),
  at: new RegExp(source, "y"),
  minEntropy,
});

/** In order of specificity; overlapping finds are merged by the caller. */
export const TOKEN_SPECS: readonly TokenSpec[] = [
  spec("aws-access-key", "A", `(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)([A-Z0-9]{16})(?![A-Za-z0-9])`),
  // lower-cased, as in a DNS label (key ids are base32: a digit 2-7 keeps words out)
  spec("aws-access-key", "akia", `(?<![A-Za-z0-9])akia(?=[a-z]{0,15}[2-7])([a-z2-7]{16})(?![A-Za-z0-9])`),
  spec("aws-access-key", "asia", `(?<![A-Za-z0-9])asia(?=[a-z]{0,15}[2-7])([a-z2-7]{16})(?![A-Za-z0-9])`),
  spec("aws-session-token", "IQoJb3JpZ2luX2Vj", `(?<![A-Za-z0-9+/])IQoJb3JpZ2luX2Vj([A-Za-z0-9+/]{100,8192})`),
  spec("aws-session-token", "FwoGZXIvYXdzE", `(?<![A-Za-z0-9+/])FwoGZXIvYXdzE([A-Za-z0-9+/]{100,8192})`),
  spec("github-token", "gh", `${B}gh[pousr]_([A-Za-z0-9]{36,251})${E}`),
  spec("github-token", "github_pat_", `${B}github_pat_([A-Za-z0-9_]{22,251})${E}`),
  spec("gitlab-token", "gl", `${B}gl(?:pat|ptt|dt|rt|ft|oas|cbt|imt|soat)-([A-Za-z0-9_-]{20,64})${E}`),
  spec("slack-token", "xox", `${B}xox[baprse]-([A-Za-z0-9-]{10,250})${E}`),
  spec("slack-token", "xapp-", `${B}xapp-([0-9]-[A-Za-z0-9-]{10,250})${E}`),
  spec(
    "slack-webhook",
    "hooks.slack.com",
    `https?://hooks\\.slack\\.com/(?:services|workflows|triggers)/(T[A-Za-z0-9_]{6,16}/[A-Za-z0-9_]{6,16}/[A-Za-z0-9_]{16,64})`,
  ),
  spec("discord-webhook", "/api/webhooks/", `https?://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/([A-Za-z0-9_-]{60,68})`),
  spec("telegram-bot-token", ":AA", `(?:(?<=/bot)|(?<![A-Za-z0-9_]))[0-9]{8,10}:AA([A-Za-z0-9_-]{33})${E}`),
  spec("stripe-key", "k_", `${B}(?:sk|rk)_(?:live|test)_([A-Za-z0-9]{16,247})${E}`),
  spec("stripe-key", "whsec_", `${B}whsec_([A-Za-z0-9]{24,64})${E}`),
  spec("google-api-key", "AIza", `${B}AIza([A-Za-z0-9_-]{35})${E}`),
  spec("google-oauth-secret", "GOCSPX-", `${B}GOCSPX-([A-Za-z0-9_-]{28})${E}`),
  spec("google-oauth-token", "ya29.", `${B}ya29\\.([A-Za-z0-9_-]{20,2048})${E}`),
  spec("google-oauth-token", "1//0", `(?<![A-Za-z0-9_/:-])1//0([A-Za-z0-9_-]{40,512})${E}`),
  spec("azure-ad-client-secret", "Q~", `(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~([A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])`),
  spec("anthropic-key", "sk-ant-", `${B}sk-ant-((?:api|admin|oat|sid)[0-9]{2}-[A-Za-z0-9_-]{20,250})${E}`),
  spec("openai-key", "sk-", `${B}sk-(?!ant-)((?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,250})${E}`, 3.5),
  spec("npm-token", "npm_", `${B}npm_([A-Za-z0-9]{36})${E}`),
  spec("pypi-token", "pypi-", `${B}pypi-(AgE[A-Za-z0-9_-]{50,250})${E}`),
  spec("huggingface-token", "hf_", `${B}hf_([A-Za-z0-9]{34,40})${E}`),
  spec("groq-key", "gsk_", `${B}gsk_([A-Za-z0-9]{48,56})${E}`),
  spec("perplexity-key", "pplx-", `${B}pplx-([A-Za-z0-9]{48,56})${E}`),
  spec("xai-key", "xai-", `${B}xai-([A-Za-z0-9]{70,90})${E}`),
  spec("replicate-token", "r8_", `${B}r8_([A-Za-z0-9]{37})${E}`),
  spec("vault-token", "hv", `${B}hv[sbr]\\.([A-Za-z0-9_-]{24,250})${E}`),
  spec("databricks-token", "dapi", `${B}dapi([a-f0-9]{32})(?:-[0-9])?${E}`),
  spec("mailchimp-key", "-us", `${B}([0-9a-f]{32})-us[0-9]{1,2}${E}`),
  spec("square-token", "sq0", `${B}sq0(?:atp|csp)-([A-Za-z0-9_-]{22,43})${E}`),
  spec("postman-key", "PMAK-", `${B}PMAK-([a-f0-9]{24}-[a-f0-9]{34})${E}`),
  spec("newrelic-key", "NRAK-", `${B}NRAK-([A-Z0-9]{27})${E}`),
  spec("linear-key", "lin_api_", `${B}lin_api_([A-Za-z0-9]{40})${E}`),
  spec("supabase-token", "sbp_", `${B}sbp_([a-f0-9]{40})${E}`),
  spec("grafana-token", "glsa_", `${B}glsa_([A-Za-z0-9]{32}_[A-Fa-f0-9]{8})${E}`),
  spec("grafana-token", "glc_", `${B}glc_([A-Za-z0-9+/]{32,400}={0,2})(?![A-Za-z0-9+/=])`),
  spec("doppler-token", "dp.", `${B}dp\\.(?:pt|st|sa|ct|scim|audit)\\.([A-Za-z0-9]{40,44})${E}`),
  spec("atlassian-token", "ATATT", `${B}ATATT([A-Za-z0-9_=-]{150,250})${E}`),
  spec("sentry-token", "sntry", `${B}sntry[su]_([A-Za-z0-9_=+/-]{60,400})${E}`),
  spec("heroku-key", "HRKU-", `${B}HRKU-([A-Za-z0-9_-]{40,70})${E}`),
  spec("notion-token", "ntn_", `${B}ntn_([A-Za-z0-9]{40,50})${E}`),
  spec("notion-token", "secret_", `${B}secret_([A-Za-z0-9]{43})${E}`),
  spec("airtable-token", "pat", `${B}pat([A-Za-z0-9]{14}\\.[a-f0-9]{64})${E}`),
  spec("figma-token", "figd_", `${B}figd_([A-Za-z0-9_-]{40,60})${E}`),
  spec("mapbox-token", "sk.eyJ", `${B}sk\\.(eyJ[A-Za-z0-9_-]{20,400}\\.[A-Za-z0-9_-]{20,100})${E}`),
  spec("jfrog-key", "AKCp", `${B}AKCp([A-Za-z0-9]{69})${E}`),
  spec("gitlab-token", "GR1348941", `${B}GR1348941([A-Za-z0-9_-]{20})${E}`),
  spec("sendgrid-key", "SG.", `${B}SG\\.([A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43})${E}`),
  spec("shopify-token", "shp", `${B}shp(?:at|ss|ca|pa)_([a-fA-F0-9]{32})${E}`),
  spec("digitalocean-token", "do", `${B}do[opr]_v1_([a-f0-9]{64})${E}`),
  spec("age-secret-key", "AGE-SECRET-KEY-1", `${B}AGE-SECRET-KEY-1([0-9A-Z]{58})${E}`),
  spec("azure-storage-key", "AccountKey=", `AccountKey=([A-Za-z0-9+/]{86}==)`),
];

/** Spans of every prefixed vendor token in `text`. */
export function tokenSpans(text: string, out: Span[]): void {
  for (const s of TOKEN_SPECS) {
    if (!text.includes(s.hint)) continue;
    s.re.lastIndex = 0;
    for (let m = s.re.exec(text); m !== null; m = s.re.exec(text)) {
      if (accepted(s, m)) out.push({ start: m.index, end: m.index + m[0].length, kind: s.kind });
    }
  }
}

/** Whether a match's body passes its spec's placeholder, entropy and class tests. */
function accepted(s: TokenSpec, m: RegExpExecArray): boolean {
  const body = m[1] ?? m[0];
  if (isPlaceholder(body)) return false;
  if (entropy(body) < (body.length >= 16 ? (s.minEntropy ?? 3) : 2.5)) return false;
  return s.kind !== "openai-key" || (/[A-Za-z]/.test(body) && /[0-9]/.test(body));
}

/** The specs whose literal hint `head` holds: the only ones a token starting there can match. */
export function specsHinted(head: string): TokenSpec[] {
  return TOKEN_SPECS.filter((s) => head.includes(s.hint));
}

/** The kind of a vendor token of `specs` that is exactly `text`, whole (each pattern tried once, at 0: no scan). */
export function wholeTokenKind(text: string, specs: readonly TokenSpec[]): string | undefined {
  for (const s of specs) {
    s.at.lastIndex = 0;
    const m = s.at.exec(text);
    if (m !== null && m[0].length === text.length && accepted(s, m)) return s.kind;
  }
  return undefined;
}

const JWT_RE = /(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{8,4096}(?:\.[A-Za-z0-9_-]{0,16384}){2,4}(?![A-Za-z0-9_-])/g;

/** Base64url text decoded to a string (latin1 bytes), or undefined when it is not base64url. */
export function base64UrlText(s: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s, "base64url").toString("latin1");
}

/** JWTs (JWS, three parts; JWE, five) whose header decodes to a JSON object with a string `alg`. */
export function jwtSpans(text: string, out: Span[]): void {
  if (!text.includes("eyJ")) return;
  JWT_RE.lastIndex = 0;
  for (let m = JWT_RE.exec(text); m !== null; m = JWT_RE.exec(text)) {
    const parts = m[0].split(".");
    if (parts.length !== 3 && parts.length !== 5) continue;
    if ((parts[1] ?? "").length < 2) continue;
    const header = base64UrlText(parts[0]!);
    if (header === undefined) continue;
    let alg: unknown;
    try {
      alg = (JSON.parse(header) as { alg?: unknown } | null)?.alg;
    } catch {
      continue;
    }
    if (typeof alg === "string") out.push({ start: m.index, end: m.index + m[0].length, kind: "jwt" });
  }
}

const PEM_BEGIN = "-----BEGIN ";
const PEM_HEADER = /-----BEGIN ((?:[A-Z0-9]{1,16} ){0,4})PRIVATE KEY(?: BLOCK)?-----/y;
const PUTTY = /PuTTY-User-Key-File-[23]: /g;
/** Characters a key body holds between its BEGIN and END lines (base64, header fields, line breaks, JSON's `\n`). */
const isBodyChar = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61 ||
  c === 10 || c === 13 || c === 32 || c === 9 || c === 92 || c === 58 || c === 44 || c === 45;

/**
 * PEM private key blocks (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK): BEGIN line, a body of at least 64
 * base64 characters, through the END line, or through the body when the block is cut short. A header with a
 * placeholder body (`...`) is documentation, not a key. PuTTY key files from their header line to the text's end.
 */
export function privateKeySpans(text: string, out: Span[]): void {
  if (text.includes(PEM_BEGIN)) {
    let at = text.indexOf(PEM_BEGIN);
    while (at >= 0) {
      PEM_HEADER.lastIndex = at;
      const h = PEM_HEADER.exec(text);
      if (!h) {
        at = text.indexOf(PEM_BEGIN, at + 1);
        continue;
      }
      const bodyStart = at + h[0].length;
      let i = bodyStart;
      let b64 = 0;
      while (i < text.length && isBodyChar(text.charCodeAt(i))) {
        if (text.startsWith("-----END ", i)) break;
        const c = text.charCodeAt(i);
        if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47) b64++;
        i++;
      }
      let end = i;
      if (text.startsWith("-----END ", i)) {
        const close = text.indexOf("-----", i + 9);
        end = close < 0 || close - i > 64 ? i + 9 : close + 5;
      }
      if (b64 >= 64) out.push({ start: at, end, kind: "private-key" });
      at = text.indexOf(PEM_BEGIN, Math.max(end, at + 1));
    }
  }
  if (text.includes("PuTTY-User-Key-File-")) {
    PUTTY.lastIndex = 0;
    const m = PUTTY.exec(text);
    if (m) out.push({ start: m.index, end: text.length, kind: "private-key" });
  }
}
