/**
 * The VS Code extension's TextMate grammar (editors/vscode/syntaxes), run by vscode-textmate on
 * vscode-oniguruma as VS Code runs it:
 *   - every bundled policy (policies/**, examples/** *.mcppolicy) tokenizes to its committed snapshot in
 *     test/golden/textmate/ (UPDATE_GOLDEN=1 rewrites them after a deliberate change);
 *   - the grammar agrees with the lexer (src/syntax/tokens.ts): every keyword has a keyword scope (derived
 *     from the lexer's list, so a new keyword without grammar support fails), and on the bundled policies
 *     every lexer keyword, string, regex and number gets the matching scope, and no character is left
 *     with the root scope only or marked invalid;
 *   - a string or comment holding keywords stays one string or comment (a property);
 *   - README.md: every block that is a policy is fenced ```mcppolicy, and the Markdown injection tokenizes
 *     those blocks with the grammar (and nothing else).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { TokenType } from "chevrotain";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConcrete, parsePolicy } from "../src/syntax/parse.js";
import * as T from "../src/syntax/tokens.js";
import { markdown, mcppolicy, snapshot, type Token, type Tokenize } from "./helpers/textmate.js";

const ROOT = join(import.meta.dirname, "..");
const GOLDEN = join(import.meta.dirname, "golden", "textmate");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function policyFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...policyFiles(p));
    else if (e.name.endsWith(".mcppolicy")) out.push(p);
  }
  return out.sort();
}
const BUNDLED = [...policyFiles(join(ROOT, "policies")), ...policyFiles(join(ROOT, "examples"))];

function golden(path: string, actual: string) {
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE && process.env.CI) throw new Error(`missing golden ${path}`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

/** The word a keyword token matches (its pattern is the word itself). */
function wordOf(t: TokenType): string {
  const source = (t.PATTERN as RegExp).source;
  expect(source, t.name).toMatch(/^[a-z]+$/);
  return source;
}

const isKeywordScope = (s: string) => s.startsWith("keyword.") || s.startsWith("constant.language.");
const has = (t: Token, prefix: string) => t.scopes.some((s) => s.startsWith(prefix));

/** The TextMate token covering a line's column. */
function at(lines: Token[][], line: number, col: number): Token {
  const tokens = lines[line] ?? [];
  const t = [...tokens].reverse().find((x) => x.start <= col);
  if (t === undefined) throw new Error(`no token at ${line}:${col}`);
  return t;
}

let tokenize: Tokenize;
beforeAll(async () => {
  tokenize = await mcppolicy();
});

describe("snapshots of the bundled policies", () => {
  it("finds the bundled policies", () => {
    expect(BUNDLED.length).toBeGreaterThanOrEqual(10);
  });
  for (const file of BUNDLED) {
    const rel = relative(ROOT, file);
    it(rel, () => {
      const text = readFileSync(file, "utf8");
      golden(join(GOLDEN, rel.replaceAll("/", "__").replace(/\.mcppolicy$/, ".txt")), snapshot(text, tokenize(text)));
    });
  }
});

