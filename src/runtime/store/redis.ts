/**
 * RedisStore: the store shared by every replica, on Redis (one server or a primary with replicas; not
 * Redis Cluster, since the scripts derive keys from stored values). Runs the algorithm of `store.ts` as
 * Lua scripts (`redis-script.ts`), one script per operation, so each operation is atomic across every
 * process that shares the server and prefix. It answers exactly as MemoryStore does for the same
 * operations and the same clock. Time is the Redis server's TIME (read inside the script), unless a test
 * clock is injected.
 *
 * Every key lives under the prefix and carries a TTL, so state never grows without bound.
 *
 * Under load: operations wait in this store's queue and at most `maxInFlight` (default 128) are in flight
 * on the connection at once; whatever is waiting is sent together, as one pipeline (EVALSHA; one SCRIPT
 * LOAD first on a new connection, so no call ships the script text). An operation that waited
 * `queueTimeoutMs` (default 1000 ms, or `timeoutMs` if larger) without being sent fails without being sent (`NotSentError`: it did not
 * run); one sent that has no answer within `timeoutMs` (default 100 ms) fails too, and may still run:
 * the engine then cancels it by its reservation id (`cancel`), which refunds it if it ran, or makes sure
 * it changes nothing if it runs later. Cancels go ahead of the queue and past the in-flight bound.
 * A reserve delivered twice under one reservation id (a host's client that resends a command cut off by
 * a lost connection) applies once: the second delivery answers `cancelled`, and the engine then cancels
 * the id, which gives the first back (the call is denied).
 *
 * Failure: every operation settles within `queueTimeoutMs + timeoutMs`. While Redis is unreachable,
 * operations reject at once (a client this store created has no offline queue and keeps reconnecting in
 * the background); when Redis is back they succeed again, with the same store. Callers must fail closed.
 *
 * Session records (two keys each, see redis-script.ts) are checked when read: a record that does not
 * parse, or whose event list is not the length it records, is an error, never a shorter history.
 *
 * Eviction: Redis must run with `maxmemory-policy noeviction`. An evicted key reads as empty: a counter
 * as unused, a session as new (its labels forgotten: fail open). On each new connection, before any
 * operation is sent on it, the store asks `CONFIG GET maxmemory-policy`: any other policy fails every
 * operation unsent (NotSentError naming the policy), unless `allowEviction` is set (then one warning).
 * A server that refuses CONFIG (disabled, renamed, ACL) cannot be asked: one warning on stderr, and the
 * store goes on. A check that gets no answer fails what is queued and is asked again next time.
 */
import { createHash } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { withTimeout } from "../../eval/timeout.js";
import { CANCEL_LUA, DECIDE_LUA, GET_APPROVAL_LUA, LIST_APPROVALS_LUA, RESERVE_LUA, SESSION_APPEND_LUA, SESSION_LOAD_LUA, SETTLE_LUA } from "./redis-script.js";
import { checkSessionAppend, checkSessionGuard, checkSessionLoad, parseCount, parseEvent, parseLabels, parseProvenance, type CheckedAppend } from "./session.js";
import {
  counterShape,
  NotSentError,
  type IdempotencyState,
  type ApprovalList,
  type ApprovalRecord,
  type ApproveOutcome,
  type ReserveRequest,
  type ReserveResult,
  type SessionAppendRequest,
  type SessionAppendResult,
  type SessionFacts,
  type SessionLoadRequest,
  type SettleRequest,
  type SettleResult,
  type Store,
} from "./store.js";

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
  /** The most one operation may wait for its answer once sent, in milliseconds. Default 100. */
  timeoutMs?: number;
  /** The most one operation may wait in this store's queue before it is sent, in milliseconds. Default 1000, or `timeoutMs` if larger. */
  queueTimeoutMs?: number;
  /** The most operations in flight on the connection at once (cancels aside). Default 128. */
  maxInFlight?: number;
  /**
   * Accept a server whose `maxmemory-policy` evicts keys (warned once instead of refused). Default false:
   * an evicted counter or session reads as empty, which lets calls through that the policy would deny.
   */
  allowEviction?: boolean;
  /** Where the store's warnings go. Default: `process.emitWarning`. */
  warn?: (message: string) => void;
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
const CANCEL = script(CANCEL_LUA);
const LIST_APPROVALS = script(LIST_APPROVALS_LUA);
const SESSION_LOAD = script(SESSION_LOAD_LUA);
const SESSION_APPEND = script(SESSION_APPEND_LUA);

