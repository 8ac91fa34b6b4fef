/**
 * List results filtered per principal (src/mcp/lists.ts) with a real compiled policy: every list method of
 * the method table, the cursor and other members kept, items without a readable key dropped, a tool's
 * visibility read with the server's hints (defaults for the rest), and the property that no item the
 * policy says `never` is ever returned.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { METHOD_TABLE } from "../src/contract/methods.js";
import { compilePolicy } from "../src/policy.js";
import { filterListResult, isListMethod, LIST_RESULT_FIELDS, type Caller } from "../src/mcp/index.js";

const policy = compilePolicy(
  `policy "lists"
default deny
deny resource "file:///workspace/secrets/**" because "secrets are off limits"
role reader {
  allow tool read_file
  allow tool "*" when annotations.readOnlyHint
  allow resource "file:///workspace/**"
  allow resource "db://*" when client.tls
  allow prompt "code-*"
  deny prompt "code-admin*"
}
`,
  { readFile: null },
);
const reader: Caller = { principal: { id: "r", roles: ["reader"] }, session: { id: "s" } };

describe("filterListResult", () => {
  it("tools/list: keeps what some call could be allowed for, the cursor and the rest of the result", () => {
    const result = {
      tools: [
        { name: "read_file", inputSchema: { type: "object" } },
        { name: "search", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } },
        { name: "write_file", inputSchema: { type: "object" }, annotations: { readOnlyHint: false } },
        { name: "sneaky", inputSchema: { type: "object" }, annotations: { readOnlyHint: "true" } },
        { name: "bare", inputSchema: { type: "object" } },
      ],
      nextCursor: "page-2",
      _meta: { x: 1 },
    };
    const got = filterListResult("tools/list", result, policy, reader);
    expect(got).toEqual({ tools: [result.tools[0], result.tools[1]], nextCursor: "page-2", _meta: { x: 1 } });
    // A copy: the input is untouched, the kept items are the server's own objects.
    expect(result.tools).toHaveLength(5);
    expect(got).not.toBe(result);
    expect((got.tools as unknown[])[0]).toBe(result.tools[0]);
  });

  it("resources/list by uri, with the caller's client facts", () => {
    const result = {
      resources: [
        { uri: "file:///workspace/a.ts", name: "a" },
        { uri: "file:///workspace/secrets/key.pem", name: "key" },
        { uri: "file:///etc/passwd", name: "passwd" },
        { uri: "db://main", name: "db" },
      ],
      nextCursor: "n",
    };
    expect((filterListResult("resources/list", result, policy, reader).resources as { name: string }[]).map((r) => r.name)).toEqual(["a"]);
    const tls = { ...reader, client: { tls: true } };
    expect((filterListResult("resources/list", result, policy, tls).resources as { name: string }[]).map((r) => r.name)).toEqual(["a", "db"]);
    expect(filterListResult("resources/list", result, policy, reader).nextCursor).toBe("n");
  });

  it("resources/templates/list by uriTemplate", () => {
    const result = { resourceTemplates: [{ uriTemplate: "file:///workspace/{path}", name: "ws" }, { uriTemplate: "file:///etc/{path}", name: "etc" }] };
    expect((filterListResult("resources/templates/list", result, policy, reader).resourceTemplates as { name: string }[]).map((r) => r.name)).toEqual(["ws"]);
  });

  it("prompts/list by name", () => {
    const result = { prompts: [{ name: "code-review" }, { name: "code-admin-reset" }, { name: "other" }], nextCursor: "p" };
    expect(filterListResult("prompts/list", result, policy, reader)).toEqual({ prompts: [{ name: "code-review" }], nextCursor: "p" });
  });

  it("drops items without a readable key, and keeps nothing for a principal without a role", () => {
    const getter = { get name(): never { throw new Error("boom"); } };
    const result = { tools: [null, 1, "read_file", { name: 5 }, {}, getter, { uri: "read_file" }, { name: "read_file" }] };
    expect(filterListResult("tools/list", result as never, policy, reader)).toEqual({ tools: [{ name: "read_file" }] });
    expect(filterListResult("tools/list", { tools: [{ name: "read_file" }] }, policy, { principal: { roles: ["ghost"] } })).toEqual({ tools: [] });
  });

  it("items that are not a list leave an empty list; a result that is not an object leaves {}", () => {
    expect(filterListResult("tools/list", { tools: "x", nextCursor: "c" }, policy, reader)).toEqual({ tools: [], nextCursor: "c" });
    expect(filterListResult("tools/list", { nextCursor: "c" }, policy, reader)).toEqual({ tools: [], nextCursor: "c" });
    expect(filterListResult("tools/list", null as never, policy, reader)).toEqual({});
  });

  it("a method that is not a list method leaves the result as it was (a copy)", () => {
    const r = { content: [{ type: "text", text: "x" }] };
    const got = filterListResult("tools/call", r, policy, reader);
    expect(got).toEqual(r);
    expect(got).not.toBe(r);
    expect(filterListResult("__proto__", r, policy, reader)).toEqual(r);
  });

  it("isListMethod follows the method table", () => {
    for (const row of METHOD_TABLE) expect(isListMethod(row.method)).toBe("lists" in row);
    expect(isListMethod("__proto__")).toBe(false);
    expect(Object.keys(LIST_RESULT_FIELDS).sort()).toEqual(METHOD_TABLE.filter((r) => "lists" in r).map((r) => r.method).sort());
  });
});

describe("property: no item the policy says `never` is returned", () => {
  const names = fc.oneof(fc.constantFrom("read_file", "search", "write_file", "code-review", "code-admin", "file:///workspace/a", "file:///workspace/secrets/k", "db://x", "file:///workspace/{p}"), fc.string());
  const item = fc.oneof(
    fc.record({ name: names, uri: names, uriTemplate: names, annotations: fc.oneof(fc.record({ readOnlyHint: fc.oneof(fc.boolean(), fc.anything()) }, { requiredKeys: [] }), fc.anything()) }, { requiredKeys: [] }),
    fc.anything(),
  );
  const method = fc.constantFrom("tools/list", "resources/list", "resources/templates/list", "prompts/list");
  const principal = fc.oneof(fc.constant({ roles: ["reader"] }), fc.constant({ roles: [] }), fc.anything());
  const kindOf = { "tools/list": "tool", "resources/list": "resource", "resources/templates/list": "resource-template", "prompts/list": "prompt" } as const;
  const keyOf = { "tools/list": "name", "resources/list": "uri", "resources/templates/list": "uriTemplate", "prompts/list": "name" } as const;

  it("holds for any items, principal and method, and never throws", () => {
    fc.assert(
      fc.property(method, fc.array(item, { maxLength: 8 }), principal, fc.boolean(), (m, items, p, tls) => {
        const field = LIST_RESULT_FIELDS[m]!;
        const caller = { principal: p, client: { tls } } as Caller;
        const got = filterListResult(m, { [field]: items, nextCursor: "c" }, policy, caller);
        expect(got.nextCursor).toBe("c");
        const kept = got[field] as Record<string, unknown>[];
        for (const it of kept) {
          expect(items).toContain(it);
          const name = it[keyOf[m]];
          expect(typeof name).toBe("string");
          const hints = m === "tools/list" ? { annotations: { readOnlyHint: (it.annotations as { readOnlyHint?: unknown } | undefined)?.readOnlyHint === true } } : {};
          expect(policy.visibility(kindOf[m], p as never, name as string, { client: { tls }, ...hints })).not.toBe("never");
        }
      }),
      { numRuns: 1000 },
    );
  });
});
