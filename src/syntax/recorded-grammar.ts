/**
 * The parser's recorded grammar (chevrotain's GAST: what `performSelfAnalysis` learns by running every
 * rule once in "recording mode", a fifth of a cold `check`) as plain data, and back.
 * GUARANTEES:
 * - `grammarRecord(rules)` is a JSON value that names every node's kind, its own fields (occurrence
 *   index, label, lookahead and ambiguity settings) and token types by name; `rulesFromRecord` rebuilds
 *   nodes that `grammarRecord` writes the same (round trip), each a fresh object (a parser may mutate
 *   its GAST: `referencedRule` is resolved in place).
 * - A record that names an unknown kind or token type is refused (undefined): the caller records the
 *   grammar itself. The shipped record (recorded-grammar-data.ts) is checked against a fresh recording of
 *   the parser by test/grammar-validation.test.ts, so a grammar edit without `npm run gen:grammar-record`
 *   fails CI instead of parsing with a stale grammar.
 */
import type { TokenType } from "chevrotain";
import { Alternation, Alternative, NonTerminal, Option, Repetition, RepetitionMandatory, RepetitionMandatoryWithSeparator, RepetitionWithSeparator, Rule, Terminal } from "./chevrotain.js";

/** A node of the record: its kind, its own fields, token types by name, and its children (`d`). */
export interface RecordNode {
  readonly k: string;
  readonly f?: Record<string, string | number | boolean>;
  readonly tok?: Record<string, string>;
  readonly d?: readonly RecordNode[];
}

type Ctor = new (options: Record<string, unknown>) => object;
const KINDS: readonly (readonly [string, Ctor])[] = [
  ["Rule", Rule as unknown as Ctor],
  ["Terminal", Terminal as unknown as Ctor],
  ["NonTerminal", NonTerminal as unknown as Ctor],
  ["Alternation", Alternation as unknown as Ctor],
  ["Alternative", Alternative as unknown as Ctor],
  ["Option", Option as unknown as Ctor],
  ["Repetition", Repetition as unknown as Ctor],
  ["RepetitionMandatory", RepetitionMandatory as unknown as Ctor],
  ["RepetitionWithSeparator", RepetitionWithSeparator as unknown as Ctor],
  ["RepetitionMandatoryWithSeparator", RepetitionMandatoryWithSeparator as unknown as Ctor],
];
const BY_NAME = new Map(KINDS);

function recordOf(node: object): RecordNode {
  const kind = KINDS.find(([, c]) => node.constructor === c)?.[0];
  if (kind === undefined) throw new Error(`grammar record: a node of unknown kind (${node.constructor.name})`);
  const f: Record<string, string | number | boolean> = {};
  const tok: Record<string, string> = {};
  let d: RecordNode[] | undefined;
  for (const [key, v] of Object.entries(node)) {
    if (key === "_definition") {
      if (kind !== "NonTerminal") d = (v as object[]).map(recordOf);
    } else if (key === "referencedRule") {
      // resolved by the parser from `nonTerminalName`
    } else if (key === "terminalType" || key === "separator") tok[key] = (v as TokenType).name;
    else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") f[key] = v;
    else if (v !== undefined) throw new Error(`grammar record: field \`${key}\` of a ${kind} is not a plain value`);
  }
  return { k: kind, ...(Object.keys(f).length > 0 ? { f } : {}), ...(Object.keys(tok).length > 0 ? { tok } : {}), ...(d !== undefined ? { d } : {}) };
}

/** The record of a parser's recorded rules (`parser.getGAstProductions()`), in rule order. */
export function grammarRecord(rules: Record<string, object>): RecordNode[] {
  return Object.values(rules).map(recordOf);
}

/**
 * A node rebuilt: an object of the kind's class with the recorded own fields, in the order its
 * constructor gives them (`_definition` first). Not through the constructor: chevrotain's copies its
 * options through lodash, which costs more than the rest of the rebuild.
 */
function nodeOf(r: RecordNode, tokens: ReadonlyMap<string, TokenType>): object | undefined {
  const C = BY_NAME.get(r.k);
  if (C === undefined) return undefined;
  const node = Object.create(C.prototype as object) as Record<string, unknown>;
  if (r.k !== "Terminal") {
    const d: object[] = [];
    for (const c of r.d ?? []) {
      const n = nodeOf(c, tokens);
      if (n === undefined) return undefined;
      d.push(n);
    }
    node._definition = d;
  }
  if (r.f !== undefined) Object.assign(node, r.f);
  if (r.tok !== undefined) {
    for (const key of Object.keys(r.tok)) {
      const t = tokens.get(r.tok[key]!);
      if (t === undefined) return undefined;
      node[key] = t;
    }
  }
  return node;
}

/** The rules of a record by name, fresh objects, or undefined when the record names what `tokens` lacks. */
export function rulesFromRecord(record: readonly RecordNode[], tokens: readonly TokenType[]): Map<string, object> | undefined {
  const byName = new Map(tokens.map((t) => [t.name, t]));
  const out = new Map<string, object>();
  for (const r of record) {
    const name = r.f?.name;
    if (r.k !== "Rule" || typeof name !== "string") return undefined;
    const rule = nodeOf(r, byName);
    if (rule === undefined) return undefined;
    out.set(name, rule);
  }
  return out;
}
