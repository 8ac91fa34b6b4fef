/**
 * Per-decision memory of the compiled history predicates (codegen/history.ts): within one `decide`, a
 * history predicate (one IR node: conditions are hash-consed, check/intern.ts, so rules that write the
 * same predicate share its node) is answered once and its answer (a value, or the EvalError it threw)
 * reused by every other rule that reads it ("now", parsed once per decision, is kept by codegen/history.ts). A
 * node compiled into one closure only (no other rule of the policy, compiled so far, writes it) is not
 * remembered: nothing would reuse the answer.
 * GUARANTEES:
 * - a remembered answer is used only inside the decision that computed it, and only for the same
 *   request object: `enterDecision`/`leaveDecision` (codegen/decide.ts, around every compiled decide)
 *   give each decision its own serial, saved and restored, so a nested decide (a getter on the request)
 *   neither sees nor changes the outer decision's answers; outside a decision nothing is remembered;
 * - only predicates read outside a `where` are remembered (`event.*` unbound): inside one, a nested
 *   predicate is evaluated every time, as before;
 * - a predicate's answer depends only on the request (its history, `time`, `historyDroppedUntil`, and
 *   what its `where` reads from the call), which one decision does not change, so a remembered answer
 *   is the answer the predicate would give again (the same error object is rethrown: reasons carry
 *   its message only).
 */
import type { PolicyRequest } from "../contract/index.js";
import { EvalError } from "../contract/errors.js";
import { insideWhere } from "../eval/history.js";

/** The serial of the decision running (0: none), and the last one handed out. */
let active = 0;
let serials = 0;

/** Opens a decision's memory; returns the one to restore with `leaveDecision`. */
export function enterDecision(): number {
  const prev = active;
  active = ++serials;
  return prev;
}

export function leaveDecision(prev: number): void {
  active = prev;
}

/** The serial of the decision running (0: none): per-decision memories elsewhere key on it. */
export const decisionSerial = (): number => active;

/** One predicate node's remembered answer: valid while `serial` is the running decision's and `req` its request. */
export interface Slot {
  /** Closures compiled from the node: with one, nothing is shared and nothing is remembered. */
  uses: number;
  serial: number;
  req: PolicyRequest | undefined;
  value: unknown;
  error: EvalError | undefined;
}

const newSlot = (uses: number): Slot => ({ uses, serial: 0, req: undefined, value: undefined, error: undefined });

const SLOTS = new WeakMap<object, Slot>();

/** The slot of an IR node (one per node, shared by every closure compiled from it), counting this use. */
export function slotOf(node: object): Slot {
  let s = SLOTS.get(node);
  if (s === undefined) SLOTS.set(node, (s = newSlot(0)));
  s.uses++;
  return s;
}

/**
 * The slot of an attribute read, by what it reads (root, path, zone: the same read in every policy),
 * counting this use: attribute nodes are not shared between predicates, yet a hundred predicates'
 * `where`s may read `args.to`. At most KEYED reads are held; past that the table starts over (later
 * uses then share less, never wrongly).
 */
export function slotOfAttr(a: { readonly root: string; readonly path: readonly string[]; readonly zone?: string }): Slot {
  const key = JSON.stringify([a.root, a.path, a.zone ?? null]);
  let s = BY_ATTR.get(key);
  if (s === undefined) {
    if (BY_ATTR.size >= KEYED) BY_ATTR.clear();
    BY_ATTR.set(key, (s = newSlot(0)));
  }
  s.uses++;
  return s;
}
const BY_ATTR = new Map<string, Slot>();
const KEYED = 4096;

/** `f(req)`, answered from `slot` when this decision already asked it (see the module header). */
export function remembered(slot: Slot, req: PolicyRequest, f: (req: PolicyRequest) => unknown): unknown {
  if (slot.uses < 2 || active === 0 || insideWhere()) return f(req);
  if (slot.serial === active && slot.req === req) {
    if (slot.error !== undefined) throw slot.error;
    return slot.value;
  }
  let value: unknown;
  try {
    value = f(req);
  } catch (err) {
    if (!(err instanceof EvalError)) throw err;
    store(slot, req, undefined, err);
    throw err;
  }
  store(slot, req, value, undefined);
  return value;
}

function store(slot: Slot, req: PolicyRequest, value: unknown, error: EvalError | undefined): void {
  // `f` may have run a nested decision (a getter): it restored `active`, so this is still ours.
  slot.serial = active;
  slot.req = req;
  slot.value = value;
  slot.error = error;
}
