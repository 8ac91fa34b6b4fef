/**
 * `mcppolicy import`: the hardening guide's YAML tool policy (section 5.1: `policies` of `role`,
 * `allowed_tools`, `denied_tools`; `dangerous_tools` of `name`, `risk`, `requires_approval`,
 * `max_executions_per_session`, `allowed_operations`) turned into an equivalent `.mcppolicy` and a test file.
 * GUARANTEES:
 * - equivalence with the guide's `isToolAllowed(role, tool)` for every role and tool name: a tool it allows is
 *   allowed by the policy (or sent to approval, where the guide's `requires_approval` says so), one it refuses is
 *   denied (`guideAllows` below is that function, and test/import-guide.test.ts holds the two together on random
 *   inputs). Its quirks are kept, not fixed: `denied_tools: ["*"]` also cancels `allowed_tools: ["*"]`, the first
 *   entry of a role wins, names are compared literally (`query_database:SELECT` is a name, never an operation);
 *   each such case is a warning.
 * - strict input: an unknown key, a wrong type, a name the language cannot state exactly (glob characters, control
 *   characters) is an error naming the line, and nothing is produced;
 * - the output compiles (the CLI checks it before writing) and is deterministic.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from "yaml";
import { nameFault } from "../contract/names.js";
import { nameText } from "../syntax/name-text.js";

export interface GuideRolePolicy {
  readonly role: string;
  readonly allowed: readonly string[];
  readonly denied: readonly string[];
}
export interface GuideDangerousTool {
  readonly name: string;
  readonly risk?: "low" | "medium" | "high" | "critical";
  readonly requiresApproval: boolean;
  readonly maxPerSession?: number;
  readonly allowedOperations?: readonly string[];
}
export interface GuidePolicy {
  readonly policies: readonly GuideRolePolicy[];
  readonly dangerous: readonly GuideDangerousTool[];
}

export interface ImportProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export type ImportResult =
  | { readonly ok: true; readonly guide: GuidePolicy; readonly policy: string; readonly tests: string; readonly warnings: readonly ImportProblem[] }
  | { readonly ok: false; readonly errors: readonly ImportProblem[] };

/** The guide's isToolAllowed, as its section 5.2 writes it (the reference the import must equal). */
export function guideAllows(guide: GuidePolicy, role: string, tool: string): boolean {
  const p = guide.policies.find((x) => x.role === role);
  if (!p) return false;
  if (p.denied.includes(tool)) return false;
  if (p.denied.includes("*") && !p.allowed.includes(tool)) return false;
  if (p.allowed.includes("*")) return true;
  return p.allowed.includes(tool);
}

const RISKS = ["low", "medium", "high", "critical"] as const;
class Reader {
  readonly errors: ImportProblem[] = [];
  readonly warnings: ImportProblem[] = [];
  constructor(private readonly lines: LineCounter) {}

  at(node: Node | Pair | null | undefined, message: string, warn = false): void {
    const range = node && "range" in node && node.range ? node.range : node && "key" in node && isScalar(node.key) && node.key.range ? node.key.range : undefined;
    const pos = range ? this.lines.linePos(range[0]) : { line: 1, col: 1 };
    (warn ? this.warnings : this.errors).push({ line: pos.line, column: pos.col, message });
  }

  fields(node: unknown, what: string, known: readonly string[]): Map<string, Node | null> | undefined {
    if (!isMap(node)) {
      this.at(node as Node, `${what} must be a mapping`);
      return undefined;
    }
    const out = new Map<string, Node | null>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== "string") {
        this.at(pair.key as Node, `${what}: keys must be strings`);
        continue;
      }
      if (!known.includes(key)) {
        this.at(pair.key as Node, `${what}: unknown key \`${key}\` (known: ${known.map((k) => `\`${k}\``).join(", ")})`);
        continue;
      }
      if (out.has(key)) this.at(pair.key as Node, `${what}: \`${key}\` is given twice`);
      out.set(key, pair.value as Node | null);
    }
    return out;
  }

  string(node: Node | null | undefined, what: string): string | undefined {
    if (!isScalar(node) || typeof node.value !== "string") {
      this.at(node, `${what} must be a string`);
      return undefined;
    }
    return node.value;
  }

  /** A tool or role name the language can state exactly. */
  name(node: Node | null | undefined, what: string, star: boolean): string | undefined {
    const s = this.string(node, what);
    if (s === undefined) return undefined;
    if (star && s === "*") return s;
    const fault = nameFault(s);
    if (fault) {
      this.at(node, `${what} ${JSON.stringify(s)} ${fault}`);
      return undefined;
    }
    if (/[*?[\]{}\\]/.test(s)) {
      this.at(node, `${what} ${JSON.stringify(s)} holds glob characters: the guide compares names literally and a policy would read it as a pattern, so it cannot be imported exactly`);
      return undefined;
    }
    return s;
  }

  names(node: Node | null | undefined, what: string): string[] {
    if (node === undefined || node === null) return [];
    if (!isSeq(node)) {
      this.at(node, `${what} must be a list of tool names`);
      return [];
    }
    const out: string[] = [];
    for (const item of node.items) {
      const n = this.name(item as Node, `an item of ${what}`, true);
      if (n === undefined) continue;
      if (n.includes(":")) this.at(item as Node, `${JSON.stringify(n)} is compared literally by the guide's isToolAllowed, so it matches a tool of that exact name and never \`${n.slice(0, n.indexOf(":"))}\`; imported as that name (to allow some operations of a tool, give its argument a type such as \`sql(readonly: true)\`)`, true);
      out.push(n);
    }
    return out;
  }
}

