/**
 * The state store contract: what the engine asks of a store (MemoryStore, RedisStore, or a host's own).
 * Every operation is one atomic step: no other operation on the same store interleaves with it, across
 * every engine and process that share the store. Time is the store's (`now` in every answer), so the
 * clocks of replicas cannot skew windows.
 *
 * The algorithm every store runs (MemoryStore in TypeScript, RedisStore in Lua) — they must agree:
 *
 * reserve(r):
 *  0. Reservation id: if `r.reservation` names a live reservation record (a cancel got there first: see
 *     cancel), answer `cancelled` and change nothing.
 *  1. Idempotency: if `r.idempotency` names a live record, answer `replay` with the record's state
 *     (`pending`, `committed`, `rolled_back`) when the fingerprint is the same, or `idempotency_conflict`
 *     when it is not, and change nothing: no counter, no approval, no state. A replay is never a fresh
 *     admission; the caller must not run the call again. A record lives its whole TTL whatever its state:
 *     a settled key (committed or rolled back) never admits another call.
 *  2. Approval: look up the approval bound to `r.approval.binding`. None, or expired: create a pending one
 *     (`r.approval.create`) and answer `approval_pending` (created). Pending: answer `approval_pending`.
 *     Rejected: answer `approval_rejected`. Approved: go on; it is consumed in step 4.
 *  3. Check every counter, in order, against its state at `now`; the first that cannot take its amount
 *     answers `exceeded` and nothing is written.
 *     - bucket: tokens = min(capacity, tokens + (now - ts) * rate), capacity when new; needs tokens >= amount;
 *       retryAfterMs = ceil((amount - tokens) / rate).
 *     - counter: window = windowMs > 0 ? floor((now - origin) / windowMs) : 0 (origin = windowOriginMs or 0);
 *       used resets to 0 in a new window; needs used < limit and used + amount <= limit; retryAfterMs =
 *       origin + (window + 1) * windowMs - now, or none for a windowless counter (it never resets while its key lives).
 *  4. Apply every counter (bucket: tokens -= amount, ts = now, TTL ceil(capacity / rate) + 1 s; counter:
 *     used += amount, TTL to the window's end (origin + (window + 1) * windowMs) + 1 s, or `ttlMs` when windowless, refreshed), delete the
 *     approval consumed, write the idempotency record (fingerprint, the owner's token, state `pending`)
 *     with its TTL, write the reservation record (what each counter took and in which window, the
 *     idempotency record's key) with `r.reservation.ttlMs`, and answer `ok` with the window of each counter.
 *
 * settle(s): with `s.idempotency`, the settlement belongs to the reservation that wrote the record: when
 * the record is live and its token is not `s.idempotency.token` (a replay, or anyone but the owner), or its
 * state is not `pending` (settled already), change nothing (`applied: false`). Otherwise apply each
 * adjustment: bucket: tokens = min(capacity, refilled tokens - delta) when the key exists; counter: when
 * `window` is still the current window, used = max(0, used + delta). Then set the record's state to
 * `committed` or `rolled_back` (it keeps its TTL and is never deleted early).
 *
 * cancel(id, ttlMs): the caller of a reserve with this reservation id gave up on it (timed out, lost its
 * answer) and will never settle it. Idempotent. No live record: the reserve has not run (yet): write a
 * `cancelled` record with `ttlMs`, so the reserve, if it ever runs, changes nothing (step 0). A `pending`
 * record: give back what each counter took (bucket: tokens += amount when the key exists; counter: when its
 * window is still current, used = max(0, used - amount)), mark the idempotency record it wrote
 * `rolled_back`, and mark the reservation `cancelled`. A `cancelled` record: change nothing. An approval
 * consumed by the cancelled reserve stays consumed (the call must be approved again).
 * A store whose `reserve` answers synchronously (MemoryStore) may write no reservation record in step 4:
 * its caller has the answer before it could give up, so nothing it ran is ever cancelled.
 *
 * ======== NEW OPERATIONS: written here first (next: the session state of issue 14) ========
 * A new atomic operation is added in this order, and is not done until all four exist:
 *  (1) its algorithm in this header, step by step, in the style above;
 *  (2) MemoryStore (memory.ts), in TypeScript, synchronous;
 *  (3) RedisStore: one Lua script (redis-script.ts), so it is one atomic step on the server;
 *  (4) cases in the ONE contract suite (test/store-contract.test.ts), which runs each against both.
 * It is an optional method of `Store` (as `cancel` is), so a host's own store keeps compiling; the engine
 * denies, fail closed, a call that needs an operation its store lacks. Its keys get a namespace in
 * `KEYS`, its bounds (entries, labels, bytes) a name in source/limits.ts. The engine phase that calls
 * it is named beside it; each phase's header says what it relies on.
 *
 * Session state (issue 14). A session record, per `key` (sessionKey(principal.id, session.id) in
 * session.ts: a hash, as idempotency keys are, so no principal reads or writes another's session), holds:
 * `labels` (a set of strings in the order first added; only ever added), `events` (SessionEvent,
 * contract/session.ts, in append order, the oldest dropped beyond a cap), `droppedUntil` (the greatest
 * `at` among the events ever dropped; absent when none was), `provenance` (label -> fingerprint strings,
 * oldest first, capped per label), `version` (the number of appends: bumped by every one) and an expiry.
 * Liveness is judged on the expiry in the store's clock, as for every other key. Every bound a request
 * can name is checked against source/limits.ts before anything runs: a request over one is refused
 * (TypeError), never trimmed.
 *
 * sessionLoad(q), for the `load session facts` phase. q: { key, maxEntries }.
 *  1. Not live (unknown, or expired at `now`): answer { now, labels: [], events: [], provenance: {},
 *     version: 0 }, never an error.
 *  2. Live: answer one consistent snapshot as of `now`: the labels, the last `maxEntries` events (oldest
 *     first), the provenance, the version, and `droppedUntil` = the greatest of the record's
 *     `droppedUntil` and the `at` of the newest event left out by `maxEntries` (absent when neither
 *     exists): whoever reads a window must know the history it sees may be cut. A record that does not
 *     parse is an error (the engine denies), never empty facts.
 *  3. Change nothing: reading does not extend the session's life.
 *
 * sessionAppend(a), for `settle and record`. a: { key, event (a SessionEvent without `at`), labels,
 * provenance (label -> new fingerprints), ttlMs, maxEntries, maxFingerprintsPerLabel }.
 *  1. Read the record (not live: start from the empty record of version 0). A record that does not
 *     parse is an error, and nothing is written.
 *  2. Labels: add each of `labels` not in the set yet, in request order. Taint is monotone: no later call
 *     clears it. When the set would exceed LIMITS.maxSessionLabels, or the provenance would name more
 *     labels than that, the append is an error and nothing is written (fail closed: a label is never
 *     silently lost).
 *  3. Events: append `{ at: now, ...event }`; while more than `maxEntries` are held, drop the oldest and
 *     set droppedUntil = max(droppedUntil, its `at`).
 *  4. Provenance: for each label, the list becomes the old one without the fingerprints being added,
 *     followed by the new ones (duplicates kept at their first place), cut to the last
 *     `maxFingerprintsPerLabel` (the oldest dropped). A label with no new fingerprint is left alone.
 *  5. version += 1; the record expires `ttlMs` from now. Answer { now, version }.
 *  For a call that ran it is part of settle(s) (`s.session`), in the same atomic step as the settlement,
 *  and applied only when the settlement is (without an idempotency key: always; with one: the owner's
 *  first settle), so a replay or a second settle never records a call twice; steps 1-2 run before any
 *  adjustment, so a session error leaves the counters as they were. settle then answers
 *  { applied: true, session: { now, version } }. A call that ended before the tool (denied, sent to
 *  approval) is recorded by sessionAppend alone.
 *
 * Check-then-act between the two: reserve(r) gains `r.session: { key, version }`. Step 0b, after step 0
 * and before step 1: when the session's version at `now` (0 when not live) is not `version` (a call was
 * recorded since this call's facts were loaded), answer `session_changed` and change nothing; the engine
 * loads and decides again, once (a second change denies, fail closed). So no call is admitted on facts
 * older than the last record that was written before its reservation. Labels a call in flight will bring
 * are unknown until it settles (a record written between its reserve and its settle does not stop it).
 *
 * listApprovals(q), for `engine.listApprovals` and `mcppolicy approvals list` (issue 12). q: { limit }.
 *  1. Every approval record whose key lives and that has not expired (expiresAt > now): pending,
 *     approved (not yet consumed) and rejected, ordered by their key's expiry (createdAt + the TTL + the
 *     grace: oldest first when every engine uses one TTL) then id, at most `limit` of them
 *     (LIMITS.maxListedApprovals, 1000, is the engine's cap), and `truncated: true` when there were more.
 *  2. Change nothing but bookkeeping: an index of approval ids (`KEYS.approvalIndex`, RedisStore: a sorted
 *     set scored by each record's key expiry, pruned of expired entries on every create and list, its
 *     own TTL the latest expiry) is kept by reserve (step 2 adds a created record, step 4 removes the one
 *     consumed); an entry whose record is gone is skipped.
 * ======== end of new operations ========
 */

