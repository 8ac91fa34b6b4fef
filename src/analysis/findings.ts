/**
 * Findings: what in a policy can never matter. Each is a warning-shaped diagnostic (A0001-A0008) on
 * the rule, role or tool it is about. Findings the compiler's lints already report (W0001 shadowed by
 * an unconditional deny of the same role or the top level, W0002 a constant-false condition, W0003 a
 * repeated rule, W0005 a role without allows or includes) are not reported again.
 *   A0001 never-fires    no request makes the rule match: its patterns match nothing, its condition is
 *                        contradictory, or (an allow) it needs arguments the tool's args block refuses
 *   A0002 shadowed       an allow that can never win: whenever it matches, a deny that covers its
 *                        patterns surely matches too, for every principal that holds it (the deny is
 *                        top-level or in a role the allow's role includes)
 *   A0003 redundant      an allow of a role whose every match another allow of the same role (with a
 *                        pattern as broad and a condition as weak) already allows
 *   A0004 grants-nothing a role none of whose allows (its own or included) can ever allow anything
 *   A0005 unreachable-tool  a declared tool no principal, whatever its roles, can be allowed to call
 *   A0006 member-never   a `member when` condition that can never hold (the host can still give the role)
 *   A0007 best-effort    a rule that relies on `derives from`, which sees verbatim copies only
 *   A0008 history-never  a rule whose history predicate (`after`, `previous`, `count`, `sum`, `no` over
 *                        allowed/completed/failed events) needs a call no principal it applies to can be
 *                        allowed to make, so its condition can never be true (history-never.ts)
 * GUARANTEE: every finding is sound — it claims "never" only where scenario.ts / solver.ts prove it.
 */
import type { AttrRoot, IrExpr, IrPattern, IrPolicy, IrRule } from "../ir/ir.js";
import { exprText } from "../ir/queries.js";
import { patternMatches } from "../ir/match.js";
import { isAmbiguousUri } from "../builtins/glob/glob.js";
import type { Policy } from "../policy.js";
import type { Related } from "../diagnostics/diagnostic.js";
import type { Span } from "../source/source.js";
import { T, type Env } from "./abstract.js";
import { analyseScenario, configRequest, enumerate, finiteRoots, isFiniteRoot, ruleOutcome, TYPICAL_CONFIG, type Config } from "./scenario.js";
import { mayHold, ruleCondition } from "./solver.js";
import { toolView } from "./tool-view.js";
import { globInstance } from "./harvest.js";
import { historyNever } from "./history-never.js";
import type { Finding, FindingKind } from "./types.js";

const CODES: Record<FindingKind, string> = {
  "never-fires": "A0001",
  shadowed: "A0002",
  redundant: "A0003",
  "grants-nothing": "A0004",
  "unreachable-tool": "A0005",
  "member-never": "A0006",
  "best-effort": "A0007",
  "history-never": "A0008",
};

/** Whether an expression uses provenance (`derives from`), which only sees verbatim copies. */
function usesProvenance(e: IrExpr | undefined): boolean {
  if (e === undefined) return false;
  if (e.k === "derives") return true;
  if (e.k === "not") return usesProvenance(e.e);
  if (e.k === "and" || e.k === "or") return e.es.some(usesProvenance);
  return false;
}

/** The labels an expression's `derives from` names. */
function derivedLabels(e: IrExpr | undefined, out: Set<string>): Set<string> {
  if (e === undefined) return out;
  if (e.k === "derives") out.add(e.label);
  else if (e.k === "not") derivedLabels(e.e, out);
  else if (e.k === "and" || e.k === "or") for (const x of e.es) derivedLabels(x, out);
  return out;
}

/** Labels given only by field labels (`label L on ...`): `derives from` them compares whole values. */
function fieldOnlyLabels(ir: IrPolicy): Set<string> {
  const whole = new Set<string>();
  const field = new Set<string>();
  for (const b of ir.results) for (const l of b.labels) (l.field === undefined ? whole : field).add(l.label);
  for (const l of whole) field.delete(l);
  return field;
}

const q = (s: string) => `\`${s}\``;

function finding(kind: FindingKind, span: Span, message: string, hint: string, about: { rule?: string; role?: string; tool?: string }, related?: Related[]): Finding {
  return { code: CODES[kind], severity: "warning", kind, message, span, hint, ...about, ...(related && related.length > 0 && { related }) };
}

