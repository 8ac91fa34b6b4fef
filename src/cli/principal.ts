/**
 * A principal given on the command line (a `--principal FILE` or `MCPPOLICY_PRINCIPAL`): JSON as `decide`
 * takes it (`{"id", "roles", "scopes", "claims"}`), read with the duplicate-key check and validated as a
 * request's principal is. Every mistake is a UsageError naming where the text came from.
 */
import type { Principal } from "../contract/index.js";
import { parseRequestJson, RequestJsonError } from "../eval/request-json.js";
import { validateRequest } from "../eval/request.js";
import { UsageError } from "./args.js";

/** A principal as `decide` takes it, from a file's or the environment's JSON text; UsageError when malformed. */
export function parsePrincipalJson(text: string, where: string, command: string): Principal {
  let v: unknown;
  try {
    v = parseRequestJson(text);
  } catch (e) {
    throw new UsageError(`invalid principal JSON in ${where}: ${e instanceof RequestJsonError ? e.message : (e as Error).message}`, command);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new UsageError(`${where} must hold a JSON object like {"id": "alice", "roles": ["viewer"]}`, command);
  const allowed = new Set(["id", "roles", "scopes", "claims"]);
  for (const key of Object.keys(v)) {
    if (!allowed.has(key)) throw new UsageError(`invalid principal in ${where}: unknown key \`${key}\` (a principal has id, roles, scopes, claims)`, command);
  }
  const shape = validateRequest({ principal: v, method: "tools/list" });
  if ("error" in shape) throw new UsageError(`invalid principal in ${where}: ${shape.error}`, command);
  return v as Principal;
}
