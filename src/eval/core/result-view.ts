/**
 * `result.structured` (issue 14): a tool result's data as a value a policy can walk. It is the result's
 * `structuredContent` when the tool gave one; otherwise, when the result's `content` is exactly one text
 * item whose text parses as JSON (what most tools that predate `structuredContent` send), that JSON; otherwise
 * absent (a path reading it errs, as any missing attribute does).
 * GUARANTEES: never throws; the tool's result object is not changed (the view is a shallow copy with
 * `structured` added, not enumerable, computed at most once, on first read); a text longer than
 * LIMITS.maxStructuredTextChars is not parsed (absent); a key of the result named `structured` is hidden
 * by the view (the spec's results have none).
 */
import { LIMITS } from "../../source/limits.js";

const own = (o: object, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined);

/** The structured value of a result (see the header), or undefined. */
export function structuredOf(result: unknown): unknown {
  if (result === null || typeof result !== "object" || Array.isArray(result)) return undefined;
  const sc = own(result, "structuredContent");
  if (sc !== undefined && sc !== null) return sc;
  const content = own(result, "content");
  if (!Array.isArray(content) || content.length !== 1) return undefined;
  const item = content[0] as unknown;
  if (item === null || typeof item !== "object" || own(item, "type") !== "text") return undefined;
  const text = own(item, "text");
  if (typeof text !== "string" || text.length > LIMITS.maxStructuredTextChars) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The result as result-block conditions read it: the tool's result with `structured` (lazy). Non-objects as they are. */
export function resultView(result: unknown): unknown {
  if (result === null || typeof result !== "object" || Array.isArray(result)) return result;
  const view: Record<string, unknown> = { ...(result as Record<string, unknown>) };
  let done = false;
  let value: unknown;
  // Not enumerable: walkers over the result (`result carries ...`) read what the tool sent once, not twice.
  Object.defineProperty(view, "structured", {
    enumerable: false,
    configurable: false,
    get() {
      if (!done) {
        value = structuredOf(result);
        done = true;
      }
      return value;
    },
  });
  return view;
}

/** The view with `extra` own, not enumerable, properties added (a copy; `structured` still computed once). */
export function viewWith(view: unknown, extra: Readonly<Record<string, unknown>>): unknown {
  if (view === null || typeof view !== "object" || Array.isArray(view)) return view;
  const copy: Record<string, unknown> = { ...(view as Record<string, unknown>) };
  const props: PropertyDescriptorMap = {};
  if (Object.prototype.hasOwnProperty.call(view, "structured")) props.structured = { enumerable: false, get: () => (view as Record<string, unknown>).structured };
  for (const k of Object.keys(extra)) props[k] = { enumerable: false, value: extra[k] };
  Object.defineProperties(copy, props);
  return copy;
}