const NOWHERE: Span = { file: "", start: 0, end: 0 };

/** The literal text before a glob's first wildcard, and after its last. */
function literalEnds(text: string): { prefix: string; suffix: string } {
  const first = text.search(/[*?]/);
  const last = Math.max(text.lastIndexOf("*"), text.lastIndexOf("?"));
  return first < 0 ? { prefix: text, suffix: text } : { prefix: text.slice(0, first), suffix: text.slice(last + 1) };
}

/** Whether pattern `d` matches every name `a` matches (conservative: false when unsure). */
export function covers(d: IrPattern, a: IrPattern, resource: boolean): boolean {
  const anyRun = resource ? "**" : "*";
  if (d.kind === "glob" && d.text === anyRun) return true;
  if (a.kind === "exact") return patternMatches(d, a.text);
  if (d.kind === "exact") return false;
  if (d.text === a.text) return true;
  const dl = literalEnds(d.text);
  const al = literalEnds(a.text);
  if (d.text === dl.prefix + anyRun && al.prefix.startsWith(dl.prefix)) return true;
  return !resource && d.text === "*" + dl.suffix && al.suffix.endsWith(dl.suffix);
}

function allRules(ir: IrPolicy): IrRule[] {
  return [...ir.topDenies, ...[...ir.roles.values()].flatMap((r) => r.rules)];
}

function rulesOf(ir: IrPolicy, roles: Iterable<string>): IrRule[] {
  return [...roles].flatMap((r) => ir.roles.get(r)?.rules ?? []);
}

/**
 * An environment where the target's name is known when the pattern is exact, and the finite attributes
 * are known as `config` says (or all unknown, without a config).
 */
function patternEnv(r: IrRule, p: IrPattern, config?: Config): Env {
  const name = p.kind === "exact" ? p.text : undefined;
  const req = configRequest({ kind: r.target, name: name ?? "" }, { hostRoles: [], exact: false }, config ?? TYPICAL_CONFIG);
  const nameRoot = r.target === "tool" ? "tool.name" : r.target === "resource" ? "resource.uri" : undefined;
  const finite = (root: AttrRoot) => config !== undefined && isFiniteRoot(root);
  return { req, known: (root) => (root === nameRoot ? name !== undefined : finite(root)) };
}

/** Why a rule can never fire, or undefined when it can. */
function neverFires(ir: IrPolicy, r: IrRule): string | undefined {
  if (r.patterns.length === 0) return "its patterns match nothing (an empty set)";
  if (r.target === "resource" && r.patterns.every((p) => p.kind === "exact" && isAmbiguousUri(p.text))) return "its patterns match only ambiguous URIs, which are denied before any rule";
  const cond = ruleCondition(r.when, r.unless);
  if (!r.patterns.some((p) => mayHold(cond, { env: patternEnv(r, p) }))) return "its condition can never be true";
  if (r.effect !== "allow" || r.target !== "tool" || !r.patterns.every((p) => p.kind === "exact")) return undefined;
  const tools = r.patterns.map((p) => toolView(ir, p.text));
  if (tools.some((t) => !t?.args)) return undefined;
  if (r.patterns.some((p, i) => mayHold(cond, { env: patternEnv(r, p), args: tools[i]!.args! }))) return undefined;
  return `its condition needs arguments that the \`args\` block of ${r.patterns.map((p) => q(p.text)).join(", ")} refuses`;
}

/** A deny (top-level or of `context`'s roles) that surely matches whenever `a` can, for each of its patterns. */
function shadowedBy(ir: IrPolicy, a: IrRule, context: Iterable<string>): IrRule | undefined {
  const denies = [...ir.topDenies, ...rulesOf(ir, context)].filter((d) => d.effect === "deny" && d.target === a.target && d !== a);
  let by: IrRule | undefined;
  for (const p of a.patterns) {
    const covering = denies.filter((d) => d.patterns.some((dp) => covers(dp, p, a.target === "resource")));
    if (covering.length === 0) return undefined;
    const conds = [a, ...covering].flatMap((r) => [r.when, r.unless]).filter((x): x is IrExpr => x !== undefined);
    for (const config of enumerate(finiteRoots(conds))) {
      const env = patternEnv(a, p, config);
      if (!(ruleOutcome(a, env) & T)) continue;
      const d = covering.find((x) => ruleOutcome(x, env) === T);
      if (!d) return undefined;
      by ??= d;
    }
  }
  return by;
}

