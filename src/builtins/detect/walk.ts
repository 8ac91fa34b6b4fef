/**
 * The walker behind `detect(name, value)`: every string leaf and every object key of a value (arrays and objects,
 * recursively; numbers, booleans, null and the rest are ignored), each string tested on its own.
 * GUARANTEES: never throws; fail closed. Past DETECT_LIMITS (depth, nodes, characters) the answer is true, and
 * so is a read that throws (a getter, a revoked proxy): what cannot be read cannot be cleared. A cycle is not
 * followed twice (its strings were already read), nor is a shared object.
 */
import { DETECT_LIMITS } from "./limits.js";
import { isSecretKeyName } from "./secret-context.js";
import { looksRandom } from "./text.js";

export interface WalkOptions {
  /** Whether one string carries what is asked. */
  readonly test: (s: string) => boolean;
  /** Whether a key's string value carries it by the key's name alone (`{"client_secret": "..."}`). */
  readonly entry?: (key: string, value: string) => boolean;
}

/** `{"password": "Hunter2024!"}`: an entry whose key names a secret and whose value reads as random. */
export const secretEntry = (key: string, value: string): boolean => isSecretKeyName(key) && looksRandom(value);

/** Whether any string leaf or key of `value` carries what `opts.test` finds; true past the bounds or on a throwing read. */
export function walk(value: unknown, opts: WalkOptions): boolean {
  let chars = 0;
  let nodes = 0;
  const seen = new Set<object>();
  const str = (s: string): boolean => {
    chars += s.length;
    if (chars > DETECT_LIMITS.maxScanChars) return true;
    return opts.test(s);
  };
  const visit = (v: unknown, depth: number): boolean => {
    if (++nodes > DETECT_LIMITS.maxNodes) return true;
    if (typeof v === "string") return str(v);
    if (typeof v !== "object" || v === null) return false;
    if (depth >= DETECT_LIMITS.maxDepth) return true;
    if (seen.has(v)) return false;
    seen.add(v);
    if (Array.isArray(v)) {
      const n = v.length;
      for (let i = 0; i < n; i++) if (visit(v[i], depth + 1)) return true;
      return false;
    }
    for (const key of Object.keys(v)) {
      if (++nodes > DETECT_LIMITS.maxNodes) return true;
      if (str(key)) return true;
      const child = (v as Record<string, unknown>)[key];
      if (opts.entry && typeof child === "string" && opts.entry(key, child)) return true;
      if (visit(child, depth + 1)) return true;
    }
    return false;
  };
  try {
    return visit(value, 0);
  } catch {
    return true;
  }
}
