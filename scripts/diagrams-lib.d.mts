/** Types for scripts/diagrams-lib.mjs (imported by test/grammar-diagrams.test.ts). */
export declare const DIAGRAMS_HTML_PATH: string;
export declare const GRAMMAR_TEXT_PATH: string;
export declare function renderDiagramsHtml(): string;
export declare function renderGrammarText(): string;
