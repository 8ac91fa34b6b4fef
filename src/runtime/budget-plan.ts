/**
 * Budgets at run time: turns the policy's `limit` declarations into store counters, and one allowed
 * request into the exact counters it must be charged to.
 * Guarantees:
 * - A budget's counters are keyed by a signature of its meaning (kind, scope, amounts, window, burst, key,
 *   source of cost), not by its position, so reloading a policy keeps the counters of every budget that did
 *   not change and starts fresh ones for every budget that did.
 *   An unchanged declaration keeps its signature across versions: a single named key and a window of one
 *   unit are described exactly as they were before keys became lists and windows took a number.
 * - A request that lacks what a budget is keyed by (principal.id, session.id, a parseable client.ip,
 *   server.name, a key attribute that is absent or not a string or finite number), or whose cost argument
 *   is not a finite number >= 0, gets an error reason: the engine denies it.
 * - Different key values never share a counter: every part is length-prefixed, attribute values carry
 *   their type (`"5"` is not `5`), a value that is long or starts with `#` or `%` (the marks of a hash)
 *   is hashed, and a value holding a lone surrogate is hashed from its JSON text, so no value can spell
 *   another value's part or hash, and every store key is well-formed text (Redis keys are UTF-8).
 * - Fixed windows are aligned to the UTC epoch; weeks to Monday 00:00 UTC (`windowOriginMs`).
 */
import { parseIpStrict } from "../builtins/cidr/cidr.js";
import type { BudgetKeyPart, BudgetWindow, IrBudget } from "../ir/ir.js";
import { ATTRIBUTES } from "../contract/attributes.js";
import { canonicalJson, sha256 } from "../contract/canonical.js";
import type { CounterMode, CounterSpec } from "./store/store.js";
import type { Decision, PolicyRequest, Reason } from "../contract/index.js";

export const WINDOW_MS: Record<BudgetWindow, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000, session: 0 };

/** Monday 1970-01-05T00:00:00Z: weeks start on Mondays (the epoch was a Thursday). */
export const WEEK_ORIGIN_MS = 4 * 86_400_000;

/** A budget's window length in ms (0 for `session`). */
export function windowMsOf(b: IrBudget): number {
  return WINDOW_MS[b.window] * (b.windowCount ?? 1);
}

/** Where a budget's windows start counting from (0, the epoch; a Monday for weeks). */
export function windowOriginOf(b: IrBudget): number {
  return b.window === "week" ? WEEK_ORIGIN_MS : 0;
}

const LEGACY_KEYS: ReadonlySet<string> = new Set(["principal", "session", "client", "role", "tool"]);

/**
 * The key as the budget's meaning describes it: a single named key of those that existed before key
 * lists is its name (so such budgets keep their signature); any other key is a list of its parts.
 */
function keyMeaning(keys: readonly BudgetKeyPart[]): unknown {
  const only = keys.length === 1 ? keys[0]! : undefined;
  if (only?.k === "named" && LEGACY_KEYS.has(only.name)) return only.name;
  return keys.map((k) => (k.k === "named" ? k.name : { attr: k.root, path: k.path }));
}

/** What a call reserves before it runs, for budgets whose usage is known only afterwards. */
export interface Estimate {
  inputTokens?: number;
  outputTokens?: number;
  cost?: number;
}

export type Measure = "call" | "input" | "output" | "total" | "cost";

export interface PreparedCounter {
  readonly suffix: string;
  readonly mode: CounterMode;
  readonly limit: number;
  readonly rate?: number;
  readonly windowMs: number;
  /** Where fixed windows start (0 = the epoch); absent for every window but weeks. */
  readonly windowOriginMs?: number;
  readonly measure: Measure;
}

export interface PreparedBudget {
  readonly budget: IrBudget;
  /** Stable across reloads while the budget's meaning is unchanged. */
  readonly signature: string;
  readonly counters: readonly PreparedCounter[];
  /** For messages: `rate limit 60 per minute (burst 10) by client`. */
  readonly text: string;
}

export function prepareBudgets(budgets: readonly IrBudget[]): Map<string, PreparedBudget> {
  const out = new Map<string, PreparedBudget>();
  const seen = new Map<string, number>();
  for (const b of budgets) {
    // `windowCount` is absent for one unit, so such a budget's meaning is what it was before counts existed.
    const meaning = canonicalJson({ kind: b.kind, scope: b.scope, amount: b.amount, input: b.input, output: b.output, total: b.total, window: b.window, windowCount: b.windowCount, burst: b.burst, key: keyMeaning(b.keys), from: b.from });
    // Two identical limits in one scope are two budgets: number them in order.
    const n = (seen.get(meaning) ?? 0) + 1;
    seen.set(meaning, n);
    const signature = sha256(`${meaning}#${n}`).slice(0, 16);
    out.set(b.id, { budget: b, signature, counters: countersOf(b), text: describeBudget(b) });
  }
  return out;
}

