/**
 * List visibility through the Policy facade: `policy.visible(kind, principal, items, context?)` for every
 * list method of the method table (tools/list, resources/list, prompts/list, resources/templates/list),
 * on both evaluators. The demonstration of issue 10's "a new MCP method is one row in contract/":
 * `resources/list` is its row in METHOD_TABLE plus the generic list path of the decision core — the
 * tests below loop over the table's list rows and find each one served by the same code.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicyRequest } from "../src/index.js";
import { listRowOf, METHOD_TABLE, type ListKind, type MethodRow } from "../src/contract/methods.js";

const policy = compilePolicy(
  `policy "t"
deny resource "file:///workspace/secrets/**" because "secrets are off limits"
role reader {
  allow resource "file:///workspace/**"
  allow resource "db://*" when client.tls
  allow resource "repo://*" when args.branch == "main"
  allow prompt "code-*", summarize
  deny prompt "code-admin*"
  allow tool read_file
  allow tool "*" when annotations.readOnlyHint
}
role ops {
  allow tool deploy
}
`,
  { readFile: null },
);
const reader = { roles: ["reader"] };

describe("policy.visible('resource', ...): resources/list", () => {
  const resources = [
    { uri: "file:///workspace/a.ts", name: "a" },
    { uri: "file:///workspace/secrets/key.pem", name: "key" },
    { uri: "file:///etc/passwd", name: "passwd" },
    { uri: "db://main", name: "db" },
    { uri: "repo://acme", name: "repo" },
  ];

  it("keeps the resources some read could be allowed for, MCP objects by `uri`", () => {
    expect(policy.visible("resource", reader, resources).map((r) => r.name)).toEqual(["a", "repo"]);
  });

  it("reads the rest of the request from the context (client facts)", () => {
    expect(policy.visible("resource", reader, resources, { client: { tls: true } }).map((r) => r.name)).toEqual(["a", "db", "repo"]);
  });

  it("takes plain URIs as items too", () => {
    expect(policy.visible("resource", reader, resources.map((r) => r.uri))).toEqual(["file:///workspace/a.ts", "repo://acme"]);
  });

  it("gives always / never / depends per item", () => {
    expect(policy.visibility("resource", reader, "file:///workspace/a.ts")).toBe("always");
    expect(policy.visibility("resource", reader, "file:///workspace/secrets/key.pem")).toBe("never");
    expect(policy.visibility("resource", reader, "repo://acme")).toBe("depends");
  });

  it("hides everything from a principal with no role of the policy", () => {
    expect(policy.visible("resource", { roles: ["ghost"] }, resources)).toEqual([]);
    expect(policy.visible("resource", {}, resources)).toEqual([]);
  });

  it("leaves out items it cannot read: no `uri`, not a string, an ambiguous URI, an invisible character", () => {
    const odd = [{ name: "no uri" }, { uri: 42 as unknown as string }, { uri: "file:///workspace/../etc/passwd" }, { uri: "file:///workspace/a\u200b.ts" }];
    expect(policy.visible("resource", reader, odd)).toEqual([]);
  });

  it("agrees with the reference interpreter item by item", () => {
    for (const r of resources) {
      const req: PolicyRequest = { principal: reader, method: "resources/list", resource: r.uri };
      expect(policy.interpret(req)).toEqual(policy.decide(req));
    }
  });
});

describe("policy.visible for the other list methods", () => {
  it("prompts/list: MCP prompts by `name`", () => {
    const prompts = [{ name: "summarize" }, { name: "code-review" }, { name: "code-admin" }, { name: "other" }];
    expect(policy.visible("prompt", reader, prompts).map((p) => p.name)).toEqual(["summarize", "code-review"]);
  });

  it("resources/templates/list: MCP resource templates by `uriTemplate`; a template is never `always`", () => {
    const templates = [
      { uriTemplate: "file:///workspace/{path}", name: "ws" },
      { uriTemplate: "file:///workspace/secrets/{name}", name: "secrets" },
      { uriTemplate: "file:///etc/{name}", name: "etc" },
      { uriTemplate: "file:///workspace/{broken", name: "broken" },
    ];
    expect(policy.visible("resource-template", reader, templates).map((t) => t.name)).toEqual(["ws"]);
    expect(policy.visibility("resource-template", reader, "file:///workspace/{path}")).toBe("depends");
  });

  it("tools/list: visible('tool', ...) is visibleTools, annotations read from the MCP tool", () => {
    const tools = [{ name: "read_file" }, { name: "fetch", annotations: { readOnlyHint: true } }, { name: "fetch2" }, { name: "deploy" }];
    expect(policy.visible("tool", reader, tools).map((t) => t.name)).toEqual(["read_file", "fetch"]);
    expect(policy.visibleTools(reader, tools)).toEqual(policy.visible("tool", reader, tools));
    expect(policy.toolVisibility(reader, "fetch", { readOnlyHint: true })).toBe("always");
  });

  it("an unknown kind shows nothing (fail closed)", () => {
    expect(policy.visible("widget" as ListKind, reader, ["file:///workspace/a.ts"])).toEqual([]);
    expect(policy.visibility("widget" as ListKind, reader, "file:///workspace/a.ts")).toBe("never");
  });
});

describe("every list row of the method table is served by the one generic path", () => {
  const listRows = (METHOD_TABLE as readonly MethodRow[]).filter((r) => r.lists !== undefined);
  const kindOf = (r: MethodRow): ListKind => (r.templates ? "resource-template" : r.lists!);
  const items: Record<string, string[]> = {
    tool: ["read_file", "deploy", "nope"],
    resource: ["file:///workspace/a.ts", "file:///workspace/secrets/k", "repo://x", "db://main"],
    prompt: ["summarize", "code-admin", "nope"],
    "resource-template": ["file:///workspace/{p}", "file:///workspace/secrets/{p}", "x://{y}"],
  };

  it("has the four list methods", () => {
    expect(listRows.map((r) => r.method)).toEqual(["tools/list", "resources/list", "resources/templates/list", "prompts/list"]);
  });

  for (const row of (METHOD_TABLE as readonly MethodRow[]).filter((r) => r.lists !== undefined)) {
    it(`${row.method}: listRowOf, visibility and decide agree, on both evaluators`, () => {
      const kind = kindOf(row);
      expect(listRowOf(kind)).toBe(row);
      for (const item of items[kind]!) {
        const req = { principal: reader, method: row.method, [row.lists!]: item } as PolicyRequest;
        const d = policy.decide(req);
        expect(policy.interpret(req)).toEqual(d);
        expect(d.visibility).toBeDefined();
        expect(d.effect).toBe(d.visibility === "never" ? "deny" : "allow");
        expect(policy.visibility(kind, reader, item)).toBe(d.visibility);
        expect(policy.visible(kind, reader, [item])).toEqual(d.visibility === "never" ? [] : [item]);
      }
      // Without an item: allowed to a role holder, denied without a role.
      expect(policy.decide({ principal: reader, method: row.method } as PolicyRequest).effect).toBe("allow");
      expect(policy.decide({ principal: {}, method: row.method } as PolicyRequest).reasons[0]!.code).toBe("no_role");
    });
  }
});

describe("list visibility agrees with the action it stands for (property, generated policies)", () => {
  it("resources/list and prompts/list: `never` means the read/get is denied, `always` that it is allowed; a `never` template's sample read is denied", async () => {
    const fc = (await import("fast-check")).default;
    const { policyText, request } = await import("./helpers/generators.js");
    const uris = fc.constantFrom("file:///ws/a.txt", "file:///ws/d/b.txt", "db://main", "other://x", "file:///ws/x");
    fc.assert(
      fc.property(policyText, request, uris, fc.constantFrom("review", "summarize", "other"), (text, base, uri, prompt) => {
        const p = compilePolicy(text, { readFile: null });
        const { method: _m, tool: _t, resource: _r, prompt: _p, ...rest } = base as PolicyRequest;
        const pairs: [PolicyRequest, PolicyRequest][] = [
          [{ ...rest, method: "resources/list", resource: uri }, { ...rest, method: "resources/read", resource: uri }],
          [{ ...rest, method: "prompts/list", prompt }, { ...rest, method: "prompts/get", prompt }],
        ];
        for (const [list, act] of pairs) {
          const v = p.decide(list).visibility;
          const d = p.decide(act);
          if (v === "never") expect(d.effect, JSON.stringify(act)).toBe("deny");
          // `always` is read with the arguments unknown: a membership that reads them may err on a call
          // without them (`or` does not skip an erring operand), which is the one way out.
          if (v === "always" && !d.errors.some((e) => e.startsWith("membership of role"))) expect(d.effect, JSON.stringify(act)).toBe("allow");
        }
        const tpl = { ...rest, method: "resources/templates/list", resource: "file:///ws/{name}" } as PolicyRequest;
        if (p.decide(tpl).visibility === "never") expect(p.decide({ ...rest, method: "resources/read", resource: "file:///ws/x" }).effect).toBe("deny");
      }),
      { numRuns: 300 },
    );
  });
});

describe("list decisions are re-entrant", () => {
  it("a claims getter that decides another list request does not change the outer one (both evaluators)", () => {
    const p = compilePolicy(
      `policy "r"
role senior {
  member when principal.claims.level > 2
  allow resource "file:///ws/**"
  deny resource "file:///ws/secret/**" when principal.claims.banned
}
role user {
  allow prompt summarize
}
`,
      { readFile: null },
    );
    const inners: PolicyRequest[] = [
      { method: "resources/list", principal: { claims: { level: 9 } }, resource: "file:///ws/a" },
      { method: "resources/templates/list", principal: { claims: { level: "x" } }, resource: "file:///ws/{n}" },
      { method: "prompts/list", principal: { roles: ["ghost"] }, prompt: "summarize" },
    ];
    const outers: PolicyRequest[] = [
      { method: "resources/list", resource: "file:///ws/a" },
      { method: "resources/list", resource: "file:///ws/secret/k" },
      { method: "resources/templates/list", resource: "file:///ws/{name}" },
      { method: "resources/templates/list", resource: "file:///ws/secret/{name}" },
      { method: "prompts/list", prompt: "summarize" },
    ];
    for (const claims of [{ level: 1 }, { level: 9, banned: false }, { level: 9, banned: true }, { level: "9" }]) {
      for (const outer of outers) {
        const plain = { ...outer, principal: { roles: ["user"], claims } };
        const expected = p.decide(plain);
        expect(p.interpret(plain)).toEqual(expected);
        for (const inner of inners) {
          for (const run of [(r: PolicyRequest) => p.decide(r), (r: PolicyRequest) => p.interpret(r)]) {
            const principal = {
              roles: ["user"],
              get claims() {
                run(inner);
                return claims;
              },
            };
            const req = { ...outer, principal } as PolicyRequest;
            expect(p.decide(req), JSON.stringify({ outer, claims, inner })).toEqual(expected);
            expect(p.interpret(req)).toEqual(expected);
          }
        }
      }
    }
  });
});
