/**
 * The two Node globals the compiler and the detectors read, for the browser (injected by esbuild, so only
 * modules that name them get them): `process` (cwd for import-cycle paths, exitCode restored by the SQL
 * loader) and the `Buffer` calls the secret detectors and result sizing make: `Buffer.from(text,
 * "base64" | "base64url" | "hex").toString("latin1")` and `Buffer.byteLength(text, "utf8")`. Decoding
 * follows Node's leniency: base64 takes both alphabets, skips other characters and stops at `=`; hex stops
 * at the first pair that is not hex.
 */
export const process = { cwd: () => "/", env: {} as Record<string, string | undefined>, exitCode: undefined as number | undefined };

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeBase64(text: string): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    if (ch === "=") break;
    let v = B64.indexOf(ch === "-" ? "+" : ch === "_" ? "/" : ch);
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return out;
}

function decodeHex(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < text.length; i += 2) {
    const pair = text.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) break;
    out.push(parseInt(pair, 16));
  }
  return out;
}

class BrowserBuffer {
  constructor(private readonly bytes: number[]) {}
  static from(text: string, encoding: string): BrowserBuffer {
    if (encoding === "base64" || encoding === "base64url") return new BrowserBuffer(decodeBase64(text));
    if (encoding === "hex") return new BrowserBuffer(decodeHex(text));
    if (encoding === "utf8" || encoding === undefined) return new BrowserBuffer(Array.from(new TextEncoder().encode(text)));
    throw new Error(`Buffer encoding \`${encoding}\` is not available in the playground`);
  }
  static byteLength(text: string, _encoding?: string): number {
    return new TextEncoder().encode(text).length;
  }
  get length(): number {
    return this.bytes.length;
  }
  toString(encoding: string): string {
    if (encoding === "latin1") {
      let s = "";
      for (const b of this.bytes) s += String.fromCharCode(b);
      return s;
    }
    if (encoding === "utf8") return new TextDecoder().decode(new Uint8Array(this.bytes));
    throw new Error(`Buffer encoding \`${encoding}\` is not available in the playground`);
  }
}

export { BrowserBuffer as Buffer };
