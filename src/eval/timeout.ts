/**
 * Bounding an asynchronous step in time. Guarantees: the result settles within `ms` (rejecting with
 * `message`), a plain value passes straight through (no timer, no extra tick: the MemoryStore fast
 * path), the timer never keeps the process alive, and a rejection is always an Error.
 */
export function withTimeout<T>(op: T | Promise<T>, ms: number, message: string): T | Promise<T> {
  if (!(op instanceof Promise)) return op;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref?.();
    op.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
