/**
 * JSON text of any value for token counting, never throwing (adapters/tokens.ts).
 *
 * Guarantees: for a JSON value (what JSON-RPC can carry) within the caps the text is exactly
 * contract/canonical.ts's canonical JSON (a property in test/tokens.test.ts holds this; canonicalJson itself
 * is not called: it has no size bound, and a DAG sharing one object 2^40 times would exhaust memory).
 * For anything else it is the canonical-like text of what can be read safely: object keys sorted, a getter
 * or Proxy trap that throws leaves its key out; a cycle, a value deeper than MAX_DEPTH or past MAX_NODES
 * values is written `null`; `undefined`/functions/symbols are left out of objects
 * and written `null` in arrays (as JSON.stringify does); a bigint as its digits; NaN/Infinity as `null`. Such values cannot travel over JSON-RPC, so the count of anything that can is exact.
 * Past MAX_CHARS of text nothing more is built: each further piece adds an upper bound of its UTF-8 bytes to
 * `overflowBytes` (6 per UTF-16 unit of a string, the worst JSON escape), which the counter charges as tokens
 * (fail closed). MAX_NODES (4M) is above the values a 4 MiB message can hold (~2M), so whatever passes the
 * enforcer's size limit is counted exactly or over-counted, never dropped.
 * `omitBinary` drops string `data`/`blob` fields (base64 payloads: images, audio, blobs count 0).
 */
const MAX_DEPTH = 256;
const MAX_NODES = 4_000_000;
/** Output cap (characters): a value sharing one big string a million times must not build a huge text. */
const MAX_CHARS = 16 * 1024 * 1024;

interface State {
  nodes: number;
  chars: number;
  overflowBytes: number;
  seen: Set<object>;
}

export function jsonText(value: unknown, omitBinary = false): { text: string; overflowBytes: number } {
  const out: string[] = [];
  const st: State = { nodes: 0, chars: 0, overflowBytes: 0, seen: new Set<object>() };
  write(value, 0, out, st, omitBinary);
  return { text: out.join(""), overflowBytes: st.overflowBytes };
}

function overflow(st: State, bytes: number): void {
  st.chars = MAX_CHARS + 1;
  st.overflowBytes += bytes;
}

/** Appends a piece of text, or past MAX_CHARS only its byte bound. */
function emit(out: string[], st: State, text: string, boundBytes = text.length * 3): void {
  if (st.chars + text.length <= MAX_CHARS) {
    st.chars += text.length;
    out.push(text);
  } else overflow(st, boundBytes);
}

function read(o: object, k: string): { ok: true; v: unknown } | { ok: false } {
  try {
    return { ok: true, v: (o as Record<string, unknown>)[k] };
  } catch {
    return { ok: false };
  }
}

function keysOf(o: object): string[] {
  try {
    return Object.keys(o).sort();
  } catch {
    return [];
  }
}

function isArray(v: object): boolean {
  try {
    return Array.isArray(v);
  } catch {
    return false; // a revoked Proxy
  }
}

function write(v: unknown, depth: number, out: string[], st: State, omitBinary: boolean): void {
  if (++st.nodes > MAX_NODES || depth > MAX_DEPTH) {
    emit(out, st, "null");
    return;
  }
  switch (typeof v) {
    case "string":
      if (st.chars + v.length + 2 > MAX_CHARS) overflow(st, v.length * 6 + 2);
      else emit(out, st, JSON.stringify(v));
      return;
    case "number":
      emit(out, st, !Number.isFinite(v) ? "null" : Object.is(v, -0) ? "0" : String(v));
      return;
    case "boolean":
      emit(out, st, v ? "true" : "false");
      return;
    case "bigint":
      emit(out, st, v.toString());
      return;
    case "object": {
      if (v === null || st.seen.has(v)) {
        emit(out, st, "null");
        return;
      }
      st.seen.add(v);
      if (isArray(v)) {
        const len = read(v, "length");
        const n = Math.min(len.ok ? Number(len.v) || 0 : 0, MAX_NODES);
        emit(out, st, "[");
        for (let i = 0; i < n; i++) {
          if (i > 0) emit(out, st, ",");
          const r = read(v, String(i));
          const x = r.ok ? r.v : undefined;
          if (x === undefined || typeof x === "function" || typeof x === "symbol") emit(out, st, "null");
          else write(x, depth + 1, out, st, omitBinary);
          if (st.nodes > MAX_NODES) break;
        }
        emit(out, st, "]");
      } else {
        emit(out, st, "{");
        let first = true;
        for (const k of keysOf(v)) {
          const r = read(v, k);
          if (!r.ok || r.v === undefined || typeof r.v === "function" || typeof r.v === "symbol") continue;
          if (omitBinary && (k === "data" || k === "blob") && typeof r.v === "string") continue;
          if (!first) emit(out, st, ",");
          first = false;
          emit(out, st, JSON.stringify(k) + ":", k.length * 6 + 3);
          write(r.v, depth + 1, out, st, omitBinary);
          if (st.nodes > MAX_NODES) break;
        }
        emit(out, st, "}");
      }
      st.seen.delete(v);
      return;
    }
    default:
      emit(out, st, "null"); // undefined, function, symbol at the top
  }
}
