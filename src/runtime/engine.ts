/**
 * The engine: a compiled policy plus state. `authorize` decides a request with the policy, then
 * reserves its budgets, checks or creates its approval, and honours its idempotency key, in one atomic
 * store operation.
 * Guarantees:
 * - Never rejects and never allows on a fault: a store that errs or answers later than `timeoutMs` denies
 *   (`budget_unavailable`), unless every budget the call needs is marked `fail open`. A reserve given up
 *   on that may still have run is cancelled by its reservation id (`store.cancel`, retried), so a
 *   reservation applied after its caller was denied is given back.
 * - Only allowed calls are charged; a denied call (by policy, budget, approval or idempotency) costs nothing.
 * - An approval is bound to the principal, the tool, the canonical arguments and the policy version, lives
 *   until its expiry, and lets exactly one call through.
 * - An idempotency key is scoped by principal and session and bound to the request's fingerprint. The first
 *   call under a key is admitted at most once; every later one (in parallel, after a commit or a rollback,
 *   from any replica) gets `effect: "replay"` with the first call's state, never `allow`, and cannot settle
 *   or refund the first call's reservation. A key is honoured even when the call reserves nothing.
 * - `reload` swaps the policy atomically; budgets whose meaning did not change keep their counters.
 */
import { randomBytes } from "node:crypto";
import type { Policy } from "../policy.js";
import { Authorization, checkUsage, type PendingApproval } from "./authorization.js";
import { planCounters, prepareBudgets, type Estimate, type PlannedCounter, type PreparedBudget } from "./budget-plan.js";
import { canonicalHash, CanonicalError } from "../contract/canonical.js";
import { MemoryStore } from "./store/memory.js";
import { notSent, RESERVATION_TTL_MS, type ApprovalRecord, type ReserveRequest, type ReserveResult, type Store } from "./store/store.js";
import type { ResolvedUrl, ResolveOptions } from "../eval/resolve.js";
import { withTimeout } from "../eval/timeout.js";
import type { Decision, PolicyRequest, Reason } from "../contract/index.js";
import { requestTarget } from "../contract/methods.js";

export interface EngineOptions {
  /** Where counters and approvals live. Default: a new MemoryStore. */
  store?: Store;
  /**
   * How long one store operation may take before the call is denied. Default 2000 ms: a bound for a store
   * that hangs; RedisStore bounds its own operations tighter (`queueTimeoutMs` + `timeoutMs`).
   */
  timeoutMs?: number;
  /** How long a per-session counter lives after its last use. Default 24 h. */
  sessionTtlMs?: number;
  /** How long an approval request stays valid (to be approved and used). Default 15 min. */
  approvalTtlMs?: number;
  /** How long an idempotency key is remembered. Default 24 h. */
  idempotencyTtlMs?: number;
  /** Whether a principal may approve its own call. Default false. */
  allowSelfApproval?: boolean;
  /**
   * Called when a call creates an approval request. Return `{ approver }` to approve it on the spot (the
   * call then goes through), `false` to reject it, or nothing to leave it pending for `engine.approve`.
   */
  onApprovalRequest?: (approval: ApprovalRecord) => ApprovalHookAnswer | Promise<ApprovalHookAnswer>;
  /**
   * Decide with DNS (`policy.decideAsync`): every address a `url(...)` argument's host resolves to must
   * pass the argument's address sets before anything is reserved, and `result.resolved` lists the
   * addresses checked, for the tool to connect to. `true` uses the system resolver; off by default
   * (no network unless configured).
   */
  dns?: ResolveOptions | true;
}

export type ApprovalHookAnswer = { approver: string } | false | void | undefined;

export interface AuthorizeOptions {
  /**
   * At most 256 characters. The first call under a key (per principal and session) is admitted once; a
   * retry gets `effect: "replay"` and what happened to the first call, never a second run. Derive it on the
   * server side (e.g. from your own request id); never from the JSON-RPC id, which the client chooses.
   */
  idempotencyKey?: string;
  /** What to reserve for budgets whose usage is known only after the call (tokens; cost without `from`). */
  estimate?: Estimate;
}

