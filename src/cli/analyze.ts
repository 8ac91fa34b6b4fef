/**
 * `mcppolicy analyze <policy> [--format text|json] [--can ROLE:TOOL] [--who TOOL] [--principal FILE]
 *   [--role ROLE --tool TOOL --after LABEL] [--deny-findings]`.
 * Without a question: the compiler's warnings, then the analysis findings (rules that can never
 * fire, shadowed or redundant allows, roles that grant nothing, tools no role can call, membership
 * conditions that never hold), rendered like rustc. With questions: their answers, each with example
 * requests that `decide` was run on (one JSON request a line); `--after` answers yes or no with the
 * shortest sequence of calls found, replayed through the engine (analysis/after-label.ts).
 * GUARANTEES: compile errors go to stderr, rendered, exit 1; a bad flag, an unknown role in --can or
 * --role, an --after without both --role and --tool (or they without it), a label no result block gives,
 * an unreadable or malformed principal file is a UsageError (exit 2) before anything is analysed.
 * Exit: 0 analysed (findings are informational), 1 policy errors (or findings, with --deny-findings), 2 usage.
 */
import type { Verdict } from "../analysis/types.js";
import type { AfterLabelAnswer } from "../analysis/after-label.js";
import type { Principal } from "../contract/index.js";
import type { RequestContext } from "../analysis/types.js";
import { closest } from "../diagnostics/suggest.js";
import { parseTime } from "../contract/time.js";
import { nameFault } from "../contract/names.js";
import { parseRequestJson } from "../eval/request-json.js";
import { EXIT, IMPORT_ROOT_FLAG, importRootsOption, parseArgs, UsageError } from "./args.js";
import { err, out, readInput, readTextFile } from "./io.js";

