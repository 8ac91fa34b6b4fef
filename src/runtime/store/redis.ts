/**
 * RedisStore: the store shared by every replica, on Redis (one server or a primary with replicas; not
 * Redis Cluster, since the scripts derive keys from stored values). Runs the algorithm of `store.ts` as
 * Lua scripts (`redis-script.ts`), one script per operation, so each operation is atomic across every
 * process that shares the server and prefix, and costs exactly one round trip (EVAL the first time on a
 * connection, EVALSHA after; EVAL again only if the server's script cache was flushed under us).
 * It answers exactly as MemoryStore does for the same operations and the same clock. Time is the Redis
 * server's TIME (read inside the script), unless a test clock is injected.
 *
 * Every key lives under the prefix and carries a TTL, so state never grows without bound.
 *
 * Failure: every operation settles within `timeoutMs` (default 100 ms). While Redis is unreachable,
 * operations reject at once (a client this store created has no offline queue and keeps reconnecting in
 * the background); when Redis is back they succeed again, with the same store. A rejected operation may
 * still have been applied (a timeout after the script was sent), so callers must fail closed.
 */
import { createHash } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { withTimeout } from "../timeout.js";
import { DECIDE_LUA, GET_APPROVAL_LUA, RESERVE_LUA, SETTLE_LUA } from "./redis-script.js";
import { counterShape, type IdempotencyState, type ApprovalRecord, type ApproveOutcome, type ReserveRequest, type ReserveResult, type SettleRequest, type Store } from "./store.js";

export interface RedisStoreOptions {
  /** A client the host owns (and closes); the store uses it as configured. */
  client?: Redis;
  /** Where to connect when the store creates its own client, e.g. `redis://127.0.0.1:6379/0`. */
  url?: string;
  /** ioredis options for the store's own client; they override the store's defaults. */
  redis?: RedisOptions;
  /** Key prefix. Default `mcppolicy:`. */
  prefix?: string;
  /** A test clock, epoch milliseconds. Default: the Redis server's TIME. */
  now?: () => number;
  /** The most one operation may take, in milliseconds. Default 100. */
  timeoutMs?: number;
}

interface Script {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

const RESERVE = script(RESERVE_LUA);
const SETTLE = script(SETTLE_LUA);
const DECIDE = script(DECIDE_LUA);
const GET_APPROVAL = script(GET_APPROVAL_LUA);

/** An approval as the scripts answer it: the record's own fields as JSON, and the store's fields. */
interface RawApproval {
  rec: string;
  createdAt: string;
  expiresAt: string;
  status: ApprovalRecord["status"];
  approver?: string;
  decidedAt?: string;
}

interface RawReserve {
  s: ReserveResult["status"];
  now: string;
  w?: string;
  aid?: string;
  state?: IdempotencyState;
  index?: number;
  used?: string;
  retry?: string;
  approval?: RawApproval;
  created?: boolean;
}

/** A number the scripts wrote with `%.17g`. */
function num(s: string | undefined): number {
  if (s === undefined) throw new Error("RedisStore: a number is missing from the script's answer");
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  return Number(s);
}

function windows(w: string | undefined): number[] {
  return w ? w.split(",").map(num) : [];
}

function approvalOf(raw: RawApproval): ApprovalRecord {
  const rec = JSON.parse(raw.rec) as Omit<ApprovalRecord, "createdAt" | "expiresAt" | "status">;
  const base = { ...rec, createdAt: num(raw.createdAt), expiresAt: num(raw.expiresAt), status: raw.status };
  return raw.approver === undefined ? base : { ...base, approver: raw.approver, decidedAt: num(raw.decidedAt) };
}

function reserveResult(r: RawReserve): ReserveResult {
  const now = num(r.now);
  switch (r.s) {
    case "ok":
      return r.aid === undefined ? { status: "ok", now, windows: windows(r.w) } : { status: "ok", now, windows: windows(r.w), approvalId: r.aid };
    case "replay":
      if (r.state !== "pending" && r.state !== "committed" && r.state !== "rolled_back") throw new Error(`RedisStore: unexpected idempotency state: ${String(r.state)}`);
      return { status: "replay", now, state: r.state };
    case "exceeded":
      return r.retry === undefined
        ? { status: "exceeded", now, index: r.index!, used: num(r.used) }
        : { status: "exceeded", now, index: r.index!, used: num(r.used), retryAfterMs: num(r.retry) };
    case "approval_pending":
      return { status: "approval_pending", now, approval: approvalOf(r.approval!), created: r.created === true };
    case "approval_rejected":
      return { status: "approval_rejected", now, approval: approvalOf(r.approval!) };
    case "idempotency_conflict":
      return { status: "idempotency_conflict", now };
    default:
      throw new Error(`RedisStore: unexpected answer from the reserve script: ${String(r.s)}`);
  }
}

function reconnectDelay(times: number): number {
  return Math.min(times * 50, 500);
}

export class RedisStore implements Store {
  private readonly client: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly clock: (() => number) | undefined;
  private readonly timeoutMs: number;
  /** Scripts this connection has run (so EVALSHA will find them); cleared on every new connection. */
  private readonly loaded = new Set<string>();
  private readonly onReady = (): void => this.loaded.clear();
  private lastError: Error | undefined;
  /** One wait for the store's own client to become ready, shared by the operations that arrive meanwhile. */
  private readyWait: Promise<void> | undefined;
  private readonly onError = (err: Error): void => {
    this.lastError = err;
  };

