/**
 * Brands only the module that made them can give: `brand<V>()` answers a `give` and a `read` for a
 * private field of a class made per call (so each brand has its own private name), added to the object
 * itself through a base constructor that answers the object it is given, and read with `#v in o`.
 * GUARANTEES: only code holding a brand's `give` can mark an object; a Proxy, a copy or an object
 * inheriting from a marked one is not marked; an object keeps its fast properties (a private field is a
 * map transition like any other). Cheaper than a WeakMap registry: a WeakMap insert of a short-lived key
 * costs ~0.3-0.4 µs (ephemeron tables).
 */
export interface Brand<V> {
  /** Marks `o` with `v` (once per object: a second mark of the same brand throws). */
  readonly give: (o: object, v: V) => void;
  /** What `o` was marked with, or undefined. */
  readonly read: (o: unknown) => V | undefined;
}

export function brand<V>(): Brand<V> {
  class Stamp {
    constructor(o: object) {
      return o as Stamp;
    }
  }
  class Branded extends Stamp {
    readonly #v: V;
    constructor(o: object, v: V) {
      super(o);
      this.#v = v;
    }
    static read(o: unknown): V | undefined {
      return typeof o === "object" && o !== null && #v in o ? (o as Branded).#v : undefined;
    }
  }
  return { give: (o, v) => void new Branded(o, v), read: (o) => Branded.read(o) };
}
