/**
 * Fuzzing the front end: `parsePolicy` must never throw, whatever the text, and every diagnostic
 * it returns must point inside the text. Inputs: arbitrary strings, soups of the language's own
 * tokens, and random edits of a valid policy; plus the nesting limits (E0004).
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../src/syntax/parse.js";

const FILE = "fuzz.mcppolicy";

type Result = ReturnType<typeof parsePolicy>;

/** Parse, and check the result's shape; returns a description of the first problem, or undefined. */
function problem(text: string): string | undefined {
  let result: Result;
  try {
    result = parsePolicy(text, FILE);
  } catch (e) {
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  if (!result || !Array.isArray(result.diagnostics)) return "diagnostics is not an array";
  for (const d of result.diagnostics) {
    if (typeof d.code !== "string" || typeof d.message !== "string") return `malformed diagnostic ${JSON.stringify(d)}`;
    const spans = [d.span, ...(d.related ?? []).map((r) => r.span)];
    for (const s of spans) {
      if (!s || s.file !== FILE) return `${d.code} has a span in another file: ${JSON.stringify(s)}`;
      if (!(Number.isInteger(s.start) && Number.isInteger(s.end) && 0 <= s.start && s.start <= s.end && s.end <= text.length)) {
        return `${d.code} (${d.message}) has span ${s.start}..${s.end} outside 0..${text.length}`;
      }
    }
  }
  return undefined;
}

function wellBehaved(text: string): void {
  const p = problem(text);
  if (p !== undefined) throw new Error(`parsePolicy(${JSON.stringify(text)}): ${p}`);
}

/** The first example of the specification, or (if that moves) an equivalent policy. */
function examplePolicy(): string {
  try {
    const readme = readFileSync(new URL("../grammar/README.md", import.meta.url), "utf8");
    const m = /```mcppolicy\n([\s\S]*?)```/.exec(readme);
    if (m?.[1]) return m[1];
  } catch {
    // fall through
  }
  return `policy "acme-tools" version "1.2.0"
default deny
set corp_nets: cidr = ["10.0.0.0/8", "192.168.0.0/16"]
deny tool "*" unless client.tls because "connect over TLS"
role developer {
  member when "dev" in principal.scopes
  allow tool read_file, search_code
  allow tool "*" when annotations.readOnlyHint and not (client.ip in corp_nets)
}
tool read_file {
  risk low
  approval required when args.path matches "/etc/*"
  args { path: path(root: "/workspace"), encoding?: enum("utf8", "base64"), ... }
  limit calls 5 by session
}
limit rate 60 per minute burst 10 by client
audit { redact password, token }
`;
}

const EXAMPLE = examplePolicy();

const KEYWORDS = [
  "policy", "version", "default", "allow", "deny", "import", "const", "set", "role", "includes", "member", "when",
  "unless", "because", "tool", "resource", "prompt", "risk", "approval", "required", "args", "limit", "per", "burst",
  "by", "fail", "open", "from", "audit", "redact", "and", "or", "not", "in", "contains", "matches", "has", "true",
  "false", "rate", "calls", "tokens", "cost", "input", "output", "total", "minute", "second", "hour", "day", "session",
  "principal", "client", "low", "medium", "high", "critical", "string", "integer", "number", "boolean", "enum", "array",
  "path", "url", "ip", "sql", "any", "cidr", "domain", "minLength", "maxLength", "min", "max", "root", "schemes",
];
const PUNCTUATION = ["{", "}", "(", ")", "[", "]", ",", ":", ".", "...", "==", "!=", "<", "<=", ">", ">=", "=", "|", "?", "!", "-", "/", "*"];
const OTHER = [
  "x", "read_file", "fs.read", "readonly-agent", "_a1", "a-", "principal.id", "args.path", "client.ip", "annotations.readOnlyHint",
  '"*"', '"fs.*"', '""', '"acme"', '"1.2.0"', '"10.0.0.0/8"', '"a\\"b"', '"\\u00e9"', '"\\q"', '"unterminated', '"',
  "60", "0", "-1", "0.5", "1e3", "99999999999999999999", "-", "1.", ".5",
  "// comment\n", "/* block */", "/*", "*/", "\n", "\t", "\u00a0", "\ufeff", "é", "\u0000", "😀",
];
const FRAGMENTS = [...KEYWORDS, ...PUNCTUATION, ...OTHER];

const tokenSoup = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 80 }).map((parts) => parts.join(" "));

