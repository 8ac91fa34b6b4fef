/**
 * The compiled policy object hosts hold: `decide` (the compiled fast path), `interpret` (the
 * reference interpreter), `explain`, list visibility (`visible`, `visibility`; tools/list helpers), audit redaction, and the policy's declared
 * budgets. `compilePolicy` throws PolicyCompileError on any error; `checkPolicy` never throws.
 */
import { compileDecider } from "./codegen/decide.js";
import { runFrontEnd } from "./check/front-end.js";
import { checkOptionsOf, readerOf, type CompileOptions } from "./check-policy.js";
export { checkPolicy, type CheckResult, type CompileOptions } from "./check-policy.js";
import { fsReader, type ReadFile } from "./syntax/load.js";
import { hasErrors, type Diagnostic } from "./diagnostics/diagnostic.js";
import { lookupFrom, renderAll, toJson, type JsonDiagnostic } from "./diagnostics/render.js";
import { decide as interpretDecide, explain as interpretExplain, rolesOf as interpretRolesOf } from "./eval/interpreter.js";
import type { IrBudget, IrPolicy } from "./ir/ir.js";
import type { Decision, Explanation, ListKind, Method, PolicyRequest, Principal, ToolAnnotations, Visibility } from "./contract/index.js";
import { isMethod, listRowOf, METHOD_ROWS } from "./contract/methods.js";
import type { SourceFile } from "./source/source.js";
import { keyMatcher } from "./eval/redact-keys.js";
import { resolveUrls, type ResolvedUrl, type ResolveOptions } from "./eval/resolve.js";
import { sha256 } from "./contract/canonical.js";
import { toolBlocks } from "./ir/queries.js";
import { allBudgets } from "./ir/budget-keys.js";
import { compileResultInspector } from "./codegen/results.js";
import { EMPTY_VERDICT, resultVerdict, type ResultVerdict } from "./eval/core/results.js";
import { evalCondition } from "./eval/interpreter.js";
import { validateRequest } from "./eval/request.js";

export class PolicyCompileError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[], private readonly sources: readonly SourceFile[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    super(`policy has ${errors.length} error${errors.length === 1 ? "" : "s"}: ${errors[0]?.message ?? ""}`);
    this.name = "PolicyCompileError";
  }
  /** The diagnostics rendered like rustc. */
  render(): string {
    return renderAll(this.diagnostics, lookupFrom(this.sources));
  }
  toJSON(): JsonDiagnostic[] {
    const lookup = lookupFrom(this.sources);
    return this.diagnostics.map((d) => toJson(d, lookup));
  }
}

export type Budget = IrBudget;

/** The rest of a list request: client, session, time... (the principal and the item are given apart). */
export type VisibilityContext = Omit<PolicyRequest, "principal" | "tool" | "resource" | "prompt" | "method">;

/** An MCP list item: `Tool`, `Resource`, `Prompt` or `ResourceTemplate` (only the keys read here). */
export interface VisibleItem {
  name?: string;
  uri?: string;
  uriTemplate?: string;
  annotations?: ToolAnnotations;
}

export function compilePolicy(source: string, options?: CompileOptions): Policy {
  if (typeof source !== "string") throw new TypeError("compilePolicy expects the policy source text as a string");
  const fe = runFrontEnd(source, options?.filename ?? "policy.mcppolicy", readerOf(options), checkOptionsOf(options), options?.importRoots);
  if (!fe.ir || hasErrors(fe.diagnostics)) throw new PolicyCompileError(fe.diagnostics, fe.sources);
  return new Policy(fe.ir, fe.diagnostics, fe.sources);
}

export class Policy {
  readonly name: string;
  readonly version: string | undefined;
  readonly defaultEffect: "allow" | "deny";
  readonly budgets: readonly Budget[];
  readonly redactKeys: readonly string[];
  /**
   * `mode shadow`: hosts that honour it decide, audit and trace every request but forward it as if
   * allowed (the adapters; `decide` itself does not change). False for `mode enforce` or no `mode`.
   */
  readonly shadow: boolean;
  /**
   * `name@version#hash`: the hash covers every source file (the policy and its imports), so any change
   * to the text gives a new fingerprint. Approvals are bound to it.
   */
  readonly fingerprint: string;
  /** Warnings found while compiling. */
  readonly warnings: readonly Diagnostic[];
  private readonly compiled: ReturnType<typeof compileDecider>;
  #redacts: ((key: string) => boolean) | undefined;

