/**
 * A bounded set of the objects used last (least recent first): what a module keeps strongly beside its
 * weak caches, so the last few sessions' lookups survive between calls. GUARANTEE: at most `max` entries;
 * `touch` makes its argument the most recent and drops the least recent past `max`.
 */
export class RecentlyUsed<T> {
  readonly #items = new Set<T>();
  constructor(readonly max: number) {}

  #last: T | undefined;

  touch(x: T): void {
    if (x === this.#last) return; // already the most recent
    this.#last = x;
    this.#items.delete(x);
    this.#items.add(x);
    if (this.#items.size > this.max) this.#items.delete(this.#items.values().next().value!);
  }
}
