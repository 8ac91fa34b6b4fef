/**
 * Resource templates (`resources/templates/list`): RFC 6570 URI templates, read fail-closed.
 * A template's visibility is decided on concrete expansions (witnesses): the expansion with every
 * variable `x`, and each resource pattern of the policy (a glob with its wildcards written as `x`) that
 * is itself an expansion of the template. The template is visible (`depends`) when some witness could be
 * read, `never` otherwise; never `always` (different expansions may be decided differently).
 * INVARIANT: every witness is a real expansion of the template, so a deny that covers every expansion
 * covers every witness and the template is `never`; an allow the witnesses miss only hides it (fail closed).
 * INVARIANT: matching is linear in the witness length times the template's size (no backtracking regex
 * on a template an upstream server chose).
 */
import type { IrPolicy } from "../../ir/ir.js";

/** One step of a template: a literal character, or a run of 1..max characters of a class. */
type Step = { readonly lit: string } | { readonly cls: (c: string) => boolean; readonly max: number };

export interface UriTemplate {
  readonly steps: readonly Step[];
  /** The expansion with every variable `x`. */
  readonly sample: string;
  /** The expansion with every variable `value` (may not be a valid expansion: check with `matchesTemplate`). */
  readonly expand: (value: string) => string;
}

const MAX_TEMPLATE = 2048;
/** Witnesses tried per template, at most (beyond: hidden, fail closed). */
export const MAX_WITNESSES = 64;

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const RESERVED_OR_UNRESERVED = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]$/;
const unreserved = (c: string) => UNRESERVED.test(c);
const anyAllowed = (c: string) => RESERVED_OR_UNRESERVED.test(c);
const VARNAME = /^(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*$/;
const OPERATORS = "+#./;?&";

/** Parse a template; a string when it is not one (unbalanced braces, an unknown operator, a bad variable). */
export function parseTemplate(text: string): UriTemplate | string {
  if (text.length > MAX_TEMPLATE) return `is longer than ${MAX_TEMPLATE} characters`;
  const steps: Step[] = [];
  let sample = "";
  /** Literal parts, and `null` for a variable. */
  const parts: (string | null)[] = [];
  const lit = (s: string) => {
    for (const ch of s) steps.push({ lit: ch });
    sample += s;
    parts.push(s);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "}") return "has a `}` without its `{`";
    if (c !== "{") {
      lit(c);
      i++;
      continue;
    }
    const end = text.indexOf("}", i + 1);
    if (end < 0) return "has a `{` without its `}`";
    let body = text.slice(i + 1, end);
    if (body.includes("{")) return "has a `{` inside an expression";
    const op = OPERATORS.includes(body[0] ?? "") ? body[0]! : "";
    if (op) body = body.slice(1);
    if (body === "") return "has an empty expression";
    const specs = body.split(",");
    const vars: { name: string; max: number }[] = [];
    for (const spec of specs) {
      const m = /^(.*?)(?::([1-9][0-9]{0,3})|\*)?$/.exec(spec)!;
      const name = m[1]!;
      if (!VARNAME.test(name)) return `has an invalid variable \`${spec}\` (RFC 6570 operators: ${OPERATORS.split("").join(" ")})`;
      vars.push({ name, max: m[2] ? Number(m[2]) : Infinity });
    }
    const cls = op === "+" || op === "#" ? anyAllowed : unreserved;
    const run = (max: number) => {
      steps.push({ cls, max });
      sample += "x";
      parts.push(null);
    };
    vars.forEach((v, k) => {
      if (op === "" || op === "+" || op === "#") {
        lit(k === 0 ? (op === "#" ? "#" : "") : ",");
        run(v.max);
      } else if (op === "." || op === "/") {
        lit(op);
        run(v.max);
      } else {
        // `;` `?` `&`: name=value pairs (`?` starts with `?`, then `&`).
        lit(`${op === "?" ? (k === 0 ? "?" : "&") : op}${v.name}=`);
        run(v.max);
      }
    });
    i = end + 1;
  }
  return { steps, sample, expand: (value) => parts.map((p) => p ?? value).join("") };
}

/** Whether `s` is an expansion of the template (under its reading above): a set-of-states simulation. */
export function matchesTemplate(t: UriTemplate, s: string): boolean {
  // A state: step index * 10001 + characters taken in that step's run (0 for a literal not yet taken).
  const n = t.steps.length;
  let states = new Set<number>([0]);
  for (const ch of s) {
    const next = new Set<number>();
    for (const st of states) {
      const i = Math.floor(st / 10001);
      const taken = st % 10001;
      if (i < n) {
        const step = t.steps[i]!;
        if ("lit" in step) {
          if (step.lit === ch) next.add((i + 1) * 10001);
        } else if (step.cls(ch)) {
          // An unbounded run needs no count: every positive count behaves the same.
          const count = step.max === Infinity ? 1 : taken + 1;
          if (count < step.max) next.add(i * 10001 + count);
          next.add((i + 1) * 10001); // the run ends here
        }
      }
    }
    // A run ends right after one of its characters; it cannot be skipped (every variable takes at least one).
    states = next;
    if (states.size === 0) return false;
  }
  for (const st of states) if (Math.floor(st / 10001) === n) return true;
  return false;
}

/** The text a pattern stands for with its wildcards written as `x` (`[c]` as `c`). */
export function patternSample(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "[" && pattern[i + 2] === "]") {
      out += pattern[i + 1];
      i += 2;
    } else if (c === "*") {
      out += "x";
      while (pattern[i + 1] === "*") i++;
    } else if (c === "?") out += "x";
    else out += c;
  }
  return out;
}

/**
 * The concrete URIs the policy's resource rules name: exact patterns as written, globs through
 * `patternSample`; top-level denies first, then roles in declaration order, rules and patterns in order.
 */
export function resourceSeeds(ir: IrPolicy): string[] {
  const out: string[] = [];
  const rules = [...ir.topDenies, ...[...ir.roles.values()].flatMap((r) => r.rules)];
  for (const r of rules) if (r.target === "resource") for (const p of r.patterns) out.push(p.kind === "exact" ? p.text : patternSample(p.text));
  return out;
}

/**
 * The witnesses of a template, at most MAX_WITNESSES: its sample; the seeds (resourceSeeds) that are
 * expansions of it; then the template with every variable set to one word of the seeds (the runs
 * between `/ ? # & = , ; :`), where that is an expansion (`db://{table}/rows` and `db://users/*` give
 * `db://users/rows`).
 */
export function witnesses(t: UriTemplate, seeds: readonly string[]): string[] {
  const out = [t.sample];
  const seen = new Set(out);
  const add = (s: string) => {
    if (out.length < MAX_WITNESSES && !seen.has(s) && matchesTemplate(t, s)) {
      seen.add(s);
      out.push(s);
    }
  };
  for (const s of seeds) add(s);
  const words = new Set<string>();
  for (const s of seeds) for (const w of s.split(/[/?#&=,;:]+/)) if (w !== "") words.add(w);
  for (const w of words) add(t.expand(w));
  return out;
}
