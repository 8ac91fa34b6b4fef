/**
 * `mcppolicy/redis`: the Redis-backed store, shared across replicas and restarts. ioredis (^5) is an
 * optional peer dependency, needed only by hosts that import this entry; the main entry `mcppolicy`
 * never loads it, so hosts on MemoryStore (or their own Store) neither install nor pay for it.
 */
export { RedisStore } from "./runtime/store/redis.js";
export type { RedisStoreOptions } from "./runtime/store/redis.js";
