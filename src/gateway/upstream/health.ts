/**
 * The health of one upstream, shared by every session's link to it: whether it is up (for /readyz) and,
 * after failures, when the next connection attempt may be made (exponential backoff with jitter).
 * GUARANTEES:
 * - After `markDown`, `canAttempt()` is false until the backoff wait has passed; the wait is the current
 *   delay times a factor in [0.5, 1) (jitter), and the delay doubles per failed attempt up to `maxMs`;
 *   `markUp` resets it to `initialMs`.
 * - Once the wait has passed, `canAttempt()` lets ONE attempt through and holds the others back for as
 *   long again (a half-open probe), so a recovering upstream is not hit by every session at once.
 * - Failures reported together (many sessions losing the same upstream) count once: a `markDown` while
 *   the wait is still running and no probe was let through only records the reason.
 */
export type UpstreamState = "unknown" | "up" | "down";

export class UpstreamHealth {
  readonly name: string;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #state: UpstreamState = "unknown";
  #lastError: string | undefined;
  /** The delay the next failure waits (before jitter). */
  #delay: number;
  /** The last wait applied (after jitter): how long a probe holds the others back. */
  #wait = 0;
  #notBefore = 0;
  #probing = false;

  constructor(name: string, backoff: { initialMs: number; maxMs: number }, now: () => number = Date.now, random: () => number = Math.random) {
    this.name = name;
    this.#initialMs = Math.max(1, backoff.initialMs);
    this.#maxMs = Math.max(this.#initialMs, backoff.maxMs);
    this.#delay = this.#initialMs;
    this.#now = now;
    this.#random = random;
  }

  get state(): UpstreamState {
    return this.#state;
  }

  /** Why the upstream is down (undefined when it is not). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** False while backing off after a failure; then true for one attempt at a time. */
  canAttempt(): boolean {
    if (this.#state !== "down") return true;
    const now = this.#now();
    if (now < this.#notBefore) return false;
    this.#probing = true;
    this.#notBefore = now + this.#wait;
    return true;
  }

  /** ms until the next attempt is allowed (0 when allowed). */
  retryInMs(): number {
    if (this.#state !== "down") return 0;
    return Math.max(0, this.#notBefore - this.#now());
  }

  markUp(): void {
    this.#state = "up";
    this.#lastError = undefined;
    this.#delay = this.#initialMs;
    this.#wait = 0;
    this.#notBefore = 0;
    this.#probing = false;
  }

  markDown(reason: string): void {
    const now = this.#now();
    this.#lastError = reason;
    if (this.#state === "down" && !this.#probing && now < this.#notBefore) return; // the same outage
    this.#state = "down";
    this.#probing = false;
    this.#wait = Math.max(1, Math.round(this.#delay * (0.5 + 0.5 * Math.min(Math.max(this.#random(), 0), 0.999999))));
    this.#notBefore = now + this.#wait;
    this.#delay = Math.min(this.#delay * 2, this.#maxMs);
  }
}