  constructor(options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? "mcppolicy:";
    this.clock = typeof options.now === "function" ? options.now : undefined;
    this.timeoutMs = options.timeoutMs !== undefined && options.timeoutMs > 0 ? options.timeoutMs : 100;
    if (options.client) {
      this.client = options.client;
      this.owned = false;
    } else {
      const redisOptions: RedisOptions = {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        // A command cut off by a lost connection is failed, never sent again (a reserve must not apply twice).
        autoResendUnfulfilledCommands: false,
        commandTimeout: this.timeoutMs,
        connectTimeout: Math.max(1000, this.timeoutMs),
        retryStrategy: reconnectDelay,
        ...options.redis,
      };
      this.client = options.url ? new Redis(options.url, redisOptions) : new Redis(redisOptions);
      this.owned = true;
      // Without a listener ioredis prints "Unhandled error event"; the error is reported by the operation.
      this.client.on("error", this.onError);
    }
    this.client.on("ready", this.onReady);
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    const a = request.approval;
    const i = request.idempotency;
    const payload = JSON.stringify({
      c: request.counters.map((c) => ({ ...counterShape(c), amount: c.amount })),
      a: a && {
        binding: a.binding,
        ttl: a.ttlMs,
        id: a.create.id,
        rb: a.create.binding,
        principal: a.create.principal,
        rec: JSON.stringify(a.create),
      },
      i: i && { key: i.key, f: i.fingerprint, t: i.token, ttl: i.ttlMs },
    });
    const answer = await this.run(RESERVE, payload);
    return reserveResult(JSON.parse(String(answer)) as RawReserve);
  }

  async settle(request: SettleRequest): Promise<{ applied: boolean }> {
    const payload = JSON.stringify({
      adj: request.adjustments.map((s) => ({ ...counterShape(s), window: s.window, delta: s.delta })),
      i: request.idempotency && { key: request.idempotency.key, t: request.idempotency.token, action: request.idempotency.action },
    });
    const answer = await this.run(SETTLE, payload);
    return { applied: Number(answer) === 1 };
  }

  async decideApproval(id: string, d: { approve: boolean; approver: string; allowSelf: boolean }): Promise<ApproveOutcome> {
    const payload = JSON.stringify({ id, approve: d.approve, approver: d.approver, allowSelf: d.allowSelf });
    const r = JSON.parse(String(await this.run(DECIDE, payload))) as { s: ApproveOutcome["status"]; approval?: RawApproval };
    if (r.s === "approved" || r.s === "rejected") return { status: r.s, approval: approvalOf(r.approval!) };
    return r.approval === undefined ? { status: r.s } : { status: r.s, approval: approvalOf(r.approval) };
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const answer = await this.run(GET_APPROVAL, id);
    return answer === null || answer === undefined ? undefined : approvalOf(JSON.parse(String(answer)) as RawApproval);
  }

  /** Quit the client if the store created it; a host's client is left as it is. */
  async close(): Promise<void> {
    this.client.off("ready", this.onReady);
    if (!this.owned) return;
    const c = this.client;
    if (c.status === "ready") {
      try {
        await withTimeout(c.quit(), this.timeoutMs, `RedisStore: quit timed out after ${this.timeoutMs} ms`);
      } catch {
        // fall through to disconnect
      }
    }
    // The error listener stays: a late socket error must not become an "Unhandled error event".
    c.disconnect();
  }

  /** One operation: one script, bounded by `timeoutMs` in all. */
  private async run(s: Script, arg: string): Promise<unknown> {
    let now = "";
    if (this.clock) {
      const t = Math.floor(this.clock());
      if (!Number.isFinite(t)) return Promise.reject(new Error("the store's clock returned a non-finite time"));
      now = String(t);
    }
    return withTimeout(this.send(s, [this.prefix, now, arg]), this.timeoutMs, `RedisStore: operation timed out after ${this.timeoutMs} ms`);
  }

  private async send(s: Script, argv: string[]): Promise<unknown> {
    const c = this.client;
    if (this.owned && c.status !== "ready") await this.whenReady();
    if (!this.loaded.has(s.sha)) {
      // EVAL loads the script into the server's cache as it runs it.
      const answer = await c.eval(s.lua, 0, ...argv);
      this.loaded.add(s.sha);
      return answer;
    }
    try {
      return await c.evalsha(s.sha, 0, ...argv);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      this.loaded.delete(s.sha);
      const answer = await c.eval(s.lua, 0, ...argv);
      this.loaded.add(s.sha);
      return answer;
    }
  }

  /** The store's own client is connecting: wait for it (bounded); reconnecting or closed: fail now. */
  private whenReady(): Promise<void> {
    const c = this.client;
    if (c.status !== "connecting" && c.status !== "connect" && c.status !== "wait") {
      const why = c.status === "end" ? "the store is closed" : `Redis is unavailable${this.lastError ? `: ${this.lastError.message}` : ""}`;
      return Promise.reject(new Error(`RedisStore: ${why}`));
    }
    if (c.status === "wait") c.connect().catch(() => undefined); // lazyConnect: the first operation connects
    this.readyWait ??= this.waitForReady().finally(() => {
      this.readyWait = undefined;
    });
    return this.readyWait;
  }

  private waitForReady(): Promise<void> {
    const c = this.client;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        c.off("ready", onReady);
        c.off("end", onEnd);
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => done();
      const onEnd = (): void => done(new Error("RedisStore: the connection ended"));
      const timer = setTimeout(() => done(new Error(`RedisStore: not connected within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref?.();
      c.on("ready", onReady);
      c.on("end", onEnd);
    });
  }
}
