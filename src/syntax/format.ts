/**
 * The formatter behind `mcppolicy fmt`: policy text -> the same policy in the one canonical layout.
 * It works on the lexer's tokens, with the comments and line breaks found in the gaps between them, and
 * reads the CST only to learn the structure (where a declaration or block item starts, which braces
 * hold blocks, which parentheses are calls):
 * - every declaration and block item starts a line; a non-empty block's `{` ends its line and its `}`
 *   stands on a line of its own; an empty block is `{}`;
 * - two spaces of indentation per open block, bracket or parenthesis (counted from the line that
 *   opened it); a line that continues a declaration or item is indented two more, and a line that
 *   continues a clause begun on a line of its own (`when`, `unless`, `because`) two more again;
 * - one space between tokens, none before `,` `:` `?` `.` `)` `]`, after `(` `[` `.`, or before a
 *   call's `(` (`integer(min: 0)`, `time.in("UTC")`) and an index's `[` (`args["x"]`);
 * - the author's other line breaks are kept (long lines are left as written: breaking them is not
 *   attempted), blank lines collapse to one and none follow a `{`, `[`, `(` or precede a closer;
 * - comments stay where they were: a comment on its own line is indented like the code it precedes,
 *   a trailing `//` comment keeps its distance from the code (so aligned comments stay aligned);
 *   trailing spaces are removed, block comments are kept verbatim (their line ends normalised);
 * - no trailing spaces, `\n` line ends, one final newline (an empty file stays empty).
 * GUARANTEES: formatPolicy throws only when its own check below fails (a bug, never a user error). It refuses (returns the diagnostics) a text with
 * an error diagnostic from the parse. Otherwise the result has exactly the original's tokens and
 * comments in order (`significant` is unchanged; checked on every call before the text is returned)
 * and formatting it again changes nothing.
 */
import type { CstNode, IToken } from "chevrotain";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { AstBuilder } from "./cst-to-ast.js";
import { parseConcrete } from "./parse.js";
import * as T from "./tokens.js";

export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

type Piece =
  | { kind: "code"; token: IToken; text: string; start: number; breaks: number; gap: number }
  | { kind: "line" | "block"; text: string; start: number; breaks: number; gap: number };

/** What the CST says about the layout, by token start offset. */
interface Structure {
  itemStarts: Set<number>;
  blockOpens: Set<number>;
  blockCloses: Set<number>;
  /** `(` of a call and `[` of an index: no space before them. */
  attached: Set<number>;
}

const OPENERS = new Set([T.LBrace, T.LBracket, T.LParen]);
const CLOSERS = new Set([T.RBrace, T.RBracket, T.RParen]);
const NO_SPACE_BEFORE = new Set([T.Comma, T.Colon, T.Question, T.Dot, T.RParen, T.RBracket]);
const NO_SPACE_AFTER = new Set([T.LParen, T.LBracket, T.Dot]);

/** The nodes whose children are block items (statements), and the child keys that hold them. */
const BLOCK_ITEMS: Readonly<Record<string, readonly string[]>> = {
  policyFile: ["header", "declaration"],
  roleDecl: ["memberDecl", "rule", "limitDecl"],
  toolDecl: ["riskDecl", "approvalDecl", "argsDecl", "limitDecl"],
  serverDecl: ["rule", "toolDecl", "limitDecl"],
  resultDecl: ["items"],
  auditDecl: ["Redact"],
};

const isNode = (x: CstNode | IToken): x is CstNode => "children" in x;
const startOf = (x: CstNode | IToken): number => (isNode(x) ? x.location!.startOffset : x.startOffset);

function structureOf(root: CstNode): Structure {
  const s: Structure = { itemStarts: new Set(), blockOpens: new Set(), blockCloses: new Set(), attached: new Set() };
  const stack: CstNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const items = BLOCK_ITEMS[node.name];
    if (items) {
      for (const key of items) for (const child of node.children[key] ?? []) s.itemStarts.add(startOf(child));
      for (const t of (node.children.LBrace ?? []) as IToken[]) s.blockOpens.add(t.startOffset);
      for (const t of (node.children.RBrace ?? []) as IToken[]) s.blockCloses.add(t.startOffset);
    }
    if (node.name === "typeAtom" || node.name === "path") for (const t of (node.children.LParen ?? []) as IToken[]) s.attached.add(t.startOffset);
    if (node.name === "path" || node.name === "limitKey") for (const t of (node.children.LBracket ?? []) as IToken[]) s.attached.add(t.startOffset);
    for (const children of Object.values(node.children)) for (const c of children) if (isNode(c)) stack.push(c);
  }
  return s;
}

