/**
 * MemoryStore: the embedded default store, for one process. Runs the algorithm of `store.ts`
 * synchronously, so each operation is atomic among every engine in the process that shares the
 * instance. Every key carries an expiry and expired keys are swept, so state never grows without bound.
 * Counters live only as long as the process: use RedisStore to share them across replicas and restarts.
 * Its reserve answers synchronously, so it keeps no reservation records (see `cancel`).
 * Session records keep their events deep-frozen in an append-only log (eval/history-window.ts): each load
 * answers a frozen window of the stored objects, which the request check and the compiled index recognise
 * in O(1) (the engine asks `sessionLend` instead: the same facts with the window lent, not copied); an
 * append drops the oldest events without moving the rest (amortized compaction).
 */
import {
  KEYS,
  TTL_GRACE_MS,
  windowAt,
  windowEnd,
  type ApprovalList,
  type ApprovalRecord,
  type ApproveOutcome,
  type IdempotencyState,
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
import { LIMITS } from "../../source/limits.js";
import { EventLog, type LentWindow } from "../../eval/history-window.js";
import { addLabels, checkSessionAppend, checkSessionGuard, checkSessionLoad, mergeFingerprints, setOwn, TOO_MANY_LABELS, type CheckedAppend } from "./session.js";

export interface MemoryStoreOptions {
  /** The clock, epoch milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
  /** How often expired keys are swept, in clock milliseconds. Default 10 s. */
  sweepEveryMs?: number;
}

interface Slot {
  expiresAt: number;
  // bucket: a = tokens, b = last refill; counter: a = used, b = window
  a: number;
  b: number;
}

interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly token: string;
  state: IdempotencyState;
}

interface Item<T> {
  expiresAt: number;
  value: T;
}

interface SessionRecord {
  expiresAt: number;
  version: number;
  /** In the order first added. */
  readonly labels: Set<string>;
  /** Oldest first; each deep-frozen; loads answer its frozen windows (eval/history-window.ts). */
  readonly events: EventLog;
  droppedUntil: number | undefined;
  /** label -> fingerprints, oldest first (each array frozen, replaced on change). */
  readonly provenance: Map<string, readonly string[]>;
}

const NO_WINDOWS: readonly number[] = Object.freeze([]);

/** What `sessionLend` answers: sessionLoad's facts, with the events lent instead of copied. */
export interface LentSessionFacts extends Omit<SessionFacts, "events"> {
  readonly lent: LentWindow;
}

/** The log an unknown session lends from: empty, never appended to. */
const EMPTY_LOG = new EventLog();


