/**
 * Strings built to match a regular expression, for argument witnesses (`^T-[0-9]{6}$` -> `T-000000`).
 * Understands the common subset: literals and escapes (\d \w \s \. \uXXXX \xXX ...), `.`, classes
 * with ranges and negation, groups (capturing, `(?:`, named), alternation, and the quantifiers
 * `* + ? {n} {n,} {n,m}` (lazy or not); anchors and `\b` produce nothing. Each candidate repeats every
 * quantified part `min + extra` times (within its maximum).
 * GUARANTEE: never throws; returns [] for a pattern it does not understand. A candidate is a guess:
 * callers test it with the compiled pattern before using it.
 */

type Node =
  | { k: "chars"; pick: () => string | undefined }
  | { k: "seq"; items: Node[] }
  | { k: "alt"; options: Node[] }
  | { k: "rep"; node: Node; min: number; max: number | undefined }
  | { k: "empty" };

const POOL = "abcxyz0123456789ABCXYZ_-.:/ @";

function classPicker(test: (c: string) => boolean): () => string | undefined {
  return () => {
    for (const c of POOL) if (test(c)) return c;
    for (let i = 0x21; i < 0x7f; i++) if (test(String.fromCharCode(i))) return String.fromCharCode(i);
    return undefined;
  };
}

const ESCAPES: Record<string, (c: string) => boolean> = {
  d: (c) => c >= "0" && c <= "9",
  D: (c) => !(c >= "0" && c <= "9"),
  w: (c) => /[A-Za-z0-9_]/.test(c),
  W: (c) => !/[A-Za-z0-9_]/.test(c),
  s: (c) => c === " ",
  S: (c) => c !== " " && c !== "\t" && c !== "\n",
};

class Parser {
  i = 0;
  constructor(private readonly src: string) {}

  fail(): never {
    throw new Error("unsupported");
  }
  peek(): string | undefined {
    return this.src[this.i];
  }
  alt(): Node {
    const options = [this.seq()];
    while (this.peek() === "|") {
      this.i++;
      options.push(this.seq());
    }
    return options.length === 1 ? options[0]! : { k: "alt", options };
  }
  seq(): Node {
    const items: Node[] = [];
    for (let c = this.peek(); c !== undefined && c !== "|" && c !== ")"; c = this.peek()) items.push(this.quantified(this.atom()));
    return { k: "seq", items };
  }
  quantified(node: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number | undefined;
    if (c === "*") [min, max] = [0, undefined];
    else if (c === "+") [min, max] = [1, undefined];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return node;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? undefined : Number(m[3]);
      this.i += m[0].length - 1;
    } else return node;
    this.i++;
    if (this.peek() === "?") this.i++;
    return this.quantified({ k: "rep", node, min, max });
  }
  atom(): Node {
    const c = this.src[this.i++]!;
    if (c === "^" || c === "$") return { k: "empty" };
    if (c === ".") return { k: "chars", pick: () => "a" };
    if (c === "(") {
      if (this.src.startsWith("?:", this.i)) this.i += 2;
      else if (this.src.startsWith("?<", this.i) && !this.src.startsWith("?<=", this.i) && !this.src.startsWith("?<!", this.i)) {
        const end = this.src.indexOf(">", this.i);
        if (end < 0) this.fail();
        this.i = end + 1;
      } else if (this.peek() === "?") this.fail();
      const inner = this.alt();
      if (this.src[this.i++] !== ")") this.fail();
      return inner;
    }
    if (c === "[") return this.klass();
    if (c === "\\") {
      const t = this.escapeTest();
      if (t === null) return { k: "empty" };
      return { k: "chars", pick: classPicker(t) };
    }
    if (c === ")" || c === "*" || c === "+" || c === "?") this.fail();
    return { k: "chars", pick: () => c };
  }
  /** The test for one escaped character; null for a zero-width assertion (\b, \B). */
  escapeTest(): ((c: string) => boolean) | null {
    const e = this.src[this.i++];
    if (e === undefined) this.fail();
    if (e === "b" || e === "B") return null;
    if (ESCAPES[e]) return ESCAPES[e];
    const lit = this.escapedLiteral(e);
    return (c) => c === lit;
  }
  escapedLiteral(e: string): string {
    const hex = (n: number) => {
      const h = this.src.slice(this.i, this.i + n);
      if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== n) this.fail();
      this.i += n;
      return String.fromCodePoint(parseInt(h, 16));
    };
    if (e === "n") return "\n";
    if (e === "t") return "\t";
    if (e === "r") return "\r";
    if (e === "x") return hex(2);
    if (e === "u") {
      if (this.peek() === "{") {
        const end = this.src.indexOf("}", this.i);
        if (end < 0) this.fail();
        const cp = parseInt(this.src.slice(this.i + 1, end), 16);
        this.i = end + 1;
        if (!Number.isFinite(cp)) this.fail();
        return String.fromCodePoint(cp);
      }
      return hex(4);
    }
    if (/[A-Za-z0-9]/.test(e)) this.fail(); // backreferences, \p{...}, control escapes: not modelled
    return e;
  }
  klass(): Node {
    const negate = this.peek() === "^";
    if (negate) this.i++;
    const parts: ((c: string) => boolean)[] = [];
    let first = true;
    while (this.peek() !== "]" || first) {
      first = false;
      const c = this.src[this.i++];
      if (c === undefined) this.fail();
      let lo: string;
      if (c === "\\") {
        const e = this.src[this.i];
        if (e !== undefined && ESCAPES[e]) {
          this.i++;
          parts.push(ESCAPES[e]);
          continue;
        }
        this.i++;
        lo = e === "b" ? "\b" : this.escapedLiteral(e ?? this.fail());
      } else lo = c;
      if (this.peek() === "-" && this.src[this.i + 1] !== "]" && this.src[this.i + 1] !== undefined) {
        this.i++;
        let hi = this.src[this.i++]!;
        if (hi === "\\") hi = this.escapedLiteral(this.src[this.i++] ?? this.fail());
        const [a, b] = [lo.codePointAt(0)!, hi.codePointAt(0)!];
        parts.push((x) => x.codePointAt(0)! >= a && x.codePointAt(0)! <= b);
      } else parts.push((x) => x === lo);
    }
    this.i++;
    const inClass = (x: string) => parts.some((p) => p(x));
    return { k: "chars", pick: classPicker(negate ? (x) => !inClass(x) && x !== "\n" : inClass) };
  }
}

function generate(n: Node, extra: number): string | undefined {
  switch (n.k) {
    case "empty":
      return "";
    case "chars":
      return n.pick();
    case "seq": {
      let s = "";
      for (const x of n.items) {
        const part = generate(x, extra);
        if (part === undefined) return undefined;
        s += part;
      }
      return s;
    }
    case "alt":
      for (const o of n.options) {
        const s = generate(o, extra);
        if (s !== undefined) return s;
      }
      return undefined;
    case "rep": {
      const times = n.max === undefined ? n.min + extra : Math.min(n.max, n.min + extra);
      const one = times > 0 ? generate(n.node, extra) : "";
      return one === undefined ? undefined : one.repeat(times);
    }
  }
}

/** Candidate strings for `pattern`, shortest first; [] when the pattern is beyond this generator. */
export function regexSamples(pattern: string, extras: readonly number[] = [0, 1, 2, 8]): string[] {
  let root: Node;
  try {
    const p = new Parser(pattern);
    root = p.alt();
    if (p.i !== pattern.length) return [];
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const extra of extras) {
    const s = generate(root, extra);
    if (s !== undefined && !out.includes(s)) out.push(s);
  }
  return out;
}
