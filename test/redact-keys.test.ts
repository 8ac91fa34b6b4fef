/**
 * Key redaction by words (`policy.redact`, src/eval/redact-keys.ts): a table of keys redacted and kept
 * under plain redaction keys (`token` redacts `access_token`, `githubToken`, `X-Auth-Token`, not
 * `max_tokens`; `api_key` redacts `apiKey`), `*` globs as the opt-in for substrings, the word splitter,
 * and the safety properties kept from before (NFKC, invisible characters, result keys at any depth).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/policy.js";
import { keyMatcher, keyWords } from "../src/eval/redact-keys.js";

const policy = (keys: string) => compilePolicy(`policy "t"\naudit { redact ${keys} }\nrole r { allow tool "*" }`, { readFile: null });
const redacted = (keys: string, key: string) => (policy(keys).redact({ [key]: "v" }) as Record<string, unknown>)[key] === "[REDACTED]";

const TABLE: [string, string, boolean][] = [
  // [redaction keys, key, redacted?]
  ["token", "token", true],
  ["token", "access_token", true],
  ["token", "githubToken", true],
  ["token", "X-Auth-Token", true],
  ["token", "REFRESH_TOKEN", true],
  ["token", "oauth2Token", true],
  ["token", "token.value", true],
  ["token", "session token", true],
  ["token", "ＴＯＫＥＮ", true],
  ["token", "to\u200bken", true],
  ["token", "max_tokens", false],
  ["token", "maxTokens", false],
  ["token", "tokens", false],
  ["token", "tokenizer", false],
  ["token", "accesstoken", false],
  ["token", "stoken", false],
  ["token", "tok_en", true], // the words run together spell it
  ["api_key", "api_key", true],
  ["api_key", "apiKey", true],
  ["api_key", "APIKey", true],
  ["api_key", "x-api-key", true],
  ["api_key", "API_KEY", true],
  ["api_key", "apikey", true],
  ["api_key", "openai_api_key", true],
  ["api_key", "rapid_key", false],
  ["api_key", "api_keys", false],
  ["api_key", "key", false],
  ["password", "DB_PASSWORD", true],
  ["password", "passwordHash", true],
  ["password", "pass_word", true],
  ["password", "passwords", false],
  ["secret", "client_secret", true],
  ["secret", "secretary", false],
  ["authorization", "Authorization", true],
  ['"*token*"', "max_tokens", true],
  ['"*token*"', "maxTokens", true],
  ['"*token*"', "accesstoken", true],
  ['"*token*"', "path", false],
  ['"api_*"', "api_key", true],
  ['"api_*"', "apiKey", false],
  ['"*_secret"', "client_secret", true],
  ['"*_secret"', "client_secret_id", false],
  ['"*"', "anything", true],
  ['"a*b*c"', "abc", true],
  ['"a*b*c"', "axxbyyc", true],
  ['"a*b*c"', "ac", false],
  ['"a*b*c"', "abcx", false],
  ["token, \"*key*\"", "monkey", true],
  ["token, \"*key*\"", "max_tokens", false],
];

describe("which keys a redaction key redacts", () => {
  it.each(TABLE)("redact %s: %j → %s", (keys, key, expected) => {
    expect(redacted(keys, key)).toBe(expected);
  });
});

describe("the word splitter", () => {
  it.each([
    ["access_token", ["access", "token"]],
    ["githubToken", ["github", "token"]],
    ["X-Auth-Token", ["x", "auth", "token"]],
    ["APIKey", ["api", "key"]],
    ["XMLHttpRequest", ["xml", "http", "request"]],
    ["oauth2Token", ["oauth", "2", "token"]],
    ["max_tokens", ["max", "tokens"]],
    ["  a..b  ", ["a", "b"]],
    ["ＴＯＫＥＮ", ["token"]],
    ["clé_secrète", ["clé", "secrète"]],
    ["", []],
  ] as [string, string[]][])("%j", (key, words) => {
    expect(keyWords(key)).toEqual(words);
  });

  it("a redaction key without letters or digits matches nothing", () => {
    expect(keyMatcher(["_"])("_")).toBe(false);
    expect(keyMatcher([])("token")).toBe(false);
  });
});

describe("policy.redact keeps its guarantees", () => {
  const p = policy("token, api_key");

  it("result keys at any depth, arrays included", () => {
    expect(p.redact({ content: [{ type: "text", text: "x", meta: { githubToken: "g", max_tokens: 5 } }] })).toEqual({
      content: [{ type: "text", text: "x", meta: { githubToken: "[REDACTED]", max_tokens: 5 } }],
    });
  });

  it("property: a key holding `token` as a word at any position with any separators is redacted; `tokens` never", () => {
    // Words without the letters of "token", so none can spell it across a separator (`tok_en` is redacted).
    const word = fc.stringMatching(/^[abcdfghijlmpqrsuvwxyz]{1,6}$/);
    const sep = fc.constantFrom("_", "-", ".", " ", "__");
    fc.assert(
      fc.property(fc.array(word, { maxLength: 3 }), fc.array(word, { maxLength: 3 }), sep, (before, after, s) => {
        const key = [...before, "token", ...after].join(s);
        expect(redacted("token", key)).toBe(true);
        const plural = [...before, "tokens", ...after].join(s);
        expect(redacted("token", plural)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("property: the spelling style of a key (snake, kebab, camel, SCREAMING, dotted) never changes whether it is redacted", () => {
    const word = fc.stringMatching(/^[a-z]{2,5}$/);
    const cap = (w: string) => w[0]!.toUpperCase() + w.slice(1);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), fc.array(word, { minLength: 1, maxLength: 2 }), (words, redactWords) => {
        const matches = keyMatcher([redactWords.join("_")]);
        const styles = [words.join("_"), words.join("-"), words[0]! + words.slice(1).map(cap).join(""), words.join("_").toUpperCase(), words.join("."), words.map(cap).join("")];
        const answers = styles.map((k) => matches(k));
        expect(new Set(answers).size, styles.join(" ")).toBe(1);
      }),
      { numRuns: 500 },
    );
  });
});
