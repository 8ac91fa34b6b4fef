/**
 * Which parts of an MCP result the model reads, for output-token budgets (adapters/tokens.ts).
 *
 * Counted (each part separately, summed):
 * - CallToolResult `content[]` and GetPromptResult `messages[].content` (one item or an array), per item:
 *   `text` → its `text`; `image`, `audio` → 0 (binary: the model sees no text of them);
 *   `resource` → its `resource.text` (a `blob` counts 0); any other item (`resource_link`, unknown types) →
 *   the JSON of the item without `_meta` and without string `data`/`blob` fields.
 * - CallToolResult `structuredContent` → its canonical JSON (counted even when a text item repeats it: an
 *   over-count is the safe side of a budget).
 * - ReadResourceResult `contents[]` → each `text` (a `blob` counts 0).
 * - A result with none of `content`, `structuredContent`, `contents`, `messages` (completion, lists, an
 *   unknown shape) → the JSON of the whole result without `_meta`.
 * Never throws: every property read is guarded; what cannot be read counts 0 (values that cannot be read
 * cannot travel over JSON-RPC either).
 */

export interface TextSink {
  text(s: string): void;
  json(v: unknown, omitBinary?: boolean): void;
}

const MAX_ITEMS = 100_000;

function get(o: unknown, k: string): unknown {
  if (typeof o !== "object" || o === null) return undefined;
  try {
    return (o as Record<string, unknown>)[k];
  } catch {
    return undefined;
  }
}

function isArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false; // a revoked Proxy
  }
}

function list(v: unknown): unknown[] {
  try {
    if (!isArray(v)) return [];
    const n = Math.min((v as readonly unknown[]).length, MAX_ITEMS);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(get(v, String(i)));
    return out;
  } catch {
    return [];
  }
}

/** A copy of the readable own keys of an object without `_meta`, for JSON. */
function withoutMeta(o: unknown): unknown {
  if (typeof o !== "object" || o === null) return o;
  let keys: string[];
  try {
    if (Array.isArray(o)) return o;
    keys = Object.keys(o);
  } catch {
    return {};
  }
  const copy: Record<string, unknown> = {};
  for (const k of keys) if (k !== "_meta") copy[k] = get(o, k);
  return copy;
}

export function countContentItem(item: unknown, sink: TextSink): void {
  const type = get(item, "type");
  if (type === "text") {
    const t = get(item, "text");
    if (typeof t === "string") sink.text(t);
    else sink.json(withoutMeta(item), true);
  } else if (type === "image" || type === "audio") {
    // binary: 0
  } else if (type === "resource") {
    const t = get(get(item, "resource"), "text");
    if (typeof t === "string") sink.text(t);
  } else {
    sink.json(withoutMeta(item), true);
  }
}

export function countResultParts(result: unknown, sink: TextSink): void {
  if (typeof result !== "object" || result === null) {
    sink.json(result);
    return;
  }
  const content = get(result, "content");
  const structured = get(result, "structuredContent");
  const contents = get(result, "contents");
  const messages = get(result, "messages");
  let known = false;
  if (content !== undefined) {
    known = true;
    for (const item of list(content)) countContentItem(item, sink);
  }
  if (structured !== undefined) {
    known = true;
    sink.json(structured);
  }
  if (contents !== undefined) {
    known = true;
    for (const c of list(contents)) {
      const t = get(c, "text");
      if (typeof t === "string") sink.text(t);
    }
  }
  if (messages !== undefined) {
    known = true;
    for (const m of list(messages)) {
      const c = get(m, "content");
      if (isArray(c)) for (const item of list(c)) countContentItem(item, sink);
      else countContentItem(c, sink);
    }
  }
  if (!known) sink.json(withoutMeta(result));
}
