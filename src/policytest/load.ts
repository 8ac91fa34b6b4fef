/**
 * Policy test files (`NAME.test.yaml`): parse and validate one, strictly. The format:
 *
 *   policy: seed.mcppolicy            # optional: relative to this file; default NAME.mcppolicy beside it
 *   defaults:                         # optional: merged into every case's request
 *     principal: { id: agent-7 }
 *   cases:
 *     - name: developer reads a file  # unique in the file
 *       request: { principal: { roles: [developer] }, tool: read_file, arguments: { path: a.ts } }
 *       expect: allow                 # or { effect, rule, reason, message, visibility, roles, budgets, approvers }
 *
 * Every mistake (YAML syntax, an unknown key, a wrong type, a duplicate name) is a TestFileError with
 * the file, line and column where it was written; nothing here throws on any input. Names that only
 * the policy can vouch for (rule ids, roles, budgets) are kept as references, with their positions,
 * for the runner to check once the policy compiles (`checkReferences`).
 * Defaults merge: `principal`, `client` and `session` field by field (the case's fields win; a field
 * set to null removes the default's), every other request key is replaced whole (null removes it).
 * A case with `defaults: false` takes none.
 */
import { readRegularFile } from "../source/files.js";
import * as nodePath from "node:path";
import { createRequire } from "node:module";
import type * as YamlModule from "yaml";
import type { Document, LineCounter, Node, Pair } from "yaml";
import { closest } from "../diagnostics/suggest.js";
import type { Effect, PolicyRequest, ReasonCode, Visibility } from "../contract/index.js";
import { DECISION_REASON_CODES } from "../contract/reasons.js";
import { ATTRIBUTE_ROWS } from "../contract/attributes.js";

// yaml loads when the first test file is read (createRequire of its CommonJS build: the loader is
// synchronous), not at import: compiling and deciding never load it.
const requireCjs = createRequire(import.meta.url);
let yamlModule: typeof YamlModule | undefined;
const yaml = (): typeof YamlModule => (yamlModule ??= requireCjs("yaml") as typeof YamlModule);

