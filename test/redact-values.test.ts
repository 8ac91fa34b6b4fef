/**
 * Secret-looking values (src/audit/redact-values.ts): a table of secrets, each replaced (only its secret
 * part) by `[REDACTED:kind]`, alone and inside prose; a benign corpus left untouched (prose about tokens
 * and keys, UUIDs, git SHAs, digests, base64 images, paths, URLs without a password, slugs); adversarial
 * inputs that would take quadratic time on a backtracking pattern finish (no timing asserted: a
 * quadratic pattern would hang here); the copy is JSON-safe and keeps `__proto__` keys, cycles and depth bounded.
 */
import { describe, expect, it } from "vitest";
import { redactSecrets, redactSecretString } from "../src/audit/redact-values.js";
import { canonicalJson } from "../src/contract/canonical.js";

const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const PEM = `-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF
c2VjcmV0IGtleSBtYXRlcmlhbCBnb2VzIGhlcmU=
-----END RSA PRIVATE KEY-----`;

// [input, expected output]
const SECRETS: [string, string, string][] = [
  ["jwt", JWT, "[REDACTED:jwt]"],
  ["jwt with an empty signature (alg none)", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "[REDACTED:jwt]"],
  ["jwt in a header value", `Authorization: Bearer ${JWT}`, "Authorization: Bearer [REDACTED:jwt]"],
  ["pem private key", `key:\n${PEM}\nend`, "key:\n[REDACTED:private_key]\nend"],
  ["pem pkcs8", "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n", "[REDACTED:private_key]\\n"],
  ["pem openssh", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "[REDACTED:private_key]"],
  ["pem pgp block", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK----- after", "[REDACTED:private_key] after"],
  ["pem cut short: the rest goes", "x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIO", "x [REDACTED:private_key]"],
  ["aws access key id", "AKIAIOSFODNN7EXAMPLE", "[REDACTED:aws_access_key]"],
  ["aws session key id in prose", "use ASIAY34FZKBOKMUTVV7A now", "use [REDACTED:aws_access_key] now"],
  ["github classic", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "[REDACTED:github_token]"],
  ["github oauth/user/server/refresh", "gho_16C7e42F292c6912E7710c838347Ae178B4a ghu_16C7e42F292c6912E7710c838347Ae178B4a ghs_16C7e42F292c6912E7710c838347Ae178B4a ghr_16C7e42F292c6912E7710c838347Ae178B4a",
    "[REDACTED:github_token] [REDACTED:github_token] [REDACTED:github_token] [REDACTED:github_token]"],
  ["github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF", "[REDACTED:github_token]"],
  ["slack bot", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "[REDACTED:slack_token]"],
  ["slack user", "token=xoxp-1234567890-abcdefghij", "token=[REDACTED:slack_token]"],
  ["openai", "sk-4f9aB2c7D1e8F3g6H5i0J2k9L7m3N8o1P4q6R0s2T5u9", "[REDACTED:openai_key]"],
  ["openai project", "OPENAI_API_KEY=sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34", "OPENAI_API_KEY=[REDACTED:openai_key]"],
  ["anthropic", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AA", "[REDACTED:anthropic_key]"],
  ["stripe live", "sk_live_51HqLyjWDarjtT1zdp7dc", "[REDACTED:stripe_key]"],
  ["stripe restricted", "rk_live_51HqLyjWDarjtT1zdp7dc", "[REDACTED:stripe_key]"],
  ["google api key", "key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe", "key=[REDACTED:google_api_key]"],
  ["bearer opaque token", "Authorization: Bearer 8a7b6c5d4e3f2a1b0c9d", "Authorization: Bearer [REDACTED:bearer_token]"],
  ["bearer lower case", "authorization: bearer abc.DEF-123_x~y+z/w==", "authorization: bearer [REDACTED:bearer_token]"],
  ["basic credentials", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic [REDACTED:basic_auth]"],
  ["url password", "https://alice:hunter2@example.com/repo.git", "https://alice:[REDACTED:url_password]@example.com/repo.git"],
  ["url password, database", "connect postgres://admin:s3cr%40t@db.internal:5432/app", "connect postgres://admin:[REDACTED:url_password]@db.internal:5432/app"],
  ["url password without user", "redis://:p4ss@cache:6379", "redis://:[REDACTED:url_password]@cache:6379"],
  ["two in one string", "AKIAIOSFODNN7EXAMPLE and ghp_16C7e42F292c6912E7710c838347Ae178B4a", "[REDACTED:aws_access_key] and [REDACTED:github_token]"],
];

const BENIGN: string[] = [
  "The bearer of this letter is a friend. Bearer bonds are instruments payable to whoever holds them.",
  "Basic authentication sends a password; the Basic idea is simple. Token budgets count max_tokens.",
  "Set max_tokens to 4096 and pass your API key in the header; never paste a secret or a private key here.",
  "The tokenizer splits text into tokens; a JWT starts with eyJ and has three parts.",
  "550e8400-e29b-41d4-a716-446655440000",
  "commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)",
  "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "d41d8cd98f00b204e9800998ecf8427e",
  "https://user@example.com/path?query=1#frag",
  "https://example.com:8443/a/b?c=d&e=f",
  "git@github.com:org/repo.git and ssh://git@github.com:22/org/repo.git",
  "ftp://host.example:21/pub/file.txt",
  "alice@example.com wrote on 2026-01-01T12:00:00Z: version 1.2.3-beta.4 is out",
  "C:\\Users\\alice\\Documents\\report.docx and /home/alice/.config/app.json",
  "we use sk-learn and scikit-learn; task-1234; desk-lamp-with-adjustable-arm-and-base",
  "sk-learn-tutorial-for-beginners-and-experts-alike",
  "the prefixes AKIA, ASIA, ghp_, xoxb-, sk_live_ and AIza mark keys (docs, no key here)",
  "xoxo hugs and kisses",
  "AKIAIOSFODNN7EXAMPLEX is too long to be a key id; xAKIAIOSFODNN7EXAMPLE is inside a word",
  "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----",
  "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
  '{"name":"read_file","arguments":{"path":"/tmp/x"},"max_tokens":100}',
  "eyJ alone, and eyJhbGciOiJIUzI1NiJ9 alone (one part)",
  "Bearer short; Bearer onlyletterstoken; Bearer 12345678",
  "Basic dXNlcm5hbWVvbmx5 (decodes without a colon)",
];

/** Deterministic pseudo-random bytes (xorshift), for base64 blobs. */
function bytes(seed: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe("secret-looking values are redacted", () => {
  it.each(SECRETS)("%s", (_name, input, expected) => {
    expect(redactSecretString(input)).toBe(expected);
    // Inside other text too (a block cut short takes the rest of the string with it).
    const wrapped = input.includes("-----END") || !input.includes("-----BEGIN") ? `<${expected}>` : `<${expected}`;
    expect(redactSecrets({ nested: [{ v: `<${input}>` }] })).toEqual({ nested: [{ v: wrapped }] });
  });
});

describe("a benign corpus is left untouched", () => {
  it.each(BENIGN.map((s) => [s.slice(0, 50), s]))("%s", (_name, input) => {
    expect(redactSecretString(input)).toBe(input);
  });

  it("base64 and base64url blobs (images, random bytes) and hex digests", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const b = bytes(seed, 1500);
      for (const s of [`data:image/png;base64,${b.toString("base64")}`, b.toString("base64url"), b.toString("hex"), `url(${b.toString("base64")})`]) {
        expect(redactSecretString(s)).toBe(s);
      }
    }
  });
});

describe("linear time on adversarial input (a quadratic pattern would not finish here)", () => {
  const N = 200_000;
  const cases: [string, string][] = [
    ["eyJ repeated", "eyJ".repeat(N / 3)],
    ["eyJ with one dot", `eyJ${"a".repeat(N)}.${"b".repeat(N)}`],
    ["sk- repeated", "sk-".repeat(N / 3)],
    ["AKIA repeated", "AKIA".repeat(N / 4)],
    ["Bearer repeated", "Bearer ".repeat(N / 7)],
    ["Bearer then spaces", `Bearer${" ".repeat(N)}`],
    ["Basic then base64 that never ends well", `Basic ${"A".repeat(N)}${"=".repeat(5)}`],
    ["schemes", "a://".repeat(N / 4)],
    ["scheme then colons", `a://${"b:".repeat(N / 2)}`],
    ["scheme run without ://", "a".repeat(N)],
    ["BEGIN repeated", "-----BEGIN ".repeat(N / 11)],
    ["BEGIN header repeated", "-----BEGIN AAAA AAAA AAAA AAAA AAAA ".repeat(N / 36)],
    ["private key BEGIN without END", `-----BEGIN PRIVATE KEY-----${"x".repeat(N)}`],
    ["ghp_ repeated", "ghp_".repeat(N / 4)],
    ["xoxb- repeated", "xoxb-".repeat(N / 5)],
    ["AIza repeated", "AIza".repeat(N / 4)],
  ];
  it.each(cases)("%s", (_name, input) => {
    const out = redactSecretString(input);
    expect(typeof out).toBe("string");
  });
});

describe("the copy", () => {
  it("is JSON-safe and structurally the input (strings aside)", () => {
    const shared = { k: 1 };
    const cyclic: Record<string, unknown> = { a: shared, b: shared, big: 10n, nan: Number.NaN, inf: -Infinity, u: undefined, f: () => 1, d: new Date(0), bad: new Date(Number.NaN), m: new Map(), arr: [undefined, Symbol("s"), 1] };
    cyclic.self = cyclic;
    const out = redactSecrets(cyclic) as Record<string, unknown>;
    expect(out).toEqual({ a: { k: 1 }, b: { k: 1 }, big: "10", nan: null, inf: null, d: "1970-01-01T00:00:00.000Z", bad: null, m: "[UNSERIALIZABLE]", arr: [null, null, 1], self: "[CIRCULAR]" });
    expect(() => canonicalJson(out)).not.toThrow();
  });

  it("own __proto__ keys are copied as data, and values in them redacted", () => {
    const input = JSON.parse(`{"__proto__":{"t":"AKIAIOSFODNN7EXAMPLE"},"constructor":{"prototype":1}}`);
    const out = redactSecrets(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"t":"[REDACTED:aws_access_key]"},"constructor":{"prototype":1}}');
  });

  it("depth is bounded so an audit record stays within canonical JSON's limit", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const out = redactSecrets(deep);
    expect(() => canonicalJson({ arguments: out })).not.toThrow();
    expect(JSON.stringify(out)).toContain("[TRUNCATED]");
  });

  it("keys are not scanned (the policy's key redaction is for keys)", () => {
    expect(redactSecrets({ AKIAIOSFODNN7EXAMPLE: 1 })).toEqual({ AKIAIOSFODNN7EXAMPLE: 1 });
  });
});
