/**
 * Merging the tool blocks that apply to one call (grammar/README.md, "Tool families" and "Server blocks")
 * into the one `CoreTool` the decision reads: the highest risk; every `args` check, in block order (the
 * first fault denies, naming its block); every approval (any requiring it requires it, naming the
 * first such block; any erring denies); every limit, in block order. An exact block is one block among
 * others: there is no precedence. Both evaluators merge here, so they cannot merge differently.
 * INVARIANT: the merged value depends only on the blocks (and the fault), never on the tool's name, so
 * it can be shared by every name with the same blocks.
 */
import type { PolicyRequest, Reason } from "../../contract/index.js";
import { REASON_TEXT } from "../../contract/reasons.js";
import type { IrTool, Risk } from "../../ir/ir.js";
import type { ArgsFault, CoreBlock, CoreTool } from "./types.js";

const RANK: Record<Risk, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The merged tool of `blocks` (block order), with `fault` when the call cannot be judged; undefined when there is nothing. */
export function mergeBlocks(blocks: readonly CoreBlock[], fault?: Reason): CoreTool | undefined {
  if (blocks.length === 0 && fault === undefined) return undefined;
  // The common case, one block: its merged tool depends on the block alone, so it is made once.
  if (blocks.length === 1 && fault === undefined) {
    const only = blocks[0]!;
    let t = ALONE.get(only);
    if (!t) ALONE.set(only, (t = merge(blocks, undefined)));
    return t;
  }
  return merge(blocks, fault);
}
const ALONE = new WeakMap<CoreBlock, CoreTool>();

/** Faults cached per check: at most this many messages, each at most this long (messages may quote input). */
const MAX_CACHED_FAULTS = 256;
const MAX_CACHED_FAULT_LENGTH = 512;

/**
 * The frozen fault of a check's `message`, shared between calls that fail the same way (most messages are
 * the check's prebuilt strings). Messages quote argument keys and values an attacker picks, so the cache
 * is bounded per check (cleared when full) and long messages are never kept.
 */
function argsFault(rule: string, message: string, cache: Map<string, ArgsFault>): ArgsFault {
  const hit = cache.get(message);
  if (hit !== undefined) return hit;
  const fault: ArgsFault = Object.freeze({ rule, message, reasons: Object.freeze([Object.freeze({ code: "invalid_argument" as const, rule, message })]) });
  if (message.length <= MAX_CACHED_FAULT_LENGTH) {
    if (cache.size >= MAX_CACHED_FAULTS) cache.clear();
    cache.set(message, fault);
  }
  return fault;
}

/**
 * The key of a set of blocks (and the fault's rule): what a merged tool depends on. Block ids and rule
 * ids are built from names, which never hold a control character (contract/names.ts), so a newline
 * separates them unambiguously; one block without a fault is keyed by its id.
 */
export function blockSetKey(blocks: readonly { readonly id: string }[], faultRule: string | undefined): string {
  return blocks.length === 1 && faultRule === undefined ? blocks[0]!.id : `${blocks.map((b) => b.id).join("\n")}\n\n${faultRule ?? ""}`;
}

function merge(blocks: readonly CoreBlock[], fault: Reason | undefined): CoreTool {
  let risk: Risk | undefined;
  for (const b of blocks) if (b.risk !== undefined && (risk === undefined || RANK[b.risk] > RANK[risk])) risk = b.risk;
  const checks = blocks.filter((b) => b.args !== undefined).map((b) => ({ check: b.args!, rule: `${b.id}/args`, faults: new Map<string, ArgsFault>() }));
  const args =
    checks.length === 0
      ? undefined
      : (value: unknown): ArgsFault | null => {
          for (const c of checks) {
            const message = c.check(value);
            if (message !== null) return argsFault(c.rule, message, c.faults);
          }
          return null;
        };
  const approvals = Object.freeze(blocks.flatMap((b) => (b.approval ? [b.approval] : [])));
  const budgetIds = Object.freeze(blocks.flatMap((b) => b.budgetIds));
  const key = blockSetKey(blocks, fault?.rule);
  return { key, risk, args, approvals, budgetIds, fault };
}

/**
 * The reason a call is denied when server-scoped tool blocks would apply to it but the request names no
 * server (`scoped`: those blocks, non-empty): they cannot be skipped, and cannot be told apart from a call
 * to their servers.
 */
export function missingServerFault(scoped: readonly IrTool[]): Reason {
  const first = scoped[0]!;
  return Object.freeze({ code: "evaluation_error" as const, rule: first.id, message: REASON_TEXT.serverMissing(first.id, first.server!) });
}

/** The same for a server's own limits (`id`: the first one's id), which count every call to that server. */
export function missingServerLimitFault(id: string, server: string): Reason {
  return Object.freeze({ code: "evaluation_error" as const, rule: id, message: REASON_TEXT.serverMissing(id, server) });
}

/** The upstream server a request names (`server.name`), or undefined. */
export function serverOf(req: PolicyRequest): string | undefined {
  const n = req.server?.name;
  return typeof n === "string" ? n : undefined;
}
