// The detectors' bounds and failure modes: values past DETECT_LIMITS count as carrying (fail closed), a read that
// throws counts as carrying, cycles and shared objects are read once, and 1 MB adversarial inputs aimed at each
// pattern (long runs that almost match, many prefixes, nested separators) finish: every scan is linear. No timing
// assertions: a quadratic scan would blow the test's default timeout.
import { describe, expect, it } from "vitest";
import { DETECT_LIMITS, detect, DETECTOR_NAMES, findSpans, redactText } from "../../src/builtins/detect/index.js";

const MB = 1024 * 1024;
const fill = (unit: string, size = MB) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

describe("detector walker", () => {
  it("reads string leaves and object keys at any depth below the bound, and ignores numbers and booleans", () => {
    expect(detect("pii", { a: [1, true, null, { b: ["x", "mail emma@bluesparrowtech.com"] }] })).toBe(true);
    expect(detect("pii", { "emma@bluesparrowtech.com": 1 })).toBe(true);
    expect(detect("pii", { a: 4111111111111111, b: true, c: null })).toBe(false);
    expect(detect("secret", "")).toBe(false);
    expect(detect("secret", undefined)).toBe(false);
  });

  it("an object entry whose key names a secret and whose value reads as random is a secret", () => {
    expect(detect("secret", { client_secret: "q8Vt2LmZx9RkW4pN7sJd" })).toBe(true);
    expect(detect("secret", { password: "Hunter2024!" })).toBe(true);
    expect(detect("secret", { password: "" , token_type: "bearer", nextPageToken: "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA5ZQ" })).toBe(false);
  });

  it("deeper than maxDepth counts as carrying", () => {
    let deep: unknown = "plain";
    for (let i = 0; i < DETECT_LIMITS.maxDepth + 2; i++) deep = [deep];
    for (const n of DETECTOR_NAMES) expect(detect(n, deep)).toBe(true);
    let ok: unknown = "plain";
    for (let i = 0; i < DETECT_LIMITS.maxDepth - 2; i++) ok = { k: ok };
    for (const n of DETECTOR_NAMES) expect(detect(n, ok)).toBe(false);
  });

  it("more characters than maxScanChars counts as carrying; so do more nodes than maxNodes", () => {
    const big = "a ".repeat(DETECT_LIMITS.maxScanChars / 2 + 1);
    for (const n of DETECTOR_NAMES) expect(detect(n, big)).toBe(true);
    const many = new Array(DETECT_LIMITS.maxNodes + 1).fill("x");
    expect(detect("secret", many)).toBe(true);
    expect(detect("secret", new Array(1000).fill("x"))).toBe(false);
  });

  it("a throwing getter, a throwing proxy and a revoked proxy count as carrying", () => {
    const getter = Object.defineProperty({}, "k", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    const proxy = new Proxy({}, { ownKeys() { throw new Error("no"); } });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const n of DETECTOR_NAMES) {
      expect(detect(n, getter)).toBe(true);
      expect(detect(n, proxy)).toBe(true);
      expect(detect(n, revoked)).toBe(true);
      expect(detect(n, { nested: [getter] })).toBe(true);
    }
  });

  it("a cycle is not followed twice; a shared object is read once", () => {
    const a: Record<string, unknown> = { s: "plain" };
    a.self = a;
    a.list = [a, a];
    for (const n of DETECTOR_NAMES) expect(detect(n, a)).toBe(false);
    a.more = "AKIAIOSFODNN7EXAMPLE";
    expect(detect("secret", a)).toBe(true);
    const shared = { s: "y".repeat(1000) };
    expect(detect("secret", new Array(5000).fill(shared))).toBe(false); // 5 MB if read each time: past the bound
  });

  it("an unknown detector name fails closed", () => {
    expect(detect("nope" as never, "x")).toBe(true);
  });

  it("findSpans past the scan bound reports the rest as unscanned, and redaction removes it", () => {
    const text = "x".repeat(DETECT_LIMITS.maxScanChars) + "tail";
    const spans = findSpans("pii", text);
    expect(spans).toEqual([{ start: DETECT_LIMITS.maxScanChars, end: text.length, kind: "unscanned" }]);
    expect(redactText(text, ["pii"]).endsWith("[REDACTED:unscanned]")).toBe(true);
  });
});

describe("1 MB adversarial inputs finish (linear scans)", () => {
  const inputs: Record<string, string> = {
    "letters": fill("a"),
    "digits": fill("4"),
    "digits with separators": fill("4 1-"),
    "base64 run": fill("QUtJQUlPU0ZPRE5ON0VYQU1QTEUg"),
    "hex run": fill("0123456789abcdef"),
    "aws prefixes": fill("AKIA"),
    "aws ids glued": fill("AKIAIOSFODNN7EXAMPLE "),
    "jwt starts": fill("eyJhbGciOiJub25lIn0."),
    "jwt dots": "eyJ" + fill("a.", MB - 3),
    "pem headers": fill("-----BEGIN RSA PRIVATE KEY-----\n"),
    "pem body": "-----BEGIN RSA PRIVATE KEY-----\n" + fill("QUJD\n"),
    "assignments": fill("password=password:"),
    "assignment values": fill("token: aB3"),
    "bearer": fill("Bearer Bearer "),
    "emails": fill("a@"),
    "email locals": fill("a.b"),
    "email domains": "x@" + fill("a-b."),
    "plus signs": fill("+1 "),
    "parens": fill("(415) "),
    "zeros": fill("0 "),
    "iban prefixes": fill("GB29 "),
    "urls": fill("https://"),
    "url query": "https://x.example/?" + fill("a=b&"),
    "url dots": "https://" + fill("a."),
    "url trailing dots": "https://x" + fill("."),
    "percent": fill("%41"),
    "percent broken": fill("%4"),
    "information tags": fill("<information>"),
    "ignore phrases": fill("ignore all the your "),
    "send phrases": fill("please send the to "),
    "spaces": fill(" \u200b\t"),
    "unicode": fill("\uFF29\u00e9\ud83d\ude00"),
    "url path segments (split tokens)": fill("https://x.example/" + "ghp_/".repeat(1600) + " "),
    "url host labels (split tokens)": fill("https://" + "ghp_.".repeat(1500) + "x.example "),
    "url hex labels": fill("https://" + "a1b2c3d4e5f6.".repeat(500) + "x.example "),
    "url short random values": "https://x.example/?" + fill("k=aB3dE5fG7hJ&"),
    "wrapped base64 lines": fill("QUtJQUlPU0ZPRE5ON0VYQU1QTEUg\n".slice(0, 16) + "\n"),
    "hex after slashes": fill("/c/414b4941494f53464f444e4e374558414d504c45"),
    "zero-width and soft hyphens": fill("ghp_\u200b\u00ad"),
    "azure secret starts": fill("abc8Q~"),
    "telegram token starts": fill("123456789:AA"),
    "escaped json keys": fill('\\"password\\": \\"'),
    "colons": fill(":"),
    "equals": fill("="),
  };
  for (const [name, text] of Object.entries(inputs)) {
    it(name, () => {
      for (const n of DETECTOR_NAMES) {
        expect(typeof detect(n, text)).toBe("boolean");
        const spans = findSpans(n, text);
        expect(Array.isArray(spans)).toBe(true);
      }
      expect(typeof redactText(text, [...DETECTOR_NAMES])).toBe("string");
    });
  }
});