export interface Position {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** A mistake in a test file: the file cannot be run as written. */
export interface TestFileError extends Position {
  message: string;
}

export interface TestExpectation {
  effect: Effect;
  /** Each must be the `rule` of one of the decision's reasons (`developer/2`, `no-push-to-main`, `tool:read_file/args`). */
  rules?: string[];
  /** Some reason has this code. */
  reason?: ReasonCode;
  /** Some reason's message contains this text. */
  message?: string;
  /** A list method with an item (tools/list with a tool, resources/list with a resource, ...): its visibility. */
  visibility?: Visibility;
  /** Exactly these roles are held (any order). */
  roles?: string[];
  /** Exactly these budgets are charged (any order). */
  budgets?: string[];
  /** Who may approve (`require_approval`): `caller`, `others`, or a list of roles (any order). */
  approvers?: "caller" | "others" | string[];
}

/** A name the policy must declare, and where the test file wrote it. */
export interface Reference {
  kind: "rule" | "role" | "budget";
  id: string;
  at: Position;
}

export interface PolicyTestCase {
  name: string;
  at: Position;
  /** The request as decided: the case's, merged with the file's defaults. */
  request: PolicyRequest;
  expect: TestExpectation;
  /** Not run: `true`, or the reason given. */
  skip?: true | string;
  references: Reference[];
}

export interface PolicyTestFile {
  file: string;
  /** The policy's path: the test file's directory joined with `policy:` (or the default sibling). */
  policy: string;
  /** Where `policy:` was written (line 1 when it was not). */
  policyAt: Position;
  cases: PolicyTestCase[];
}

export interface LoadResult {
  /** Undefined when the file is not a test file at all (not YAML, not a mapping). */
  tests: PolicyTestFile | undefined;
  errors: TestFileError[];
}

export const TEST_FILE_SUFFIXES = [".test.yaml", ".test.yml"] as const;

const FILE_KEYS = ["policy", "defaults", "cases"] as const;
const CASE_KEYS = ["name", "request", "expect", "skip", "defaults"] as const;
const EXPECT_KEYS = ["effect", "rule", "reason", "message", "visibility", "roles", "budgets", "approvers"] as const;
const EFFECTS: readonly Effect[] = ["allow", "deny", "require_approval"];
const VISIBILITIES: readonly Visibility[] = ["always", "never", "depends"];
/** The reason codes `decide` gives (the others come from the engine). */
const DECISION_REASONS: readonly ReasonCode[] = DECISION_REASON_CODES;
/**
 * The fields of a request, and of its objects: anything else is a typo the evaluators would ignore.
 * The places the attribute registry's rows read are added (`server.name`), so a new attribute row is
 * accepted here with no edit.
 */
const REQUEST_FIELDS: Readonly<Record<string, readonly string[] | null>> = withAttributePlaces({
  principal: ["id", "roles", "scopes", "claims"],
  method: null,
  tool: null,
  arguments: null,
  annotations: ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint", "title"],
  resource: null,
  prompt: null,
  client: ["ip", "tls", "mtls", "certSubject"],
  session: ["id", "history", "historyDroppedUntil", "provenance"],
  time: null,
});

function withAttributePlaces(base: Record<string, readonly string[] | null>): Record<string, readonly string[] | null> {
  const out: Record<string, string[] | null> = {};
  for (const [field, keys] of Object.entries(base)) out[field] = keys && [...keys];
  for (const row of ATTRIBUTE_ROWS) {
    const [field, key] = row.at;
    if (!Object.prototype.hasOwnProperty.call(out, field)) out[field] = key === undefined ? null : [];
    const keys = out[field];
    if (key !== undefined && keys && !keys.includes(key)) keys.push(key);
  }
  return out;
}
/** Request fields merged field by field with the defaults; the others are replaced whole. */
const MERGED = new Set(["principal", "client", "session"]);

type Json = Record<string, unknown>;

/** The default policy of a test file: `x.test.yaml` -> `x.mcppolicy` beside it. */
export function defaultPolicyPath(file: string): string {
  const base = nodePath.basename(file);
  const suffix = TEST_FILE_SUFFIXES.find((s) => base.endsWith(s));
  const stem = suffix ? base.slice(0, -suffix.length) : base.replace(/\.ya?ml$/, "");
  return nodePath.join(nodePath.dirname(file), `${stem}.mcppolicy`);
}

/** Parse and validate the text of a test file named `file`. Never throws. */
export function parsePolicyTests(text: string, file: string): LoadResult {
  const lines = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter: lines });
  const r = new Reader(file, lines, doc);
  for (const e of doc.errors) {
    const p = e.linePos?.[0];
    const first = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    const message = first.startsWith("Source contains multiple documents") ? "a test file is one YAML document (a `---` starts another)" : first;
    r.errors.push({ file, line: p?.line ?? 1, column: p?.col ?? 1, message: `invalid YAML: ${message}` });
  }
  if (r.errors.length > 0) return { tests: undefined, errors: r.errors };
  const root = doc.contents;
  if (!yaml().isMap(root)) {
    r.error(root, "a test file is a mapping with `cases:` (and optionally `policy:` and `defaults:`)");
    return { tests: undefined, errors: r.errors };
  }
  const top = r.fields(root, FILE_KEYS, "the test file");
  const policyNode = top.get("policy");
  const policyName = policyNode === undefined ? undefined : r.string(policyNode, "`policy`");
  const policy =
    policyName === undefined ? defaultPolicyPath(file) : nodePath.isAbsolute(policyName) ? policyName : nodePath.join(nodePath.dirname(file), policyName);
  const policyAt = policyNode ? r.at(policyNode) : { file, line: 1, column: 1 };

  const defaultsNode = top.get("defaults");
  let defaults: Json = {};
  if (defaultsNode !== undefined) {
    if (r.request(defaultsNode, "`defaults`")) defaults = (r.value(defaultsNode) as Json | undefined) ?? {};
  }

  const cases: PolicyTestCase[] = [];
  const casesNode = top.get("cases");
  if (casesNode === undefined) r.error(root, "missing `cases:`, the list of test cases");
  else if (!yaml().isSeq(casesNode) || casesNode.items.length === 0) r.error(casesNode, "`cases` must be a non-empty list of cases");
  else {
    const seen = new Map<string, number>();
    for (const item of casesNode.items) {
      const c = r.testCase(item as Node, defaults);
      if (!c) continue;
      const first = seen.get(c.name);
      if (first !== undefined) r.error(item as Node, `duplicate case name '${c.name}' (first at line ${first})`);
      else seen.set(c.name, c.at.line);
      cases.push(c);
    }
  }
  return { tests: { file, policy, policyAt, cases }, errors: r.errors };
}

