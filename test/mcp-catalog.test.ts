/**
 * The pinned tool catalog (src/mcp/catalog.ts) and the rule it carries: a tool's annotations come from the
 * SERVER's tools/list, never from the caller; a tools/call before any tools/list (or to a tool the catalog
 * does not hold) is decided with the spec's defaults for absent annotations. Shown with a real compiled
 * policy (`allow tool "*" when annotations.readOnlyHint`): denied before pinning, allowed after, and
 * annotations sent in the call change nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../src/policy.js";
import { DEFAULT_ANNOTATIONS, MAX_CATALOG_TOOLS, ToolCatalog, toPolicyRequest, type Caller, type JsonRpcRequest } from "../src/mcp/index.js";

const policy = compilePolicy(
  `policy "catalog"
default deny
role reader {
  allow tool "*" when annotations.readOnlyHint
  allow tool "wipe" when not annotations.destructiveHint
}
`,
  { readFile: null },
);
const caller: Caller = { principal: { id: "alice", roles: ["reader"] }, session: { id: "s-1" } };
const call = (name: string, extra: Record<string, unknown> = {}): JsonRpcRequest => ({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name, arguments: {}, ...extra },
});

/** Map a call through the catalog and decide it with the compiled policy. */
function effectOf(message: JsonRpcRequest, catalog: ToolCatalog | undefined): string {
  const mapped = toPolicyRequest(message, "to-server", caller, catalog);
  if (mapped.kind !== "governed") throw new Error(`expected governed, got ${mapped.kind}`);
  return policy.decide(mapped.request).effect;
}

describe("the catalog rule: a tools/call before any tools/list", () => {
  it("is decided with the spec's defaults (readOnlyHint false): denied; allowed once the server lists the tool read-only", () => {
    const catalog = new ToolCatalog();
    expect(catalog.pinned).toBe(false);
    expect(effectOf(call("search"), catalog)).toBe("deny");
    catalog.pin([{ name: "search", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } }], true);
    expect(catalog.pinned).toBe(true);
    expect(effectOf(call("search"), catalog)).toBe("allow");
    // Another tool the server did not list stays on the defaults.
    expect(effectOf(call("other"), catalog)).toBe("deny");
  });

  it("without any catalog, calls are decided with the defaults", () => {
    expect(effectOf(call("search"), undefined)).toBe("deny");
    const mapped = toPolicyRequest(call("search"), "to-server", caller, undefined);
    expect(mapped.kind === "governed" && mapped.request.annotations).toEqual(DEFAULT_ANNOTATIONS);
  });

  it("ignores annotations the caller sends, wherever it puts them", () => {
    const catalog = new ToolCatalog();
    const claims = [
      { annotations: { readOnlyHint: true } },
      { _meta: { annotations: { readOnlyHint: true } } },
      { readOnlyHint: true },
      { arguments: { annotations: { readOnlyHint: true } } },
    ];
    for (const extra of claims) expect(effectOf(call("search", extra), catalog), JSON.stringify(extra)).toBe("deny");
    // And a tool the server lists as NOT read-only stays denied whatever the call claims.
    catalog.pin([{ name: "search", annotations: { readOnlyHint: false } }], true);
    for (const extra of claims) expect(effectOf(call("search", extra), catalog)).toBe("deny");
  });

  it("the defaults say destructive: a rule that needs a non-destructive tool denies an unlisted one", () => {
    const catalog = new ToolCatalog();
    expect(effectOf(call("wipe"), catalog)).toBe("deny");
    catalog.pin([{ name: "wipe", annotations: { destructiveHint: false } }], true);
    expect(effectOf(call("wipe"), catalog)).toBe("allow");
  });
});

