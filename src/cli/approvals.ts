/**
 * `mcppolicy approvals list|approve|reject`: approval requests decided out of band, against the shared
 * Redis store (help: approvals-help.ts). Deciding goes through an engine on the given policy, so the
 * same rules hold as for `engine.approve` (who may approve: the policy's `by ...`).
 * GUARANTEES: without --store, a usage error that says why (exit 2) and nothing is contacted; the store
 * is reached with a bounded connect (no retries), an unreachable store is exit 1 with its address; a
 * refusal of the approver is exit 3 and changes nothing; the connection is always closed.
 */
import type { Redis } from "ioredis";
import type { Principal } from "../contract/index.js";
import type { Policy } from "../policy.js";
import type { ApprovalRecord, Store } from "../runtime/store/store.js";
import { LIMITS } from "../source/limits.js";
import { parsePrincipalJson } from "./principal.js";
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { err, out, readTextFile } from "./io.js";

const CMD = "approvals";
const ACTIONS = ["list", "approve", "reject"] as const;
type Action = (typeof ACTIONS)[number];

const NEED_STORE =
  "approvals out of band need a shared store: pass --store redis://HOST:PORT (the store the proxy or engine uses); an engine's in-memory approvals cannot be reached from another process";

export async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(
    argv,
    [
      { name: "store", value: true },
      { name: "prefix", value: true },
      { name: "policy", value: true },
      { name: "approver", value: true },
      { name: "principal", value: true },
      { name: "status", value: true, choices: ["pending", "approved", "rejected"] },
      { name: "json" },
      IMPORT_ROOT_FLAG,
    ],
    CMD,
  );
  const [action, id, ...extra] = parsed.positionals;
  if (action === undefined) throw new UsageError("approvals needs an action: list, approve or reject", CMD);
  if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown approvals action '${action}': expected list, approve or reject`, CMD);
  const act = action as Action;
  if (act === "list" && id !== undefined) throw new UsageError("approvals list takes no ID", CMD);
  if (act !== "list" && id === undefined) throw new UsageError(`approvals ${act} needs the approval's ID (from 'mcppolicy approvals list')`, CMD);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, CMD);
  if (act === "list" && parsed.flags.has("approver")) throw new UsageError("--approver is for approve and reject", CMD);
  if (act !== "list" && parsed.flags.has("status")) throw new UsageError("--status is for list", CMD);

  const url = parsed.flags.get("store");
  if (typeof url !== "string") throw new UsageError(NEED_STORE, CMD);
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--store must be a redis:// or rediss:// URL, got '${url}'`, CMD);
  const prefix = parsed.flags.get("prefix");
  const policyPath = parsed.flags.get("policy");
  if (act !== "list" && typeof policyPath !== "string") throw new UsageError(`approvals ${act} needs --policy FILE (the policy says who may decide)`, CMD);
  const by = act === "list" ? undefined : approverOf(parsed);

  // Inputs first (usage errors stay fast), then the compiler, then the network.
  const source = typeof policyPath === "string" ? readTextFile(policyPath, CMD) : undefined;
  let policy: Policy | undefined;
  if (source !== undefined) {
    const { compilePolicy, PolicyCompileError } = await import("../policy.js");
    try {
      policy = compilePolicy(source, { filename: policyPath as string, ...importRootsOption(parsed) });
    } catch (e) {
      if (!(e instanceof PolicyCompileError)) throw e;
      err(e.render().trimEnd());
      err(`mcppolicy: '${policyPath as string}' does not compile; nothing was decided`);
      return EXIT.errors;
    }
  }

  const connected = await connect(url, typeof prefix === "string" ? prefix : undefined);
  if (typeof connected === "string") {
    err(`mcppolicy: cannot reach the store at ${redactUrl(url)}: ${connected}`);
    return EXIT.errors;
  }
  const { client, store } = connected;
  try {
    if (act === "list") return await list(store, policy, parsed);
    return await decide(store, policy!, act === "approve", id as string, by!, parsed.flags.get("json") === true);
  } finally {
    await store.close?.();
    client.disconnect();
  }
}

