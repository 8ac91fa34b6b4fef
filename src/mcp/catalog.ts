/**
 * The pinned tool catalog of one upstream server: the annotations and input schemas of its tools, as the
 * SERVER listed them (tools/list results, all pages). Tool annotations in a call come from here, never
 * from the caller.
 * GUARANTEES:
 *  - `annotationsOf` always returns all four hints as booleans: a hint the server gave as a boolean, else
 *    the spec's default for an absent annotation (DEFAULT_ANNOTATIONS: readOnly false, destructive true,
 *    idempotent false, openWorld true: fail closed); a tool not in the catalog gets the defaults;
 *  - a name listed twice in one listing with different hints gets the defaults (which one runs is unknown);
 *  - paging: pages pinned with `complete: false` are gathered and looked up (newest first) beside the last
 *    complete listing; the page pinned with `complete: true` ends the listing, which REPLACES the catalog
 *    (a tool no longer listed is forgotten) and clears `stale`;
 *  - `markStale` (the server's notifications/tools/list_changed) drops the pages gathered so far and
 *    keeps answering from the last complete listing until the next one is pinned (the host re-fetches);
 *  - bounded: at most MAX_CATALOG_TOOLS tools are kept per listing (the rest get the defaults); never throws.
 */
import { ANNOTATION_DEFAULTS } from "../contract/attributes.js";
import type { ToolAnnotations } from "../contract/request.js";

export const DEFAULT_ANNOTATIONS: Readonly<Required<ToolAnnotations>> = Object.freeze({
  readOnlyHint: ANNOTATION_DEFAULTS.readOnlyHint,
  destructiveHint: ANNOTATION_DEFAULTS.destructiveHint,
  idempotentHint: ANNOTATION_DEFAULTS.idempotentHint,
  openWorldHint: ANNOTATION_DEFAULTS.openWorldHint,
});

/** Most tools kept from one listing (all its pages). */
export const MAX_CATALOG_TOOLS = 10_000;

const HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;

interface Entry {
  readonly annotations: Readonly<Required<ToolAnnotations>>;
  readonly inputSchema: unknown;
  /** Listed twice with different hints: decided with the defaults. */
  readonly conflicting?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A tool's four hints: the server's booleans, the spec's defaults for the rest. Never throws. */
export function annotationsFromTool(tool: unknown): Readonly<Required<ToolAnnotations>> {
  try {
    const given = isObject(tool) ? tool.annotations : undefined;
    if (!isObject(given)) return DEFAULT_ANNOTATIONS;
    const out = { ...DEFAULT_ANNOTATIONS };
    for (const h of HINTS) {
      const v = given[h];
      if (typeof v === "boolean") out[h] = v;
    }
    return Object.freeze(out);
  } catch {
    return DEFAULT_ANNOTATIONS;
  }
}

function sameHints(a: Required<ToolAnnotations>, b: Required<ToolAnnotations>): boolean {
  return HINTS.every((h) => a[h] === b[h]);
}

function copySchema(schema: unknown): unknown {
  if (schema === undefined) return undefined;
  try {
    return structuredClone(schema);
  } catch {
    return undefined;
  }
}

export class ToolCatalog {
  /** The last complete listing. */
  #current = new Map<string, Entry>();
  /** Pages of a listing in progress. */
  #incoming = new Map<string, Entry>();
  #pinned = false;
  #stale = false;

  /** Pin one page of a tools/list result (`tools` is the result's `tools`); `complete`: it is the last page (no `nextCursor`). */
  pin(tools: readonly unknown[], complete: boolean): void {
    try {
      if (Array.isArray(tools)) {
        for (const tool of tools) {
          try {
            this.#pinOne(tool);
          } catch {
            // An item that cannot be read adds nothing: that tool keeps the defaults.
          }
        }
      }
    } catch {
      // A list that cannot be walked adds nothing more.
    }
    if (complete === true) {
      this.#current = this.#incoming;
      this.#incoming = new Map();
      this.#pinned = true;
      this.#stale = false;
    }
  }

  #pinOne(tool: unknown): void {
    if (!isObject(tool)) return;
    const name = tool.name;
    if (typeof name !== "string") return;
    const entry: Entry = { annotations: annotationsFromTool(tool), inputSchema: copySchema(tool.inputSchema) };
    const before = this.#incoming.get(name);
    if (before === undefined) {
      if (this.#incoming.size < MAX_CATALOG_TOOLS) this.#incoming.set(name, entry);
    } else if (before.conflicting || !sameHints(before.annotations, entry.annotations)) {
      this.#incoming.set(name, { annotations: DEFAULT_ANNOTATIONS, inputSchema: undefined, conflicting: true });
    }
  }

  /** The server said its tools changed: answers come from the last complete listing until the next is pinned. */
  markStale(): void {
    this.#stale = true;
    this.#incoming = new Map();
  }

  /** True after `markStale` until a complete listing is pinned. */
  get stale(): boolean {
    return this.#stale;
  }

  /** True once a complete listing has been pinned. */
  get pinned(): boolean {
    return this.#pinned;
  }

  #entry(name: string): Entry | undefined {
    if (typeof name !== "string") return undefined;
    return this.#incoming.get(name) ?? this.#current.get(name);
  }

  /** The hints a call to `name` is decided with: the server's, or DEFAULT_ANNOTATIONS. A fresh object. */
  annotationsOf(name: string): Required<ToolAnnotations> {
    return { ...(this.#entry(name)?.annotations ?? DEFAULT_ANNOTATIONS) };
  }

  /** Whether the server listed a tool of this name. */
  has(name: string): boolean {
    return this.#entry(name) !== undefined;
  }

  /** The tool's `inputSchema` as the server listed it (a copy), or undefined. */
  inputSchemaOf(name: string): unknown {
    return copySchema(this.#entry(name)?.inputSchema);
  }

  /** How many tools the last complete listing held. */
  get size(): number {
    return this.#current.size;
  }
}