/** An append as the scripts read it (`ev`: the event's JSON without `at`; `p`: [label, fingerprints] pairs). */
function appendPayload(a: CheckedAppend): { key: string; ev: string; l: readonly string[]; p: CheckedAppend["provenance"]; ttl: number; max: number; maxfp: number } {
  return { key: a.key, ev: a.eventJson, l: a.labels, p: a.provenance, ttl: a.ttlMs, max: a.maxEntries, maxfp: a.maxFingerprintsPerLabel };
}

/** What the append and settle scripts answer for a session: [now, version] as `%.17g` strings. */
function appended(now: unknown, version: unknown): SessionAppendResult {
  return { now: num(String(now)), version: parseCount(String(version), "version") };
}

/** One operation, from the queue to its answer. */
interface Op {
  readonly script: Script;
  readonly argv: string[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly reservationId: string | undefined;
  state: "queued" | "sent" | "done";
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Sent again after NOSCRIPT once already. */
  resent: boolean;
}

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
    case "cancelled":
      return { status: "cancelled", now };
    case "session_changed":
      return { status: "session_changed", now };
    default:
      throw new Error(`RedisStore: unexpected answer from the reserve script: ${String(r.s)}`);
  }
}

function reconnectDelay(times: number): number {
  return Math.min(times * 50, 500);
}

/**
 * Run `f` once the event loop has read what is waiting on its sockets: a deadline that fires after the
 * loop was held up (timers run before I/O in each turn) must not fail an operation whose answer has
 * already arrived, nor one that the pending flush is about to send.
 */
function afterIo(f: () => void): void {
  setImmediate(f);
}

function positive(v: number | undefined, d: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : d;
}

export class RedisStore implements Store {
  private readonly client: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly clock: (() => number) | undefined;
  private readonly timeoutMs: number;
  private readonly queueTimeoutMs: number;
  private readonly maxInFlight: number;
  /** Scripts this connection has loaded (so EVALSHA will find them); cleared on every new connection. */
  private readonly loaded = new Set<string>();
  private readonly onReady = (): void => {
    this.loaded.clear();
    this.eviction = undefined;
  };
  private readonly allowEviction: boolean;
  private readonly warn: (message: string) => void;
  /** This connection's `maxmemory-policy` check: its answer (`ok`, or why every operation fails), or in flight. */
  private eviction: { verdict?: string; pending?: Promise<void> } | undefined;
  private warned = false;
  private lastError: Error | undefined;
  /** One wait for the store's own client to become ready, shared by the operations that arrive meanwhile. */
  private readyWait: Promise<void> | undefined;
  private readonly onError = (err: Error): void => {
    this.lastError = err;
  };
  /** Operations waiting to be sent, in order; cancels wait in `urgent`, sent first. Done ones are skipped. */
  private queue: Op[] = [];
  private urgent: Op[] = [];
  /** Queued reserves by reservation id, so a cancel can drop one that was never sent. */
  private readonly queuedReserves = new Map<string, Op>();
  private inFlight = 0;
  private scheduled = false;
  private closed = false;

