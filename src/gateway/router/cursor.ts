/**
 * Composite list cursors (docs/gateway-routing.md): one opaque cursor for the client that holds, for one
 * list method, the cursor of every upstream whose list is not finished yet. Form: base64url of the JSON
 * `["<method>", [["<target name>", "<its cursor>"], ...]]`, in target order.
 * GUARANTEES (properties in test/gateway/router-cursor.test.ts):
 *  - `decodeCursor(encodeCursor(m, open), m, known)` gives `open` back (for open cursors of known targets);
 *  - `decodeCursor` never throws; any text that is not such a cursor, for this method, naming only known
 *    targets once each, with at least one entry and string cursors, gives undefined (the router answers
 *    -32602): a cursor can send a page request only to the targets it names, with the cursor given for each.
 */

/** Longest composite cursor read (characters); a longer one is refused without decoding. */
export const MAX_CURSOR_LENGTH = 256 * 1024;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export type OpenCursors = ReadonlyArray<readonly [name: string, cursor: string]>;

export function encodeCursor(method: string, open: OpenCursors): string {
  return Buffer.from(JSON.stringify([method, open]), "utf8").toString("base64url");
}

/** The open cursors a composite cursor holds, or undefined when it is not one for `method` over `known` targets. */
export function decodeCursor(cursor: unknown, method: string, known: (name: string) => boolean): OpenCursors | undefined {
  try {
    if (typeof cursor !== "string" || cursor === "" || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return undefined;
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2 || value[0] !== method || !Array.isArray(value[1])) return undefined;
    const entries = value[1] as unknown[];
    if (entries.length === 0) return undefined;
    const seen = new Set<string>();
    const out: Array<readonly [string, string]> = [];
    for (const e of entries) {
      if (!Array.isArray(e) || e.length !== 2) return undefined;
      const [name, c] = e as [unknown, unknown];
      if (typeof name !== "string" || typeof c !== "string" || seen.has(name) || !known(name)) return undefined;
      seen.add(name);
      out.push([name, c]);
    }
    return out;
  } catch {
    return undefined;
  }
}
