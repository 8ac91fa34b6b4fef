/**
 * Phase `normalize` (before the tool): reads what the later phases need from the host's input, once,
 * without judging it. Guarantees:
 * - Total on any plain data: a request or options value of any shape (null, a string, missing fields)
 *   is read without throwing, and nothing is denied here. The policy judges the request (decide); the
 *   options are judged by reserve, after the policy's own deny, so a call the policy denies is denied
 *   with the policy's reasons whatever its options.
 * - The method → target relation used by the engine (idempotency fingerprints, `by tool` budget keys)
 *   is this one function, read from the contract's method table.
 */
import { requestTarget } from "../../contract/methods.js";
import type { PolicyRequest } from "../../contract/index.js";
import { checkUsage } from "../authorization.js";
import type { AuthorizeOptions, Phase } from "./context.js";

export const normalize: Phase = {
  name: "normalize",
  stage: "call",
  run(ctx) {
    const req = ctx.input;
    if (typeof req === "object" && req !== null) {
      const method = req.method ?? "tools/call";
      ctx.method = method;
      // The usual call first (the hot path); callTarget gives the same for it.
      ctx.target = method === "tools/call" ? (typeof req.tool === "string" ? req.tool : undefined) : callTarget(req, method);
    }
    const problem = checkOptions(ctx.options);
    if (problem !== undefined) ctx.optionsProblem = problem;
  },
};

/**
 * What a call of `method` acts on, read by its row of the contract's method table (`requestTarget`):
 * `tool` of tools/call and tools/list, `resource` of resources/read, resources/list and a completion
 * of a resource, ... Undefined when there is none or it is not a string.
 */
export function callTarget(req: PolicyRequest, method: unknown): string | undefined {
  const t = requestTarget(method === req.method ? req : { ...req, method });
  return typeof t === "string" ? t : undefined;
}

/** What is wrong with the authorize options, if anything. */
export function checkOptions(o: AuthorizeOptions | undefined): string | undefined {
  if (o === undefined) return undefined;
  if (typeof o !== "object" || o === null) return "options must be an object";
  if (o.idempotencyKey !== undefined && (typeof o.idempotencyKey !== "string" || o.idempotencyKey === "" || o.idempotencyKey.length > 256)) {
    return "`idempotencyKey` must be a string of 1 to 256 characters";
  }
  if (o.estimate !== undefined) return checkUsage(o.estimate, "estimate");
  return undefined;
}
