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
  /** For a list method: the key that names an item in the MCP result (`Tool.name`, `Resource.uri`, ...). */
  readonly itemKey?: "name" | "uri" | "uriTemplate";
  /** `to-server`: a client asks a server (the usual); `to-client`: a server asks the client (sampling, elicitation). */
  readonly direction: "to-server" | "to-client";
  /** The call runs a tool: argument declarations, approvals and tool budgets apply. */
  readonly runsTool?: boolean;
}

export const METHOD_TABLE = [
  { method: "tools/call", targets: ["tool"], direction: "to-server", runsTool: true },
  { method: "tools/list", targets: [], lists: "tool", itemKey: "name", direction: "to-server" },
  { method: "resources/read", targets: ["resource"], direction: "to-server" },
  { method: "resources/list", targets: [], lists: "resource", itemKey: "uri", direction: "to-server" },
  { method: "resources/templates/list", targets: [], lists: "resource", templates: true, itemKey: "uriTemplate", direction: "to-server" },
  { method: "prompts/get", targets: ["prompt"], direction: "to-server" },
  { method: "prompts/list", targets: [], lists: "prompt", itemKey: "name", direction: "to-server" },
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

/** The field a request names its target or listed item in: the target kind's name (`tool`, `resource`, `prompt`). */
export type TargetField = TargetKind;

/**
 * The kind of target a request of this row acts on: its one target, or for a row with several
 * (`completion/complete`) the one the request names as a string; undefined for list and to-client rows.
 * The request is assumed validated (exactly one named).
 */
export function targetKindOf(row: MethodRow, req: { readonly tool?: unknown; readonly resource?: unknown; readonly prompt?: unknown }): TargetKind | undefined {
  const ts = row.targets;
  if (ts.length === 1) return ts[0];
  for (const t of ts) if (typeof req[t] === "string") return t;
  return undefined;
}

/** What a list row's items are called in messages: `tools`, `resources`, `prompts`, `resource templates`. */
export function listNoun(row: MethodRow): string {
  return row.templates ? `${row.lists} templates` : `${row.lists}s`;
}

/** What `policy.visible` filters: the items of a list method (`resource-template`: resources/templates/list). */
export type ListKind = TargetKind | "resource-template";

/** The row of the list method whose items are of `kind`. */
export function listRowOf(kind: ListKind): MethodRow | undefined {
  const templates = kind === "resource-template";
  const lists = templates ? "resource" : kind;
  return METHOD_TABLE.find((r) => "lists" in r && r.lists === lists && "templates" in r === templates);
}

/**
 * The target or listed item a request names, read by its method's row (`tool` of tools/call and
 * tools/list, `resource` of resources/read, resources/list and completion of a resource, ...);
 * undefined for a method with none (to-client) or not in the table. Not validated: may be any value.
 */
export function requestTarget(req: { readonly method?: unknown; readonly tool?: unknown; readonly resource?: unknown; readonly prompt?: unknown }): unknown {
  const m = req.method ?? "tools/call";
  if (!isMethod(m)) return undefined;
  const row = METHOD_ROWS[m];
  const kind = row.lists ?? targetKindOf(row, req);
  return kind === undefined ? undefined : req[kind];
}