export class MemoryStore implements Store {
  private readonly counters = new Map<string, Slot>();
  private readonly approvals = new Map<string, Item<ApprovalRecord>>();
  private readonly bindings = new Map<string, Item<string>>();
  private readonly idempotency = new Map<string, Item<IdempotencyRecord>>();
  /** Reservations cancelled before they ran (see `cancel`). */
  private readonly cancelled = new Map<string, Item<true>>();
  /** Session records by their key as given (sessionKey's hash): a map of its own needs no namespace prefix. */
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly clock: () => number;
  private readonly sweepEveryMs: number;
  private nextSweep = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = typeof options.now === "function" ? options.now : Date.now;
    this.sweepEveryMs = options.sweepEveryMs && options.sweepEveryMs > 0 ? options.sweepEveryMs : 10_000;
  }

  /** How many keys the store holds (live or not yet swept). */
  get size(): number {
    return this.counters.size + this.approvals.size + this.bindings.size + this.idempotency.size + this.cancelled.size + this.sessions.size;
  }

  private now(): number {
    const t = Math.floor(this.clock());
    if (!Number.isFinite(t)) throw new Error("the store's clock returned a non-finite time");
    if (t >= this.nextSweep) this.sweep(t);
    return t;
  }

  /** Drop every expired key. */
  sweep(now: number = Math.floor(this.clock())): void {
    this.nextSweep = now + this.sweepEveryMs;
    for (const map of [this.counters, this.approvals, this.bindings, this.idempotency, this.cancelled, this.sessions] as Map<string, { expiresAt: number }>[]) {
      for (const [k, v] of map) if (v.expiresAt <= now) map.delete(k);
    }
  }

  private live<T extends { expiresAt: number }>(map: Map<string, T>, key: string, now: number): T | undefined {
    const v = map.get(key);
    if (v === undefined) return undefined;
    if (v.expiresAt <= now) {
      map.delete(key);
      return undefined;
    }
    return v;
  }

  reserve(request: ReserveRequest): ReserveResult {
    const guard = request.session;
    if (guard !== undefined) checkSessionGuard(guard);
    const now = this.now();
    const res = request.reservation;
    if (res && this.cancelled.size > 0 && this.live(this.cancelled, KEYS.reservation(res.id), now)) return { status: "cancelled", now };
    // 0b. The session moved on since this call's facts were loaded.
    if (guard !== undefined && (this.live(this.sessions, guard.key, now)?.version ?? 0) !== guard.version) return { status: "session_changed", now };
    const idem = request.idempotency;
    if (idem) {
      const rec = this.live(this.idempotency, KEYS.idempotency(idem.key), now);
      if (rec) {
        if (rec.value.fingerprint !== idem.fingerprint) return { status: "idempotency_conflict", now };
        return { status: "replay", now, state: rec.value.state };
      }
    }
    let approved: ApprovalRecord | undefined;
    if (request.approval) {
      const a = request.approval;
      const bound = this.live(this.bindings, KEYS.binding(a.binding), now);
      const rec = bound ? this.live(this.approvals, KEYS.approval(bound.value), now)?.value : undefined;
      if (!rec || rec.expiresAt <= now) {
        const created: ApprovalRecord = { ...a.create, createdAt: now, expiresAt: now + a.ttlMs, status: "pending" };
        const expiresAt = created.expiresAt + TTL_GRACE_MS;
        this.approvals.set(KEYS.approval(created.id), { expiresAt, value: created });
        this.bindings.set(KEYS.binding(a.binding), { expiresAt, value: created.id });
        return { status: "approval_pending", now, approval: created, created: true };
      }
      if (rec.status === "pending") return { status: "approval_pending", now, approval: rec, created: false };
      if (rec.status === "rejected") return { status: "approval_rejected", now, approval: rec };
      approved = rec;
    }

    const specs = request.counters;
    const n = specs.length;
    // Check every counter before writing any: `values` holds each one's current state.
    const slots: (Slot | undefined)[] = n === 0 ? [] : new Array(n);
    const values: number[] = n === 0 ? [] : new Array(n);
    const windows: number[] = n === 0 ? (NO_WINDOWS as number[]) : new Array(n);
    for (let i = 0; i < n; i++) {
      const c = specs[i]!;
      const slot = this.live(this.counters, KEYS.counter(c.key), now);
      if (c.mode === "bucket") {
        const rate = c.rate!;
        const tokens = slot ? Math.min(c.limit, slot.a + (now - slot.b) * rate) : c.limit;
        if (tokens < c.amount) return { status: "exceeded", now, index: i, used: c.limit - tokens, retryAfterMs: Math.ceil((c.amount - tokens) / rate) };
        windows[i] = 0;
        values[i] = tokens;
      } else {
        const w = windowAt(c, now);
        const used = slot && slot.b === w ? slot.a : 0;
        if (used >= c.limit || used + c.amount > c.limit) {
          return c.windowMs > 0
            ? { status: "exceeded", now, index: i, used, retryAfterMs: windowEnd(c, w) - now }
            : { status: "exceeded", now, index: i, used };
        }
        windows[i] = w;
        values[i] = used;
      }
      slots[i] = slot;
    }
    for (let i = 0; i < n; i++) {
      const c = specs[i]!;
      const slot = slots[i] ?? this.newSlot(KEYS.counter(c.key));
      if (c.mode === "bucket") {
        slot.a = values[i]! - c.amount;
        slot.b = now;
        slot.expiresAt = now + Math.ceil(c.limit / c.rate!) + TTL_GRACE_MS;
      } else {
        slot.a = values[i]! + c.amount;
        slot.b = windows[i]!;
        slot.expiresAt = c.windowMs > 0 ? windowEnd(c, windows[i]!) + TTL_GRACE_MS : now + c.ttlMs;
      }
    }
    if (approved) {
      this.approvals.delete(KEYS.approval(approved.id));
      this.bindings.delete(KEYS.binding(approved.binding));
    }
    if (idem) {
      this.idempotency.set(KEYS.idempotency(idem.key), { expiresAt: now + idem.ttlMs, value: { fingerprint: idem.fingerprint, token: idem.token, state: "pending" } });
    }
    return approved ? { status: "ok", now, windows, approvalId: approved.id } : { status: "ok", now, windows };
  }

  private newSlot(key: string): Slot {
    const s: Slot = { expiresAt: 0, a: 0, b: 0 };
    this.counters.set(key, s);
    return s;
  }

  settle(request: SettleRequest): SettleResult {
    const append = request.session === undefined ? undefined : checkSessionAppend(request.session);
    const now = this.now();
    const idem = request.idempotency;
    const rec = idem ? this.live(this.idempotency, KEYS.idempotency(idem.key), now) : undefined;
    // Only the owner settles, once: a replay (or anyone without the token) and a second settle change nothing.
    if (rec && (rec.value.token !== idem!.token || rec.value.state !== "pending")) return { applied: false };
    // The session's checks run before any adjustment: a session error changes nothing.
    const session = append && this.sessionCheck(append, now);
    for (const adj of request.adjustments) {
      const key = KEYS.counter(adj.key);
      const slot = this.live(this.counters, key, now);
      if (adj.mode === "bucket") {
        if (!slot) continue;
        const rate = adj.rate!;
        slot.a = Math.min(adj.limit, Math.min(adj.limit, slot.a + (now - slot.b) * rate) - adj.delta);
        slot.b = now;
      } else {
        const w = windowAt(adj, now);
        if (w !== adj.window) continue;
        const s = slot ?? this.newSlot(key);
        s.a = Math.max(0, (slot && slot.b === w ? slot.a : 0) + adj.delta);
        s.b = w;
        s.expiresAt = adj.windowMs > 0 ? windowEnd(adj, w) + TTL_GRACE_MS : now + adj.ttlMs;
      }
    }
    if (rec) rec.value.state = idem!.action === "commit" ? "committed" : "rolled_back";
    return append ? { applied: true, session: this.sessionApply(append, now, session) } : { applied: true };
  }

  sessionLoad(query: SessionLoadRequest): SessionFacts {
    const { now, labels, provenance, version, dropped, log, from } = this.loadFacts(query);
    const events = log === undefined ? [] : log.window(from);
    return dropped === undefined ? { now, labels, events, provenance, version } : { now, labels, events, provenance, version, droppedUntil: dropped };
  }

  /**
   * sessionLoad with the events lent instead of copied (eval/history-window.ts `LentWindow`, O(1)): what
   * the engine's load phase asks of a store whose `sessionLoad` and `sessionLend` are this class's own
   * (runtime/phases/load-session.ts), to decide without copying the session's window on every call.
   * @internal
   */
  sessionLend(query: SessionLoadRequest): LentSessionFacts {
    const { now, labels, provenance, version, dropped, log, from } = this.loadFacts(query);
    const lent = (log ?? EMPTY_LOG).lend(from);
    return dropped === undefined ? { now, labels, lent, provenance, version } : { now, labels, lent, provenance, version, droppedUntil: dropped };
  }

  /** sessionLoad's facts but the events: the log (undefined: the session is unknown or expired) and the first event asked. */
  private loadFacts(query: SessionLoadRequest): { now: number; labels: string[]; provenance: Record<string, string[]>; version: number; dropped: number | undefined; log: EventLog | undefined; from: number } {
    checkSessionLoad(query);
    const now = this.now();
    const rec = this.live(this.sessions, query.key, now);
    if (!rec) return { now, labels: [], provenance: {}, version: 0, dropped: undefined, log: undefined, from: 0 };
    const all = rec.events;
    const left = Math.max(0, all.length - query.maxEntries);
    let dropped = rec.droppedUntil;
    if (left > 0) dropped = Math.max(dropped ?? -Infinity, all.get(left - 1)!.at);
    const provenance: Record<string, string[]> = {};
    for (const [label, fps] of rec.provenance) setOwn(provenance, label, fps as string[]);
    return { now, labels: [...rec.labels], provenance, version: rec.version, dropped, log: all, from: left };
  }

  sessionAppend(request: SessionAppendRequest): SessionAppendResult {
    const append = checkSessionAppend(request);
    const now = this.now();
    return this.sessionApply(append, now, this.sessionCheck(append, now));
  }

  /** Steps 1-2 of sessionAppend's checks: the live record (or none), or a throw that changes nothing. */
  private sessionCheck(a: CheckedAppend, now: number): SessionRecord | undefined {
    const rec = this.live(this.sessions, a.key, now);
    let labels = rec ? rec.labels.size : 0;
    if (a.labels.length > 0) for (const l of new Set(a.labels)) if (!rec?.labels.has(l)) labels++;
    let named = rec ? rec.provenance.size : 0;
    for (let i = 0; i < a.provenance.length; i++) if (!rec?.provenance.has(a.provenance[i]![0])) named++;
    if (labels > LIMITS.maxSessionLabels || named > LIMITS.maxSessionLabels) throw new Error(TOO_MANY_LABELS);
    return rec;
  }

  /** Steps 2-5 of sessionAppend, on the record `sessionCheck` answered. */
  private sessionApply(a: CheckedAppend, now: number, found: SessionRecord | undefined): SessionAppendResult {
    let rec = found;
    if (!rec) {
      rec = { expiresAt: 0, version: 0, labels: new Set(), events: new EventLog(), droppedUntil: undefined, provenance: new Map() };
      this.sessions.set(a.key, rec);
    }
    addLabels(rec.labels, a.labels);
    rec.events.append(now, a.eventJson, a.sealed);
    const over = rec.events.length - a.maxEntries;
    if (over > 0) {
      const newestDropped = rec.events.get(over - 1)!.at;
      rec.events.dropOldest(over);
      rec.droppedUntil = Math.max(rec.droppedUntil ?? -Infinity, newestDropped);
    }
    for (let i = 0; i < a.provenance.length; i++) {
      const [label, fps] = a.provenance[i]!;
      rec.provenance.set(label, Object.freeze(mergeFingerprints(rec.provenance.get(label) ?? [], fps, a.maxFingerprintsPerLabel)));
    }
    rec.version++;
    rec.expiresAt = now + a.ttlMs;
    return { now, version: rec.version };
  }

  /**
   * This store answers `reserve` synchronously, so no caller ever gives up on a reserve that ran, and it
   * keeps no record of reserves (the contract allows it: see store.ts): a cancel only makes sure a reserve
   * with this id that has not run yet changes nothing when it does.
   */
  cancel(reservationId: string, ttlMs: number): { refunded: boolean } {
    const now = this.now();
    const key = KEYS.reservation(reservationId);
    if (!this.live(this.cancelled, key, now)) this.cancelled.set(key, { expiresAt: now + ttlMs, value: true });
    return { refunded: false };
  }

  decideApproval(id: string, d: { approve: boolean; approver: string; allowSelf: boolean }): ApproveOutcome {
    const now = this.now();
    // `live`, not `get`: a record past its key's expiry is gone, whether or not a sweep has run yet
    // (as in RedisStore, where the key's TTL removes it).
    const item = this.live(this.approvals, KEYS.approval(id), now);
    if (!item) return { status: "unknown" };
    const rec = item.value;
    if (rec.expiresAt <= now) return { status: "expired", approval: rec };
    if (rec.status !== "pending") return { status: "not_pending", approval: rec };
    if (!d.allowSelf && d.approver === rec.principal) return { status: "self_approval", approval: rec };
    const decided: ApprovalRecord = { ...rec, status: d.approve ? "approved" : "rejected", approver: d.approver, decidedAt: now };
    item.value = decided;
    return { status: decided.status as "approved" | "rejected", approval: decided };
  }

  getApproval(id: string): ApprovalRecord | undefined {
    return this.live(this.approvals, KEYS.approval(id), this.now())?.value;
  }

  /** The live approvals, oldest first, at most `limit` (the map is the index: no extra key). */
  listApprovals(query: { limit: number }): ApprovalList {
    const now = this.now();
    const limit = Math.max(0, Math.floor(query?.limit ?? 0));
    const all: Item<ApprovalRecord>[] = [];
    for (const item of this.approvals.values()) if (item.expiresAt > now && item.value.expiresAt > now) all.push(item);
    all.sort((a, b) => a.expiresAt - b.expiresAt || (a.value.id < b.value.id ? -1 : a.value.id > b.value.id ? 1 : 0));
    return { now, approvals: all.slice(0, limit).map((i) => i.value), truncated: all.length > limit };
  }

  close(): void {
    this.counters.clear();
    this.approvals.clear();
    this.bindings.clear();
    this.idempotency.clear();
    this.cancelled.clear();
    this.sessions.clear();
  }
}
