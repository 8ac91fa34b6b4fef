/**
 * mcp/ as a whole: index.ts exports the interface of the design sheet, every file has a header comment
 * saying what it guarantees, and the folder does no I/O (no `node:` module, no `process`, no timers).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as mcp from "../src/mcp/index.js";

const dir = new URL("../src/mcp/", import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));

describe("src/mcp", () => {
  it("index.ts exports the designed interface", () => {
    for (const name of ["parseMessageText", "classifyMessage", "errorResponse", "toPolicyRequest", "answerFor", "filterListResult", "isListMethod", "ToolCatalog"]) {
      expect(typeof (mcp as Record<string, unknown>)[name], name).toBe("function");
    }
    expect(mcp.MCP_ERROR_CODES.POLICY_DENIED).toBe(-32010);
    expect(mcp.DEFAULT_ANNOTATIONS).toEqual({ readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true });
  });

  it("every file opens with a header comment", () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(readFileSync(join(dir, f), "utf8").startsWith("/**"), f).toBe(true);
  });

  it("does no I/O", () => {
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      expect(text, f).not.toMatch(/from\s+["']node:|require\(|\bprocess\.|setTimeout|setInterval|\bfetch\(/);
    }
  });
});