/** Merge a case's request into the file's defaults (see the header). */
export function mergeRequest(defaults: Json, request: Json): Json {
  const out: Json = { ...defaults };
  for (const [key, value] of Object.entries(request)) {
    const base = out[key];
    if (value === null) delete out[key];
    else if (MERGED.has(key) && isPlain(base) && isPlain(value)) {
      const merged: Json = { ...base };
      for (const [k, v] of Object.entries(value)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      out[key] = merged;
    } else out[key] = value;
  }
  return out;
}

/**
 * The test file's references the policy does not declare, as errors (with a "did you mean"). `named`
 * maps the positional id of each named rule (`policy/1`) to its name: a test that still writes the
 * positional id of a rule that now has a name is told the name (its decisions carry only the name).
 */
export function checkReferences(
  tests: PolicyTestFile,
  known: Readonly<Record<Reference["kind"], ReadonlySet<string>>>,
  named: ReadonlyMap<string, string> = new Map(),
): TestFileError[] {
  const errors: TestFileError[] = [];
  const what = { rule: "rule", role: "role", budget: "budget" } as const;
  for (const c of tests.cases) {
    for (const ref of c.references) {
      const names = known[ref.kind];
      if (names.has(ref.id)) continue;
      const name = ref.kind === "rule" ? named.get(ref.id) : undefined;
      if (name !== undefined) {
        errors.push({ ...ref.at, message: `${tests.policy} has no rule '${ref.id}': that rule is named '${name}', and a named rule's id is its name (write '${name}')` });
        continue;
      }
      const guess = closest(ref.id, names);
      errors.push({ ...ref.at, message: `${tests.policy} has no ${what[ref.kind]} '${ref.id}'${guess ? ` (did you mean '${guess}'?)` : ""}` });
    }
  }
  return errors;
}

function isPlain(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function keyOf(pair: Pair): string {
  return yaml().isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function listOf(items: readonly string[]): string {
  return items.map((k) => `'${k}'`).join(", ");
}

/** Walks the YAML nodes with their positions, collecting errors. */
class Reader {
  readonly errors: TestFileError[] = [];
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  at(node: Node | Pair | null | undefined): Position {
    const n = node && "range" in node ? node : (node as Pair | undefined)?.key;
    const offset = (n as Node | undefined)?.range?.[0] ?? 0;
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, column: p.col };
  }

  error(node: Node | Pair | null | undefined, message: string): void {
    this.errors.push({ ...this.at(node), message });
  }

  /** The values of a mapping by key; unknown keys are reported (a key given no value maps to a null scalar). */
  fields<K extends string>(map: Node & { items: Pair[] }, known: readonly K[], where: string): Map<K, Node> {
    const out = new Map<K, Node>();
    for (const pair of map.items) {
      const key = keyOf(pair);
      if (!(known as readonly string[]).includes(key)) {
        const guess = closest(key, known);
        this.error(pair.key as Node, `unknown key '${key}' in ${where}${guess ? ` (did you mean '${guess}'?)` : `; expected one of ${listOf(known)}`}`);
        continue;
      }
      out.set(key as K, (pair.value as Node | null) ?? (pair.key as Node));
    }
    return out;
  }

  /** The node as a plain value; undefined (reported) when YAML refuses it (too many aliases). */
  value(node: Node): unknown {
    try {
      return node.toJS(this.doc);
    } catch (e) {
      this.error(node, `cannot read this value: ${(e as Error)?.message ?? String(e)}`);
      return undefined;
    }
  }

  string(node: Node, what: string): string | undefined {
    if (yaml().isScalar(node) && typeof node.value === "string" && node.value !== "") return node.value;
    this.error(node, `${what} must be a non-empty string`);
    return undefined;
  }

  strings(node: Node, what: string): { value: string; node: Node }[] | undefined {
    const items = yaml().isSeq(node) ? (node.items as Node[]) : [node];
    const out: { value: string; node: Node }[] = [];
    for (const item of items) {
      const s = this.string(item, `each of ${what}`);
      if (s === undefined) return undefined;
      out.push({ value: s, node: item });
    }
    return out;
  }

  oneOf<T extends string>(node: Node, choices: readonly T[], what: string): T | undefined {
    const v = yaml().isScalar(node) ? node.value : undefined;
    if (typeof v === "string" && (choices as readonly string[]).includes(v)) return v as T;
    const guess = typeof v === "string" ? closest(v, choices) : undefined;
    this.error(node, `${what} must be one of ${listOf(choices)}${guess ? ` (did you mean '${guess}'?)` : ""}`);
    return undefined;
  }

  /** A request (or the defaults): a mapping of known fields; objects inside it are checked one level deep. */
  request(node: Node, what: string): boolean {
    if (!yaml().isMap(node)) {
      this.error(node, `${what} must be a mapping (a request: principal, tool, arguments, ...)`);
      return false;
    }
    const before = this.errors.length;
    const fields = this.fields(node, Object.keys(REQUEST_FIELDS), `the request`);
    for (const [key, value] of fields) {
      const known = REQUEST_FIELDS[key];
      // Anything but a mapping is left to the evaluators: a test may check that they deny a bad shape.
      if (known && yaml().isMap(value)) this.fields(value, known, `\`${key}\``);
    }
    return this.errors.length === before;
  }

  testCase(node: Node, defaults: Json): PolicyTestCase | undefined {
    if (!yaml().isMap(node)) {
      this.error(node, "a case must be a mapping with `name`, `request` and `expect`");
      return undefined;
    }
    const at = this.at(node);
    const f = this.fields(node, CASE_KEYS, "a case");
    const nameNode = f.get("name");
    const name = nameNode ? this.string(nameNode, "`name`") : undefined;
    if (!nameNode) this.error(node, "a case needs a `name`");
    const requestNode = f.get("request");
    if (!requestNode) this.error(node, `case '${name ?? "?"}' needs a \`request\``);
    const requestOk = requestNode !== undefined && this.request(requestNode, "`request`");
    const expectNode = f.get("expect");
    if (!expectNode) this.error(node, `case '${name ?? "?"}' needs an \`expect\` (allow, deny, require_approval, or a mapping)`);
    const references: Reference[] = [];
    const expect = expectNode ? this.expectation(expectNode, references) : undefined;

    let useDefaults = true;
    const defaultsNode = f.get("defaults");
    if (defaultsNode) {
      if (yaml().isScalar(defaultsNode) && typeof defaultsNode.value === "boolean") useDefaults = defaultsNode.value;
      else this.error(defaultsNode, "a case's `defaults` must be true or false (false: ignore the file's defaults)");
    }
    let skip: true | string | undefined;
    const skipNode = f.get("skip");
    if (skipNode) {
      const v = yaml().isScalar(skipNode) ? skipNode.value : undefined;
      if (v === true || (typeof v === "string" && v !== "")) skip = v;
      else if (v !== false) this.error(skipNode, "`skip` must be true, false or a reason (a string)");
    }
    const own = requestOk ? (this.value(requestNode as Node) as Json | undefined) : undefined;
    if (name === undefined || own === undefined || !expect) return undefined;
    const request = (useDefaults ? mergeRequest(defaults, own) : own) as PolicyRequest;
    return { name, at, request, expect, references, ...(skip !== undefined && { skip }) };
  }

  expectation(node: Node, refs: Reference[]): TestExpectation | undefined {
    if (yaml().isScalar(node)) {
      const effect = this.oneOf(node, EFFECTS, "`expect`");
      return effect && { effect };
    }
    if (!yaml().isMap(node)) {
      this.error(node, "`expect` must be an effect (allow, deny, require_approval) or a mapping with `effect`");
      return undefined;
    }
    const before = this.errors.length;
    const f = this.fields(node, EXPECT_KEYS, "`expect`");
    const effectNode = f.get("effect");
    if (!effectNode) this.error(node, "`expect` needs an `effect` (allow, deny or require_approval)");
    const out: Partial<TestExpectation> = {};
    if (effectNode) {
      const effect = this.oneOf(effectNode, EFFECTS, "`effect`");
      if (effect) out.effect = effect;
    }
    const ref = (kind: Reference["kind"], key: "rule" | "roles" | "budgets") => {
      const n = f.get(key);
      const list = n && this.strings(n, `\`${key}\``);
      if (!list) return undefined;
      for (const s of list) refs.push({ kind, id: s.value, at: this.at(s.node) });
      return list.map((s) => s.value);
    };
    const rules = ref("rule", "rule");
    if (rules) out.rules = rules;
    const roles = ref("role", "roles");
    if (roles) out.roles = roles;
    const budgets = ref("budget", "budgets");
    if (budgets) out.budgets = budgets;
    const reasonNode = f.get("reason");
    const reason = reasonNode && this.oneOf(reasonNode, DECISION_REASONS, "`reason`");
    if (reason) out.reason = reason;
    const messageNode = f.get("message");
    const message = messageNode && this.string(messageNode, "`message`");
    if (message !== undefined) out.message = message;
    const visibilityNode = f.get("visibility");
    const visibility = visibilityNode && this.oneOf(visibilityNode, VISIBILITIES, "`visibility`");
    if (visibility) out.visibility = visibility;
    // `approvers: caller | others | [ROLE, ...]` (the roles are checked against the policy like `roles`).
    const approversNode = f.get("approvers");
    if (approversNode && yaml().isScalar(approversNode)) {
      const kind = this.oneOf(approversNode, ["caller", "others"] as const, "`approvers` (caller, others, or a list of roles)");
      if (kind) out.approvers = kind;
    } else if (approversNode) {
      const list = this.strings(approversNode, "`approvers`");
      if (list) {
        for (const s of list) refs.push({ kind: "role", id: s.value, at: this.at(s.node) });
        out.approvers = list.map((s) => s.value);
      }
    }
    return this.errors.length === before && out.effect ? (out as TestExpectation) : undefined;
  }
}

export type ReadText = (path: string) => string;

/** Reads a UTF-8 regular file of at most 4 MiB (never a FIFO or a device), without a leading byte-order mark. */
export const readUtf8: ReadText = (path) => readRegularFile(path);

/** Read and validate the test file `file`. Never throws: an unreadable file is an error at its line 1. */
export function loadPolicyTests(file: string, readFile: ReadText = readUtf8): LoadResult {
  let text: string;
  try {
    text = readFile(file);
  } catch (e) {
    return { tests: undefined, errors: [{ file, line: 1, column: 1, message: `cannot read the test file: ${(e as Error)?.message ?? String(e)}` }] };
  }
  return parsePolicyTests(text, file);
}