export class ApprovalError extends Error {
  override name = "ApprovalError";
  constructor(readonly status: "unknown" | "expired" | "not_pending" | "self_approval" | "invalid" | "unavailable", message: string) {
    super(message);
  }
}

/** When a failed cancel is tried again (ms after each failure); all well within RESERVATION_TTL_MS. */
const CANCEL_RETRY_MS = [50, 500, 2_000, 5_000];

const DEFAULTS = { timeoutMs: 2000, sessionTtlMs: 86_400_000, approvalTtlMs: 900_000, idempotencyTtlMs: 86_400_000 };

export function createEngine(policy: Policy, options: EngineOptions = {}): Engine {
  return new Engine(policy, options);
}

interface Loaded {
  readonly policy: Policy;
  readonly prepared: ReadonlyMap<string, PreparedBudget>;
  readonly version: string;
}

export class Engine {
  readonly store: Store;
  readonly options: Readonly<Required<Omit<EngineOptions, "store" | "onApprovalRequest" | "dns">>>;
  #loaded: Loaded;
  readonly #hook: EngineOptions["onApprovalRequest"];
  readonly #dns: ResolveOptions | undefined;
  readonly #timeout: <T>(op: T | Promise<T>) => T | Promise<T>;
  /** Unique ids (reservations, idempotency tokens): a random prefix per engine and a counter. */
  readonly #idPrefix = randomBytes(12).toString("base64url");
  #idCount = 0;

  constructor(policy: Policy, options: EngineOptions = {}) {
    this.#loaded = load(policy);
    this.store = options.store ?? new MemoryStore();
    const ms = (v: unknown, d: number, what: string) => {
      if (v === undefined) return d;
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new TypeError(`createEngine: \`${what}\` must be a number of milliseconds above 0`);
      return v;
    };
    this.options = {
      timeoutMs: ms(options.timeoutMs, DEFAULTS.timeoutMs, "timeoutMs"),
      sessionTtlMs: ms(options.sessionTtlMs, DEFAULTS.sessionTtlMs, "sessionTtlMs"),
      approvalTtlMs: ms(options.approvalTtlMs, DEFAULTS.approvalTtlMs, "approvalTtlMs"),
      idempotencyTtlMs: ms(options.idempotencyTtlMs, DEFAULTS.idempotencyTtlMs, "idempotencyTtlMs"),
      allowSelfApproval: options.allowSelfApproval === true,
    };
    this.#hook = options.onApprovalRequest;
    this.#dns = options.dns === true ? {} : options.dns;
    const timeoutMs = this.options.timeoutMs;
    this.#timeout = (op) => withTimeout(op, timeoutMs, `no answer within ${timeoutMs} ms`);
  }