  /** `sources`: the files the policy was compiled from (the policy and its imports), for tools that read them. */
  constructor(readonly ir: IrPolicy, diagnostics: readonly Diagnostic[], readonly sources: readonly SourceFile[]) {
    this.name = ir.name;
    this.version = ir.version;
    this.defaultEffect = ir.defaultEffect;
    this.budgets = allBudgets(ir);
    this.redactKeys = ir.redactKeys;
    this.shadow = ir.shadow;
    const hash = sha256(JSON.stringify(sources.map((f) => [f.name, f.text]))).slice(0, 16);
    this.fingerprint = `${ir.name}@${ir.version ?? ""}#${hash}`;
    this.warnings = diagnostics.filter((d) => d.severity === "warning");
    this.compiled = compileDecider(ir);
    this.#inspect = ir.results.length > 0 ? compileResultInspector(ir) : undefined;
  }

  #inspect: ((req: PolicyRequest) => ResultVerdict) | undefined;

  /** Whether the policy has `result of ...` blocks (otherwise every result passes as it is). */
  get inspectsResults(): boolean {
    return this.#inspect !== undefined;
  }

  /**
   * The verdict of the policy's `result of ...` blocks on a request that carries the tool's `result`
   * (compiled): labels the session gains, redactions, cap, withholding. Never throws; a malformed
   * request withholds the result (fail closed). `applyResultVerdict` makes what the client may see.
   */
  inspectResult(request: PolicyRequest): ResultVerdict {
    return this.#verdict(request, this.#inspect);
  }

  /** `inspectResult` by the reference interpreter: the same verdicts. */
  interpretResult(request: PolicyRequest): ResultVerdict {
    return this.#verdict(request, (req) => resultVerdict(this.ir, req, evalCondition));
  }