describe("the grammar agrees with the lexer", () => {
  it("gives every keyword of the lexer a keyword scope, alone and inside a rule", () => {
    expect(T.keywords.length).toBeGreaterThan(30);
    for (const kw of T.keywords) {
      const word = wordOf(kw);
      for (const [line, col] of [[word, 0], [`deny tool x when ${word} `, 17]] as const) {
        const t = at(tokenize(line), 0, col);
        expect(t.text, line).toBe(word);
        expect(t.scopes.filter(isKeywordScope), `\`${word}\` in \`${line}\`: ${t.scopes.join(" ")}`).not.toEqual([]);
      }
    }
  });

  for (const file of BUNDLED) {
    const rel = relative(ROOT, file);
    it(`${rel}: keywords, strings, regexes and numbers get their scopes; every character has one`, () => {
      const text = readFileSync(file, "utf8");
      const lines = tokenize(text);
      const starts = [0];
      for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
      const lineOf = (offset: number) => {
        let l = 0;
        while (l + 1 < starts.length && starts[l + 1]! <= offset) l++;
        return l;
      };
      const keywordTypes = new Set(T.keywords);
      const { tokens, diagnostics } = parseConcrete(text, rel);
      expect(diagnostics).toEqual([]);
      let keywordsSeen = 0;
      tokens.forEach((lt, i) => {
        const line = lineOf(lt.startOffset);
        const tm = at(lines, line, lt.startOffset - starts[line]!);
        const where = `${rel}:${line + 1}: \`${lt.image}\` -> ${tm.scopes.join(" ")}`;
        if (keywordTypes.has(lt.tokenType)) {
          keywordsSeen++;
          // A keyword in a path (`args.limit`, `server.name`), as a field name (`from: string`) or as a
          // budget key (`by session`) is a name there.
          const [prev, next, next2] = [tokens[i - 1]?.tokenType, tokens[i + 1]?.tokenType, tokens[i + 2]?.tokenType];
          const budgetKey = prev === T.By && lt.tokenType !== T.Role;
          const member = budgetKey || prev === T.Dot || next === T.Dot || next === T.Colon || (next === T.Question && next2 === T.Colon);
          if (member) expect(has(tm, "variable."), where).toBe(true);
          else if (prev === T.Colon && tokens[i - 3]?.tokenType === T.SetKw) expect(has(tm, "support.type.set-kind"), where).toBe(true);
          else expect(tm.scopes.some(isKeywordScope), where).toBe(true);
        } else if (lt.tokenType === T.StringLiteral) expect(has(tm, "string.quoted.double"), where).toBe(true);
        else if (lt.tokenType === T.RegexLiteral) expect(has(tm, "string.regexp"), where).toBe(true);
        else if (lt.tokenType === T.NumberLiteral) expect(has(tm, "constant.numeric"), where).toBe(true);
        else expect(tm.scopes.length, where).toBeGreaterThan(1);
      });
      expect(keywordsSeen).toBeGreaterThan(0);
      for (const tm of lines.flat()) {
        const where = `${rel}:${tm.line + 1}: \`${tm.text}\` -> ${tm.scopes.join(" ")}`;
        if (tm.text.trim() !== "") expect(tm.scopes.length, where).toBeGreaterThan(1);
        expect(tm.scopes.some((s) => s.startsWith("invalid.")), where).toBe(false);
      }
      text.split("\n").forEach((src, i) => {
        if (!src.trimStart().startsWith("//")) return;
        for (const tm of lines[i]!) if (tm.text.trim() !== "") expect(has(tm, "comment."), `${rel}:${i + 1}`).toBe(true);
      });
    });
  }
});

