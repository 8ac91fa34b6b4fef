/**
 * The text of a caught exception, for the mapping's own answers (internal, not exported by index.ts).
 * GUARANTEE: never throws, whatever was thrown (an object whose `message` getter throws, a revoked proxy,
 * a symbol), and never longer than 300 characters.
 */
export function faultText(err: unknown): string {
  let text: string;
  try {
    const m = (err as { message?: unknown } | null | undefined)?.message;
    text = typeof m === "string" ? m : String(err);
  } catch {
    text = "an unreadable exception";
  }
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
