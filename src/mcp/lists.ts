/**
 * List results filtered per principal: tools/list, resources/list, resources/templates/list, prompts/list
 * (the list rows of contract/methods.ts). No I/O.
 * GUARANTEES (never throws):
 *  - the result is a copy: every member but the items is kept as it was (`nextCursor`, `_meta`, ...);
 *  - an item is kept only when `policy.visibility` of its key (`name`, `uri`, `uriTemplate`: the method
 *    table's `itemKey`) for the caller is not `never`; an item that is not an object or whose key is not a
 *    string is dropped, and so is an item whose visibility cannot be computed;
 *  - a tool's visibility is computed with the hints the server gave in that item (booleans only) and the
 *    spec's defaults for the rest: the annotations its calls will be decided with (catalog.ts);
 *  - items that are not a list leave an empty list; a method that is not a list method leaves the result as it was.
 */
import { METHOD_ROWS, isMethod, type ListKind, type MethodRow } from "../contract/methods.js";
import type { Policy, VisibilityContext } from "../policy.js";
import { annotationsFromTool } from "./catalog.js";
import type { Caller } from "./to-request.js";

/** The member of each list method's result that holds the items. */
export const LIST_RESULT_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  "tools/list": "tools",
  "resources/list": "resources",
  "resources/templates/list": "resourceTemplates",
  "prompts/list": "prompts",
});

export function isListMethod(method: string): boolean {
  return isMethod(method) && METHOD_ROWS[method].lists !== undefined;
}

function listKind(row: MethodRow): ListKind | undefined {
  if (row.lists === undefined) return undefined;
  return row.templates ? "resource-template" : row.lists;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function filterListResult(method: string, result: Record<string, unknown>, policy: Policy, caller: Caller): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  try {
    if (!isObject(result)) return {};
    out = copyMembers(result);
    if (!isListMethod(method)) return out;
    const row = METHOD_ROWS[method as keyof typeof METHOD_ROWS];
    const kind = listKind(row)!;
    const key = row.itemKey!;
    const field = LIST_RESULT_FIELDS[method]!;
    const items = result[field];
    const context: VisibilityContext = {};
    if (isObject(caller)) {
      if (caller.session !== undefined) context.session = caller.session;
      if (caller.client !== undefined) context.client = caller.client;
      if (caller.server !== undefined) context.server = caller.server;
      if (caller.time !== undefined) context.time = caller.time;
    }
    const principal = isObject(caller) ? caller.principal : undefined;
    const kept: unknown[] = [];
    if (Array.isArray(items)) {
      for (const item of items) {
        if (visible(policy, kind, key, principal, item, context)) kept.push(item);
      }
    }
    setMember(out, field, kept);
    return out;
  } catch {
    // Whatever went wrong, no item of the list is shown.
    const field = typeof method === "string" ? LIST_RESULT_FIELDS[method] : undefined;
    if (field !== undefined && Object.prototype.hasOwnProperty.call(LIST_RESULT_FIELDS, method)) setMember(out, field, []);
    return out;
  }
}

function visible(policy: Policy, kind: ListKind, key: string, principal: unknown, item: unknown, context: VisibilityContext): boolean {
  try {
    if (!isObject(item)) return false;
    const name = item[key];
    if (typeof name !== "string") return false;
    const ctx = kind === "tool" ? { ...context, annotations: annotationsFromTool(item) } : context;
    return policy.visibility(kind, principal as never, name, ctx) !== "never";
  } catch {
    return false;
  }
}

function copyMembers(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) setMember(out, k, o[k]);
  return out;
}

/** An own data member even for `__proto__`. */
function setMember(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}
