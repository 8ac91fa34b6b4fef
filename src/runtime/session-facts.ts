/**
 * What the engine keeps of a session for the policy's session rules (issue 14), and how it asks the
 * store: which facts a policy needs (read once per policy), the session's key, the facts as the policy
 * sees them, and the event a call leaves in the history.
 * GUARANTEES:
 * - A policy that reads no session fact (labels, history, provenance) and gives no labels costs nothing:
 *   `needs.load` and `needs.record` are false and the phases do nothing.
 * - The key hashes the principal's id and the session's id (absent: the principal's calls share one
 *   session), so no principal reads or writes another's session.
 * - An event's arguments are kept only up to LIMITS.sessionEventArgBytes (JSON), and only while the whole
 *   event stays within LIMITS.maxSessionEventBytes (a long target with large arguments); otherwise they
 *   are dropped (`argsDropped: true`) and a history predicate reading them errs (fail closed). An event
 *   still too large without them (a target, server or label list of kilobytes) is refused by the store:
 *   the call is then not recorded and fails closed as record-session says.
 */
import type { Policy } from "../policy.js";
import type { IrPolicy } from "../ir/ir.js";
import type { CallEffect, CallOutcome, PolicyRequest, SessionEvent, SessionFacts } from "../contract/index.js";
import { LIMITS } from "../source/limits.js";
import { sessionKey, utf8AtMost } from "./store/session.js";
import { sealEvent, sealedJson, type EventParts } from "../eval/history-window.js";
import type { SessionFacts as StoredSessionFacts } from "./store/store.js";
import type { LentSessionFacts } from "./store/memory.js";
import { LENT_HISTORY, lendHistory } from "../eval/lent-history.js";

export interface SessionNeeds {
  /** Some rule, approval or result block reads labels, history or provenance: load the facts before deciding. */
  readonly load: boolean;
  /** Record every call's event and the labels results give. */
  readonly record: boolean;
  /** The labels some `derives from` names: results that add them are fingerprinted. */
  readonly provenanceLabels: ReadonlySet<string>;
  /** History kept: events and how long the session lives after its last call. */
  readonly maxEntries: number;
  readonly ttlMs: number;
}

const NEEDS = new WeakMap<Policy, SessionNeeds>();
export function sessionNeedsOf(policy: Policy): SessionNeeds {
  let n = NEEDS.get(policy);
  if (n === undefined) {
    n = scan(policy.ir);
    NEEDS.set(policy, n);
  }
  return n;
}

function scan(ir: IrPolicy): SessionNeeds {
  let reads = false;
  const provenanceLabels = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== "object" || seen.has(v) || depth > 200) return;
    seen.add(v);
    if (v instanceof Map) {
      for (const x of v.values()) walk(x, depth + 1);
      return;
    }
    if (v instanceof Set) return;
    const o = v as Record<string, unknown>;
    const k = o.k;
    if (typeof k === "string") {
      if ((k === "attr" || k === "has") && o.root === "session.labels") reads = true;
      if (k === "derives") {
        reads = true;
        provenanceLabels.add(o.label as string);
      }
      if (k === "history") reads = true;
    }
    for (const key of Object.keys(o)) if (key !== "span") walk(o[key], depth + 1);
  };
  walk(ir, 0);
  const gives = ir.results.some((b) => b.labels.length > 0);
  const retain = ir.session.retain;
  return { load: reads, record: reads || gives, provenanceLabels, maxEntries: retain.events, ttlMs: retain.ttlMs };
}

/** The store key of the request's session: principal and session hashed together (store/session.ts). */
export function sessionKeyOf(req: PolicyRequest): string {
  const p = typeof req.principal?.id === "string" ? req.principal.id : null;
  const s = typeof req.session?.id === "string" ? req.session.id : "";
  return sessionKey(p, s);
}

/** What the store answers to sessionLoad (events copied), or MemoryStore to sessionLend (events lent). */
export type LoadedSession = StoredSessionFacts | LentSessionFacts;

/** The request the policy decides on: the host's, with the session facts loaded (`lending`: MemoryStore's sessionLend answered). */
export function withSessionFacts(input: PolicyRequest, loaded: LoadedSession, lending = false): { request: PolicyRequest; facts: SessionFacts } {
  // The host's session fields, with the loaded facts over them. Written as a literal whose spread comes
  // last, then the loaded facts set again: V8 (Node 20) takes a slow path, about 2 µs, for an object
  // literal that adds new keys after a spread. The spread defines own data properties (a `__proto__` key
  // included), so the assignments below only overwrite them.
  // Lent events (MemoryStore's sessionLend): the history is the placeholder, and the session object
  // holds the lent window (eval/lent-history.ts), which the request check and the compiled index read
  // in place.
  const lent = lending ? (loaded as LentSessionFacts).lent : undefined;
  const labels = [...loaded.labels];
  const history = (lent === undefined ? (loaded as StoredSessionFacts).events : LENT_HISTORY) as SessionEvent[];
  const provenance = loaded.provenance as Record<string, string[]>;
  const facts: SessionFacts = { labels, history, provenance, ...(input.session ?? {}) };
  facts.labels = labels;
  facts.history = history;
  facts.provenance = provenance;
  if (loaded.droppedUntil !== undefined) facts.historyDroppedUntil = loaded.droppedUntil;
  if (lent !== undefined) lendHistory(facts, lent);
  return { request: { ...input, session: facts }, facts };
}

/**
 * The event a call leaves (the store sets `at`), sealed (eval/history-window.ts) so the store takes its
 * JSON and fields as made here. The arguments are kept exactly when their JSON fits
 * LIMITS.sessionEventArgBytes and the whole event's JSON fits LIMITS.maxSessionEventBytes; else the event
 * says `argsDropped` (deterministically: the same call always loses them, and is still recorded).
 */
export function eventOf(req: PolicyRequest, effect: CallEffect, outcome: CallOutcome | undefined, labels: readonly string[]): Omit<SessionEvent, "at"> {
  const parts: EventParts = {
    method: typeof req.method === "string" ? req.method : "tools/call",
    effect,
    target: typeof req.tool === "string" ? req.tool : typeof req.resource === "string" ? req.resource : typeof req.prompt === "string" ? req.prompt : undefined,
    server: typeof req.server?.name === "string" ? req.server.name : undefined,
    outcome,
    labels,
  };
  if (req.arguments === undefined) return sealEvent(parts, undefined);
  let args: string | undefined;
  try {
    args = JSON.stringify(req.arguments);
  } catch {
    args = undefined;
  }
  if (args === undefined || utf8AtMost(args, LIMITS.sessionEventArgBytes) > LIMITS.sessionEventArgBytes) return sealEvent(parts, null);
  const e = sealEvent(parts, args);
  return utf8AtMost(sealedJson(e)!, LIMITS.maxSessionEventBytes) <= LIMITS.maxSessionEventBytes ? e : sealEvent(parts, null);
}
