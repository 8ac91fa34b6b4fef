#!/usr/bin/env node
/**
 * Regenerate grammar/diagrams.html (self-contained syntax diagrams) and grammar/grammar.txt (the
 * grammar as plain text) from the built parser. Run `npm run build` first; `npm run diagrams`.
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { DIAGRAMS_HTML_PATH, GRAMMAR_TEXT_PATH, renderDiagramsHtml, renderGrammarText } from "./diagrams-lib.mjs";

for (const [path, render] of [
  [DIAGRAMS_HTML_PATH, renderDiagramsHtml],
  [GRAMMAR_TEXT_PATH, renderGrammarText],
]) {
  const text = render();
  writeFileSync(path, text);
  console.log(`wrote ${relative(process.cwd(), path)} (${text.length} characters)`);
}