/** The approver: --approver and/or the principal (--principal FILE, else MCPPOLICY_PRINCIPAL). */
function approverOf(parsed: ParsedArgs): { approver: string; principal?: Principal } {
  const file = parsed.flags.get("principal");
  let principal: Principal | undefined;
  if (typeof file === "string") principal = principalFrom(readTextFile(file, CMD), `'${file}'`);
  else if (process.env.MCPPOLICY_PRINCIPAL) principal = principalFrom(process.env.MCPPOLICY_PRINCIPAL, "MCPPOLICY_PRINCIPAL");
  const flag = parsed.flags.get("approver");
  const approver = typeof flag === "string" ? flag : principal?.id;
  if (typeof approver !== "string" || approver === "") throw new UsageError("who decides? pass --approver ID or --principal FILE", CMD);
  if (principal !== undefined && principal.id !== approver) throw new UsageError(`--approver '${approver}' is not the principal's id '${principal.id}'`, CMD);
  return principal === undefined ? { approver } : { approver, principal };
}

function principalFrom(text: string, where: string): Principal {
  const p = parsePrincipalJson(text, where, CMD);
  if (typeof p.id !== "string" || p.id === "") throw new UsageError(`the principal in ${where} must be a JSON object with a non-empty "id"`, CMD);
  return p;
}

async function connect(url: string, prefix: string | undefined): Promise<{ client: Redis; store: Store } | string> {
  let RedisClient: typeof Redis;
  try {
    RedisClient = (await import("ioredis")).Redis;
  } catch {
    return "the ioredis package is not installed (npm install ioredis)";
  }
  const client = new RedisClient(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  client.on("error", () => {}); // reported by connect() below; never an unhandled event
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    return (e as Error)?.message ?? String(e);
  }
  const { RedisStore } = await import("../runtime/store/redis.js");
  return { client, store: new RedisStore({ client, timeoutMs: 3000, ...(prefix !== undefined && { prefix }) }) };
}

/** The URL without a password, for messages. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

async function list(store: Store, policy: Policy | undefined, parsed: ParsedArgs): Promise<number> {
  if (typeof store.listApprovals !== "function") throw new Error("the store cannot list approvals");
  const answer = await store.listApprovals({ limit: LIMITS.maxListedApprovals });
  const status = parsed.flags.get("status");
  const approvals = typeof status === "string" ? answer.approvals.filter((a) => a.status === status) : [...answer.approvals];
  if (parsed.flags.get("json") === true) {
    out(JSON.stringify({ approvals, truncated: answer.truncated }, null, 2));
    return EXIT.ok;
  }
  if (approvals.length === 0) out("no approvals");
  for (const a of approvals) out(describe(a, policy));
  if (answer.truncated) out(`(only the oldest ${LIMITS.maxListedApprovals} approvals are listed)`);
  return EXIT.ok;
}

function approversText(a: ApprovalRecord): string {
  const who = a.approvers ?? { kind: "others" as const };
  if (who.kind === "roles") return who.roles.length === 0 ? "no one (disjoint roles)" : `role ${who.roles.join(", ")}`;
  return who.kind === "caller" ? "caller or others" : "others";
}

function describe(a: ApprovalRecord, policy: Policy | undefined): string {
  const args = JSON.stringify(a.arguments) ?? "";
  const lines = [
    `${a.id}  ${a.status}${a.approver !== undefined ? ` by ${a.approver}` : ""}`,
    `  call:      ${a.tool}${a.server !== undefined ? ` on ${a.server}` : ""} by ${a.principal}`,
    `  arguments: ${args.length > 200 ? `${args.slice(0, 200)}…` : args}`,
    `  approvers: ${approversText(a)}`,
    `  expires:   ${new Date(a.expiresAt).toISOString()}`,
  ];
  if (policy !== undefined && a.policyVersion !== policy.fingerprint) lines.push(`  policy:    another version (${a.policyVersion})`);
  return lines.join("\n");
}

async function decide(store: Store, policy: Policy, approve: boolean, id: string, by: { approver: string; principal?: Principal }, json: boolean): Promise<number> {
  const { createEngine, ApprovalError } = await import("../runtime/engine.js");
  const engine = createEngine(policy, { store, timeoutMs: 5000 });
  try {
    const rec = approve ? await engine.approve(id, { ...by, via: "cli" }) : await engine.reject(id, { ...by, via: "cli" });
    if (json) out(JSON.stringify(rec, null, 2));
    else out(`${rec.status} ${rec.id}: ${rec.tool} by ${rec.principal}, decided by ${rec.approver ?? by.approver}`);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof ApprovalError)) throw e;
    err(`mcppolicy: ${e.message}`);
    return e.status === "not_authorized" || e.status === "self_approval" ? EXIT.deny : e.status === "invalid" ? EXIT.usage : EXIT.errors;
  }
}