const COMMAND = "analyze";

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A principal file: a principal object, or a request whose principal and client/session/server/time are taken. */
function parsePrincipal(text: string, where: string): { principal: Principal; context?: RequestContext } {
  let v: unknown;
  try {
    v = parseRequestJson(text); // a key given twice is refused, as for requests
  } catch (e) {
    throw new UsageError(`invalid JSON in ${where}: ${e instanceof Error ? e.message : String(e)}`, COMMAND);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new UsageError(`${where} must hold a JSON object: a principal, or a request with a principal`, COMMAND);
  const o = v as Record<string, unknown>;
  if (!("principal" in o)) return { principal: o as Principal };
  const context: RequestContext = {};
  if (o.client !== undefined) context.client = o.client as RequestContext["client"];
  if (o.session !== undefined) context.session = o.session as RequestContext["session"];
  if (o.server !== undefined) context.server = o.server as RequestContext["server"];
  if (o.time !== undefined) context.time = o.time as RequestContext["time"];
  if (context.time !== undefined && parseTime(context.time) === undefined) throw new UsageError(`\`time\` in ${where} must be epoch milliseconds or an RFC 3339 date-time with \`Z\` or an offset`, COMMAND);
  return { principal: o.principal as Principal, context };
}

/** A verdict's reasons, what it depends on, and its witnesses (one JSON request a line, ready for `mcppolicy eval`). */
function verdictLines(v: Verdict): string[] {
  const lines = [`  because:`, ...v.because.map((b) => `    - ${b}`)];
  if (v.dependsOn.length > 0) lines.push(`  depends on: ${v.dependsOn.join(", ")}`);
  for (const [field, label] of [["allowed", "allowed"], ["approval", "needs approval"], ["denied", "denied"]] as const) {
    const w = v.witness[field];
    if (w) lines.push(`  ${label}: ${JSON.stringify(w)}`);
  }
  return lines;
}

/** `--role R --tool T --after L`: all three, or none. */
function afterQuestion(flags: ReadonlyMap<string, string | true>): { role: string; tool: string; label: string } | undefined {
  const [role, tool, label] = (["role", "tool", "after"] as const).map((f) => flags.get(f));
  if (role === undefined && tool === undefined && label === undefined) return undefined;
  if (label === undefined) throw new UsageError(`--role and --tool ask "can ROLE call TOOL after an event labelled LABEL?" and need --after LABEL (for "can ROLE call TOOL?" use --can ROLE:TOOL)`, COMMAND);
  if (role === undefined || tool === undefined) throw new UsageError(`--after needs --role ROLE and --tool TOOL`, COMMAND);
  for (const [v, flag, what] of [[role, "--role", "a role name"], [tool, "--tool", "a tool name"], [label, "--after", "a label"]] as const) {
    if (typeof v !== "string" || v === "") throw new UsageError(`${flag} needs ${what}`, COMMAND);
  }
  return { role: role as string, tool: tool as string, label: label as string };
}

const YES: ReadonlySet<AfterLabelAnswer["answer"]> = new Set(["allowed", "with-approval"]);

/** The answer to --after: yes or no, why, and the sequence replayed through the engine (one JSON request a step). */
function afterLines(a: AfterLabelAnswer): string[] {
  const word = a.answer === "allowed" ? "yes" : a.answer === "with-approval" ? "yes, with approval" : "no";
  const why = { allowed: "allowed", "with-approval": "require_approval", denied: "denied", "no-source": "no call of the role gives the label", never: "the role can never call it" }[a.answer];
  const lines = [`can role \`${a.role}\` call tool \`${a.tool}\` after an event labelled \`${a.label}\`? ${word} (${why})`];
  if (a.witness) {
    const found = YES.has(a.answer) ? "shortest sequence found" : "the sequence tried";
    lines.push(`  ${found} (${plural(a.witness.length, "call")}), replayed through the engine in a fresh session:`);
    a.witness.forEach((s, i) => {
      const gave = s.labels && s.labels.length > 0 ? `; the session gains ${s.labels.map((l) => `\`${l}\``).join(", ")}` : "";
      lines.push(`    ${i + 1}. ${s.effect}${s.result ? `, ran${s.result.isError ? " (error result)" : ""}${gave}` : ""}: ${JSON.stringify(s.request)}`);
      if (s.result) lines.push(`       result: ${JSON.stringify(s.result)}`);
    });
  }
  lines.push(`  note: ${a.note}`);
  return lines;
}

export async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(
    argv,
    [
      { name: "format", value: true, choices: ["text", "json"] },
      { name: "can", value: true },
      { name: "who", value: true },
      { name: "principal", value: true },
      { name: "role", value: true },
      { name: "tool", value: true },
      { name: "after", value: true },
      { name: "deny-findings" },
      IMPORT_ROOT_FLAG,
    ],
    COMMAND,
  );
  const { flags, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "analyze needs a policy file" : `analyze takes one policy file; got ${positionals.length}`, COMMAND);
  }
  const file = positionals[0]!;
  if (file === "-") throw new UsageError("the policy must be a file", COMMAND);
  const json = flags.get("format") === "json";
  const can = flags.get("can");
  const who = flags.get("who");
  const principalPath = flags.get("principal");
  let canPair: [string, string] | undefined;
  if (typeof can === "string") {
    const i = can.indexOf(":");
    if (i <= 0 || i === can.length - 1) throw new UsageError(`--can needs ROLE:TOOL, got '${can}'`, COMMAND);
    canPair = [can.slice(0, i), can.slice(i + 1)];
  }
  if (who === "") throw new UsageError("--who needs a tool name", COMMAND);
  const afterQ = afterQuestion(flags);
  const source = readTextFile(file, COMMAND);
  const asked = typeof principalPath === "string" ? parsePrincipal(await readInput(principalPath, COMMAND), principalPath === "-" ? "stdin" : `'${principalPath}'`) : undefined;

  // The compiler is loaded only once the command line is known to be good: usage errors stay fast.
  const [{ runFrontEnd }, { fsReader }, { Policy }, render, analysis, { validateRequest }] = await Promise.all([
    import("../check/front-end.js"),
    import("../syntax/load.js"),
    import("../policy.js"),
    import("../diagnostics/render.js"),
    import("../analysis/index.js"),
    import("../eval/request.js"),
  ]);
  const fe = runFrontEnd(source, file, fsReader, {}, importRootsOption(parsed).importRoots);
  const lookup = render.lookupFrom(fe.sources);
  if (!fe.ir || fe.diagnostics.some((d) => d.severity === "error")) {
    err(render.renderAll(fe.diagnostics, lookup).trimEnd());
    err(`mcppolicy: '${file}' does not compile; nothing was analysed`);
    return EXIT.errors;
  }
  const policy = new Policy(fe.ir, fe.diagnostics, fe.sources);
  if (canPair && !policy.ir.roles.has(canPair[0])) {
    const guess = closest(canPair[0], policy.ir.roles.keys());
    throw new UsageError(`unknown role '${canPair[0]}' in --can${guess ? ` (did you mean '${guess}'?)` : ""}`, COMMAND);
  }
  if (afterQ && !policy.ir.roles.has(afterQ.role)) {
    const guess = closest(afterQ.role, policy.ir.roles.keys());
    throw new UsageError(`unknown role '${afterQ.role}' in --role${guess ? ` (did you mean '${guess}'?)` : ""}`, COMMAND);
  }
  if (afterQ) {
    const labels = new Set(policy.ir.results.flatMap((b) => b.labels.map((l) => l.label)));
    if (!labels.has(afterQ.label)) {
      const guess = closest(afterQ.label, labels);
      throw new UsageError(`no result block gives the label '${afterQ.label}' in --after${guess ? ` (did you mean '${guess}'?)` : labels.size === 0 ? " (the policy gives no labels)" : ""}`, COMMAND);
    }
  }
  for (const [name, flag] of [[canPair?.[1], "--can"], [who, "--who"], [afterQ?.tool, "--tool"]] as const) {
    const fault = typeof name === "string" ? nameFault(name) : undefined;
    if (fault) throw new UsageError(`the tool name ${JSON.stringify(name)} in ${flag} ${fault}: no request can carry it`, COMMAND);
  }
  if (asked) {
    const shape = validateRequest({ principal: asked.principal, method: "tools/list", ...asked.context });
    if ("error" in shape) throw new UsageError(`invalid principal: ${shape.error}`, COMMAND);
  }

  const questions = canPair !== undefined || typeof who === "string" || asked !== undefined || afterQ !== undefined;
  const doc: Record<string, unknown> = { file, policy: policy.name };
  const text: string[] = [];
  let findingCount = 0;
  if (!questions) {
    const found = analysis.analyzePolicy(policy).findings;
    findingCount = found.length;
    const warnings = policy.warnings;
    doc.warnings = warnings.map((d) => render.toJson(d, lookup));
    doc.findings = found.map((f) => ({ kind: f.kind, ...(f.rule && { rule: f.rule }), ...(f.role && { role: f.role }), ...(f.tool && { tool: f.tool }), ...render.toJson(f, lookup) }));
    text.push(...warnings.map((d) => render.renderText(d, lookup)), ...found.map((f) => render.renderText(f, lookup)));
    text.push(`analysed ${file}: ${plural(found.length, "finding")}${warnings.length ? `, ${plural(warnings.length, "compiler warning")}` : ""}`);
  }
  if (canPair) {
    const v = analysis.canRoleCall(policy, canPair[0], canPair[1]);
    doc.can = v;
    text.push([`can role \`${v.role}\` call tool \`${v.name}\`? ${v.answer}`, ...verdictLines(v)].join("\n"));
  }
  if (typeof who === "string") {
    const roles = analysis.rolesReaching(policy, who);
    doc.who = { tool: who, roles };
    const width = Math.max(0, ...roles.map((r) => r.role.length));
    text.push(
      [
        `which roles can call tool \`${who}\`? ${roles.length === 0 ? "none" : roles.map((r) => r.role).join(", ")}`,
        ...roles.flatMap((r) => [`${r.role.padEnd(width)}  ${r.answer}`, ...verdictLines(r)]),
      ].join("\n"),
    );
  }
  if (asked) {
    const report = analysis.whatMay(policy, asked.principal, asked.context);
    doc.principal = report;
    const lines = [`what may this principal do? roles held: ${report.roles.always.join(", ") || "(none)"}${report.roles.sometimes.length ? `; on some requests also: ${report.roles.sometimes.join(", ")}` : ""}`];
    for (const [label, list] of [["tool", report.tools], ["resource", report.resources], ["prompt", report.prompts]] as const) {
      for (const v of list) lines.push(`${label} ${v.name}${v.pattern !== undefined ? ` (for ${JSON.stringify(v.pattern)})` : ""}: ${v.answer}`, ...verdictLines(v));
    }
    text.push(lines.join("\n"));
  }
  if (afterQ) {
    const a = await analysis.canRoleCallAfterLabel(policy, afterQ.role, afterQ.tool, afterQ.label);
    doc.after = { ...a, yes: YES.has(a.answer), replayed: a.witness !== undefined };
    text.push(afterLines(a).join("\n"));
  }
  out(json ? JSON.stringify(doc, null, 2) : text.join("\n\n"));
  return flags.get("deny-findings") === true && findingCount > 0 ? EXIT.errors : EXIT.ok;
}