describe("ToolCatalog", () => {
  it("keeps only boolean hints; other values fall back to the defaults hint by hint", () => {
    const c = new ToolCatalog();
    c.pin([{ name: "t", annotations: { readOnlyHint: "true", destructiveHint: false, idempotentHint: 1, openWorldHint: null, title: "T", extra: true } }], true);
    expect(c.annotationsOf("t")).toEqual({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true });
    expect(Object.keys(c.annotationsOf("t")).sort()).toEqual(["destructiveHint", "idempotentHint", "openWorldHint", "readOnlyHint"]);
  });

  it("returns fresh objects: a caller changing one cannot change the catalog", () => {
    const c = new ToolCatalog();
    c.pin([{ name: "t", annotations: { readOnlyHint: false }, inputSchema: { type: "object", properties: { a: {} } } }], true);
    const a = c.annotationsOf("t");
    a.readOnlyHint = true;
    expect(c.annotationsOf("t").readOnlyHint).toBe(false);
    (c.inputSchemaOf("t") as { type: string }).type = "string";
    expect(c.inputSchemaOf("t")).toEqual({ type: "object", properties: { a: {} } });
    const d = c.annotationsOf("unknown");
    d.readOnlyHint = true;
    expect(DEFAULT_ANNOTATIONS.readOnlyHint).toBe(false);
    expect(Object.isFrozen(DEFAULT_ANNOTATIONS)).toBe(true);
  });

  it("gathers pages; the last page replaces the catalog (a tool no longer listed is forgotten)", () => {
    const c = new ToolCatalog();
    c.pin([{ name: "a", annotations: { readOnlyHint: true } }, { name: "old", annotations: { readOnlyHint: true } }], true);
    c.pin([{ name: "b", annotations: { readOnlyHint: true } }], false);
    // While paging: the new pages and the last complete listing are both looked up.
    expect(c.has("a")).toBe(true);
    expect(c.has("b")).toBe(true);
    expect(c.has("old")).toBe(true);
    c.pin([{ name: "a", annotations: { readOnlyHint: true } }], true);
    expect(c.has("a")).toBe(true);
    expect(c.has("b")).toBe(true);
    expect(c.has("old")).toBe(false);
    expect(c.annotationsOf("old")).toEqual(DEFAULT_ANNOTATIONS);
    expect(c.size).toBe(2);
  });

  it("a page under way wins over the last complete listing (the server changed a hint)", () => {
    const c = new ToolCatalog();
    c.pin([{ name: "a", annotations: { readOnlyHint: true } }], true);
    c.pin([{ name: "a", annotations: { readOnlyHint: false } }], false);
    expect(c.annotationsOf("a").readOnlyHint).toBe(false);
  });

  it("stale after list_changed: answers from the last listing, forgets pages under way, clears on the next complete listing", () => {
    const c = new ToolCatalog();
    c.pin([{ name: "a", annotations: { readOnlyHint: true } }], true);
    c.pin([{ name: "half", annotations: { readOnlyHint: true } }], false);
    c.markStale();
    expect(c.stale).toBe(true);
    expect(c.pinned).toBe(true);
    expect(c.annotationsOf("a").readOnlyHint).toBe(true);
    expect(c.has("half")).toBe(false);
    c.pin([{ name: "a", annotations: {} }], true);
    expect(c.stale).toBe(false);
    expect(c.annotationsOf("a").readOnlyHint).toBe(false);
  });

  it("a name listed twice with different hints gets the defaults; twice alike is fine", () => {
    const c = new ToolCatalog();
    c.pin([{ name: "x", annotations: { readOnlyHint: true } }, { name: "y", annotations: { readOnlyHint: true } }], false);
    c.pin([{ name: "x", annotations: { readOnlyHint: false } }, { name: "y", annotations: { readOnlyHint: true } }, { name: "x", annotations: { readOnlyHint: true } }], true);
    expect(c.annotationsOf("x")).toEqual(DEFAULT_ANNOTATIONS);
    expect(c.has("x")).toBe(true);
    expect(c.annotationsOf("y").readOnlyHint).toBe(true);
  });

  it("skips items without a string name and never throws on odd pages", () => {
    const c = new ToolCatalog();
    const getterTool = { get name(): never { throw new Error("boom"); } };
    c.pin([null, 1, "t", { name: 5 }, { annotations: { readOnlyHint: true } }, getterTool, { name: "ok", annotations: "x" }] as unknown[], true);
    expect(c.size).toBe(1);
    expect(c.annotationsOf("ok")).toEqual(DEFAULT_ANNOTATIONS);
    c.pin("not a list" as never, true);
    c.pin(undefined as never, true);
    expect(c.size).toBe(0);
  });

  it("names like __proto__ and constructor are names like any other", () => {
    const c = new ToolCatalog();
    expect(c.has("__proto__")).toBe(false);
    expect(c.has("constructor")).toBe(false);
    expect(c.annotationsOf("toString")).toEqual(DEFAULT_ANNOTATIONS);
    c.pin([{ name: "__proto__", annotations: { readOnlyHint: true } }], true);
    expect(c.annotationsOf("__proto__").readOnlyHint).toBe(true);
  });

  it(`keeps at most ${MAX_CATALOG_TOOLS} tools of one listing; the rest get the defaults`, () => {
    const c = new ToolCatalog();
    const tools = Array.from({ length: MAX_CATALOG_TOOLS + 5 }, (_, i) => ({ name: `t${i}`, annotations: { readOnlyHint: true } }));
    c.pin(tools, true);
    expect(c.size).toBe(MAX_CATALOG_TOOLS);
    expect(c.annotationsOf(`t${MAX_CATALOG_TOOLS + 1}`)).toEqual(DEFAULT_ANNOTATIONS);
  });

  it("property: annotationsOf is always four booleans, for any pinned pages and any name", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(fc.anything()), fc.boolean())), fc.string(), (pages, name) => {
        const c = new ToolCatalog();
        for (const [tools, complete] of pages) c.pin(tools, complete);
        const a = c.annotationsOf(name);
        expect(Object.keys(a).sort()).toEqual(["destructiveHint", "idempotentHint", "openWorldHint", "readOnlyHint"]);
        for (const v of Object.values(a)) expect(typeof v).toBe("boolean");
      }),
    );
  });
});