/** A random edit of a text: delete a run, duplicate a run, or insert characters. */
type Edit = { kind: "delete" | "duplicate" | "insert"; at: number; len: number; insert: string };
const INSERTS = ["{", "}", "(", ")", "[", "]", '"', ",", ":", ".", "=", "|", "?", "not ", " and ", "\n", "/*", "//", "-", "0", "é"];
const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom("delete" as const, "duplicate" as const, "insert" as const),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 40 }),
  insert: fc.oneof(fc.constantFrom(...INSERTS), fc.string({ unit: "binary", minLength: 1, maxLength: 3 })),
});

function applyEdits(text: string, edits: Edit[]): string {
  let t = text;
  for (const e of edits) {
    const at = t.length === 0 ? 0 : e.at % (t.length + 1);
    if (e.kind === "delete") t = t.slice(0, at) + t.slice(at + e.len);
    else if (e.kind === "duplicate") t = t.slice(0, at) + t.slice(at, at + e.len) + t.slice(at);
    else t = t.slice(0, at) + e.insert + t.slice(at);
  }
  return t;
}

const RUNS = 300;

describe("parsePolicy never throws and keeps its spans inside the text", () => {
  it("the example policy parses cleanly (the mutation seed is valid)", () => {
    const { ast, diagnostics } = parsePolicy(EXAMPLE, FILE);
    expect(diagnostics).toEqual([]);
    expect(ast).toBeDefined();
  });

  it("on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        wellBehaved(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("on soups of the language's tokens", () => {
    fc.assert(
      fc.property(tokenSoup, (text) => {
        wellBehaved(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("on soups of tokens after a valid header", () => {
    fc.assert(
      fc.property(tokenSoup, (text) => {
        wellBehaved(`policy "p" version "1"\n${text}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("on random edits of a valid policy", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 8 }), (edits) => {
        wellBehaved(applyEdits(EXAMPLE, edits));
      }),
      { numRuns: RUNS },
    );
  });

  it("on a valid policy with a token soup spliced in", () => {
    fc.assert(
      fc.property(fc.nat(), tokenSoup, (at, soup) => {
        const i = at % (EXAMPLE.length + 1);
        wellBehaved(EXAMPLE.slice(0, i) + " " + soup + " " + EXAMPLE.slice(i));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("nesting limits", () => {
  function expectTooDeep(text: string): void {
    expect(problem(text)).toBeUndefined();
    const { ast, diagnostics } = parsePolicy(text, FILE);
    expect(ast).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toContain("E0004");
  }

  it("10000 open parentheses give E0004, not a stack overflow", () => {
    expectTooDeep("(".repeat(10_000));
    expectTooDeep(`role r { member when ${"(".repeat(10_000)}x${")".repeat(10_000)} }`);
  });

  it("100000 `not` in a row give E0004, not a stack overflow", () => {
    expectTooDeep("not ".repeat(100_000));
    expectTooDeep(`deny tool "*" when ${"not ".repeat(100_000)}client.tls`);
  });

  it("deep brackets, braces and mixed nesting give E0004", () => {
    expectTooDeep("[".repeat(10_000));
    expectTooDeep(`tool t { args ${"{ a: ".repeat(10_000)}string${" }".repeat(10_000)} }`);
    expectTooDeep(`role r { member when ${"not (".repeat(5_000)}x${")".repeat(5_000)} }`);
  });
});