export function readGuidePolicy(text: string): { guide?: GuidePolicy; errors: ImportProblem[]; warnings: ImportProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const r = new Reader(lines);
  for (const e of doc.errors) {
    const pos = lines.linePos(e.pos[0]);
    r.errors.push({ line: pos.line, column: pos.col, message: `not valid YAML: ${e.message.split("\n")[0]}` });
  }
  if (r.errors.length > 0) return { errors: r.errors, warnings: r.warnings };
  const top = r.fields(doc.contents, "the file", ["policies", "dangerous_tools"]);
  if (!top) return { errors: r.errors, warnings: r.warnings };
  const policies: GuideRolePolicy[] = [];
  const seen = new Set<string>();
  const pol = top.get("policies");
  if (pol === undefined) r.at(doc.contents as Node, "the file needs `policies` (a list of { role, allowed_tools, denied_tools })");
  else if (!isSeq(pol)) r.at(pol, "`policies` must be a list");
  else
    for (const item of pol.items) {
      const f = r.fields(item, "a policy", ["role", "allowed_tools", "denied_tools"]);
      if (!f) continue;
      if (!f.has("role")) {
        r.at(item as Node, "a policy needs `role`");
        continue;
      }
      const role = r.name(f.get("role"), "`role`", false);
      const allowed = r.names(f.get("allowed_tools"), "`allowed_tools`");
      const denied = r.names(f.get("denied_tools"), "`denied_tools`");
      if (role === undefined) continue;
      if (seen.has(role)) {
        r.at(item as Node, `role \`${role}\` is given again: the guide's isToolAllowed reads only its first entry, and so does the import`, true);
        continue;
      }
      seen.add(role);
      if (denied.includes("*") && allowed.includes("*")) r.at(f.get("denied_tools"), `role \`${role}\`: \`denied_tools: ["*"]\` cancels \`allowed_tools: ["*"]\` in the guide's isToolAllowed (only tools named in allowed_tools are allowed); imported the same way`, true);
      policies.push({ role, allowed, denied });
    }
  const dangerous: GuideDangerousTool[] = [];
  const dang = top.get("dangerous_tools");
  if (dang !== undefined && dang !== null) {
    if (!isSeq(dang)) r.at(dang, "`dangerous_tools` must be a list");
    else {
      const names = new Set<string>();
      for (const item of dang.items) {
        const f = r.fields(item, "a dangerous tool", ["name", "risk", "requires_approval", "max_executions_per_session", "allowed_operations"]);
        if (!f) continue;
        if (!f.has("name")) {
          r.at(item as Node, "a dangerous tool needs `name`");
          continue;
        }
        const name = r.name(f.get("name"), "`name`", false);
        let risk: GuideDangerousTool["risk"];
        const rn = f.get("risk");
        if (rn !== undefined) {
          const s = r.string(rn, "`risk`");
          if (s !== undefined && !(RISKS as readonly string[]).includes(s)) r.at(rn, `\`risk\` must be one of ${RISKS.join(", ")}, not ${JSON.stringify(s)}`);
          else risk = s as GuideDangerousTool["risk"];
        }
        let requiresApproval = false;
        const an = f.get("requires_approval");
        if (an !== undefined) {
          if (!isScalar(an) || typeof an.value !== "boolean") r.at(an, "`requires_approval` must be true or false");
          else requiresApproval = an.value;
        }
        let maxPerSession: number | undefined;
        const mn = f.get("max_executions_per_session");
        if (mn !== undefined) {
          if (!isScalar(mn) || typeof mn.value !== "number" || !Number.isInteger(mn.value) || mn.value < 1) r.at(mn, "`max_executions_per_session` must be a whole number, at least 1");
          else maxPerSession = mn.value;
        }
        let allowedOperations: string[] | undefined;
        const on = f.get("allowed_operations");
        if (on !== undefined) {
          if (!isSeq(on) || on.items.some((x) => !isScalar(x) || typeof x.value !== "string")) r.at(on, "`allowed_operations` must be a list of strings");
          else {
            allowedOperations = on.items.map((x) => String((x as { value: unknown }).value));
            r.at(on, `\`allowed_operations\` of \`${name}\` cannot be imported: the guide does not say which argument holds the operation; the policy carries it as a comment (give that argument a type such as \`sql(readonly: true)\`)`, true);
          }
        }
        if (name === undefined) continue;
        if (names.has(name)) {
          r.at(item as Node, `dangerous tool \`${name}\` is given twice`);
          continue;
        }
        names.add(name);
        dangerous.push({ name, ...(risk && { risk }), requiresApproval, ...(maxPerSession !== undefined && { maxPerSession }), ...(allowedOperations && { allowedOperations }) });
      }
    }
  }
  if (r.errors.length > 0) return { errors: r.errors, warnings: r.warnings };
  return { guide: { policies, dangerous }, errors: [], warnings: r.warnings };
}

