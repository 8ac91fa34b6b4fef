/**
 * Histories lent by a store (issue 14, the engine's hot path). The engine decides on a request whose
 * `session.history` is LENT_HISTORY, a placeholder, and whose session object carries the store's lent
 * window (history-window.ts `LentWindow`: the events read in place, the 1,000-event window not copied
 * per call). The readers that know it read the lent window: the request check (request.ts), `historyOf`
 * (history.ts, which hands the interpreter the window as a frozen array, made once) and the compiled
 * index (codegen/history.ts, which reads only the events it has not indexed yet).
 * GUARANTEES:
 * - fail closed: LENT_HISTORY is a list every read of which throws, so a reader that does not know it
 *   errs (the call is denied), never sees an empty history; a session holding it without a lent window
 *   is refused by the request check, and `historyOf` errs;
 * - only `lendHistory` marks a session object, and only with a window EventLog.lend made; the mark is a
 *   brand (brand.ts): a copy or a Proxy of the session is not marked (so its history, the placeholder,
 *   errs).
 */
import type { SessionEvent } from "../contract/session.js";
import { brand } from "./brand.js";
import type { LentWindow } from "./history-window.js";

const refuse = (): never => {
  throw new TypeError("internal error: a lent session history was read directly (read it through historyOf)");
};

/** The placeholder: an array (Array.isArray) every read of which throws. */
export const LENT_HISTORY: readonly SessionEvent[] = new Proxy(Object.freeze([]) as unknown as SessionEvent[], {
  get: refuse,
  has: refuse,
  ownKeys: refuse,
  getOwnPropertyDescriptor: refuse,
  set: refuse,
  defineProperty: refuse,
  deleteProperty: refuse,
  getPrototypeOf: refuse,
});

const LENT = brand<LentWindow>();

/** Marks `session` (an object the engine made, once) as holding `lent` as its history. */
export function lendHistory(session: object, lent: LentWindow): void {
  LENT.give(session, lent);
  lastSession = undefined;
}

/**
 * The window lent to `session`, or undefined. The last session asked is remembered (every history
 * predicate of a decision asks for the same one; a mark, once given, never changes, and marking resets
 * this).
 */
export function lentOf(session: unknown): LentWindow | undefined {
  if (session === lastSession && session !== undefined) return lastLent;
  const lent = LENT.read(session);
  lastSession = session;
  lastLent = lent;
  return lent;
}
let lastSession: unknown;
let lastLent: LentWindow | undefined;
