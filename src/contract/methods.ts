/**
 * The method table: every MCP method a policy can govern, one row each. Every other place (request
 * validation, both evaluators, the analysis, the testing kit, the MCP layer) reads this table; a new
 * method is one row here.
 * INVARIANT: a method not in this table is refused (`invalid_request`), never guessed.
 */

/** What a rule names: `allow tool ...`, `allow resource ...`, `allow prompt ...`. */
export type TargetKind = "tool" | "resource" | "prompt";
export const TARGET_KINDS: readonly TargetKind[] = ["tool", "resource", "prompt"];

export interface MethodRow {
  readonly method: string;
  /**
   * What a call of this method acts on: the request must name exactly one of these, in the field of
   * the same name (`tool`, `resource`, `prompt`). Empty for list methods and for methods with no target.
   */
  readonly targets: readonly TargetKind[];
  /** For a list method: the kind of the items it lists, whose visibility the policy decides. */
  readonly lists?: TargetKind;
  /** For `resources/templates/list`: the items are URI templates, not URIs. */
  readonly templates?: boolean;
  /** `to-server`: a client asks a server (the usual); `to-client`: a server asks the client (sampling, elicitation). */
  readonly direction: "to-server" | "to-client";
  /** The call runs a tool: argument declarations, approvals and tool budgets apply. */
  readonly runsTool?: boolean;
}

export const METHOD_TABLE = [
  { method: "tools/call", targets: ["tool"], direction: "to-server", runsTool: true },
  { method: "tools/list", targets: [], lists: "tool", direction: "to-server" },
  { method: "resources/read", targets: ["resource"], direction: "to-server" },
  { method: "resources/list", targets: [], lists: "resource", direction: "to-server" },
  { method: "resources/templates/list", targets: [], lists: "resource", templates: true, direction: "to-server" },
  { method: "prompts/get", targets: ["prompt"], direction: "to-server" },
  { method: "prompts/list", targets: [], lists: "prompt", direction: "to-server" },
  { method: "completion/complete", targets: ["prompt", "resource"], direction: "to-server" },
  { method: "sampling/createMessage", targets: [], direction: "to-client" },
  { method: "elicitation/create", targets: [], direction: "to-client" },
] as const satisfies readonly MethodRow[];

export type Method = (typeof METHOD_TABLE)[number]["method"];

export const METHODS: readonly Method[] = METHOD_TABLE.map((r) => r.method);

/** The row of each method, in a prototype-free record (`"constructor"` is not a method). */
export const METHOD_ROWS: Readonly<Record<Method, MethodRow>> = Object.freeze(
  Object.assign(Object.create(null) as Record<Method, MethodRow>, Object.fromEntries(METHOD_TABLE.map((r) => [r.method, r]))),
);

export const isMethod = (m: unknown): m is Method => typeof m === "string" && Object.prototype.hasOwnProperty.call(METHOD_ROWS, m);

/** The method that lists items of `kind` (not the templates list). */
export function listMethodOf(kind: TargetKind): Method {
  return METHOD_TABLE.find((r) => "lists" in r && r.lists === kind && !("templates" in r))!.method;
}

/** The method that acts on one target of `kind` (tools/call, resources/read, prompts/get). */
export function actionMethodOf(kind: TargetKind): Method {
  return METHOD_TABLE.find((r) => r.targets.length === 1 && r.targets[0] === kind)!.method;
}