function countersOf(b: IrBudget): PreparedCounter[] {
  const windowMs = windowMsOf(b);
  const origin = windowOriginOf(b);
  const w = origin === 0 ? { windowMs } : { windowMs, windowOriginMs: origin };
  switch (b.kind) {
    case "rate": {
      const capacity = b.burst ?? b.amount!;
      return [{ suffix: "", mode: "bucket", limit: capacity, rate: b.amount! / windowMs, windowMs, measure: "call" }];
    }
    case "calls":
      return [{ suffix: "", mode: "counter", limit: b.amount!, ...w, measure: "call" }];
    case "cost":
      return [{ suffix: "", mode: "counter", limit: b.amount!, ...w, measure: "cost" }];
    case "tokens": {
      const list: PreparedCounter[] = [];
      if (b.input !== undefined) list.push({ suffix: ":in", mode: "counter", limit: b.input, ...w, measure: "input" });
      if (b.output !== undefined) list.push({ suffix: ":out", mode: "counter", limit: b.output, ...w, measure: "output" });
      if (b.total !== undefined) list.push({ suffix: ":total", mode: "counter", limit: b.total, ...w, measure: "total" });
      return list;
    }
  }
}

/** `per minute`, `per 5 minutes`, `per session`. */
export function describeWindow(b: IrBudget): string {
  if (b.window === "session" || b.windowCount === undefined) return `per ${b.window}`;
  return `per ${b.windowCount} ${b.window}s`;
}

/** `principal`, `principal.claims.tenant, tool`. */
export function describeKeys(keys: readonly BudgetKeyPart[]): string {
  return keys.map((k) => (k.k === "named" ? k.name : k.text)).join(", ");
}

export function describeBudget(b: IrBudget): string {
  const per = ` ${describeWindow(b)}`;
  const by = ` by ${describeKeys(b.keys)}`;
  switch (b.kind) {
    case "rate":
      return `rate limit ${b.amount}${per}${b.burst !== undefined ? ` (burst ${b.burst})` : ""}${by}`;
    case "calls":
      return `calls limit ${b.amount}${per}${by}`;
    case "cost":
      return `cost limit ${b.amount}${per}${by}${b.from ? ` (from args.${b.from.join(".")})` : ""}`;
    case "tokens": {
      const parts = [b.input !== undefined && `input ${b.input}`, b.output !== undefined && `output ${b.output}`, b.total !== undefined && `total ${b.total}`].filter(Boolean);
      return `token limit ${parts.join(", ")}${per}${by}`;
    }
  }
}

/** One counter charged for one call, and where it came from. */
export interface PlannedCounter {
  readonly spec: CounterSpec;
  readonly budget: PreparedBudget;
  readonly counter: PreparedCounter;
}

export type Plan = { readonly counters: readonly PlannedCounter[] } | { readonly error: Reason };

const MAX_KEY_PART = 256;

/** A lone surrogate: UTF-8 (a Redis key, a hash's input) would turn each into U+FFFD, so two would meet. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * One key part in a store key: length-prefixed, so parts never run into each other. A long value is
 * hashed (`#` and its SHA-256); so is a value that starts with `#` or `%`, or it could spell a hash. A
 * value holding a lone surrogate is `%` and the SHA-256 of its JSON text (which escapes the surrogate),
 * so no two such values, nor such a value and any other, share a key.
 */
function part(s: string): string {
  const v =
    LONE_SURROGATE.test(s) ? `%${sha256(JSON.stringify(s))}`
    : s.length > MAX_KEY_PART || s.startsWith("#") || s.startsWith("%") ? `#${sha256(s)}`
    : s;
  return `${v.length}:${v}`;
}

/**
 * The counters one allowed request is charged to: every counter of every budget the decision lists.
 * `target` is what the call acts on (the normalize phase's `callTarget`), for budgets `by tool`;
 * `sessionTtlMs` is how long a per-session counter lives after its last change.
 */
