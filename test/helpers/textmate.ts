/**
 * Loads the VS Code extension's TextMate grammars (editors/vscode/syntaxes) with the real engine VS Code
 * uses (vscode-textmate on vscode-oniguruma's WebAssembly build), and tokenizes text line by line.
 * `markdown()` adds a minimal host grammar for `text.html.markdown` (no rules of its own) so the
 * extension's injection grammar is exercised exactly as VS Code injects it into its Markdown grammar.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const require = createRequire(import.meta.url);
export const SYNTAXES = join(import.meta.dirname, "..", "..", "editors", "vscode", "syntaxes");
export const ROOT_SCOPE = "source.mcppolicy";
const INJECTION_SCOPE = "markdown.mcppolicy.codeblock";
const MARKDOWN_SCOPE = "text.html.markdown";

export interface Token {
  readonly line: number;
  /** Offset in the line (UTF-16). */
  readonly start: number;
  readonly text: string;
  /** Outermost first, the grammar's root scope included. */
  readonly scopes: readonly string[];
}

let onig: Promise<textmate.IOnigLib> | undefined;
function onigLib(): Promise<textmate.IOnigLib> {
  onig ??= (async () => {
    const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    return { createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) };
  })();
  return onig;
}

const FILES: Record<string, string> = {
  [ROOT_SCOPE]: "mcppolicy.tmLanguage.json",
  [INJECTION_SCOPE]: "mcppolicy.markdown.tmLanguage.json",
};

function registry(): textmate.Registry {
  return new textmate.Registry({
    onigLib: onigLib(),
    loadGrammar: async (scope) => {
      if (scope === MARKDOWN_SCOPE) return textmate.parseRawGrammar(JSON.stringify({ scopeName: MARKDOWN_SCOPE, patterns: [] }), "markdown.json");
      const file = FILES[scope];
      return file === undefined ? null : textmate.parseRawGrammar(readFileSync(join(SYNTAXES, file), "utf8"), join(SYNTAXES, file));
    },
    getInjections: (scope) => (scope === MARKDOWN_SCOPE ? [INJECTION_SCOPE] : undefined),
  });
}

export type Tokenize = (text: string) => Token[][];

function tokenizer(grammar: textmate.IGrammar): Tokenize {
  return (text) => {
    let state = textmate.INITIAL;
    return text.split(/\r?\n/).map((line, i) => {
      const r = grammar.tokenizeLine(line, state);
      state = r.ruleStack;
      return r.tokens.map((t) => ({ line: i, start: t.startIndex, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
    });
  };
}

export async function mcppolicy(): Promise<Tokenize> {
  const g = await registry().loadGrammar(ROOT_SCOPE);
  if (g === null) throw new Error("the mcppolicy grammar did not load");
  return tokenizer(g);
}

export async function markdown(): Promise<Tokenize> {
  const g = await registry().loadGrammar(MARKDOWN_SCOPE);
  if (g === null) throw new Error("the markdown host grammar did not load");
  return tokenizer(g);
}

/** The snapshot form: each source line, then one indented `text -> scopes` line per non-blank token (root scope and `.mcppolicy` suffixes left out). */
export function snapshot(text: string, lines: Token[][]): string {
  const src = text.split(/\r?\n/);
  const out: string[] = [];
  lines.forEach((tokens, i) => {
    out.push(src[i] ?? "");
    for (const t of tokens) {
      if (t.text.trim() === "") continue;
      out.push(`  ${JSON.stringify(t.text)} -> ${t.scopes.slice(1).map((s) => s.replace(/\.mcppolicy$/, "")).join(" ")}`);
    }
  });
  return out.join("\n") + "\n";
}
