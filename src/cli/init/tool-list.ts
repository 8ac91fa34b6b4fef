/**
 * A `tools/list` result as a client gets it, read from JSON: `{ "tools": [...] }` (the result), a
 * whole JSON-RPC response `{ "result": { "tools": [...] } }`, or a bare array of tools.
 * GUARANTEE: `parseToolList` returns the tools or throws ToolListError with a message naming what is
 * wrong and where (`tools[3].name`); it never throws anything else, on any value.
 */

export interface ToolAnnotationHints {
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

export interface ListedTool {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema: unknown;
  readonly annotations?: ToolAnnotationHints;
}

export class ToolListError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;

function tool(v: unknown, at: string): ListedTool {
  if (!isObj(v)) throw new ToolListError(`${at} is not an object`);
  if (typeof v.name !== "string" || v.name === "") throw new ToolListError(`${at}.name is not a non-empty string`);
  if (!isObj(v.inputSchema)) throw new ToolListError(`${at}.inputSchema (of tool '${v.name}') is not an object`);
  const annotations: Record<string, boolean> = {};
  if (v.annotations !== undefined) {
    if (!isObj(v.annotations)) throw new ToolListError(`${at}.annotations (of tool '${v.name}') is not an object`);
    for (const h of HINTS) {
      const x = v.annotations[h];
      if (x === undefined) continue;
      if (typeof x !== "boolean") throw new ToolListError(`${at}.annotations.${h} (of tool '${v.name}') is not a boolean`);
      annotations[h] = x;
    }
  }
  return {
    name: v.name,
    inputSchema: v.inputSchema,
    ...(typeof v.title === "string" && { title: v.title }),
    ...(typeof v.description === "string" && { description: v.description }),
    ...(v.annotations !== undefined && { annotations }),
  };
}

/** The tools of a parsed JSON value (see the header for the shapes accepted). */
export function parseToolList(value: unknown): ListedTool[] {
  let list: unknown = value;
  let at = "tools";
  if (isObj(value)) {
    if (isObj(value.result)) {
      list = value.result.tools;
      at = "result.tools";
    } else if (isObj(value.error)) {
      throw new ToolListError(`the file holds a JSON-RPC error, not a tool list: ${typeof value.error.message === "string" ? value.error.message : "no message"}`);
    } else {
      list = value.tools;
    }
  } else if (Array.isArray(value)) {
    at = "";
  }
  if (!Array.isArray(list)) throw new ToolListError('expected a tools/list result: {"tools": [...]}, a JSON-RPC response holding one, or an array of tools');
  return list.map((t, i) => tool(t, `${at}[${i}]`));
}