export function planCounters(
  prepared: ReadonlyMap<string, PreparedBudget>,
  decision: Decision,
  request: PolicyRequest,
  target: string | undefined,
  estimate: Estimate | undefined,
  sessionTtlMs: number,
): Plan {
  const ids = decision.budgets;
  if (ids.length === 0) return EMPTY_PLAN;
  const counters: PlannedCounter[] = [];
  for (const id of ids) {
    const p = prepared.get(id);
    if (!p) return { error: { code: "internal_error", rule: id, message: `internal error: the decision names budget \`${id}\`, which the engine does not know` } };
    const b = p.budget;
    const parts: string[] = [];
    for (const k of b.keys) {
      const key = keyValue(k, b, request, target, decision);
      if (typeof key !== "string") return { error: { code: "budget_key_missing", rule: id, message: `the ${p.text} (\`${id}\`) cannot count this call: ${key.missing}` } };
      parts.push(part(key));
    }
    let scoped = parts.join("|");
    if (b.window === "session" && !b.keys.some((k) => k.k === "named" && k.name === "session")) {
      const sid = request.session?.id;
      if (typeof sid !== "string" || sid === "") return { error: { code: "budget_key_missing", rule: id, message: `the ${p.text} (\`${id}\`) counts per session, but the request has no session.id` } };
      scoped += `|${part(sid)}`;
    }
    let cost = estimate?.cost ?? 0;
    if (b.kind === "cost" && b.from) {
      const v = argumentAt(request.arguments, b.from);
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        return { error: { code: "invalid_argument", rule: id, message: `the ${p.text} (\`${id}\`) needs args.${b.from.join(".")} to be a number >= 0; got ${describe(v)}` } };
      }
      cost = v;
    }
    for (const c of p.counters) {
      const amount =
        c.measure === "call" ? 1
        : c.measure === "cost" ? cost
        : c.measure === "input" ? (estimate?.inputTokens ?? 0)
        : c.measure === "output" ? (estimate?.outputTokens ?? 0)
        : (estimate?.inputTokens ?? 0) + (estimate?.outputTokens ?? 0);
      const spec: CounterSpec = c.rate === undefined
        ? { key: `${p.signature}${c.suffix}|${scoped}`, mode: c.mode, limit: c.limit, windowMs: c.windowMs, ...(c.windowOriginMs !== undefined && { windowOriginMs: c.windowOriginMs }), ttlMs: sessionTtlMs, amount }
        : { key: `${p.signature}${c.suffix}|${scoped}`, mode: c.mode, limit: c.limit, rate: c.rate, windowMs: c.windowMs, ttlMs: sessionTtlMs, amount };
      counters.push({ spec, budget: p, counter: c });
    }
  }
  return { counters };
}

const EMPTY_PLAN: Plan = Object.freeze({ counters: Object.freeze([]) as readonly PlannedCounter[] });

/** The most characters of a key attribute's value a message shows. */
const SHOWN = 40;

/**
 * The value of one key part for a request: a named key's value as before, or an attribute's value with
 * its type (`s` string, `n` number); `{ missing }` when the request cannot be counted.
 */
function keyValue(k: BudgetKeyPart, b: IrBudget, req: PolicyRequest, target: string | undefined, decision: Decision): string | { missing: string } {
  if (k.k === "attr") {
    let v: unknown;
    try {
      v = ATTRIBUTES[k.root].read(req, k.path, k.text);
    } catch {
      return { missing: `the request has no \`${k.text}\`` };
    }
    if (typeof v === "string") return `s${v}`;
    if (typeof v === "number" && Number.isFinite(v)) return `n${Object.is(v, -0) ? 0 : v}`;
    return { missing: `\`${k.text}\` is ${describe(v).slice(0, SHOWN + 20)}, not a string or a finite number` };
  }
  switch (k.name) {
    case "server": {
      const name = req.server?.name;
      return typeof name === "string" && name !== "" ? name : { missing: "the request has no server.name" };
    }
    case "principal": {
      const id = req.principal?.id;
      return typeof id === "string" && id !== "" ? id : { missing: "the request has no principal.id" };
    }
    case "session": {
      const id = req.session?.id;
      return typeof id === "string" && id !== "" ? id : { missing: "the request has no session.id" };
    }
    case "client": {
      const ip = parseIpStrict(req.client?.ip);
      if (!ip) return { missing: req.client?.ip === undefined ? "the request has no client.ip" : "client.ip is not an IP address in canonical form" };
      if (ip.kind() === "ipv6") {
        const v6 = ip as import("ipaddr.js").IPv6;
        // An IPv4-mapped address is its IPv4 address; any other IPv6 client is counted by its /64, the
        // block one subscriber usually holds, so rotating addresses inside it does not evade the limit.
        if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
        return `${v6.parts.slice(0, 4).map((x) => x.toString(16)).join(":")}::/64`;
      }
      return ip.toString();
    }
    case "role":
      return b.scope.level === "role" ? b.scope.role : decision.roles.join(",");
    case "tool":
      return `${req.method ?? "tools/call"}:${target ?? ""}`;
  }
}

function argumentAt(args: unknown, path: readonly string[]): unknown {
  let v: unknown = args;
  for (const seg of path) {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === "number") return String(v);
  return `a ${Array.isArray(v) ? "list" : v === null ? "null" : typeof v}`;
}
