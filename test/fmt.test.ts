/**
 * The formatter (`mcppolicy fmt`, src/syntax/format.ts): goldens of before and after with comments
 * everywhere; properties on the bundled policies and on generated policies laid out at random (with
 * comments): formatting is idempotent, keeps every token and comment in order, and the formatted
 * policy compiles to the same IR (spans aside) and decides the kit's generated requests the same; and
 * the CLI as users run it (--check exit codes, in-place rewrite, refusal of syntax errors, stdin).
 * CLI tests assume dist/ is built.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../src/policy.js";
import { formatPolicy, significant } from "../src/syntax/format.js";
import { equivalence } from "../src/testing/index.js";
import type { Decision } from "../src/contract/index.js";
import { policyText } from "./helpers/generators.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist", "cli", "main.js");

function fmt(text: string): string {
  const r = formatPolicy(text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.text;
}

/** The IR as data, without source positions (they move when the layout does). */
function irShape(ir: unknown): string {
  return JSON.stringify(ir, (k, v: unknown) => (k === "span" || k === "line" || k === "related" ? undefined : v));
}

/** Same effect, visibility, rule ids and reason codes. */
const sameDecision = (a: Decision, b: Decision): boolean =>
  JSON.stringify([a.effect, a.visibility, a.reasons.map((r) => [r.code, r.rule])]) === JSON.stringify([b.effect, b.visibility, b.reasons.map((r) => [r.code, r.rule])]);

function expectSameMeaning(original: string, formatted: string, filename: string, numRuns: number): void {
  const a = compilePolicy(original, { filename });
  const b = compilePolicy(formatted, { filename });
  expect(irShape(b.ir)).toBe(irShape(a.ir));
  const report = equivalence(a, b, { numRuns, same: sameDecision });
  expect(report.equivalent, report.summary).toBe(true);
}

describe("goldens", () => {
  it("lays out declarations, blocks, operators and lists, and keeps comments where they were", () => {
    const before = `// header comment
policy "golden"   version "1.0"
default deny


set  corp : cidr = [ "10.0.0.0/8" , "fd00::/8" ]   // trailing, kept at its distance
role dev includes reader{ allow tool read_file,write_file when principal.id=="a"and not(client.ip in corp) // end of line
      // own line, inside a block
  deny "no-rm" tool rm
   /* between rule parts */ when args.path matches "x/**"
     or args.n>=3
  because "no"   
  limit calls 5 per  hour by principal , tool


  // last in block
}
tool t { args { path : string(maxLength:3) , n ? : integer | string, ... } approval required when args.n>2 by role dev ,ops }
audit { redact token,password }
`;
    const after = `// header comment
policy "golden" version "1.0"
default deny

set corp: cidr = ["10.0.0.0/8", "fd00::/8"]   // trailing, kept at its distance
role dev includes reader {
  allow tool read_file, write_file when principal.id == "a" and not (client.ip in corp) // end of line
  // own line, inside a block
  deny "no-rm" tool rm
    /* between rule parts */ when args.path matches "x/**"
      or args.n >= 3
    because "no"
  limit calls 5 per hour by principal, tool

  // last in block
}
tool t {
  args { path: string(maxLength: 3), n?: integer | string, ... }
  approval required when args.n > 2 by role dev, ops
}
audit {
  redact token, password
}
`;
    expect(fmt(before)).toBe(after);
    expect(fmt(after)).toBe(after);
  });

  it("empty blocks, lists over several lines, calls and indexes, block comments, result blocks", () => {
    const before = `policy "b"
role r {}
tool x {
}
set s: tool = [
    "a",
        "b", // b
]
deny tool "*" when args["k"] ?? "" == "v" and time.in("UTC").hour < 9
/* block
   comment */
result of tool a when has args.x { label untrusted redact secret cap 100 bytes deny "d" when result carries secret because "leak" }
`;
    const after = `policy "b"
role r {}
tool x {}
set s: tool = [
  "a",
  "b", // b
]
deny tool "*" when args["k"] ?? "" == "v" and time.in("UTC").hour < 9
/* block
   comment */
result of tool a when has args.x {
  label untrusted
  redact secret
  cap 100 bytes
  deny "d" when result carries secret because "leak"
}
`;
    expect(fmt(before)).toBe(after);
    expect(fmt(after)).toBe(after);
  });

  it("an empty file stays empty; a comment-only file keeps its comment", () => {
    expect(fmt("")).toBe("");
    expect(fmt("  \n\n")).toBe("");
    expect(fmt("   // only a comment   \n\n\n")).toBe("// only a comment\n");
  });

  it("normalises line ends and tabs, removes trailing spaces, ends with one newline", () => {
    expect(fmt('policy "x"\r\n\r\n\r\n\trole r {\r\n\t\tallow tool a  \r\n}')).toBe('policy "x"\n\nrole r {\n  allow tool a\n}\n');
  });

  it("refuses a text with syntax errors, with the diagnostics", () => {
    const r = formatPolicy("role r { allow tool a when && }", "bad.mcppolicy");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.some((d) => d.severity === "error" && d.span.file === "bad.mcppolicy")).toBe(true);
    expect(formatPolicy('role r { allow tool "a }').ok).toBe(false);
    expect(formatPolicy("role r { allow tool a } }").ok).toBe(false);
  });
});

function policyFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".mcppolicy"))
    .map((f) => path.join(dir, f))
    .sort();
}

const BUNDLED = [...policyFiles(path.join(ROOT, "policies")), ...policyFiles(path.join(ROOT, "examples"))];

describe("the bundled policies", () => {
  it("are found", () => expect(BUNDLED.length).toBeGreaterThan(10));

  for (const file of BUNDLED) {
    const name = path.relative(ROOT, file);
    it(`${name}: formatting is idempotent, keeps every token and comment, and means the same`, () => {
      const text = readFileSync(file, "utf8");
      const once = fmt(text);
      expect(fmt(once)).toBe(once);
      expect(significant(once)).toEqual(significant(text));
      expect(once.endsWith("\n")).toBe(true);
      expect(once.split("\n").filter((l) => /[ \t]$/.test(l))).toEqual([]);
      expectSameMeaning(text, once, file, 150);
    });
  }
});

/** Tokens of a text joined by arbitrary whitespace and comments: another layout of the same policy. */
const relaid = (text: string) =>
  fc.array(fc.constantFrom(" ", "  ", "\n", "\n\n\n", "\t", " /* c */ ", " // note\n", "\n  // own line\n    "), {
    minLength: significant(text)!.length,
    maxLength: significant(text)!.length,
  }).map((seps) => significant(text)!.map((t, i) => t + seps[i]!).join(""));

describe("generated policies, laid out at random", () => {
  it("format to a fixed point, keep every token and comment, and decide the same", () => {
    fc.assert(
      fc.property(policyText.chain((text) => relaid(text).map((messy) => ({ text, messy }))), ({ text, messy }) => {
        const once = fmt(messy);
        expect(fmt(once)).toBe(once);
        expect(significant(once)).toEqual(significant(messy));
        expectSameMeaning(text, once, "generated.mcppolicy", 40);
      }),
      { numRuns: 60 },
    );
  });

  it("formatting any text either refuses it or keeps its tokens (never throws)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (junk) => {
        const r = formatPolicy(junk);
        if (r.ok) expect(significant(r.text)).toEqual(significant(junk));
      }),
      { numRuns: 300 },
    );
  });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", input, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("mcppolicy fmt", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-fmt-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const messy = 'policy "p"\nrole dev{allow tool a,b when principal.id=="x"  // who\n}\n';
  const tidy = 'policy "p"\nrole dev {\n  allow tool a, b when principal.id == "x"  // who\n}\n';

  it("the bundled policies are formatted (fmt --check policies examples)", () => {
    const r = run(["fmt", "--check", "policies", "examples"]);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("--check lists an unformatted file, exits 1 and writes nothing", () => {
    const file = path.join(dir, "check.mcppolicy");
    writeFileSync(file, messy);
    const r = run(["fmt", "--check", file]);
    expect(r.status).toBe(1);
    expect(r.stdout.trim()).toBe(file);
    expect(readFileSync(file, "utf8")).toBe(messy);
  });

  it("rewrites in place (keeping the file mode), lists the file, and a second run changes nothing", () => {
    const sub = mkdtempSync(path.join(dir, "tree-"));
    const file = path.join(sub, "a.mcppolicy");
    writeFileSync(file, messy);
    chmodSync(file, 0o640);
    const r = run(["fmt", sub]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(file);
    expect(readFileSync(file, "utf8")).toBe(tidy);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(sub)).toEqual(["a.mcppolicy"]);
    const again = run(["fmt", sub]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe("");
    expect(run(["fmt", "--check", sub]).status).toBe(0);
  });

  it("refuses a file with syntax errors: exit 1, diagnostics on stderr, the file untouched; other files still formatted", () => {
    const sub = mkdtempSync(path.join(dir, "bad-"));
    const bad = path.join(sub, "bad.mcppolicy");
    const good = path.join(sub, "good.mcppolicy");
    writeFileSync(bad, "role r {allow tool a when && }\n");
    writeFileSync(good, messy);
    const r = run(["fmt", bad, good]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("not formatting");
    expect(r.stderr).toContain("E0001");
    expect(readFileSync(bad, "utf8")).toBe("role r {allow tool a when && }\n");
    expect(readFileSync(good, "utf8")).toBe(tidy);
  });

  it("- formats stdin to stdout; with --check exits 1 when stdin is not formatted", () => {
    const r = run(["fmt", "-"], messy);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(tidy);
    expect(run(["fmt", "--check", "-"], messy).status).toBe(1);
    expect(run(["fmt", "--check", "-"], tidy).status).toBe(0);
  });

  it("usage errors exit 2 with a hint", () => {
    for (const args of [["fmt"], ["fmt", "--bogus", "policies"], ["fmt", path.join(dir, "missing.mcppolicy")], ["fmt", "-", "policies"]]) {
      const r = run(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("mcppolicy fmt --help");
    }
  });

  it("is listed in --help", () => {
    expect(run(["--help"]).stdout).toContain("fmt [--check]");
    expect(run(["fmt", "--help"]).stdout).toContain("Usage: mcppolicy fmt");
  });
});
