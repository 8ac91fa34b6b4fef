/**
 * Tool names from a `tools.json` beside the policy: what a client gets from `tools/list`, either
 * `{ "tools": [{ "name": ... }, ...] }` or a bare array of tools. GUARANTEE: never throws; a missing
 * file is no names, an unreadable or malformed one is no names and one warning through `warn`.
 */
import * as nodePath from "node:path";
import { readRegularFile } from "../source/files.js";

export interface ToolInfo {
  readonly name: string;
  readonly description?: string;
}

export function toolsBeside(policyFile: string, warn: (message: string) => void): ToolInfo[] {
  const file = nodePath.join(nodePath.dirname(policyFile), "tools.json");
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") warn(`${file}: ignored: ${(e as Error).message}`);
    return [];
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    warn(`${file}: ignored: invalid JSON (${(e as Error).message})`);
    return [];
  }
  const list = Array.isArray(json) ? json : json && typeof json === "object" && Array.isArray((json as { tools?: unknown }).tools) ? (json as { tools: unknown[] }).tools : undefined;
  if (!list) {
    warn(`${file}: ignored: expected { "tools": [...] } or an array of tools`);
    return [];
  }
  const out: ToolInfo[] = [];
  for (const t of list) {
    if (!t || typeof t !== "object" || typeof (t as { name?: unknown }).name !== "string") continue;
    const { name, description } = t as { name: string; description?: unknown };
    out.push(typeof description === "string" ? { name, description } : { name });
  }
  return out;
}