/** Line breaks in a stretch of whitespace (`\r\n`, `\n` and a lone `\r` each count once). */
function countBreaks(ws: string): number {
  let n = 0;
  for (let i = 0; i < ws.length; i++) {
    if (ws[i] === "\n" || (ws[i] === "\r" && ws[i + 1] !== "\n")) n++;
  }
  return n;
}

/**
 * The text as pieces: tokens and the comments between them, each with the line breaks before it and the
 * width of the whitespace before it (on its line). The gaps between the parser's tokens hold only
 * whitespace and comments once the lexer reported no error.
 */
function piecesOf(text: string, tokens: readonly IToken[]): Piece[] {
  const pieces: Piece[] = [];
  let pos = 0;
  let ws = "";
  const gapOf = (w: string) => w.length - Math.max(w.lastIndexOf("\n"), w.lastIndexOf("\r")) - 1;
  const scanGap = (end: number) => {
    while (pos < end) {
      if (text.startsWith("//", pos)) {
        let e = pos;
        while (e < end && text[e] !== "\n" && text[e] !== "\r") e++;
        pieces.push({ kind: "line", text: text.slice(pos, e).trimEnd(), start: pos, breaks: countBreaks(ws), gap: gapOf(ws) });
        ws = "";
        pos = e;
      } else if (text.startsWith("/*", pos)) {
        const close = text.indexOf("*/", pos + 2);
        const e = close < 0 || close + 2 > end ? end : close + 2;
        pieces.push({ kind: "block", text: text.slice(pos, e).replace(/\r\n?/g, "\n"), start: pos, breaks: countBreaks(ws), gap: gapOf(ws) });
        ws = "";
        pos = e;
      } else {
        ws += text[pos];
        pos++;
      }
    }
  };
  for (const token of tokens) {
    scanGap(token.startOffset);
    pieces.push({ kind: "code", token, text: token.image, start: token.startOffset, breaks: countBreaks(ws), gap: gapOf(ws) });
    ws = "";
    pos = token.startOffset + token.image.length;
  }
  scanGap(text.length);
  return pieces;
}