  #newId(): string {
    return `${this.#idPrefix}.${(this.#idCount++).toString(36)}`;
  }

  get policy(): Policy {
    return this.#loaded.policy;
  }

  /** The version approvals are bound to: the policy's name, version and a hash of its sources. */
  get policyVersion(): string {
    return this.#loaded.version;
  }

  /** Use a new version of the policy from now on. Counters of budgets that did not change carry over. */
  reload(policy: Policy): void {
    this.#loaded = load(policy);
  }

  /** Decide a request, and reserve what it uses. Never rejects. */
  async authorize(request: PolicyRequest, options?: AuthorizeOptions): Promise<Authorization> {
    try {
      return await this.#authorize(request, options, true);
    } catch (err) {
      const reason: Reason = { code: "internal_error", message: `internal error: ${(err as Error)?.message ?? String(err)}` };
      return new Authorization({ effect: "deny", reasons: [reason], decision: { effect: "deny", reasons: [reason], roles: [], errors: [], budgets: [] } });
    }
  }

  async #authorize(request: PolicyRequest, options: AuthorizeOptions | undefined, hook: boolean): Promise<Authorization> {
    const { policy, prepared, version } = this.#loaded;
    let decision: Decision;
    let resolved: ResolvedUrl[] | undefined;
    if (this.#dns) {
      const d = await policy.decideAsync(request, this.#dns);
      ({ resolved, ...decision } = d);
    } else decision = policy.decide(request);
    if (decision.effect === "deny") return new Authorization({ effect: "deny", reasons: decision.reasons, decision });
    const deny = (reason: Reason, extra?: { budget?: Authorization["budget"] }) => new Authorization({ effect: "deny", reasons: [reason], decision, ...extra });

    const optionsProblem = checkOptions(options);
    if (optionsProblem) return deny({ code: "invalid_request", message: `invalid authorize options: ${optionsProblem}` });

    const plan = planCounters(prepared, decision, request, options?.estimate, this.options.sessionTtlMs);
    if ("error" in plan) return deny(plan.error);
    const counters = plan.counters;

    let approval: ReserveRequest["approval"];
    if (decision.effect === "require_approval") {
      const bound = this.#approvalFor(request, version);
      if ("error" in bound) return deny(bound.error);
      approval = bound.approval;
    }

    let idempotency: ReserveRequest["idempotency"];
    const idemKey = options?.idempotencyKey;
    if (idemKey !== undefined) {
      try {
        const p = request.principal?.id ?? null;
        const session = request.session?.id ?? null;
        const method = request.method ?? "tools/call";
        const target = requestTarget(request);
        idempotency = {
          key: canonicalHash(["idempotency", p, session, idemKey]),
          fingerprint: canonicalHash([p, session, method, target ?? null, request.arguments ?? {}, request.annotations ?? {}, version]),
          token: this.#newId(),
          ttlMs: this.options.idempotencyTtlMs,
        };
      } catch (err) {
        return deny({ code: "invalid_request", message: `the request cannot be bound to an idempotency key: ${(err as Error).message}` });
      }
    }

    if (counters.length === 0 && !approval && !idempotency) return new Authorization({ effect: "allow", reasons: decision.reasons, decision, charged: decision.budgets, ...(resolved && { resolved }) });

    const specs = counters.map((c) => c.spec);
    const reservation = { id: this.#newId(), ttlMs: RESERVATION_TTL_MS };
    let result: ReserveResult;
    try {
      result = await this.#timeout(this.store.reserve({ counters: specs, ...(approval && { approval }), ...(idempotency && { idempotency }), reservation }));
    } catch (err) {
      // It may have run (sent, answer late or lost): give it back. Certainly not run: nothing to give back.
      if (!notSent(err)) this.#cancel(reservation.id);
      return this.#storeFault(err, decision, counters, approval !== undefined || idempotency !== undefined);
    }

    switch (result.status) {
      case "ok": {
        const reasons = result.approvalId
          ? [...decision.reasons.filter((r) => r.code !== "approval_required"), { code: "approval_granted" as const, message: `approval \`${result.approvalId}\` was used for this call` }]
          : decision.reasons;
        return new Authorization({
          effect: "allow",
          reasons,
          decision,
          charged: decision.budgets,
          ...(resolved && { resolved }),
          reservation: { store: this.store, counters, windows: result.windows, ...(idempotency && { idempotency: { key: idempotency.key, token: idempotency.token } }), timeout: this.#timeout },
        });
      }
      case "replay": {
        const state = result.state;
        const what = state === "pending" ? "was admitted and has not been settled yet" : state === "committed" ? "ran and was committed" : "was rolled back";
        const reason: Reason = { code: "idempotent_replay", message: `a call with this idempotency key ${what}; this is a replay: do not run the tool again` };
        return new Authorization({ effect: "replay", reasons: [reason], decision, replayOf: { status: state } });
      }
      case "exceeded": {
        const c = counters[result.index];
        if (!c) return deny({ code: "internal_error", message: "internal error: the store named a counter the call does not have" });
        return deny(exceededReason(c, result.used, result.retryAfterMs), { budget: budgetDenial(c, result.used, result.retryAfterMs) });
      }
      case "approval_pending": {
        const a = result.approval;
        const pending: PendingApproval = { id: a.id, expiresAt: a.expiresAt, created: result.created };
        if (hook && result.created && this.#hook) {
          const answer = await this.#askHook(a);
          if (answer === "approved") return this.#authorize(request, options, false);
          if (answer === "rejected") return deny({ code: "approval_rejected", rule: `tool:${a.tool}/approval`, message: `approval \`${a.id}\` was rejected` });
        }
        const message = `\`${a.tool}\` needs approval: approval \`${a.id}\` is pending until ${new Date(a.expiresAt).toISOString()}`;
        return new Authorization({ effect: "require_approval", reasons: [...decision.reasons.filter((r) => r.code !== "approval_required"), { code: "approval_required", rule: `tool:${a.tool}/approval`, message }], decision, approval: pending });
      }
      case "approval_rejected":
        return deny({ code: "approval_rejected", rule: `tool:${result.approval.tool}/approval`, message: `approval \`${result.approval.id}\` for this call was rejected by \`${result.approval.approver ?? "?"}\`` });
      case "idempotency_conflict":
        return deny({ code: "idempotency_conflict", message: "this idempotency key was already used for a different request" });
      case "cancelled":
        // Also what a second delivery of this very reserve answers (a client that resends a command cut off
        // by a lost connection): the first one may have been applied, and the call is denied, so give it back.
        this.#cancel(reservation.id);
        return deny({ code: "budget_unavailable", message: "the reservation was cancelled, or delivered to the store twice, so the call is denied (fail closed)" });
      default:
        return deny({ code: "internal_error", message: "internal error: the store gave an unknown answer" });
    }
  }

  #approvalFor(request: PolicyRequest, version: string): { approval: NonNullable<ReserveRequest["approval"]> } | { error: Reason } {
    const principal = request.principal?.id;
    const tool = request.tool ?? "";
    if (typeof principal !== "string" || principal === "") {
      return { error: { code: "approval_invalid", rule: `tool:${tool}/approval`, message: `\`${tool}\` needs approval, and an approval is bound to a principal: the request has no principal.id` } };
    }
    let binding: string;
    try {
      binding = canonicalHash([principal, tool, request.arguments ?? {}, version]);
    } catch (err) {
      const msg = err instanceof CanonicalError ? err.message : String(err);
      return { error: { code: "invalid_request", message: `the arguments cannot be bound to an approval: ${msg}` } };
    }
    const id = randomBytes(16).toString("base64url");
    return {
      approval: {
        binding,
        ttlMs: this.options.approvalTtlMs,
        create: { id, binding, principal, tool, policyVersion: version, arguments: this.#loaded.policy.redact(request.arguments ?? {}) },
      },
    };
  }

  async #askHook(a: ApprovalRecord): Promise<"approved" | "rejected" | "pending"> {
    try {
      const answer = await this.#hook!(a);
      if (answer === false) {
        await this.reject(a.id, { approver: "onApprovalRequest" });
        return "rejected";
      }
      if (answer && typeof answer === "object" && typeof answer.approver === "string") {
        await this.approve(a.id, { approver: answer.approver });
        return "approved";
      }
    } catch {
      // A hook that throws leaves the approval pending: it can still be decided through `approve`.
    }
    return "pending";
  }

  /** Cancel a reservation in the background, retried while the store fails; never rejects. */
  #cancel(id: string, attempt = 0): void {
    const cancel = this.store.cancel;
    if (typeof cancel !== "function") return;
    const retry = (): void => {
      const delay = CANCEL_RETRY_MS[attempt];
      if (delay === undefined) return;
      const timer = setTimeout(() => this.#cancel(id, attempt + 1), delay);
      timer.unref?.();
    };
    try {
      Promise.resolve(this.#timeout(cancel.call(this.store, id, RESERVATION_TTL_MS))).catch(retry);
    } catch {
      retry();
    }
  }

  #storeFault(err: unknown, decision: Decision, counters: readonly PlannedCounter[], needsStore: boolean): Authorization {
    const why = (err as Error)?.message ?? String(err);
    const closed = [...new Set(counters.filter((c) => !c.budget.budget.failOpen).map((c) => c.budget.budget.id))];
    if (!needsStore && closed.length === 0) {
      const open = [...new Set(counters.map((c) => c.budget.budget.id))];
      return new Authorization({
        effect: "allow",
        reasons: [...decision.reasons, { code: "budget_fail_open", message: `the budget store is unavailable (${why}); ${open.map((i) => `\`${i}\``).join(", ")} ${open.length === 1 ? "is" : "are"} marked \`fail open\`, so the call was not counted` }],
        decision,
      });
    }
    const what = closed.length > 0 ? `budget${closed.length === 1 ? "" : "s"} ${closed.map((i) => `\`${i}\``).join(", ")} cannot be checked` : "the approval or idempotency key cannot be checked";
    return new Authorization({ effect: "deny", reasons: [{ code: "budget_unavailable", message: `the budget store is unavailable (${why}): ${what}, so the call is denied (fail closed)` }], decision });
  }

  /** Approve a pending approval request: the same call (same principal, tool, arguments, policy version) may then go through once. */
  async approve(id: string, by: { approver: string }): Promise<ApprovalRecord> {
    return this.#decide(id, by, true);
  }

  /** Reject a pending approval request: the call it was for is denied until the request expires. */
  async reject(id: string, by: { approver: string }): Promise<ApprovalRecord> {
    return this.#decide(id, by, false);
  }

  /** An approval request, while it lives. */
  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    if (typeof id !== "string" || id === "") return undefined;
    return this.#timeout(this.store.getApproval(id));
  }

  async #decide(id: string, by: { approver: string }, approve: boolean): Promise<ApprovalRecord> {
    if (typeof id !== "string" || id === "") throw new ApprovalError("invalid", "an approval id must be a non-empty string");
    const approver = by?.approver;
    if (typeof approver !== "string" || approver === "") throw new ApprovalError("invalid", "`approver` must be a non-empty string naming who decided");
    let out;
    try {
      out = await this.#timeout(this.store.decideApproval(id, { approve, approver, allowSelf: this.options.allowSelfApproval }));
    } catch (err) {
      throw new ApprovalError("unavailable", `the approval store is unavailable: ${(err as Error)?.message ?? String(err)}`);
    }
    switch (out.status) {
      case "approved":
      case "rejected":
        return out.approval;
      case "unknown":
        throw new ApprovalError("unknown", `there is no approval request \`${id}\``);
      case "expired":
        throw new ApprovalError("expired", `approval request \`${id}\` expired at ${new Date(out.approval!.expiresAt).toISOString()}`);
      case "not_pending":
        throw new ApprovalError("not_pending", `approval request \`${id}\` was already ${out.approval!.status}`);
      case "self_approval":
        throw new ApprovalError("self_approval", `\`${approver}\` cannot decide an approval for its own call`);
    }
  }

  /** Close the store (connections, timers). */
  async close(): Promise<void> {
    await this.store.close?.();
  }
}

