/**
 * Generators for the grammar documents in `grammar/`, both derived from the built parser
 * (`dist/syntax/parser.js`, so run the build first):
 *
 * - `grammar/diagrams.html`: chevrotain's syntax diagrams, made self-contained. chevrotain's
 *   `createSyntaxDiagramsCode` links its renderer scripts and stylesheet from a CDN; here they are
 *   inlined from the copies chevrotain ships in `node_modules/chevrotain/diagrams/`, so the page
 *   needs no network.
 * - `grammar/grammar.txt`: a plain-text EBNF-style rendering of every rule, one line per rule.
 *
 * Both outputs depend only on the parser and the installed chevrotain, so they are deterministic;
 * `test/grammar-diagrams.test.ts` checks that the committed files are current.
 */
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyntaxDiagramsCode } from "chevrotain";
import { policyParser } from "../dist/syntax/parser.js";
import { allTokens } from "../dist/syntax/tokens.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the committed outputs live. */
export const DIAGRAMS_HTML_PATH = join(repoRoot, "grammar", "diagrams.html");
export const GRAMMAR_TEXT_PATH = join(repoRoot, "grammar", "grammar.txt");

/** The `diagrams/` folder of the chevrotain package the parser is built with. */
function chevrotainDiagramsDir() {
  const require = createRequire(join(repoRoot, "dist", "syntax", "parser.js"));
  let dir = dirname(require.resolve("chevrotain"));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "chevrotain") break;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the chevrotain package root");
    dir = up;
  }
  const diagrams = join(dir, "diagrams");
  if (!existsSync(join(diagrams, "vendor", "railroad-diagrams.js"))) {
    throw new Error(`chevrotain does not ship its diagram renderer at ${diagrams}`);
  }
  return diagrams;
}

function readShipped(dir, relative) {
  const full = resolve(dir, relative);
  if (!full.startsWith(dir + sep)) throw new Error(`refusing to inline ${relative}: outside ${dir}`);
  return readFileSync(full, "utf8").replace(/\r\n/g, "\n");
}

function serializedGrammar() {
  return policyParser().getSerializedGastProductions();
}

// Placeholders handed to createSyntaxDiagramsCode in place of the CDN addresses, then replaced by
// the inlined files. Nothing in the output may still refer to them.
const RESOURCE_BASE = "@@chevrotain-diagrams@@/";
const CSS = "@@chevrotain-diagrams-css@@";

/** `grammar/diagrams.html`, self-contained: no external scripts, stylesheets or fonts. */
export function renderDiagramsHtml() {
  const grammar = serializedGrammar();
  const dir = chevrotainDiagramsDir();
  let html = createSyntaxDiagramsCode(grammar, { resourceBase: RESOURCE_BASE, css: CSS });
  html = html.replace(/\r\n/g, "\n");

  const replaceOnce = (from, to) => {
    const at = html.indexOf(from);
    if (at < 0 || html.indexOf(from, at + from.length) >= 0) {
      throw new Error(`createSyntaxDiagramsCode output changed shape: expected exactly one ${JSON.stringify(from.slice(0, 60))}`);
    }
    html = html.slice(0, at) + to + html.slice(at + from.length);
  };

  // The stylesheet link -> an inline <style>.
  const css = readShipped(dir, "diagrams.css");
  if (/<\/style/i.test(css)) throw new Error("diagrams.css cannot be inlined: it contains </style");
  replaceOnce(`<link rel='stylesheet' href='${CSS}'>`, `<style>\n/* chevrotain/diagrams/diagrams.css */\n${css.trimEnd()}\n</style>`);

  // Each <script src=...> -> an inline <script> with that file's text.
  const scriptTag = /<script src='([^']*)'><\/script>/g;
  html = html.replace(scriptTag, (tag, src) => {
    if (!src.startsWith(RESOURCE_BASE)) throw new Error(`unexpected external script ${src}`);
    const relative = src.slice(RESOURCE_BASE.length);
    const code = readShipped(dir, relative);
    if (/<\/script|<!--/i.test(code)) throw new Error(`${relative} cannot be inlined: it contains </script or <!--`);
    return `<script>\n/* chevrotain/diagrams/${relative} */\n${code.trimEnd()}\n</script>`;
  });

  // The grammar is embedded as JSON inside a <script>; keep `<` out of it so no token label or
  // pattern can close the element early. `\u003c` is the same string once the script runs.
  const json = JSON.stringify(grammar, null, "  ");
  replaceOnce(json, json.replace(/</g, "\\u003c"));

  replaceOnce("<!-- This is a generated file -->", "<!-- This is a generated file: run `npm run diagrams` (scripts/gen-diagrams.mjs). Do not edit. -->");
  replaceOnce('<meta charset="utf-8">', '<meta charset="utf-8">\n<title>mcppolicy grammar: syntax diagrams</title>');

  if (html.includes(RESOURCE_BASE) || html.includes(CSS)) throw new Error("a chevrotain resource was left un-inlined");
  if (/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=/i.test(html)) {
    throw new Error("the diagrams page still refers to an external resource");
  }
  return html.endsWith("\n") ? html : html + "\n";
}

