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
 * - An approval is bound to the principal, the tool, the canonical arguments, the policy version and the
 *   upstream server when the request names one (`server.name`), lives
 *   until its expiry, and lets exactly one call through.
 * - An idempotency key is scoped by principal and session and bound to the request's fingerprint. The first
 *   call under a key is admitted at most once; every later one (in parallel, after a commit or a rollback,
 *   from any replica) gets `effect: "replay"` with the first call's state, never `allow`, and cannot settle
 *   or refund the first call's reservation. A key is honoured even when the call reserves nothing.
 * - `reload` swaps the policy atomically; budgets whose meaning did not change keep their counters.
 * How: the engine is ONE list of named phases (phases/pipeline.ts: normalize, load session facts,
 * decide, reserve, [the tool], inspect result, settle and record, audit) over a typed per-call context
 * (phases/context.ts). A fault in any phase before the tool denies the call, with a reason.
 */
import { randomBytes } from "node:crypto";
import type { Policy } from "../policy.js";
import { Authorization, type CallHandle, type SettleOutcome, type Usage } from "./authorization.js";
import { prepareBudgets } from "./budget-plan.js";
import { MemoryStore } from "./store/memory.js";
import { RESERVATION_TTL_MS, type ApprovalRecord, type Store } from "./store/store.js";
import type { ResolveOptions } from "../eval/resolve.js";
import { withTimeout } from "../eval/timeout.js";
import type { PolicyRequest, Principal, Reason, ToolResult } from "../contract/index.js";
import { LIMITS } from "../source/limits.js";
import { newCallContext, type CallContext, type AuthorizeOptions, type EngineEnv, type Loaded, type Phase } from "./phases/context.js";
import { DEFAULT_PIPELINE, pipeline, runCall, runResult, type Pipeline } from "./phases/pipeline.js";

export type { AuthorizeOptions };

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

export type ApprovalHookAnswer = { approver: string; principal?: Principal } | false | void | undefined;

/**
 * Who decides an approval: `approver` names them (defaults to `principal.id`); `principal` is needed for
 * `by role ...` approvals (their roles are resolved by the policy); `via` says how (`client`: the caller
 * through MCP elicitation; `cli`; free text), for the host's records.
 */
export interface ApproveBy {
  approver?: string;
  principal?: Principal;
  via?: string;
}

export class ApprovalError extends Error {
  override name = "ApprovalError";
  constructor(readonly status: "unknown" | "expired" | "not_pending" | "self_approval" | "not_authorized" | "invalid" | "unavailable", message: string) {
    super(message);
  }
}

/** When a failed cancel is tried again (ms after each failure); all well within RESERVATION_TTL_MS. */
const CANCEL_RETRY_MS = [50, 500, 2_000, 5_000];

const DEFAULTS = { timeoutMs: 2000, sessionTtlMs: 86_400_000, approvalTtlMs: 900_000, idempotencyTtlMs: 86_400_000 };

export function createEngine(policy: Policy, options: EngineOptions = {}): Engine {
  return new Engine(policy, options);
}

export class Engine {
  readonly store: Store;
  readonly options: Readonly<Required<Omit<EngineOptions, "store" | "onApprovalRequest" | "dns">>>;
  #loaded: Loaded;
  readonly #hook: EngineOptions["onApprovalRequest"];
  readonly #timeout: <T>(op: T | Promise<T>) => T | Promise<T>;
  /** What the phases use of this engine. */
  readonly #env: EngineEnv;
  readonly #pipeline: Pipeline;
  readonly #settler: Settler;
  /** Unique ids (reservations, idempotency tokens): a random prefix per engine and a counter. */
  readonly #idPrefix = randomBytes(12).toString("base64url");
  #idCount = 0;

