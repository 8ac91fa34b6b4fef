// A small deterministic PRNG (mulberry32) and helpers. Every benchmark input is generated from a
// fixed seed, so two runs (on any machine) time exactly the same requests and policies.

export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n) {
    return Math.floor(this.next() * n);
  }
  pick(list) {
    return list[this.int(list.length)];
  }
  chance(p) {
    return this.next() < p;
  }
  /** Pick from [[weight, value], ...]. */
  weighted(table) {
    let total = 0;
    for (const [w] of table) total += w;
    let x = this.next() * total;
    for (const [w, v] of table) {
      x -= w;
      if (x < 0) return v;
    }
    return table[table.length - 1][1];
  }
  /** k distinct integers from [0, n), in the order drawn. */
  sample(n, k) {
    const out = new Set();
    while (out.size < k) out.add(this.int(n));
    return [...out];
  }
}
