/**
 * Which parts of a value provenance reads, as a list of pieces. Two walks:
 * - `resultPieces` (for `fingerprint`): an MCP CallToolResult reads the `text` of text content, the `text`
 *   and `uri` of embedded resources, the `uri`, `name`, `title` and `description` of resource links, and every
 *   string leaf, object key and number of `structuredContent`; image and audio data, blobs, MIME types,
 *   `annotations` and `_meta` are skipped. A text item holding a JSON object or array is read as that JSON
 *   (its leaves and keys unescaped), not as its source text. A ReadResourceResult (`contents`) reads each
 *   item's `text` and `uri`. Any other value is walked generically.
 * - `valuePieces` (for `derives`, on an argument): generic: every string leaf, every object key, every number.
 * Pieces: `text` (string leaves: k-grams, identifier tokens, and the whole leaf when short), `key` (object
 * keys of a result: k-grams and identifier tokens, never the whole key, so schema field names such as
 * `status` never match as whole leaves; an argument's keys are `text`), `exact` (numbers: their decimal
 * form, as a whole).
 * GUARANTEES: iterative (no recursion: any depth is fine), never throws (cyclic or exotic objects included:
 * getters are not called, only own enumerable data properties through Object.keys on plain objects and arrays),
 * bounded by LIMITS.maxProvenanceScanChars (UTF-16 units of text) and LIMITS.maxProvenanceNodes; the walk
 * reports whether it stopped at a bound.
 */
import { LIMITS } from "../../source/limits.js";

export type PieceKind = "text" | "key" | "exact";
/** Receives each piece in document order; returning true stops the walk (the answer is known). */
export type Emit = (text: string, kind: PieceKind) => boolean | void;

/** What a walk met: `complete` false when a bound stopped it (the rest of the value was not read). */
export interface Walk {
  complete: boolean;
}

interface Budget {
  chars: number;
  nodes: number;
  /** False once a bound was hit. */
  complete: boolean;
  /** True once the receiver asked to stop. */
  stopped: boolean;
}

function live(b: Budget): boolean {
  return b.complete && !b.stopped;
}

function newBudget(): Budget {
  return { chars: LIMITS.maxProvenanceScanChars, nodes: LIMITS.maxProvenanceNodes, complete: true, stopped: false };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads an own data property without running a getter (a hostile or exotic object must not throw here). */
function field(o: object, key: string): unknown {
  try {
    const d = Object.getOwnPropertyDescriptor(o, key);
    return d !== undefined && "value" in d ? d.value : undefined;
  } catch {
    return undefined;
  }
}

function ownKeys(o: object): string[] {
  try {
    return Object.keys(o);
  } catch {
    return [];
  }
}

/** An object key met by the walk (a class of its own so a string value is never taken for a key). */
class KeyMark {
  constructor(readonly key: string) {}
}

/** The elements of an array, read as data properties (no iterator, no getter), at most the node budget. */
function elements(a: readonly unknown[], b: Budget): unknown[] {
  let n = 0;
  try {
    n = a.length;
  } catch {
    n = 0;
  }
  if (n > b.nodes) {
    b.complete = false;
    n = Math.max(0, b.nodes);
  }
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = field(a, String(i));
  return out;
}

/** Emits a string within the budget (cut at the bound, which then marks the walk incomplete). */
function emitText(s: string, kind: PieceKind, emit: Emit, b: Budget): void {
  if (!live(b)) return;
  if (s.length > b.chars) {
    b.complete = false;
    if (b.chars > 0 && emit(s.slice(0, b.chars), kind) === true) b.stopped = true;
    b.chars = 0;
    return;
  }
  b.chars -= s.length;
  if (emit(s, kind) === true) b.stopped = true;
}

function emitNumber(n: number, emit: Emit, b: Budget): void {
  if (Number.isFinite(n)) emitText(String(n), "exact", emit, b);
}

/** Every string leaf (as `text`), object key (as `keyKind`) and number (as `exact`) of `value`. */
function walkGeneric(value: unknown, keyKind: PieceKind, emit: Emit, b: Budget): void {
  const stack: unknown[] = [value];
  while (stack.length > 0 && live(b)) {
    if (--b.nodes < 0) {
      b.complete = false;
      return;
    }
    const v = stack.pop();
    if (typeof v === "string") emitText(v, "text", emit, b);
    else if (typeof v === "number") emitNumber(v, emit, b);
    else if (v instanceof KeyMark) emitText(v.key, keyKind, emit, b);
    else if (Array.isArray(v)) {
      const items = elements(v, b);
      // pushed in reverse so pieces come out in document order
      for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]);
    } else if (isRecord(v)) {
      const keys = ownKeys(v);
      if (keys.length > b.nodes) b.complete = false;
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push(field(v, key));
        stack.push(new KeyMark(key)); // popped first: a key comes out just before its value
      }
    }
  }
  if (stack.length > 0 && !b.stopped) b.complete = false;
}


