/**
 * The committed grammar documents (grammar/diagrams.html, grammar/grammar.txt) are generated from the
 * parser; regenerate them in memory and check they match. Assumes dist/ is built (`npm test` builds).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DIAGRAMS_HTML_PATH, GRAMMAR_TEXT_PATH, renderDiagramsHtml, renderGrammarText } from "../scripts/diagrams-lib.mjs";

const STALE = "grammar diagrams are stale: run npm run diagrams";

function committed(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

describe("grammar diagrams", () => {
  it("grammar/diagrams.html is current", () => {
    expect(renderDiagramsHtml() === committed(DIAGRAMS_HTML_PATH), STALE).toBe(true);
  });

  it("grammar/grammar.txt is current", () => {
    const fresh = renderGrammarText();
    // Show the difference when stale, with the instruction as the message.
    expect(committed(GRAMMAR_TEXT_PATH), STALE).toBe(fresh);
  });

  it("the diagrams page is self-contained (needs no network)", () => {
    const html = renderDiagramsHtml();
    expect(html).not.toMatch(/<script[^>]*\bsrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toContain("unpkg.com");
    expect(html).toContain("drawDiagramsFromSerializedGrammar");
  });

  it("the text grammar has one line per parser rule", () => {
    const text = renderGrammarText();
    for (const rule of ["policyFile", "declaration", "roleDecl", "toolDecl", "expression", "comparison", "limitDecl"]) {
      expect(text).toMatch(new RegExp(`^${rule} ::= `, "m"));
    }
  });
});
