/**
 * A strict JSON parser for request payloads: `parseRequestJson(text)` returns what `JSON.parse(text)`
 * returns, or throws `RequestJsonError` (a SyntaxError with the position, line and column) where
 * JSON.parse would throw, and also where JSON.parse would silently keep the last of two equal keys.
 * Why: after JSON.parse, `{"path": "/ok", "path": "/etc/shadow"}` is just `{path: "/etc/shadow"}`, but a
 * tool server whose own parser keeps the first value sees another call than the one the policy decided.
 * GUARANTEES:
 *  - duplicate keys in any object, at any depth, are refused; keys are compared after unescaping, so
 *    `"a"` and `"\u0061"` are the same key, and `"__proto__"` is a key like any other;
 *  - on text without duplicates the value deep-equals JSON.parse's (every key an own data property,
 *    `"__proto__"` included; numbers through Number(), as JSON.parse reads them; lone surrogates kept);
 *  - bounded: at most `maxLength` UTF-16 units of text (default 8 Mi) and `maxDepth` nested objects or
 *    arrays (default 128, at most 1024, checked before going deeper), so no input can exhaust the stack
 *    (options that are not whole numbers in range throw a RangeError, as a NaN bound would be none; a
 *    stack overflow all the same is a RequestJsonError); never hangs (one pass, each character read a
 *    bounded number of times).
 */

export interface ParseRequestJsonOptions {
  /** Longest text accepted, in UTF-16 code units (`text.length`). Default 8 Mi (8,388,608). */
  maxLength?: number;
  /** Deepest nesting of objects and arrays accepted. Default 128, at most 1024 (else a RangeError). */
  maxDepth?: number;
}

export class RequestJsonError extends SyntaxError {
  /** 0-based offset in the text; `line` and `column` are 1-based. */
  readonly position: number;
  readonly line: number;
  readonly column: number;
  constructor(message: string, text: string, position: number) {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < position && i < text.length; i++) {
      if (text.charCodeAt(i) === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const column = position - lineStart + 1;
    super(`${message} at position ${position} (line ${line}, column ${column})`);
    this.name = "RequestJsonError";
    this.position = position;
    this.line = line;
    this.column = column;
  }
}

const DEFAULT_MAX_LENGTH = 8 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 128;
/** The deepest `maxDepth` a host may ask for: two stack frames a level stay far inside Node's default stack. */
const MAX_DEPTH_LIMIT = 1024;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Parse request JSON, refusing duplicate keys at any depth. Throws RequestJsonError (a SyntaxError). */
export function parseRequestJson(text: string, options: ParseRequestJsonOptions = {}): unknown {
  if (typeof text !== "string") throw new TypeError("parseRequestJson expects the JSON text as a string");
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  // A NaN or fractional bound would silently be no bound at all (`depth >= NaN` is never true).
  if (typeof maxLength !== "number" || !(maxLength >= 0) || (maxLength !== Infinity && !Number.isInteger(maxLength))) {
    throw new RangeError("parseRequestJson: `maxLength` must be a whole number of characters (0 or more)");
  }
  if (typeof maxDepth !== "number" || !Number.isInteger(maxDepth) || maxDepth < 0 || maxDepth > MAX_DEPTH_LIMIT) {
    throw new RangeError(`parseRequestJson: \`maxDepth\` must be a whole number from 0 to ${MAX_DEPTH_LIMIT}`);
  }
  if (text.length > maxLength) throw new RequestJsonError(`the JSON text is longer than ${maxLength} characters`, text, maxLength);
  let pos = 0;
  const fail = (message: string, at = pos): never => {
    throw new RequestJsonError(message, text, at);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const what = () => (pos >= text.length ? "the end of the text" : `\`${text[pos]}\``);

  const string = (): string => {
    // At the opening quote.
    const start = pos;
    pos++;
    let out = "";
    let run = pos;
    for (;;) {
      if (pos >= text.length) fail("unterminated string", start);
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(run, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail("a control character must be escaped in a string");
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(run, pos);
      const e = text[pos + 1];
      if (e === "u") {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("a `\\u` escape needs four hex digits");
        out += String.fromCharCode(parseInt(hex, 16));
        pos += 6;
      } else if (e !== undefined && Object.prototype.hasOwnProperty.call(ESCAPES, e)) {
        out += ESCAPES[e];
        pos += 2;
      } else fail("invalid escape in a string");
      run = pos;
    }
  };

  const value = (depth: number): unknown => {
    ws();
    const c = text[pos];
    if (c === "{" || c === "[") {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      return c === "{" ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return string();
    if (c === "t" && text.startsWith("true", pos)) return (pos += 4), true;
    if (c === "f" && text.startsWith("false", pos)) return (pos += 5), false;
    if (c === "n" && text.startsWith("null", pos)) return (pos += 4), null;
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m) {
      pos += m[0].length;
      return Number(m[0]);
    }
    return fail(`unexpected ${what()}, expected a value`);
  };

  const object = (depth: number): Record<string, unknown> => {
    pos++; // {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    ws();
    if (text[pos] === "}") {
      pos++;
      return out;
    }
    for (;;) {
      ws();
      if (text[pos] !== '"') fail(`unexpected ${what()}, expected a key (a string)`);
      const at = pos;
      const key = string();
      if (seen.has(key)) fail(`duplicate key ${JSON.stringify(key)}`, at);
      seen.add(key);
      ws();
      if (text[pos] !== ":") fail(`unexpected ${what()}, expected \`:\``);
      pos++;
      const v = value(depth);
      // A data property even for "__proto__" (an assignment would set the prototype), as JSON.parse does.
      if (key === "__proto__") Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
      else out[key] = v;
      ws();
      if (text[pos] === ",") {
        pos++;
        continue;
      }
      if (text[pos] === "}") {
        pos++;
        return out;
      }
      fail(`unexpected ${what()}, expected \`,\` or \`}\``);
    }
  };

  const array = (depth: number): unknown[] => {
    pos++; // [
    const out: unknown[] = [];
    ws();
    if (text[pos] === "]") {
      pos++;
      return out;
    }
    for (;;) {
      out.push(value(depth));
      ws();
      if (text[pos] === ",") {
        pos++;
        continue;
      }
      if (text[pos] === "]") {
        pos++;
        return out;
      }
      fail(`unexpected ${what()}, expected \`,\` or \`]\``);
    }
  };

  let v: unknown;
  try {
    v = value(0);
  } catch (err) {
    // Whatever the caller's own stack use, a nesting the stack cannot hold is a refusal, not a crash.
    if (err instanceof RangeError && !(err instanceof RequestJsonError)) fail("nesting too deep for the stack");
    throw err;
  }
  ws();
  if (pos < text.length) fail(`unexpected ${what()} after the JSON value`);
  return v;
}