function emitString(v: unknown, emit: Emit, b: Budget): void {
  if (typeof v === "string") emitText(v, "text", emit, b);
}

/** A text item's text: read as JSON when it holds an object or array, else as text. */
function textContent(text: string, emit: Emit, b: Budget): void {
  const first = text.trimStart()[0];
  if ((first === "{" || first === "[") && text.length <= b.chars) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === "object" && parsed !== null) {
      walkGeneric(parsed, "key", emit, b);
      return;
    }
  }
  emitText(text, "text", emit, b);
}

function resourceContents(r: unknown, emit: Emit, b: Budget): void {
  if (!isRecord(r)) return;
  emitString(field(r, "uri"), emit, b);
  const text = field(r, "text");
  if (typeof text === "string") textContent(text, emit, b);
}

function contentItem(item: unknown, emit: Emit, b: Budget): void {
  if (--b.nodes < 0) {
    b.complete = false;
    return;
  }
  if (!isRecord(item)) {
    walkGeneric(item, "key", emit, b);
    return;
  }
  const type = field(item, "type");
  switch (type) {
    case "text": {
      const text = field(item, "text");
      if (typeof text === "string") textContent(text, emit, b);
      return;
    }
    case "image":
    case "audio":
      return;
    case "resource":
      resourceContents(field(item, "resource"), emit, b);
      return;
    case "resource_link":
      for (const k of ["uri", "name", "title", "description"]) emitString(field(item, k), emit, b);
      return;
    default: {
      const rest: Record<string, unknown> = {};
      for (const k of ownKeys(item)) {
        if (k !== "type" && k !== "_meta" && k !== "annotations" && k !== "mimeType") rest[k] = field(item, k);
      }
      walkGeneric(rest, "key", emit, b);
    }
  }
}

/** The pieces of a result (see the header). */
export function resultPieces(value: unknown, emit: Emit): Walk {
  const b = newBudget();
  if (isRecord(value)) {
    const content = field(value, "content");
    const structured = field(value, "structuredContent");
    const contents = field(value, "contents");
    if (Array.isArray(content) || structured !== undefined) {
      if (Array.isArray(content)) for (const item of elements(content, b)) contentItem(item, emit, b);
      if (structured !== undefined) walkGeneric(structured, "key", emit, b);
      return { complete: b.complete };
    }
    if (Array.isArray(contents)) {
      for (const item of elements(contents, b)) {
        if (--b.nodes < 0) b.complete = false;
        if (!live(b)) break;
        resourceContents(item, emit, b);
      }
      return { complete: b.complete };
    }
  }
  walkGeneric(value, "key", emit, b);
  return { complete: b.complete };
}

/** The pieces of an argument value (see the header). */
export function valuePieces(value: unknown, emit: Emit): Walk {
  const b = newBudget();
  walkGeneric(value, "text", emit, b);
  return { complete: b.complete };
}