  /**
   * `phases` (internal: tests inject phases to prove the fault paths) replaces the engine's phase list
   * (phases/pipeline.ts `PHASES`); it is checked: named, unique, stages in order.
   */
  constructor(policy: Policy, options: EngineOptions = {}, phases?: readonly Phase[]) {
    this.#loaded = load(policy);
    this.#pipeline = phases === undefined ? DEFAULT_PIPELINE : pipeline(phases);
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
    const timeoutMs = this.options.timeoutMs;
    this.#timeout = (op) => withTimeout(op, timeoutMs, `no answer within ${timeoutMs} ms`);
    this.#env = {
      store: this.store,
      settings: this.options,
      dns: options.dns === true ? {} : options.dns,
      timeout: this.#timeout,
      newId: () => this.#newId(),
      cancel: (id) => this.#cancel(id),
      askHook: this.#hook ? (a) => this.#askHook(a) : undefined,
    };
    this.#settler = new Settler(this.#pipeline, this.#env);
  }

  #newId(): string {
    // Decimal: a number's radix-36 text is a runtime call in V8, a few hundred ns on every reserved call.
    return `${this.#idPrefix}.${this.#idCount++}`;
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
      let ctx = newCallContext(request, options, this.#loaded, true);
      let r = runCall(this.#pipeline, ctx, this.#env);
      if (r !== undefined) await r;
      if (ctx.again) {
        // The host approved on the spot: the same call again, now that its approval exists (hook off).
        ctx = newCallContext(request, options, this.#loaded, false);
        r = runCall(this.#pipeline, ctx, this.#env);
        if (r !== undefined) await r;
      }
      const outcome = ctx.outcome!;
      return outcome.effect === "allow" ? new Authorization(outcome, this.#settler, ctx) : new Authorization(outcome);
    } catch (err) {
      const reason: Reason = { code: "internal_error", message: `internal error: ${(err as Error)?.message ?? String(err)}` };
      return new Authorization({ effect: "deny", reasons: [reason], decision: { effect: "deny", reasons: [reason], roles: [], errors: [], budgets: [] } });
    }
  }

  async #askHook(a: ApprovalRecord): Promise<"approved" | "rejected" | "pending"> {
    try {
      const answer = await this.#hook!(a);
      if (answer === false) {
        await this.reject(a.id, { approver: "onApprovalRequest" });
        return "rejected";
      }
      if (answer && typeof answer === "object" && typeof answer.approver === "string") {
        await this.approve(a.id, answer.principal === undefined ? { approver: answer.approver } : { approver: answer.approver, principal: answer.principal });
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

  /**
   * Approve a pending approval request: the same call (same principal, tool, arguments, policy version)
   * may then go through once. Who may approve is the policy's (`approvers` on the record):
   * - `others` (no `by`): anyone but the caller, unless `allowSelfApproval`;
   * - `caller`: anyone, the caller included (its own call, e.g. through the client's elicitation);
   * - `roles`: an approver whose `principal` (required; its id must be `approver` when both are given)
   *   holds one of the roles as the engine's current policy resolves them (`policy.rolesOf`: derived roles
   *   count), and who is not the caller, whatever `allowSelfApproval` says (four eyes).
   * Throws `ApprovalError` (`not_authorized`, `self_approval`, `unknown`, `expired`, `not_pending`, ...).
   */
  async approve(id: string, by: ApproveBy): Promise<ApprovalRecord> {
    return this.#decide(id, by, true);
  }

  /**
   * Reject a pending approval request: the call it was for is denied until the request expires. The
   * caller may reject its own request only where it could approve it (`caller`, or `allowSelfApproval`
   * with `others`); rejecting needs no role (refusing is always safe).
   */
  async reject(id: string, by: ApproveBy): Promise<ApprovalRecord> {
    return this.#decide(id, by, false);
  }

  /** An approval request, while it lives. */
  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    if (typeof id !== "string" || id === "") return undefined;
    return this.#timeout(this.store.getApproval(id));
  }

  /**
   * The approvals that have not expired (pending, approved and not yet used, rejected), oldest first, at
   * most LIMITS.maxListedApprovals (1000; `truncated` says when there were more); `status` keeps one kind.
   * Throws `ApprovalError("unavailable")` when the store cannot list (a host's store without
   * `listApprovals`) or fails.
   */
  async listApprovals(query: { status?: ApprovalRecord["status"] } = {}): Promise<{ approvals: ApprovalRecord[]; truncated: boolean }> {
    const list = this.store.listApprovals;
    if (typeof list !== "function") throw new ApprovalError("unavailable", "this store cannot list approvals (it has no `listApprovals`)");
    const status = query?.status;
    if (status !== undefined && status !== "pending" && status !== "approved" && status !== "rejected") throw new ApprovalError("invalid", "`status` must be pending, approved or rejected");
    let out;
    try {
      out = await this.#timeout(list.call(this.store, { limit: LIMITS.maxListedApprovals }));
    } catch (err) {
      throw new ApprovalError("unavailable", `the approval store is unavailable: ${(err as Error)?.message ?? String(err)}`);
    }
    const approvals = status === undefined ? [...out.approvals] : out.approvals.filter((a) => a.status === status);
    return { approvals, truncated: out.truncated };
  }

  async #decide(id: string, by: ApproveBy, approve: boolean): Promise<ApprovalRecord> {
    if (typeof id !== "string" || id === "") throw new ApprovalError("invalid", "an approval id must be a non-empty string");
    const principal = by?.principal;
    if (principal !== undefined && (typeof principal !== "object" || principal === null || typeof principal.id !== "string" || principal.id === "")) {
      throw new ApprovalError("invalid", "`principal` must be a principal object with a non-empty `id`");
    }
    const approver = by?.approver ?? principal?.id;
    if (typeof approver !== "string" || approver === "") throw new ApprovalError("invalid", "`approver` must be a non-empty string naming who decided");
    if (principal !== undefined && principal.id !== approver) throw new ApprovalError("invalid", `\`approver\` (\`${approver}\`) is not the principal's id (\`${principal.id}\`)`);
    let allowSelf = this.options.allowSelfApproval;
    let out;
    try {
      // Who may decide is read from the record (it never changes after creation), then the store decides
      // atomically (it alone knows the status, and refuses self approval when `allowSelf` is false).
      const rec = await this.#timeout(this.store.getApproval(id));
      const approvers = rec?.approvers ?? { kind: "others" as const };
      if (rec && approvers.kind === "caller") allowSelf = true;
      if (rec && approvers.kind === "roles") {
        allowSelf = false;
        // Refusing is always safe: only approving needs the role.
        if (approve && approver !== rec.principal) this.#checkRoles(id, approver, principal, approvers.roles);
      }
      out = await this.#timeout(this.store.decideApproval(id, { approve, approver, allowSelf }));
    } catch (err) {
      if (err instanceof ApprovalError) throw err;
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

  /** `by role ...`: the approver's principal must hold one of `roles` as the policy resolves them. */
  #checkRoles(id: string, approver: string, principal: Principal | undefined, roles: readonly string[]): void {
    const need = roles.length === 0 ? "no role can decide it (the policy's blocks named disjoint roles)" : `it needs a principal holding ${roles.map((r) => `\`${r}\``).join(" or ")}`;
    if (principal === undefined) throw new ApprovalError("not_authorized", `approval request \`${id}\` is decided by role: ${need}; pass the approver's principal`);
    const held = this.policy.rolesOf(principal, { time: Date.now() });
    if (!roles.some((r) => held.includes(r))) {
      throw new ApprovalError("not_authorized", `\`${approver}\` may not decide approval request \`${id}\`: ${need}${held.length > 0 ? ` (holds ${held.map((r) => `\`${r}\``).join(", ")})` : " (holds no role)"}`);
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

/** The engine's handle to the phases after the tool (the result and end stages) of its allowed calls. */
class Settler implements CallHandle {
  constructor(
    readonly pipeline: Pipeline,
    readonly env: EngineEnv,
  ) {}

  settle(call: object, action: "commit" | "rollback", usage: Usage, result?: ToolResult): SettleOutcome | Promise<SettleOutcome> {
    return runResult(this.pipeline, call as CallContext, this.env, action, usage, result);
  }
}