  #verdict(request: PolicyRequest, run: ((req: PolicyRequest) => ResultVerdict) | undefined): ResultVerdict {
    if (run === undefined) return EMPTY_VERDICT;
    try {
      const shape = validateRequest(request);
      if ("error" in shape) return { ...EMPTY_VERDICT, deny: { id: "invalid_request", message: `the result is withheld: ${shape.error}` }, errors: [shape.error] };
      return run(request);
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      return { ...EMPTY_VERDICT, deny: { id: "internal_error", message: `the result is withheld: ${message}` }, errors: [message] };
    }
  }

  /** The compiled decision function (fast path). Never throws. */
  decide(request: PolicyRequest): Decision {
    return this.compiled.decide(request);
  }

  /** The reference interpreter: same answers as `decide`, slower, plainer. Never throws. */
  interpret(request: PolicyRequest): Decision {
    return interpretDecide(this.ir, request);
  }

  /**
   * `decide`, then DNS for `url(...)` arguments whose host is a name: every resolved address must pass
   * the argument's `deny:`/`allow:` address sets, and the decision lists the addresses it checked
   * (`resolved`), so the tool can connect to exactly those. Resolver errors and timeouts deny.
   */
  async decideAsync(request: PolicyRequest, options?: ResolveOptions): Promise<Decision & { resolved: ResolvedUrl[] }> {
    const d = this.decide(request);
    const method = request?.method ?? "tools/call";
    // Every block that applies to the call (tool families, server blocks): each one's url arguments are resolved.
    const server = typeof request?.server?.name === "string" ? request.server.name : undefined;
    const blocks = isMethod(method) && METHOD_ROWS[method].runsTool && typeof request?.tool === "string" ? toolBlocks(this.ir, request.tool, server) : [];
    try {
      let out: Decision & { resolved: ResolvedUrl[] } = { ...d, resolved: [] };
      for (const t of blocks) {
        if (!t.args) continue;
        const r = await resolveUrls(d, t.args, request?.arguments, `${t.id}/args`, options);
        if (r.effect === "deny") return r;
        out = { ...out, resolved: [...out.resolved, ...r.resolved] };
      }
      return out;
    } catch (err) {
      return { effect: "deny", reasons: [{ code: "internal_error", message: `internal error: ${(err as Error)?.message ?? String(err)}` }], roles: [], errors: [], budgets: [], resolved: [] };
    }
  }

  /**
   * The roles the policy gives a principal (declared roles it names, derived roles whose `member when`
   * holds, closed under includes), sorted: what `by role` approvers are checked against. `context`: the
   * rest of a request the memberships may read (time, session, ...). A membership that errs does not
   * give its role; a malformed principal holds no role. Never throws.
   */
  rolesOf(principal: Principal, context?: VisibilityContext): string[] {
    try {
      if (typeof principal !== "object" || principal === null || (principal.roles !== undefined && !Array.isArray(principal.roles))) return [];
      return interpretRolesOf(this.ir, { ...context, principal, method: "tools/call" } as PolicyRequest).roles;
    } catch {
      return [];
    }
  }

  /** Which rules matched and which did not, and why, for one request. */
  explain(request: PolicyRequest): Explanation {
    const { decision, rules } = interpretExplain(this.ir, request);
    const lookup = lookupFrom(this.sources);
    const byId = new Map<string, { file: string; start: number }>();
    for (const r of this.ir.topDenies) byId.set(r.id, r.span);
    for (const role of this.ir.roles.values()) for (const r of role.rules) byId.set(r.id, r.span);
    return {
      decision,
      rules: rules.map((r) => {
        const s = byId.get(r.rule);
        return { ...r, line: s ? lookup(s.file)?.position(s.start).line ?? 0 : 0 };
      }),
    };
  }

  /** Whether calls to a tool could be allowed for a principal (tools/list semantics). */
  toolVisibility(principal: Principal, tool: string, annotations?: ToolAnnotations, context?: VisibilityContext): Visibility {
    return this.visibility("tool", principal, tool, { ...context, ...(annotations && { annotations }) });
  }

  /** Filter a tools/list result to the tools some call could be allowed for. */
  visibleTools<T extends { name: string; annotations?: ToolAnnotations }>(principal: Principal, tools: readonly T[], context?: VisibilityContext): T[] {
    return this.visible("tool", principal, tools, context);
  }

  /**
   * The visibility of one item of a list method for a principal: `tool` (tools/list), `resource`
   * (resources/list), `prompt` (prompts/list) or `resource-template` (resources/templates/list, never
   * `always`). A kind or item the policy refuses (not in the method table, malformed) is `never`.
   */
  visibility(kind: ListKind, principal: Principal, item: string, context?: VisibilityContext): Visibility {
    const row = listRowOf(kind);
    if (!row?.lists) return "never";
    const d = this.decide({ ...context, principal, method: row.method as Method, [row.lists]: item });
    return d.visibility ?? "never";
  }

  /**
   * Filter the items of a list result to those the principal could act on (`visibility` is not
   * `never`). An item is its name or URI as a string, or the MCP object (`Tool`, `Resource`, `Prompt`,
   * `ResourceTemplate`), read by the key the method table gives (`name`, `uri`, `uriTemplate`; a tool's
   * `annotations` too). An item without that key as a string is left out.
   */
  visible<T extends string | VisibleItem>(kind: ListKind, principal: Principal, items: readonly T[], context?: VisibilityContext): T[] {
    const key = listRowOf(kind)?.itemKey;
    return items.filter((it) => {
      const name = typeof it === "string" ? it : key !== undefined ? it?.[key] : undefined;
      if (typeof name !== "string") return false;
      const annotations = kind === "tool" && typeof it === "object" && it.annotations ? it.annotations : undefined;
      return this.visibility(kind, principal, name, annotations ? { ...context, annotations } : context) !== "never";
    });
  }

  /**
   * A copy of the arguments (or a result) with the value of every key a redaction key matches replaced by
   * `"[REDACTED]"`, at any depth; values nested deeper than 64 levels become `"[TRUNCATED]"`. Keys match
   * by WORDS (eval/redact-keys.ts: NFKC, invisible characters dropped, split at separators, camelCase and
   * digits): `token` redacts `access_token`, `githubToken`, `X-Auth-Token`, not `max_tokens`; a quoted key
   * with `*` is a glob over the whole key (`"*token*"` redacts `max_tokens` too).
   * INVARIANT: otherwise the copy deep-equals the input. Every own enumerable key is copied as an own data
   * property, `__proto__` and `constructor` included (JSON.parse makes `"__proto__"` an own key, and an
   * assignment would set the copy's prototype instead, hiding the key from the approver and the audit).
   * Bounded for host-built objects too: an object met again on its own path (a cycle) becomes
   * `"[CIRCULAR]"`, and one shared by several parents is copied once (its copy is shared), so a cycle or
   * a DAG of shared objects costs time linear in the number of distinct objects, never exponential.
   * Secret-looking VALUES are not this method's business: the audit applies `redactSecrets` after it.
   */
  redact(value: unknown): unknown {
    const redacts = (this.#redacts ??= keyMatcher(this.redactKeys));
    const copies = new Map<object, unknown>();
    const onPath = new Set<object>();
    const walk = (v: unknown, depth: number): unknown => {
      if (depth > 64) return "[TRUNCATED]";
      if (typeof v !== "object" || v === null) return v;
      if (onPath.has(v)) return "[CIRCULAR]";
      if (copies.has(v)) return copies.get(v);
      onPath.add(v);
      let out: unknown;
      if (Array.isArray(v)) out = v.map((x) => walk(x, depth + 1));
      else {
        const o: Record<string, unknown> = {};
        for (const k of Object.keys(v)) {
          const x = redacts(k) ? "[REDACTED]" : walk((v as Record<string, unknown>)[k], depth + 1);
          Object.defineProperty(o, k, { value: x, writable: true, enumerable: true, configurable: true });
        }
        out = o;
      }
      onPath.delete(v);
      copies.set(v, out);
      return out;
    };
    return walk(value, 0);
  }
}
