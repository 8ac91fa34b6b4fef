/**
 * Token buckets per client address for requests that fail authentication. Each failure takes a token; a
 * bucket holds at most `burst` and refills at `perMinute`. An empty bucket means 429 with Retry-After.
 * GUARANTEES: memory is bounded: at most MAX_BUCKETS addresses are tracked; when full, buckets that have
 * refilled completely are dropped first (they carry no information), then the least recently used.
 * Retry-After is whole seconds, at least 1.
 */
export const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class FailureLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;

  constructor(
    perMinute: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.ratePerMs = perMinute / 60_000;
  }

  /** Addresses tracked (at most MAX_BUCKETS). */
  get size(): number {
    return this.buckets.size;
  }

  /** Take a token for a failure; the seconds to wait when none was left. */
  take(address: string): number | undefined {
    const b = this.current(address);
    if (b.tokens < 1) return this.retryAfter(b);
    b.tokens -= 1;
    this.buckets.delete(address); // re-insert: Map order is recency
    this.buckets.set(address, b);
    this.evict();
    return undefined;
  }

  private current(address: string): Bucket {
    const t = this.now();
    const b = this.buckets.get(address);
    if (b === undefined) return { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + Math.max(0, t - b.at) * this.ratePerMs);
    b.at = t;
    return b;
  }

  private retryAfter(b: Bucket): number {
    if (this.ratePerMs <= 0) return 60;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerMs / 1000));
  }

  private evict(): void {
    if (this.buckets.size <= MAX_BUCKETS) return;
    const t = this.now();
    for (const [k, b] of this.buckets) {
      if (b.tokens + Math.max(0, t - b.at) * this.ratePerMs >= this.burst) this.buckets.delete(k);
    }
    for (const k of this.buckets.keys()) {
      if (this.buckets.size <= MAX_BUCKETS) break;
      this.buckets.delete(k);
    }
  }
}