import type { Approvers } from "../../contract/decision.js";
import type { ProvenanceFacts, SessionEvent } from "../../contract/session.js";

export type CounterMode = "bucket" | "counter";

/** What names a counter and how it counts: the same in a reservation and in its settlement. */
export interface CounterShape {
  /** The logical key; the store adds its prefix. */
  readonly key: string;
  readonly mode: CounterMode;
  /** bucket: capacity; counter: the most `used` may reach. */
  readonly limit: number;
  /** bucket: tokens added per millisecond. */
  readonly rate?: number;
  /** counter: fixed window length; 0 = no window (the key's life, `ttlMs`). */
  readonly windowMs: number;
  /**
   * counter: where windows start counting (ms since the epoch); absent = 0. Weeks start on Monday
   * 00:00 UTC (345600000). Window = floor((now - origin) / windowMs); it ends at origin + (window + 1) * windowMs.
   */
  readonly windowOriginMs?: number;
  /** counter without a window: how long the key lives after its last change. */
  readonly ttlMs: number;
}

export interface CounterSpec extends CounterShape {
  /** What this call takes now (bucket: 1; calls: 1; tokens and cost: the reserved estimate, maybe 0). */
  readonly amount: number;
}

export interface ApprovalRecord {
  readonly id: string;
  /** The canonical hash of principal, tool, arguments, policy version and (when named) the upstream server. */
  readonly binding: string;
  readonly principal: string;
  readonly tool: string;
  /** The upstream MCP server the call goes to, when the request named one (`server.name`). */
  readonly server?: string;
  readonly policyVersion: string;
  /** The call's arguments, redacted by the policy, for an approver to read. */
  readonly arguments: unknown;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly status: "pending" | "approved" | "rejected";
  readonly approver?: string;
  readonly decidedAt?: number;
  /** Who may approve, from the policy's decision (`by ...`); absent (records written before): `others`. */
  readonly approvers?: Approvers;
}