// ---------------------------------------------------------------------------------------------
// Plain-text grammar

/** A terminal as written in the grammar: a keyword or punctuation as a quoted literal, else its token name. */
function terminal(prod) {
  const m = /^`(.+)`$/.exec(prod.label ?? "");
  if (m) return JSON.stringify(m[1]);
  return prod.name;
}

function seq(defs) {
  return defs.map(item).filter((s) => s.length > 0).join(" ");
}

function alternatives(prod) {
  return prod.definition.map((alt) => {
    const body = seq(alt.type === "Alternative" ? alt.definition : [alt]);
    return body.length > 0 ? body : "(* empty *)";
  });
}

function item(prod) {
  switch (prod.type) {
    case "Terminal":
      return terminal(prod);
    case "NonTerminal":
      return prod.name;
    case "Alternative":
      return seq(prod.definition);
    case "Option":
      return `[ ${seq(prod.definition)} ]`;
    case "Repetition":
      return `{ ${seq(prod.definition)} }`;
    case "RepetitionMandatory":
      return `{ ${seq(prod.definition)} }+`;
    case "RepetitionWithSeparator": {
      const body = seq(prod.definition);
      return `[ ${body} { ${terminal(prod.separator)} ${body} } ]`;
    }
    case "RepetitionMandatoryWithSeparator": {
      const body = seq(prod.definition);
      return `${body} { ${terminal(prod.separator)} ${body} }`;
    }
    case "Alternation":
      return `( ${alternatives(prod).join(" | ")} )`;
    default:
      throw new Error(`unknown GAST production type ${prod.type}`);
  }
}

function ruleBody(rule) {
  const defs = rule.definition;
  // A rule that is one choice reads better without the outer parentheses.
  if (defs.length === 1 && defs[0].type === "Alternation") return alternatives(defs[0]).join(" | ");
  const body = seq(defs);
  return body.length > 0 ? body : "(* empty *)";
}

function collectTerminals(prod, into) {
  if (prod.type === "Terminal") {
    if (!into.has(prod.name)) into.set(prod.name, prod);
    return;
  }
  if (prod.separator) collectTerminals(prod.separator, into);
  for (const d of prod.definition ?? []) collectTerminals(d, into);
}

/** `grammar/grammar.txt`: every rule as `name ::= ...`, then the token classes the rules use. */
export function renderGrammarText() {
  const rules = serializedGrammar();
  const lines = [
    "# The .mcppolicy grammar, generated from the parser (src/syntax/parser.ts) by",
    "# scripts/gen-diagrams.mjs: do not edit, run `npm run diagrams`. Diagrams: diagrams.html.",
    "#",
    '# Notation: "x" a keyword or punctuation; [ a ] optional; { a } zero or more; { a }+ one or more;',
    "# ( a | b ) a choice; lowerCamel names are rules; UpperCamel names are token classes (listed last).",
    "",
  ];
  for (const rule of rules) lines.push(`${rule.name} ::= ${ruleBody(rule)}`);

  const used = new Map();
  for (const rule of rules) collectTerminals(rule, used);
  const classes = [...used.values()].filter((t) => !/^`.+`$/.test(t.label ?? "")).sort((a, b) => a.name.localeCompare(b.name, "en"));
  if (classes.length > 0) {
    lines.push("", "# Token classes");
    for (const t of classes) {
      const members = allTokens.filter((tt) => (tt.CATEGORIES ?? []).some((c) => c.name === t.name));
      // A class with a pattern of its own (Identifier, which the soft keyword `mode` also belongs to) lists it first.
      const own = t.pattern && !/NOT_APPLICABLE/.test(String(t.pattern)) ? [`/${t.pattern}/`] : [];
      const body = [...own, ...members.map((m) => terminal({ name: m.name, label: m.LABEL }))].join(" | ");
      const label = t.label && t.label !== t.name ? `  # ${t.label}` : "";
      lines.push(`${t.name} ::= ${body}${label}`);
    }
  }
  return lines.join("\n") + "\n";
}