/** Whether allow `b` allows every call allow `a` allows (same role; as broad a pattern; as weak a condition). */
function subsumes(b: IrRule, a: IrRule): boolean {
  if (b === a || b.effect !== "allow" || b.target !== a.target) return false;
  const sameGuard = (x?: IrExpr, y?: IrExpr) => (x === undefined ? y === undefined : y !== undefined && exprText(x) === exprText(y));
  const weaker = (!b.when && !b.unless) || (sameGuard(b.when, a.when) && sameGuard(b.unless, a.unless));
  return weaker && a.patterns.every((p) => b.patterns.some((bp) => covers(bp, p, a.target === "resource")));
}

/** The analysis findings of a compiled policy, in source order. */
export function findings(policy: Policy): Finding[] {
  const ir = policy.ir;
  const out: Finding[] = [];
  const linted = new Set(policy.warnings.map((w) => `${w.code}@${w.span.file}:${w.span.start}`));
  const lint = (code: string, s: Span) => linted.has(`${code}@${s.file}:${s.start}`);
  const dead = new Set<IrRule>();

  for (const r of allRules(ir)) {
    if (lint("W0002", r.span)) {
      dead.add(r);
      continue;
    }
    const why = neverFires(ir, r);
    if (!why) continue;
    dead.add(r);
    const verb = why.startsWith("its condition needs") ? "can never allow" : "can never fire";
    out.push(finding("never-fires", r.span, `rule ${q(r.id)} ${verb}: ${why}`, "remove it or fix its condition", { rule: r.id, ...(r.role && { role: r.role }) }));
  }

  // History predicates that need a call no principal the rule applies to can make (issue 14).
  for (const h of historyNever(ir, allRules(ir).filter((r) => !dead.has(r)))) {
    const r = h.rule;
    dead.add(r);
    const who = h.everyone ? "no principal, whatever its roles, can" : `no role that holds the rule (${h.roles.map(q).join(", ")}) can, by itself,`;
    const preds = h.predicates.map(q).join(", ");
    const tools = h.tools.map(q).join(", ");
    const message =
      r.effect === "allow"
        ? `rule ${q(r.id)} can never allow: ${preds} needs a call to ${tools} that ${who} be allowed to make, so its condition can never be true`
        : `rule ${q(r.id)} can never fire: ${preds} needs a call to ${tools} that ${who} be allowed to make, so its condition can never be true (it denies only when the history cannot be read)`;
    const hint =
      r.effect === "allow"
        ? "allow that tool in the role, or wait for an event that can happen (`attempted` and `denied` events happen for any call)"
        : "a deny that never fires protects nothing: name a tool the principal can call, or an event kind that can happen (`attempted`)";
    out.push(finding("history-never", r.span, message, hint, { rule: r.id, ...(r.role && { role: r.role }), ...(h.tools.length === 1 && { tool: h.tools[0]! }) }));
  }

  // `derives from` is a heuristic: say so wherever a rule leans on it (issue 14; grammar/README.md).
  const fieldOnly = fieldOnlyLabels(ir);
  for (const r of allRules(ir)) {
    if (!usesProvenance(r.when) && !usesProvenance(r.unless)) continue;
    const whole = [...derivedLabels(r.unless, derivedLabels(r.when, new Set()))].filter((l) => fieldOnly.has(l));
    const wholeNote = whole.length === 0 ? "" : `; ${whole.map(q).join(", ")} ${whole.length === 1 ? "is a field label" : "are field labels"}: an argument must equal a marked value (after normalisation), so a marked value re-spaced or re-encoded is not found either`;
    out.push(
      finding(
        "best-effort",
        r.span,
        `rule ${q(r.id)} relies on \`derives from\`, which catches verbatim copies only: paraphrase, translation, re-encoding (base64, another spelling) or splitting a value into pieces under 19 characters escape it${wholeNote}`,
        r.effect === "deny" ? "pair it with a rule that does not depend on copying (labels, an approval, an allow-list of recipients)" : "an allow that needs provenance to hold is as weak as the heuristic",
        { rule: r.id, ...(r.role && { role: r.role }) },
      ),
    );
  }
  // The same for a tool block's approval condition (`approval required when X derives from L`).
  for (const t of [...ir.tools.values(), ...ir.families, ...[...ir.servers.values()].flatMap((s) => [...s.tools.values(), ...s.families])]) {
    const when = t.approval?.when;
    if (!usesProvenance(when) || t.span === undefined) continue;
    const labels = [...derivedLabels(when, new Set())];
    const fields = labels.filter((l) => fieldOnly.has(l));
    const note = fields.length === 0 ? "" : `; ${fields.map(q).join(", ")} ${fields.length === 1 ? "is a field label" : "are field labels"}: an argument must equal a marked value (after normalisation)`;
    out.push(
      finding(
        "best-effort",
        t.span,
        `the approval of tool ${q(t.name)} relies on \`derives from\`, which catches verbatim copies only: paraphrase, translation, re-encoding or splitting a value into pieces under 19 characters escape it${note}`,
        "an approval that provenance must trigger is as strong as the heuristic: pair it with one that does not depend on copying (an amount, a count, an allow-list)",
        { tool: t.name },
      ),
    );
  }

  const shadowed = new Set<IrRule>();
  for (const role of ir.roles.values()) {
    for (const a of role.rules) {
      if (a.effect !== "allow" || dead.has(a)) continue;
      const by = shadowedBy(ir, a, role.closure);
      if (!by) continue;
      shadowed.add(a);
      if (lint("W0001", a.span)) continue;
      const where = by.role === undefined ? "top-level" : by.role === role.name ? `of role ${q(by.role)}` : `of role ${q(by.role)}, which ${q(role.name)} includes`;
      out.push(
        finding("shadowed", a.span, `rule ${q(a.id)} can never allow anything: ${q(by.id)} (a deny ${where}) denies every call it matches`, "remove the rule, or narrow the deny", { rule: a.id, role: role.name }, [
          { message: "the deny that shadows it", span: by.span },
        ]),
      );
    }
  }

  for (const role of ir.roles.values()) {
    for (const a of role.rules) {
      if (a.effect !== "allow" || dead.has(a) || shadowed.has(a) || lint("W0003", a.span)) continue;
      const by = role.rules.filter((x) => !dead.has(x) && subsumes(x, a) && !(subsumes(a, x) && x.span.start > a.span.start));
      // Name the broadest: a rule no other candidate strictly subsumes.
      const b = by.find((x) => !by.some((y) => y !== x && subsumes(y, x) && !subsumes(x, y))) ?? by[0];
      if (!b) continue;
      out.push(finding("redundant", a.span, `rule ${q(a.id)} is redundant: ${q(b.id)} already allows every call it allows`, "remove it", { rule: a.id, role: role.name }, [{ message: "the rule that already allows it", span: b.span }]));
    }
  }

  for (const role of ir.roles.values()) {
    const span = role.span ?? NOWHERE;
    for (const m of role.members) {
      if (mayHold(m)) continue;
      out.push(finding("member-never", span, `a \`member when\` condition of role ${q(role.name)} can never hold`, "the host can still give the role; fix or remove the condition", { role: role.name }));
    }
    if (ir.defaultEffect === "allow" || (role.includes.length === 0 && role.rules.every((r) => r.effect === "deny"))) continue; // W0005's case
    const allows = rulesOf(ir, role.closure).filter((r) => r.effect === "allow");
    if (allows.length > 0 && allows.some((a) => !dead.has(a) && !shadowedBy(ir, a, role.closure))) continue;
    const why = allows.length === 0 ? "neither it nor the roles it includes has an allow rule" : "every allow rule it holds is shadowed by a deny or can never fire";
    out.push(finding("grants-nothing", span, `role ${q(role.name)} grants nothing: ${why}`, "add an `allow` rule, remove the deny that shadows them, or remove the role", { role: role.name }));
  }

  // Exact tool blocks, and each family by an instance of its glob (`github__*` -> `github__x`).
  for (const tool of [...ir.tools.values(), ...ir.families]) {
    const name = tool.pattern === undefined ? tool.name : globInstance(tool.pattern);
    const reachable = [...ir.roles.keys()].some((role) => {
      const res = analyseScenario(ir, { kind: "tool", name }, { hostRoles: [role], exact: false });
      return res.effects.has("allow") || res.effects.has("require_approval");
    });
    if (reachable) continue;
    out.push(finding("unreachable-tool", tool.span ?? NOWHERE, `no role can call tool ${q(tool.name)}`, "allow it in a role, or remove the tool block", { tool: tool.name }));
  }
  return out.sort((a, b) => (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : a.span.start - b.span.start));
}