describe("strings and comments", () => {
  const words = [...T.keywords.map(wordOf), "{", "}", "(", ")", "[", "]", ",", ":", "==", "/", "*", "'", "re", "1", "10.0.0.0/8", "//", "/*", " ", "\\\\", "\\\""];
  const inner = fc.array(fc.constantFrom(...words), { maxLength: 12 }).map((ws) => ws.join(" "));

  it("a string holding keywords, comment markers or escaped quotes stays one string", () => {
    fc.assert(
      fc.property(inner, (s) => {
        const line = `deny tool x because "${s}" when true`;
        const tokens = tokenize(line)[0]!;
        const open = line.indexOf('"');
        const close = line.lastIndexOf('"');
        for (const t of tokens) {
          const inside = t.start >= open && t.start <= close;
          expect(has(t, "string.quoted.double"), `${JSON.stringify(t.text)} in ${line}`).toBe(inside);
        }
        expect(has(at([tokens], 0, close + 2), "keyword.control.conditional")).toBe(true);
      }),
    );
  });

  it("a line or block comment holding keywords stays one comment", () => {
    fc.assert(
      fc.property(inner.filter((s) => !s.includes("*/")), inner.filter((s) => !s.includes("*/")), (a, b) => {
        const lines = tokenize(`role x { // ${a}\n/* ${a}\n${b} */ allow tool y }`);
        for (const t of lines[0]!.filter((t) => t.start >= 9)) expect(has(t, "comment.line"), t.text).toBe(true);
        for (const t of lines[1]!) expect(has(t, "comment.block"), t.text).toBe(true);
        const last = lines[2]!;
        const end = `${b} */`.length;
        for (const t of last) expect(has(t, "comment.block"), t.text).toBe(t.start < end);
        expect(has(at(lines, 2, end + 1), "keyword.control.effect")).toBe(true);
      }),
    );
  });

  it("covers any text: tokens tile each line, and every non-blank token has a scope beyond the root", () => {
    const piece = fc.oneof(fc.constantFrom(...words, "\n", '"', "re\"", "*/", "...", "??", "?:", "-", "a-b", ".x"), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }).map((ps) => ps.join("")), (text) => {
        const src = text.split(/\r?\n/);
        tokenize(text).forEach((tokens, i) => {
          expect(tokens.map((t) => t.text).join("")).toBe(src[i]);
          for (const t of tokens) if (t.text.trim() !== "") expect(t.scopes.length, JSON.stringify(t)).toBeGreaterThan(1);
        });
      }),
    );
  });

  it("marks escapes, regex literals and the mistakes the lexer reports", () => {
    const [l] = tokenize(String.raw`deny tool x when args.p matches re"\d+\"" and args.q == "a\"b\u0041\q" && 'x'`);
    const scoped = (text: string) => l!.filter((t) => t.text === text).map((t) => t.scopes.slice(1).join(" "));
    expect(scoped(String.raw`\"`)).toEqual(["string.regexp.mcppolicy constant.character.escape.mcppolicy", "string.quoted.double.mcppolicy constant.character.escape.mcppolicy"]);
    expect(scoped(String.raw`\u0041`)).toEqual(["string.quoted.double.mcppolicy constant.character.escape.mcppolicy"]);
    expect(scoped(String.raw`\q`)).toEqual(["string.quoted.double.mcppolicy invalid.illegal.unrecognized-escape.mcppolicy"]);
    expect(scoped("re")).toEqual(["string.regexp.mcppolicy storage.type.string.regexp.mcppolicy"]);
    expect(scoped("&&")).toEqual(["invalid.illegal.mistake.mcppolicy"]);
    expect(scoped("'x'")).toEqual(["invalid.illegal.single-quoted.mcppolicy"]);
  });

  it("names declarations, rule ids, builtins and units", () => {
    const text = [
      'set nets: cidr = ["10.0.0.0/8"]',
      "role dev includes base { allow \"dev-reads\" tool read_file }",
      'tool fetch { args { url: url(schemes: ["https"]), n?: integer(min: 1) } limit calls 5 per 10 minutes by session }',
      "deny tool send when after completed tool fetch within 1 hour",
    ].join("\n");
    const lines = tokenize(text);
    const scopeOf = (line: number, text: string) => lines[line]!.find((t) => t.text === text)?.scopes.slice(1).join(" ");
    expect(scopeOf(0, "nets")).toBe("entity.name.type.set.mcppolicy");
    expect(scopeOf(1, "dev")).toBe("entity.name.type.role.mcppolicy");
    expect(scopeOf(1, "dev-reads")).toBe("entity.name.label.rule.mcppolicy string.quoted.double.mcppolicy");
    expect(scopeOf(2, "fetch")).toBe("entity.name.function.tool.mcppolicy");
    expect(scopeOf(2, "url")).toBe("variable.other.property.field.mcppolicy");
    expect(lines[2]!.filter((t) => t.text === "url").map((t) => t.scopes.at(-1))).toEqual(["variable.other.property.field.mcppolicy", "support.function.builtin.mcppolicy"]);
    expect(scopeOf(2, "integer")).toBe("support.function.builtin.mcppolicy");
    expect(scopeOf(2, "minutes")).toBe("keyword.other.unit.mcppolicy");
    expect(scopeOf(3, "completed")).toBe("keyword.other.event-kind.mcppolicy");
    expect(scopeOf(3, "hour")).toBe("keyword.other.unit.mcppolicy");
  });
});

describe("README.md", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/^```([^\n`]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!.trim(), body: m[2]!, line: readme.slice(0, m.index).split("\n").length }));

  it("fences every policy block as mcppolicy", () => {
    const policies = blocks.filter((b) => b.lang === "mcppolicy");
    expect(policies.length).toBeGreaterThan(0);
    for (const b of blocks.filter((b) => b.lang === "" || b.lang === "text")) {
      const parsed = parsePolicy(b.body, "README.md");
      const isPolicy = parsed.diagnostics.length === 0 && parseConcrete(b.body, "README.md").tokens.length > 0;
      expect(isPolicy, `README.md:${b.line}: a policy fenced \`\`\`${b.lang}`).toBe(false);
    }
  });

  it("highlights the ```mcppolicy blocks through the Markdown injection, and nothing else", async () => {
    const md = await markdown();
    const lines = md(readme);
    const src = readme.split("\n");
    let inBlock = false;
    let blockLines = 0;
    src.forEach((line, i) => {
      const fence = /^```/.test(line);
      const content = inBlock && !fence;
      if (fence) inBlock = !inBlock && line.trim() === "```mcppolicy";
      const tokens = lines[i]!.filter((t) => t.text.trim() !== "");
      for (const t of tokens) {
        const where = `README.md:${i + 1}: \`${t.text}\` -> ${t.scopes.join(" ")}`;
        expect(t.scopes.includes("meta.embedded.block.mcppolicy"), where).toBe(content);
        if (content) {
          // The embedded grammar's own scopes (vscode-textmate does not repeat source.mcppolicy inside).
          expect(t.scopes.some((s) => s.endsWith(".mcppolicy") && s !== "meta.embedded.block.mcppolicy"), where).toBe(true);
          expect(t.scopes.some((s) => s.startsWith("invalid.")), where).toBe(false);
        }
      }
      if (content && tokens.length > 0) blockLines++;
    });
    expect(blockLines).toBeGreaterThan(20);
  });
});
