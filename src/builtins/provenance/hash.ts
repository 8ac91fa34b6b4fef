/**
 * The hashes provenance fingerprints are made of: a 52-bit Rabin-Karp rolling hash of every k-gram (k code
 * points) of a normalised string, winnowing (Schleimer, Wilkerson, Aiken, SIGMOD 2003, the method of MOSS)
 * to select a bounded subset, and a tagged hash of a whole short string ("exact" hashes).
 *
 * The hash: two polynomial hashes over the code points, modulo the primes P1 = 2^26 - 5 and P2 = 2^26 - 27
 * with the fixed bases B1 = 2097143 and B2 = 3145739 (primes above the largest code point), combined as
 * h1 * P2 + h2 < 2^52: exact in a double, so every step is plain arithmetic (no BigInt) and the value prints
 * as base 36 (at most 11 digits) and parses back exactly. Fixed bases make the hashes the same in every
 * process and replica (they are stored in the session and compared later). An adversary can craft collisions;
 * a collision only makes `derives` true where it should not be (an over-approximation, never a miss).
 *
 * Winnowing with window w over the k-gram hashes of one string selects the minimum of every w consecutive
 * hashes. GUARANTEE (the paper's): a string sharing a run of at least w + k - 1 normalised code points with
 * the fingerprinted one holds, among its own k-grams, at least one selected hash: the run contains a whole
 * window, whose minimum is a k-gram inside the run. So `derives` checks ALL k-grams of an argument against
 * the selection and needs no winnowing of its own. A string with fewer than w k-grams (but at least one)
 * contributes the minimum of its k-grams.
 *
 * Exact hashes start from a tag value no code point can take (0x110000) followed by the length, so an exact
 * hash and a k-gram hash meet only by collision.
 */

const P1 = 67108859;
const P2 = 67108837;
const B1 = 2097143;
const B2 = 3145739;
const TAG = 0x110000;

/** The k-gram hashes of `cps` in order (cps.length - k + 1 of them; none when shorter than k). */
export function kgramHashes(cps: readonly number[], k: number): number[] {
  const n = cps.length;
  if (n < k) return [];
  // B^(k-1) mod P, to take the leading code point out of the window.
  let top1 = 1;
  let top2 = 1;
  for (let i = 1; i < k; i++) {
    top1 = (top1 * B1) % P1;
    top2 = (top2 * B2) % P2;
  }
  let h1 = 0;
  let h2 = 0;
  for (let i = 0; i < k; i++) {
    const c = cps[i] as number;
    h1 = (h1 * B1 + c) % P1;
    h2 = (h2 * B2 + c) % P2;
  }
  const out = new Array<number>(n - k + 1);
  out[0] = h1 * P2 + h2;
  for (let i = k; i < n; i++) {
    const old = cps[i - k] as number;
    const c = cps[i] as number;
    // (old % P) * top < 2^26 * 2^26: exact. Adding P before the subtraction keeps the value non-negative.
    h1 = (((h1 - ((old % P1) * top1) % P1 + P1) % P1) * B1 + c) % P1;
    h2 = (((h2 - ((old % P2) * top2) % P2 + P2) % P2) * B2 + c) % P2;
    out[i - k + 1] = h1 * P2 + h2;
  }
  return out;
}

/** The tagged hash of a whole (normalised) string's code points. */
export function exactHash(cps: readonly number[]): number {
  let h1 = TAG % P1;
  let h2 = TAG % P2;
  const n = cps.length;
  h1 = (h1 * B1 + n) % P1;
  h2 = (h2 * B2 + n) % P2;
  for (let i = 0; i < n; i++) {
    const c = cps[i] as number;
    h1 = (h1 * B1 + c) % P1;
    h2 = (h2 * B2 + c) % P2;
  }
  return h1 * P2 + h2;
}

/**
 * Adds to `into` the minimum of every window of `w` consecutive values of `hashes` (all of them when there
 * are fewer than `w`). A monotonic deque: O(n) whatever w is.
 */
export function winnow(hashes: readonly number[], w: number, into: Set<number>): void {
  const n = hashes.length;
  if (n === 0) return;
  if (n <= w) {
    let m = hashes[0] as number;
    for (let i = 1; i < n; i++) if ((hashes[i] as number) < m) m = hashes[i] as number;
    into.add(m);
    return;
  }
  // deque of indices with increasing hash values; the front is the window's minimum.
  const dq = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const h = hashes[i] as number;
    while (tail > head && (hashes[dq[tail - 1] as number] as number) >= h) tail--;
    dq[tail++] = i;
    if ((dq[head] as number) <= i - w) head++;
    if (i >= w - 1) into.add(hashes[dq[head] as number] as number);
  }
}