/** What `listApprovals` answers: the live approvals (see the contract above) at the store's `now`. */
export interface ApprovalList {
  readonly now: number;
  readonly approvals: readonly ApprovalRecord[];
  /** More live approvals than `limit` existed; the oldest `limit` are listed. */
  readonly truncated: boolean;
}

export interface ReserveRequest {
  readonly counters: readonly CounterSpec[];
  readonly approval?: {
    readonly binding: string;
    /** The record to create when no live approval is bound (its times are set by the store). */
    readonly create: Omit<ApprovalRecord, "createdAt" | "expiresAt" | "status">;
    readonly ttlMs: number;
  };
  /**
   * `key` scopes the call (the engine hashes principal, session and the host's key into it), `fingerprint`
   * binds it to one request, and `token` is a secret only the reserving caller holds: it alone may settle.
   */
  readonly idempotency?: { readonly key: string; readonly fingerprint: string; readonly token: string; readonly ttlMs: number };
  /** An id unique to this reserve (random), so `cancel` can refund it if its caller gives up on it. */
  readonly reservation?: { readonly id: string; readonly ttlMs: number };
  /** Step 0b: admit only while the session is still at `version` (what the call's facts were loaded at). */
  readonly session?: { readonly key: string; readonly version: number };
}

/** What happened to the first call under an idempotency key, as a replay reports it. */
export type IdempotencyState = "pending" | "committed" | "rolled_back";