/** The parse of a text with no error, or its diagnostics. */
function parseClean(text: string, file: string): { tokens: IToken[]; cst: CstNode } | { diagnostics: Diagnostic[] } {
  const parsed = parseConcrete(text, file);
  if (parsed.cst === undefined || hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  const builder = new AstBuilder(file);
  builder.file_(parsed.cst);
  if (hasErrors(builder.diagnostics)) return { diagnostics: [...parsed.diagnostics, ...builder.diagnostics] };
  return { tokens: parsed.tokens, cst: parsed.cst };
}

/**
 * What formatting must keep: every token's text and every comment's (trailing spaces and line ends
 * aside), in order. Undefined for a text with errors.
 */
export function significant(text: string, file = "policy.mcppolicy"): string[] | undefined {
  const parsed = parseClean(text, file);
  if ("diagnostics" in parsed) return undefined;
  return piecesOf(text, parsed.tokens).map((p) => (p.kind === "code" ? p.text : p.text.replace(/\r\n?/g, "\n").trimEnd()));
}

function spaceBetween(a: IToken, b: IToken, s: Structure): string {
  if (NO_SPACE_BEFORE.has(b.tokenType) || NO_SPACE_AFTER.has(a.tokenType)) return "";
  if (s.attached.has(b.startOffset)) return "";
  if (a.tokenType === T.LBrace && b.tokenType === T.RBrace) return "";
  return " ";
}

interface Frame {
  readonly block: boolean;
  /** The indentation of the line that opened the frame. */
  readonly base: number;
  /** Block frames: the current item has a line that starts with a clause word (`when`, `unless`, `because`). */
  clause: boolean;
}

/** Words that start a rule's clause: a line starting with one is indented once; the lines continuing it, twice. */
const CLAUSES = new Set([T.When, T.Unless, T.Because]);

function layout(pieces: readonly Piece[], s: Structure): string {
  const out: string[] = [];
  const stack: Frame[] = [{ block: true, base: -2, clause: false }];
  let line = "";
  let prev: Piece | undefined;
  let prevCode: IToken | undefined;
  let lineIndent = 0;
  let codeOnLine = false;
  const nextCode = (i: number): IToken | undefined => {
    for (let j = i; j < pieces.length; j++) {
      const p = pieces[j]!;
      if (p.kind === "code") return p.token;
    }
    return undefined;
  };
  /** The indentation of a line whose first code token is `t` (undefined: the end of the file). */
  const indentFor = (t: IToken | undefined, comment: boolean): number => {
    const top = stack[stack.length - 1]!;
    if (t !== undefined && CLOSERS.has(t.tokenType)) return comment ? top.base + 2 : top.base;
    if (!top.block) return top.base + 2;
    if (t === undefined || s.itemStarts.has(t.startOffset)) return top.base + 2;
    return top.base + (CLAUSES.has(t.tokenType) || !top.clause ? 4 : 6);
  };
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    let breaks = Math.min(p.breaks, 2);
    if (p.kind === "code") {
      const t = p.token;
      const emptyBlockClose = s.blockCloses.has(t.startOffset) && prev?.kind === "code" && prevCode !== undefined && s.blockOpens.has(prevCode.startOffset);
      if (emptyBlockClose) breaks = 0;
      else if (s.itemStarts.has(t.startOffset) || s.blockCloses.has(t.startOffset)) breaks = Math.max(breaks, 1);
      else if (prevCode !== undefined && s.blockOpens.has(prevCode.startOffset)) breaks = Math.max(breaks, 1);
      if (CLOSERS.has(t.tokenType)) breaks = Math.min(breaks, 1);
    }
    if (prev === undefined) breaks = 0;
    else if (prev.kind === "line") breaks = Math.max(breaks, 1);
    else if (prev.kind === "code" && OPENERS.has(prev.token.tokenType)) breaks = Math.min(breaks, 1);
    if (prev !== undefined && breaks > 0) {
      out.push(line.trimEnd());
      if (breaks > 1) out.push("");
      line = "";
    }
    if (prev === undefined || breaks > 0) {
      lineIndent = p.kind === "code" ? indentFor(p.token, false) : indentFor(nextCode(i + 1), true);
      lineIndent = Math.max(0, lineIndent);
      line = " ".repeat(lineIndent);
      codeOnLine = false;
    } else if (p.kind === "line") {
      line += " ".repeat(Math.max(1, p.gap));
    } else if (p.kind === "block" || prev.kind === "block" || prev.kind === "line") {
      line += " ";
    } else if (p.kind === "code" && prev.kind === "code") {
      line += spaceBetween(prev.token, p.token, s);
    }
    line += p.text;
    if (p.kind === "code") {
      const t = p.token;
      const top = stack[stack.length - 1]!;
      if (!codeOnLine && top.block) {
        // The first code on a line (maybe after a comment) says whether a clause starts here.
        if (s.itemStarts.has(t.startOffset)) top.clause = false;
        else if (CLAUSES.has(t.tokenType)) top.clause = true;
      }
      codeOnLine = true;
      if (CLOSERS.has(t.tokenType) && stack.length > 1) stack.pop();
      if (OPENERS.has(t.tokenType)) stack.push({ block: s.blockOpens.has(t.startOffset), base: lineIndent, clause: false });
      prevCode = t;
    }
    prev = p;
  }
  if (prev !== undefined) out.push(line.trimEnd());
  return out.length === 0 ? "" : out.join("\n") + "\n";
}

/** Format one policy text (`file` names it in diagnostics). */
export function formatPolicy(text: string, file = "policy.mcppolicy"): FormatResult {
  const parsed = parseClean(text, file);
  if ("diagnostics" in parsed) return { ok: false, diagnostics: parsed.diagnostics };
  const pieces = piecesOf(text, parsed.tokens);
  if (pieces.length === 0) return { ok: true, text: "" };
  const formatted = layout(pieces, structureOf(parsed.cst));
  // INVARIANT: the formatted text has the original's tokens and comments, in order. A layout bug must
  // never reach a file: it is an internal error, reported before anything is written.
  const before = significant(text, file);
  const after = significant(formatted, file);
  if (after === undefined || JSON.stringify(before) !== JSON.stringify(after)) {
    throw new Error(`the formatter would change the tokens of ${file}; nothing was written`);
  }
  return { ok: true, text: formatted };
}