function load(policy: Policy): Loaded {
  if (!policy || typeof policy.decide !== "function" || !Array.isArray(policy.budgets)) throw new TypeError("the engine needs a compiled policy (from compilePolicy)");
  return { policy, prepared: prepareBudgets(policy.budgets), version: policy.fingerprint };
}

function checkOptions(o: AuthorizeOptions | undefined): string | undefined {
  if (o === undefined) return undefined;
  if (typeof o !== "object" || o === null) return "options must be an object";
  if (o.idempotencyKey !== undefined && (typeof o.idempotencyKey !== "string" || o.idempotencyKey === "" || o.idempotencyKey.length > 256)) {
    return "`idempotencyKey` must be a string of 1 to 256 characters";
  }
  if (o.estimate !== undefined) return checkUsage(o.estimate, "estimate");
  return undefined;
}

function budgetDenial(c: PlannedCounter, used: number, retryAfterMs: number | undefined) {
  const b = c.budget.budget;
  const m = c.counter.measure;
  return {
    id: b.id,
    kind: b.kind,
    ...((m === "input" || m === "output" || m === "total") && { measure: m }),
    limit: c.counter.limit,
    used,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

function exceededReason(c: PlannedCounter, used: number, retryAfterMs: number | undefined): Reason {
  const b = c.budget.budget;
  const m = c.counter.measure;
  const what = m === "input" || m === "output" || m === "total" ? ` (${m} tokens)` : "";
  const when = retryAfterMs !== undefined ? `; retry in ${formatMs(retryAfterMs)}` : b.window === "session" ? " for this session" : "";
  return { code: "budget_exceeded", rule: b.id, message: `the ${c.budget.text}${what} (\`${b.id}\`) is used up${when}` };
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.ceil(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
