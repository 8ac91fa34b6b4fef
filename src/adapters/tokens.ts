/**
 * Token counts for `limit tokens` budgets on real MCP traffic: the tokens of a call's arguments (input) and
 * of its result (output), with gpt-tokenizer (pure JS, BPE ranks bundled in the package: no download).
 *
 * Guarantees:
 * - `tokenCounter(name)` refuses an unknown encoding with a TypeError naming the allowed ones (the CLI passes
 *   user input). It loads nothing: the chosen encoding's ranks are loaded synchronously on the first count (or
 *   `load()`), and only that encoding (cold load measured on this machine: o200k_base ~310 ms, cl100k_base
 *   ~170 ms, p50k_base/r50k_base ~90 ms; a host that cares about first-call latency calls `load()` at start).
 * - Counts equal gpt-tokenizer's `encode(text).length` for texts up to the work bound (special-token text
 *   such as `<|endoftext|>` is counted as ordinary text, never refused); texts are cut into pieces at
 *   count-preserving points (tokens-chunk.ts), so one long pre-token cannot take seconds.
 * - Bounded work: each count (one `count`, `countArguments` or `countResult` call) tokenizes at most
 *   `maxExactBytes` UTF-8 bytes (default 1 MiB; ~0.1-3 s/MiB here depending on the text); text past that is
 *   charged its UTF-8 byte length, an upper bound (every token covers at least one byte), so a budget is
 *   over-charged, never under-charged (fail closed).
 * - Never throws on any value: see tokens-json.ts (cycles, throwing getters) and tokens-result.ts (which
 *   parts of a result count; images, audio and blobs count 0). Results are finite integers >= 0.
 */
import { createRequire } from "node:module";
import { forEachPiece } from "./tokens-chunk.js";
import { jsonText } from "./tokens-json.js";
import { countResultParts, type TextSink } from "./tokens-result.js";

export type TokenEncoding = "o200k_base" | "cl100k_base" | "p50k_base" | "r50k_base";
export const TOKEN_ENCODINGS: readonly TokenEncoding[] = Object.freeze(["o200k_base", "cl100k_base", "p50k_base", "r50k_base"]);
export const DEFAULT_MAX_EXACT_BYTES = 1024 * 1024;

export interface TokenCounter {
  readonly encoding: TokenEncoding;
  /** Loads the encoding's ranks now (otherwise the first count does). */
  load(): void;
  count(text: string): number;
  countArguments(args: unknown): number;
  countResult(result: unknown): number;
}

interface Encoder {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
}

const requireCjs = createRequire(import.meta.url);
/** Static specifiers, one per encoding: the only modules this file ever loads. */
const LOADERS: Readonly<Record<TokenEncoding, () => Encoder>> = {
  o200k_base: () => requireCjs("gpt-tokenizer/encoding/o200k_base") as Encoder,
  cl100k_base: () => requireCjs("gpt-tokenizer/encoding/cl100k_base") as Encoder,
  p50k_base: () => requireCjs("gpt-tokenizer/encoding/p50k_base") as Encoder,
  r50k_base: () => requireCjs("gpt-tokenizer/encoding/r50k_base") as Encoder,
};

/** Special tokens are ordinary text here: no set is disallowed (gpt-tokenizer would throw). */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

export function isTokenEncoding(name: unknown): name is TokenEncoding {
  return typeof name === "string" && Object.hasOwn(LOADERS, name);
}

export function tokenCounter(encoding: TokenEncoding = "o200k_base", options: { maxExactBytes?: number } = {}): TokenCounter {
  if (!isTokenEncoding(encoding)) {
    throw new TypeError(`unknown token encoding \`${String(encoding)}\`; expected one of ${TOKEN_ENCODINGS.join(", ")}`);
  }
  const maxExactBytes = options.maxExactBytes ?? DEFAULT_MAX_EXACT_BYTES;
  if (!Number.isSafeInteger(maxExactBytes) || maxExactBytes < 0) throw new TypeError("maxExactBytes must be an integer >= 0");
  let encoder: Encoder | undefined;
  const load = (): Encoder => (encoder ??= LOADERS[encoding]());

  /** One count: a shared byte budget across every text it sees. */
  const tally = (): TextSink & { total: number } => {
    let left = maxExactBytes;
    const t = {
      total: 0,
      text(s: string): void {
        if (typeof s !== "string" || s.length === 0) return;
        const enc = load();
        let done = 0;
        forEachPiece(s, 0, (start, end) => {
          const piece = s.slice(start, end);
          const bytes = Buffer.byteLength(piece, "utf8");
          if (bytes > left) return false;
          left -= bytes;
          t.total += enc.countTokens(piece, AS_TEXT);
          done = end;
          return true;
        });
        if (done < s.length) t.total += Buffer.byteLength(done === 0 ? s : s.slice(done), "utf8");
      },
      json(v: unknown, omitBinary = false): void {
        const { text, overflowBytes } = jsonText(v, omitBinary);
        t.text(text);
        t.total += overflowBytes;
      },
    };
    return t;
  };

  const run = (f: (t: TextSink) => void): number => {
    load(); // a missing encoding module is the host's fault, not the value's: this one throws
    const t = tally();
    try {
      f(t);
    } catch {
      // Unreachable by design (every read is guarded); what was counted stands.
    }
    return Number.isSafeInteger(t.total) && t.total >= 0 ? t.total : Number.MAX_SAFE_INTEGER;
  };

  return {
    encoding,
    load: () => void load(),
    count: (text) => run((t) => (typeof text === "string" ? t.text(text) : t.json(text))),
    countArguments: (args) => (args === undefined ? 0 : run((t) => t.json(args))),
    countResult: (result) => run((t) => countResultParts(result, t)),
  };
}
