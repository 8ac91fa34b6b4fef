/**
 * Both real stores for an engine suite: `bothStores(prefix)` starts a throwaway redis-server before the
 * file's tests (and stops it after), and returns `[name, makeStore]` pairs for `describe.each`: a fresh
 * MemoryStore, and a RedisStore on that server under a fresh key prefix each time (closed after).
 * Call it at the top level of a test file.
 */
import { afterAll, beforeAll } from "vitest";
import { MemoryStore, type Store } from "mcppolicy";
import { RedisStore } from "mcppolicy/redis";
import { startRedis, type RedisHandle } from "./redis-server.js";

export function bothStores(prefix: string): [string, () => Store][] {
  let redis: RedisHandle | undefined;
  const opened: RedisStore[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await redis?.stop();
  });
  return [
    ["MemoryStore", () => new MemoryStore()],
    [
      "RedisStore",
      () => {
        const s = new RedisStore({ url: redis!.url, prefix: `${prefix}-${Math.random().toString(36).slice(2)}:` });
        opened.push(s);
        return s;
      },
    ],
  ];
}