export type ReserveResult =
  | { readonly status: "ok"; readonly now: number; readonly windows: readonly number[]; readonly approvalId?: string }
  | { readonly status: "replay"; readonly now: number; readonly state: IdempotencyState }
  | { readonly status: "exceeded"; readonly now: number; readonly index: number; readonly used: number; readonly retryAfterMs?: number }
  | { readonly status: "approval_pending"; readonly now: number; readonly approval: ApprovalRecord; readonly created: boolean }
  | { readonly status: "approval_rejected"; readonly now: number; readonly approval: ApprovalRecord }
  | { readonly status: "idempotency_conflict"; readonly now: number }
  | { readonly status: "cancelled"; readonly now: number }
  | { readonly status: "session_changed"; readonly now: number };

export interface Adjustment extends CounterShape {
  /** The window the reservation was made in (counter). */
  readonly window: number;
  /**
   * counter: added to `used` (negative gives back); bucket: taken from tokens (-1 gives one back). A bucket
   * is only ever refunded (delta <= 0): a bucket's key keeps the expiry set when it was charged.
   */
  readonly delta: number;
}

export interface SettleRequest {
  readonly adjustments: readonly Adjustment[];
  readonly idempotency?: { readonly key: string; readonly token: string; readonly action: "commit" | "rollback" };
  /** Record the call in its session, in the same atomic step, only when the settlement is applied. */
  readonly session?: SessionAppendRequest;
}

/** What settle answers; `session` when the settlement was applied with `s.session`. */
export interface SettleResult {
  readonly applied: boolean;
  readonly session?: SessionAppendResult;
}

/** sessionLoad's question (see the contract above). */
export interface SessionLoadRequest {
  /** sessionKey(principal.id, session.id). */
  readonly key: string;
  /** The most events answered (the newest); 0..LIMITS.maxSessionEvents. */
  readonly maxEntries: number;
}

/** A session's facts as of `now` (see the contract above). */
export interface SessionFacts {
  readonly now: number;
  /** In the order first added. */
  readonly labels: readonly string[];
  /** Oldest first, at most the `maxEntries` asked for. */
  readonly events: readonly SessionEvent[];
  /** Events at or before this time may be missing (dropped by the cap, or left out by `maxEntries`). */
  readonly droppedUntil?: number;
  readonly provenance: Readonly<ProvenanceFacts>;
  /** 0 for a session that is unknown or expired. */
  readonly version: number;
}

/** sessionAppend's request, and settle's `session` (see the contract above). */
export interface SessionAppendRequest {
  readonly key: string;
  /** The event; the store sets `at` to its `now`. */
  readonly event: Omit<SessionEvent, "at">;
  /** Labels to add to the session's set. */
  readonly labels: readonly string[];
  /** label -> fingerprints to add to that label's list. */
  readonly provenance: Readonly<Record<string, readonly string[]>>;
  /** The session's life from now (refreshed by every append). */
  readonly ttlMs: number;
  /** The most events kept (1..LIMITS.maxSessionEvents). */
  readonly maxEntries: number;
  /** The most fingerprints kept per label (1..LIMITS.maxSessionFingerprintsPerLabel). */
  readonly maxFingerprintsPerLabel: number;
}

export interface SessionAppendResult {
  readonly now: number;
  readonly version: number;
}

export type ApproveOutcome =
  | { readonly status: "approved" | "rejected"; readonly approval: ApprovalRecord }
  | { readonly status: "unknown" | "expired" | "not_pending" | "self_approval"; readonly approval?: ApprovalRecord };

