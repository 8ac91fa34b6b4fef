/**
 * Requests in flight on one link, each with a deadline. One coarse timer per link sweeps them (instead of
 * one timer per request: the hot path only sets and deletes a map entry).
 * GUARANTEES: an entry is handed to `onExpire` once, at most `tickMs` after its deadline, unless it was
 * taken first; the timer runs only while entries exist and never keeps the process alive (unref).
 */
import type { JsonRpcId } from "../../mcp/index.js";

export interface Deadlined {
  readonly id: JsonRpcId;
  deadline: number;
}

export class Deadlines<R extends Deadlined> {
  readonly #map = new Map<JsonRpcId, R>();
  readonly #tickMs: number;
  readonly #onExpire: (entry: R) => void;
  #timer: NodeJS.Timeout | undefined;

  /** `shortestMs`: the shortest timeout entries get; the sweep runs 4 times within it (10 ms to 1 s). */
  constructor(shortestMs: number, onExpire: (entry: R) => void) {
    this.#tickMs = Math.max(10, Math.min(1000, Math.floor(shortestMs / 4)));
    this.#onExpire = onExpire;
  }

  get size(): number {
    return this.#map.size;
  }

  add(entry: R): void {
    this.#map.set(entry.id, entry);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), this.#tickMs);
      this.#timer.unref();
    }
  }

  get(id: JsonRpcId): R | undefined {
    return this.#map.get(id);
  }

  /** Removes and returns the entry of `id` (it will not expire). */
  take(id: JsonRpcId): R | undefined {
    const entry = this.#map.get(id);
    if (entry === undefined) return undefined;
    this.#map.delete(id);
    if (this.#map.size === 0) this.#stop();
    return entry;
  }

  /** Removes and returns every entry; stops the timer. */
  drain(): R[] {
    const all = [...this.#map.values()];
    this.#map.clear();
    this.#stop();
    return all;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.#map) {
      if (entry.deadline > now) continue;
      this.#map.delete(id);
      try {
        this.#onExpire(entry);
      } catch {
        // An expiry handler that throws must not stop the sweep of the others.
      }
    }
    if (this.#map.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