const list = (names: readonly string[]) => names.map(nameText).join(", ");

/** The `.mcppolicy` text equivalent to `guide` (see the module's guarantees). */
export function guideToPolicy(guide: GuidePolicy, policyName: string, source: string): string {
  const out: string[] = [
    `// Imported by \`mcppolicy import\` from ${source} (the hardening guide's tool policy, section 5.1).`,
    "// Decides as the guide's isToolAllowed(role, tool): a role not listed has no rule (denied), a tool",
    "// a role's entry does not allow is denied (default deny), and denied_tools win over allowed_tools.",
    "",
    `policy ${JSON.stringify(policyName)} version "1"`,
    "default deny",
  ];
  for (const p of guide.policies) {
    out.push("", `role ${nameText(p.role)} {`);
    const starDenied = p.denied.includes("*");
    // With `denied_tools: ["*"]`, only the tools allowed_tools names allow (the guide's second test).
    const allowed = starDenied ? p.allowed.filter((t) => t !== "*") : p.allowed;
    const denied = p.denied.filter((t) => t !== "*");
    if (starDenied) out.push('  // denied_tools: ["*"]: every tool not named in allowed_tools is denied (default deny)');
    if (allowed.includes("*")) out.push('  allow tool "*"');
    const named = [...new Set(allowed.filter((t) => t !== "*"))];
    if (named.length > 0 && !allowed.includes("*")) out.push(`  allow tool ${list(named)}`);
    const d = [...new Set(denied)];
    if (d.length > 0) out.push(`  deny tool ${list(d)}`);
    out.push("}");
  }
  for (const t of guide.dangerous) {
    out.push("", `tool ${nameText(t.name)} {`);
    if (t.risk) out.push(`  risk ${t.risk}`);
    if (t.requiresApproval) out.push("  approval required");
    if (t.maxPerSession !== undefined) out.push(`  limit calls ${t.maxPerSession} by session   // max_executions_per_session`);
    if (t.allowedOperations) out.push(`  // allowed_operations: ${t.allowedOperations.join(", ")}: give the argument that carries the operation a type, e.g. \`args { query: sql(readonly: true) }\``);
    out.push("}");
  }
  return out.join("\n") + "\n";
}

/** A role name no entry uses, and a tool name nothing mentions (the test file's "anything else" cases). */
function unused(taken: ReadonlySet<string>, base: string): string {
  let n = base;
  for (let i = 2; taken.has(n); i++) n = `${base}_${i}`;
  return n;
}

/**
 * A policy test file with one case per (role, tool) the guide names, plus a tool and a role it does not:
 * the effect the guide's isToolAllowed gives (allow, or require_approval where the tool requires approval).
 */
export function guideToTests(guide: GuidePolicy, policyFile: string): string {
  const tools = new Set<string>();
  for (const p of guide.policies) for (const t of [...p.allowed, ...p.denied]) if (t !== "*") tools.add(t);
  for (const t of guide.dangerous) tools.add(t.name);
  const otherTool = unused(tools, "some_other_tool");
  const roles = guide.policies.map((p) => p.role);
  const otherRole = unused(new Set(roles), "unknown-role");
  const approval = new Set(guide.dangerous.filter((t) => t.requiresApproval).map((t) => t.name));
  const lines = [
    `# Tests of ${policyFile}, written by \`mcppolicy import\`: for every role and tool the guide's YAML names`,
    "# (and one of each it does not), the effect the guide's isToolAllowed gives. Run: mcppolicy test <dir>",
    `policy: ${JSON.stringify(policyFile)}`,
    "defaults:",
    "  principal: { id: imported-agent }",
    "  session: { id: imported-session }",
    "cases:",
  ];
  const yamlStr = (s: string) => JSON.stringify(s);
  for (const role of [...roles, otherRole]) {
    for (const tool of [...[...tools].sort(), otherTool]) {
      const allowed = guideAllows(guide, role, tool);
      const effect = !allowed ? "deny" : approval.has(tool) ? "require_approval" : "allow";
      lines.push(`  - name: ${yamlStr(`${role} calls ${tool}: ${effect}`)}`);
      lines.push(`    request: { principal: { roles: [${yamlStr(role)}] }, tool: ${yamlStr(tool)} }`);
      lines.push(`    expect: ${effect}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Read, convert and write the texts (the CLI compiles the policy before writing anything). */
export function importGuidePolicy(text: string, opts: { policyName: string; source: string; policyFile: string }): ImportResult {
  const read = readGuidePolicy(text);
  if (!read.guide) return { ok: false, errors: read.errors };
  return { ok: true, guide: read.guide, policy: guideToPolicy(read.guide, opts.policyName, opts.source), tests: guideToTests(read.guide, opts.policyFile), warnings: read.warnings };
}