export interface Store {
  reserve(request: ReserveRequest): Promise<ReserveResult> | ReserveResult;
  settle(request: SettleRequest): Promise<SettleResult> | SettleResult;
  /** Decide a pending approval. `allowSelf: false` refuses an approver who is the approval's principal. */
  decideApproval(id: string, decision: { approve: boolean; approver: string; allowSelf: boolean }): Promise<ApproveOutcome> | ApproveOutcome;
  getApproval(id: string): Promise<ApprovalRecord | undefined> | ApprovalRecord | undefined;
  /**
   * Give back a reservation whose caller gave up on it (see the contract above): `refunded` when it had
   * been applied, `false` otherwise. A store without it cannot refund a reserve applied after its timeout.
   */
  cancel?(reservationId: string, ttlMs: number): Promise<{ refunded: boolean }> | { refunded: boolean };
  /** The live approvals, oldest first, at most `limit` (see the contract above). Optional: a host's own store may lack it. */
  listApprovals?(query: { limit: number }): Promise<ApprovalList> | ApprovalList;
  /**
   * The session's facts (see the contract above). Optional: the engine denies a call whose policy needs
   * session facts when its store lacks it. A store that has it honours `r.session` in reserve and
   * `s.session` in settle too.
   */
  sessionLoad?(query: SessionLoadRequest): Promise<SessionFacts> | SessionFacts;
  /** Record one event (and its labels and provenance) in a session (see the contract above). */
  sessionAppend?(request: SessionAppendRequest): Promise<SessionAppendResult> | SessionAppendResult;
  /** Release connections and timers. */
  close?(): Promise<void> | void;
}

/** The shape fields of a counter alone (what a store sends for it, besides amount or window and delta). */
export function counterShape(c: CounterShape): CounterShape {
  return c.rate === undefined
    ? c.windowOriginMs === undefined
      ? { key: c.key, mode: c.mode, limit: c.limit, windowMs: c.windowMs, ttlMs: c.ttlMs }
      : { key: c.key, mode: c.mode, limit: c.limit, windowMs: c.windowMs, windowOriginMs: c.windowOriginMs, ttlMs: c.ttlMs }
    : { key: c.key, mode: c.mode, limit: c.limit, rate: c.rate, windowMs: c.windowMs, ttlMs: c.ttlMs };
}

/**
 * An operation the store failed without sending it (its queue deadline passed, or the connection is
 * down): it certainly did not run, so there is nothing to cancel.
 */
export class NotSentError extends Error {
  override name = "NotSentError";
  readonly notSent = true;
}

/** Whether an error says the operation certainly did not run. */
export function notSent(err: unknown): boolean {
  return err instanceof NotSentError || (typeof err === "object" && err !== null && (err as { notSent?: unknown }).notSent === true);
}

/** How long a reservation record lives: long enough for a late answer and every retried cancel. */
export const RESERVATION_TTL_MS = 30_000;

/** Key namespaces inside a store (after its prefix). */
export const KEYS = {
  counter: (k: string) => `b:${k}`,
  approval: (id: string) => `a:${id}`,
  /** The index of approval ids `listApprovals` reads (one key). */
  approvalIndex: () => "al:",
  binding: (hash: string) => `ab:${hash}`,
  idempotency: (k: string) => `i:${k}`,
  reservation: (id: string) => `r:${id}`,
  /** A session record (its labels, provenance, version, expiry); `k` from sessionKey. */
  session: (k: string) => `s:${k}`,
  /** A session's events, oldest first (RedisStore: a list beside the record, with the same expiry). */
  sessionEvents: (k: string) => `se:${k}`,
} as const;

/** A counter's fixed window at `now` (0 when windowless): the one formula every store uses. */
export function windowAt(c: CounterShape, now: number): number {
  return c.windowMs > 0 ? Math.floor((now - (c.windowOriginMs ?? 0)) / c.windowMs) : 0;
}

/** When fixed window `w` of a counter ends (ms since the epoch). */
export function windowEnd(c: CounterShape, w: number): number {
  return (c.windowOriginMs ?? 0) + (w + 1) * c.windowMs;
}

/** The TTL grace added past a window's end or a bucket's full refill. */
export const TTL_GRACE_MS = 1000;