  constructor(options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? "mcppolicy:";
    this.clock = typeof options.now === "function" ? options.now : undefined;
    this.timeoutMs = positive(options.timeoutMs, 100);
    this.queueTimeoutMs = positive(options.queueTimeoutMs, Math.max(1000, this.timeoutMs));
    // At least 1: a fraction below 1 floored to 0 would send nothing, ever (every operation would fail unsent).
    this.maxInFlight = Math.max(1, Math.floor(positive(options.maxInFlight, 128)));
    this.allowEviction = options.allowEviction === true;
    this.warn = typeof options.warn === "function" ? options.warn : (m) => process.emitWarning(m, "RedisStoreWarning");
    if (options.client) {
      this.client = options.client;
      this.owned = false;
    } else {
      const redisOptions: RedisOptions = {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        // A command cut off by a lost connection is failed, never sent again (a reserve must not apply twice).
        autoResendUnfulfilledCommands: false,
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
    checkSessionGuard(request.session);
    const a = request.approval;
    const i = request.idempotency;
    const r = request.reservation;
    const counters = JSON.stringify(request.counters.map((c) => ({ ...counterShape(c), amount: c.amount })));
    const payload = JSON.stringify({
      a: a && {
        binding: a.binding,
        ttl: a.ttlMs,
        id: a.create.id,
        rb: a.create.binding,
        principal: a.create.principal,
        rec: JSON.stringify(a.create),
      },
      i: i && { key: i.key, f: i.fingerprint, t: i.token, ttl: i.ttlMs },
      r: r && { id: r.id, ttl: r.ttlMs },
      s: request.session && { key: request.session.key, version: request.session.version },
    });
    const answer = await this.run(RESERVE, payload, { reservationId: r?.id, extra: counters });
    return reserveResult(JSON.parse(String(answer)) as RawReserve);
  }

  async settle(request: SettleRequest): Promise<SettleResult> {
    const session = request.session === undefined ? undefined : checkSessionAppend(request.session);
    const payload = JSON.stringify({
      adj: request.adjustments.map((s) => ({ ...counterShape(s), window: s.window, delta: s.delta })),
      i: request.idempotency && { key: request.idempotency.key, t: request.idempotency.token, action: request.idempotency.action },
      s: session && appendPayload(session),
    });
    const answer = await this.run(SETTLE, payload);
    if (Array.isArray(answer)) return { applied: true, session: appended(answer[1], answer[2]) };
    return { applied: Number(answer) === 1 };
  }

  async sessionLoad(query: SessionLoadRequest): Promise<SessionFacts> {
    checkSessionLoad(query);
    const answer = await this.run(SESSION_LOAD, JSON.stringify({ key: query.key, max: query.maxEntries }));
    if (!Array.isArray(answer) || answer.length < 2) throw new Error("RedisStore: unexpected answer from the session load script");
    const a = answer as string[];
    const now = num(a[1]);
    if (a[0] === "none") return { now, labels: [], events: [], provenance: {}, version: 0 };
    if (a[0] !== "ok" || a.length < 6) throw new Error("RedisStore: unexpected answer from the session load script");
    const facts = { now, labels: parseLabels(a[4]!), events: a.slice(6).map(parseEvent), provenance: parseProvenance(a[5]!), version: parseCount(a[2], "version") };
    return a[3] === "" ? facts : { ...facts, droppedUntil: parseCount(a[3], "dropped-until") };
  }

  async sessionAppend(request: SessionAppendRequest): Promise<SessionAppendResult> {
    const a = checkSessionAppend(request);
    const answer = await this.run(SESSION_APPEND, JSON.stringify(appendPayload(a)));
    if (!Array.isArray(answer) || answer.length !== 2) throw new Error("RedisStore: unexpected answer from the session append script");
    return appended(answer[0], answer[1]);
  }

  /**
   * Give back a reservation its caller gave up on. Still queued here: it is dropped, never sent (its
   * reserve fails with NotSentError). Sent: the cancel script runs after it on the same connection.
   */
  async cancel(reservationId: string, ttlMs: number): Promise<{ refunded: boolean }> {
    const op = this.queuedReserves.get(reservationId);
    if (op && op.state === "queued") {
      this.drop(op, new NotSentError("RedisStore: cancelled before it was sent"));
      return { refunded: false };
    }
    const answer = await this.run(CANCEL, JSON.stringify({ id: reservationId, ttl: ttlMs }), { urgent: true });
    return { refunded: Number(answer) === 1 };
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

  async listApprovals(query: { limit: number }): Promise<ApprovalList> {
    const r = JSON.parse(String(await this.run(LIST_APPROVALS, JSON.stringify({ limit: query?.limit ?? 0 })))) as { now: string; list?: RawApproval[] | Record<string, never>; more?: boolean };
    const list = Array.isArray(r.list) ? r.list : [];
    return { now: num(r.now), approvals: list.map(approvalOf), truncated: r.more === true };
  }

  /** Quit the client if the store created it; a host's client is left as it is. Queued operations fail unsent. */
  async close(): Promise<void> {
    this.closed = true;
    this.failQueued(new NotSentError("RedisStore: the store is closed"));
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

  /** One operation: queued (at most `queueTimeoutMs`), then sent in a pipeline (at most `timeoutMs` for its answer). */
  private run(s: Script, arg: string, how: { reservationId?: string | undefined; urgent?: boolean; extra?: string } = {}): Promise<unknown> {
    let now = "";
    if (this.clock) {
      const t = Math.floor(this.clock());
      if (!Number.isFinite(t)) return Promise.reject(new NotSentError("the store's clock returned a non-finite time"));
      now = String(t);
    }
    if (this.closed) return Promise.reject(new NotSentError("RedisStore: the store is closed"));
    return new Promise<unknown>((resolve, reject) => {
      const op: Op = { script: s, argv: how.extra === undefined ? [this.prefix, now, arg] : [this.prefix, now, arg, how.extra], resolve, reject, reservationId: how.reservationId, state: "queued", timer: undefined, resent: false };
      this.wait(op);
      (how.urgent ? this.urgent : this.queue).push(op);
      if (op.reservationId !== undefined) this.queuedReserves.set(op.reservationId, op);
      this.schedule();
    });
  }

  /** Start an operation's queue deadline. */
  private wait(op: Op): void {
    op.timer = setTimeout(
      () =>
        afterIo(() => {
          if (op.state === "queued") this.drop(op, new NotSentError(`RedisStore: not sent within ${this.queueTimeoutMs} ms (${this.inFlight} operations in flight)`));
        }),
      this.queueTimeoutMs,
    );
    op.timer.unref?.();
  }

  /** Fail a queued operation without sending it (it stays in its queue, skipped). */
  private drop(op: Op, err: Error): void {
    op.state = "done";
    clearTimeout(op.timer);
    if (op.reservationId !== undefined) this.queuedReserves.delete(op.reservationId);
    op.reject(err);
  }

  private failQueued(err: Error): void {
    for (const op of [...this.urgent, ...this.queue]) if (op.state === "queued") this.drop(op, err);
    this.urgent = [];
    this.queue = [];
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current turn: every operation issued in it goes out in one pipeline.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Send what is queued, up to the in-flight bound (cancels always), as one pipeline. */
  private flush(): void {
    const c = this.client;
    if (this.owned && c.status !== "ready") {
      // Connecting: wait for it (bounded), then send; reconnecting or closed: every queued operation fails unsent.
      this.whenReady().then(
        () => this.schedule(),
        (err: unknown) => this.failQueued(err instanceof NotSentError ? err : new NotSentError((err as Error)?.message ?? String(err))),
      );
      return;
    }
    // The connection's eviction policy is known before anything is sent on it.
    const ev = (this.eviction ??= {});
    if (ev.verdict === undefined) {
      ev.pending ??= this.checkEviction(ev).then(
        () => this.schedule(),
        (err: unknown) => {
          if (this.eviction === ev) this.eviction = undefined; // asked again next time
          this.failQueued(new NotSentError(`RedisStore: could not check the server's maxmemory-policy: ${(err as Error)?.message ?? String(err)}`));
        },
      );
      return;
    }
    if (ev.verdict !== "ok") {
      this.failQueued(new NotSentError(ev.verdict));
      return;
    }
    const batch: Op[] = [];
    for (const op of this.urgent) if (op.state === "queued") batch.push(op);
    this.urgent = [];
    let room = this.maxInFlight - this.inFlight;
    let taken = 0;
    while (room > 0 && taken < this.queue.length) {
      const op = this.queue[taken++]!;
      if (op.state !== "queued") continue;
      batch.push(op);
      room--;
    }
    this.queue = taken === this.queue.length ? [] : this.queue.slice(taken);
    if (batch.length === 0) return;

    if (batch.length === 1) {
      this.sendOne(batch[0]!);
      return;
    }
    const p = c.pipeline();
    const loads: Script[] = [];
    for (const op of batch) {
      if (!this.loaded.has(op.script.sha) && !loads.includes(op.script)) {
        loads.push(op.script);
        p.script("LOAD", op.script.lua);
      }
    }
    for (const op of batch) {
      p.evalsha(op.script.sha, 0, ...op.argv);
      this.sent(op);
    }
    this.inFlight += batch.length;
    p.exec().then(
      (results) => {
        loads.forEach((s, i) => {
          if (results?.[i] && !results[i]![0]) this.loaded.add(s.sha);
        });
        batch.forEach((op, i) => {
          const r = results?.[loads.length + i];
          if (!r) this.answer(op, new Error("RedisStore: no answer in the pipeline"), undefined);
          else this.answer(op, r[0], r[1]);
        });
      },
      (err: unknown) => {
        for (const op of batch) this.answer(op, err, undefined);
      },
    ).finally(() => {
      this.inFlight -= batch.length;
      if (this.urgent.length > 0 || this.queue.length > 0) this.schedule();
    });
  }

  /** Asks the server's `maxmemory-policy` (bounded by `timeoutMs`) and sets `ev.verdict`; rejects when unanswered. */
  private async checkEviction(ev: { verdict?: string }): Promise<void> {
    let reply: unknown;
    try {
      reply = await withTimeout(this.client.config("GET", "maxmemory-policy") as Promise<unknown>, this.timeoutMs, "RedisStore: CONFIG GET maxmemory-policy");
    } catch (err) {
      // The server answered with an error: CONFIG is disabled, renamed or not permitted. It cannot be asked.
      if ((err as Error)?.name === "ReplyError") {
        this.warnOnce(`RedisStore: cannot read the server's maxmemory-policy (${(err as Error).message}); make sure it is noeviction: an evicted counter or session reads as empty`);
        ev.verdict = "ok";
        return;
      }
      throw err;
    }
    const policy = Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : undefined;
    if (policy === "noeviction") ev.verdict = "ok";
    else if (policy === undefined) {
      this.warnOnce("RedisStore: the server did not say its maxmemory-policy; make sure it is noeviction");
      ev.verdict = "ok";
    } else if (this.allowEviction) {
      this.warnOnce(`RedisStore: the server's maxmemory-policy is ${policy}, not noeviction: an evicted counter or session reads as empty (allowed by allowEviction)`);
      ev.verdict = "ok";
    } else {
      ev.verdict = `RedisStore: the server's maxmemory-policy is ${policy}; it must be noeviction (an evicted counter or session would read as empty and let calls through), or create the store with allowEviction: true`;
    }
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    try {
      this.warn(message);
    } catch {
      // a warning never fails an operation
    }
  }

  /** One operation alone: plain commands (a pipeline object costs more than it saves for one). */
  private sendOne(op: Op): void {
    const c = this.client;
    const s = op.script;
    let load: Promise<unknown> | undefined;
    if (!this.loaded.has(s.sha)) {
      load = c.script("LOAD", s.lua).then(() => this.loaded.add(s.sha));
      load.catch(() => undefined); // its failure shows in the EVALSHA that follows (NOSCRIPT or the same error)
    }
    const sent = c.evalsha(s.sha, 0, ...op.argv);
    this.sent(op);
    this.inFlight++;
    sent.then(
      (value) => this.answer(op, undefined, value),
      (err: unknown) => this.answer(op, err, undefined),
    ).finally(() => {
      this.inFlight--;
      if (this.urgent.length > 0 || this.queue.length > 0) this.schedule();
    });
  }

  /** An operation is on the wire: its answer deadline starts. */
  private sent(op: Op): void {
    clearTimeout(op.timer);
    if (op.reservationId !== undefined) this.queuedReserves.delete(op.reservationId);
    op.state = "sent";
    op.timer = setTimeout(
      () =>
        afterIo(() => {
          if (op.state !== "sent") return;
          op.state = "done";
          op.reject(new Error(`RedisStore: no answer within ${this.timeoutMs} ms`));
        }),
      this.timeoutMs,
    );
    op.timer.unref?.();
  }

  private answer(op: Op, err: unknown, value: unknown): void {
    if (op.state !== "sent") return; // timed out: its caller has given up (and cancels a reserve)
    clearTimeout(op.timer);
    if (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (e.message.startsWith("NOSCRIPT") && !op.resent) {
        // The server's script cache was flushed: the script did not run; load it and send it again.
        this.loaded.delete(op.script.sha);
        op.resent = true;
        op.state = "queued";
        this.wait(op);
        this.urgent.push(op);
        this.schedule();
        return;
      }
      op.state = "done";
      op.reject(e);
      return;
    }
    op.state = "done";
    op.resolve(value);
  }

  /** The store's own client is connecting: wait for it (bounded); reconnecting or closed: fail now. */
  private whenReady(): Promise<void> {
    const c = this.client;
    if (c.status !== "connecting" && c.status !== "connect" && c.status !== "wait") {
      const why = c.status === "end" ? "the store is closed" : `Redis is unavailable${this.lastError ? `: ${this.lastError.message}` : ""}`;
      return Promise.reject(new NotSentError(`RedisStore: ${why}`));
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
      const onEnd = (): void => done(new NotSentError("RedisStore: the connection ended"));
      // Waiting to connect is waiting in the queue: the same bound.
      const timer = setTimeout(() => done(new NotSentError(`RedisStore: not connected within ${this.queueTimeoutMs} ms`)), this.queueTimeoutMs);
      timer.unref?.();
      c.on("ready", onReady);
      c.on("end", onEnd);
    });
  }
}
