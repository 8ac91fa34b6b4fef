// Properties of the naming scheme and the composite cursors (docs/gateway-routing.md): round trips, and
// hostile names and cursors that never throw and never reach a target they do not name.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkTargets, prefixName, prefixUri, targetOfName, targetOfUri } from "../../src/gateway/router/names.js";
import { decodeCursor, encodeCursor } from "../../src/gateway/router/cursor.js";
import { createRouter, type RouteTarget } from "../../src/gateway/router/index.js";
import type { JsonRpcMessage } from "../../src/mcp/index.js";

const NAME = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
/** Upstream sets as the config makes them (prefix `NAME__`), kept when routable. */
const TARGETS = fc
  .uniqueArray(NAME, { minLength: 2, maxLength: 5 })
  .map((names) => names.map((name) => ({ name, prefix: `${name}__` })))
  .filter((ts) => checkTargets(ts) === undefined);
const HOSTILE = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.constantFrom("", "+", "__", "a__", "a+", "+x", "__proto__+x", "constructor__x"));

describe("router names", () => {
  it("a prefixed name routes back to its target with its own name", () => {
    fc.assert(
      fc.property(TARGETS, fc.nat(), fc.string({ minLength: 1 }), (ts, i, n) => {
        const t = ts[i % ts.length]!;
        expect(targetOfName(ts, prefixName(t.prefix, n))).toEqual({ target: t, name: n });
      }),
    );
  });

  it("a prefixed URI routes back to its target with its own URI", () => {
    fc.assert(
      fc.property(TARGETS, fc.nat(), fc.string({ minLength: 1 }), (ts, i, uri) => {
        const t = ts[i % ts.length]!;
        const byName = new Map(ts.map((x) => [x.name, x]));
        expect(targetOfUri(byName, prefixUri(t.name, uri))).toEqual({ target: t, uri });
      }),
    );
  });

  it("a hostile name or URI never throws and only ever reaches the target it starts with", () => {
    fc.assert(
      fc.property(TARGETS, fc.oneof(HOSTILE, fc.anything()), (ts, s) => {
        const byName = new Map(ts.map((x) => [x.name, x]));
        const hit = targetOfName(ts, s);
        if (hit !== undefined) {
          expect(typeof s === "string" && s.startsWith(hit.target.prefix) && s.length > hit.target.prefix.length).toBe(true);
          expect(prefixName(hit.target.prefix, hit.name)).toBe(s);
          // prefix-free: no other target claims it.
          expect(ts.filter((t) => (s as string).startsWith(t.prefix))).toEqual([hit.target]);
        }
        const u = targetOfUri(byName, s);
        if (u !== undefined) expect(prefixUri(u.target.name, u.uri)).toBe(s);
      }),
    );
  });

  it("target sets whose prefixes overlap are refused; routable ones are accepted", () => {
    expect(checkTargets([{ name: "a", prefix: "a__" }, { name: "a__b", prefix: "a__b__" }])).toMatch(/starts prefix/);
    expect(checkTargets([{ name: "a", prefix: "a__" }, { name: "b", prefix: "b__" }])).toBeUndefined();
    expect(checkTargets([{ name: "only", prefix: "" }])).toBeUndefined();
  });
});

describe("composite cursors", () => {
  const OPEN = TARGETS.chain((ts) =>
    fc.tuple(
      fc.constant(ts),
      fc.subarray(ts, { minLength: 1 }).chain((sub) => fc.tuple(...sub.map((t) => fc.tuple(fc.constant(t.name), fc.string())))),
    ),
  );

  it("decode(encode(open)) is open, for its method only", () => {
    fc.assert(
      fc.property(OPEN, fc.constantFrom("tools/list", "prompts/list", "resources/list", "resources/templates/list"), ([ts, open], method) => {
        const known = (n: string) => ts.some((t) => t.name === n);
        const c = encodeCursor(method, open);
        expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(c, method, known)).toEqual(open);
        expect(decodeCursor(c, method === "tools/list" ? "prompts/list" : "tools/list", known)).toBeUndefined();
      }),
    );
  });

  it("a hostile cursor never throws; what it decodes to names only known targets, each once", () => {
    const json = fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString("base64url"));
    const nearly = fc.tuple(fc.constant("tools/list"), fc.array(fc.tuple(fc.oneof(NAME, fc.constant("__proto__")), fc.oneof(fc.string(), fc.integer())))).map((v) => Buffer.from(JSON.stringify(v)).toString("base64url"));
    fc.assert(
      fc.property(TARGETS, fc.oneof(HOSTILE, json, nearly, fc.anything()), (ts, c) => {
        const names = new Set(ts.map((t) => t.name));
        const open = decodeCursor(c, "tools/list", (n) => names.has(n));
        if (open !== undefined) {
          expect(open.length).toBeGreaterThan(0);
          expect(new Set(open.map(([n]) => n)).size).toBe(open.length);
          for (const [n, inner] of open) {
            expect(names.has(n)).toBe(true);
            expect(typeof inner).toBe("string");
          }
        }
      }),
    );
  });
});

describe("the router on hostile input", () => {
  function recording(ts: Array<{ name: string; prefix: string }>) {
    const sent: Array<{ to: string; m: any }> = [];
    const out: any[] = [];
    const targets: RouteTarget[] = ts.map((t) => ({ ...t, send: async (m: JsonRpcMessage) => void sent.push({ to: t.name, m }) }));
    const router = createRouter({ targets, serverInfo: { name: "g", version: "1" }, toClient: (m) => void out.push(m) });
    return { router, sent, out };
  }

  it("a tools/call reaches exactly the target its name starts with, with the rest of the name, or is answered -32602", async () => {
    await fc.assert(
      fc.asyncProperty(TARGETS, fc.oneof(HOSTILE, fc.anything()), async (ts, name) => {
        const { router, sent, out } = recording(ts);
        await router.fromClient({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: {} } } as JsonRpcMessage);
        const owner = typeof name === "string" ? ts.find((t) => name.startsWith(t.prefix) && name.length > t.prefix.length) : undefined;
        if (owner === undefined) {
          expect(sent).toEqual([]);
          expect(out).toEqual([expect.objectContaining({ id: 1, error: expect.objectContaining({ code: -32602 }) })]);
        } else {
          expect(sent).toHaveLength(1);
          expect(sent[0]!.to).toBe(owner.name);
          expect(sent[0]!.m.params.name).toBe((name as string).slice(owner.prefix.length));
        }
      }),
    );
  });

  it("a page request reaches only the targets its cursor names, each with its own cursor", async () => {
    const ts = [{ name: "a", prefix: "a__" }, { name: "b", prefix: "b__" }, { name: "c", prefix: "c__" }];
    const entries = fc.uniqueArray(fc.tuple(fc.constantFrom("a", "b", "c", "d", "__proto__"), fc.string()), { selector: (e) => e[0], maxLength: 4 });
    const cursor = fc.oneof(HOSTILE, entries.map((e) => Buffer.from(JSON.stringify(["tools/list", e])).toString("base64url")));
    await fc.assert(
      fc.asyncProperty(cursor, async (c) => {
        const { router, sent, out } = recording(ts);
        await router.fromClient({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { cursor: c } });
        const open = decodeCursor(c, "tools/list", (n) => ts.some((t) => t.name === n));
        if (open === undefined) {
          expect(sent).toEqual([]);
          expect(out[0]).toMatchObject({ id: 1, error: { code: -32602 } });
        } else {
          expect(sent.map((s) => [s.to, s.m.params.cursor]).sort()).toEqual([...open].sort());
        }
      }),
    );
  });
});
