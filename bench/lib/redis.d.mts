// Types of redis.mjs (a plain-JS module so the benchmarks need no build), for the TypeScript tests.

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's version, e.g. `7.0.15`. */
  readonly version: string;
  readonly pid: number | undefined;
  /** Shut the server down (SIGTERM), wait for it to exit, remove its directory. */
  stop(): Promise<void>;
  /** Kill the server at once (SIGKILL), as a crash would, and wait for it to exit. */
  kill(): Promise<void>;
  /** Start the server again on the same port (after stop or kill) and wait until it answers PING. */
  restart(): Promise<void>;
}

/** The server's version, or undefined when the binary is not installed. */
export function redisAvailable(): string | undefined;

/** Start a redis-server on a free loopback port; throws when the binary is missing or it cannot start. */
export function startRedis(): Promise<RedisServer>;
