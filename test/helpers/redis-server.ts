/**
 * A real, throwaway `redis-server` for tests (the implementation is bench/lib/redis.mjs, shared with the
 * benchmarks): loopback only, a free port, no persistence, a scratch directory; `startRedis()` answers
 * once the server replies to PING, and every server started is killed when the test process exits.
 *
 * `redisAvailable` says whether the binary is installed. Suites skip when it is not, except under CI
 * (`process.env.CI` set), where `startRedis()` throws so the run fails rather than silently skipping.
 */
import { redisAvailable as installedVersion, startRedis as start, type RedisServer } from "../../bench/lib/redis.mjs";

export type RedisHandle = RedisServer;

export const redisAvailable: boolean = installedVersion() !== undefined;

export async function startRedis(): Promise<RedisHandle> {
  if (!redisAvailable) throw new Error(`redis-server is not installed${process.env.CI ? " (required under CI)" : ""}`);
  return start();
}
