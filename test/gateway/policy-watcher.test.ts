/**
 * The policy watcher on a real file system (a temp folder, real fs events, the real compiler): editing the
 * policy or a file it imports reloads it; a broken policy is rejected with diagnostics and the old one stays;
 * a save by rename-replace is seen (twice: the watch survives it); a new import is watched after the reload
 * that added it; reloadNow compiles at once; a throwing compile is contained; close stops everything.
 * No timing assertions: each test waits for the callback it expects (with a generous cap).
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { compilePolicyFile, watchPolicy, type PolicyWatcher } from "../../src/gateway/policy-watcher.js";
import type { Policy } from "../../src/policy.js";

let dir: string;
let watchers: PolicyWatcher[] = [];

const MAIN = (allowed: string, importLine = 'import "./lib.mcppolicy"') => `policy "team"\n${importLine}\ndefault deny\nrole dev {\n  allow tool ${allowed}\n}\n`;
const LIB = (denied: string) => `policy "lib"\ndeny tool ${denied} because "never"\n`;

function allows(p: Policy, tool: string): boolean {
  return p.decide({ principal: { id: "a", roles: ["dev"] }, method: "tools/call", tool, arguments: {} }).effect === "allow";
}

async function until<T>(what: string, f: () => T | undefined, capMs = 15_000): Promise<T> {
  const end = Date.now() + capMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function start(extra: { compile?: (p: string) => Promise<never> } = {}) {
  const reloads: { policy: Policy; files: readonly string[] }[] = [];
  const rejections: { diagnostics: readonly Diagnostic[]; rendered: string }[] = [];
  const w = watchPolicy<Policy>({
    policy: join(dir, "team.mcppolicy"),
    debounceMs: 20,
    pollMs: 100,
    ...(extra.compile && { compile: extra.compile }),
    onReload: (policy, files) => void reloads.push({ policy, files }),
    onRejected: (diagnostics, rendered) => void rejections.push({ diagnostics, rendered }),
  });
  watchers.push(w as PolicyWatcher);
  return { w, reloads, rejections };
}

/** Waits until the watcher has learnt its files (the silent first compile). */
async function ready(w: PolicyWatcher) {
  await until("the first compile", () => w.files.length > 1);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mcpp-watch-"));
  writeFileSync(join(dir, "team.mcppolicy"), MAIN("read"));
  writeFileSync(join(dir, "lib.mcppolicy"), LIB("wipe"));
});

afterEach(() => {
  for (const w of watchers) w.close();
  watchers = [];
  rmSync(dir, { recursive: true, force: true });
});

describe("watchPolicy", () => {
  it("learns the policy's imports and reloads when the policy changes", async () => {
    const { w, reloads, rejections } = start();
    await ready(w);
    expect([...w.files].sort()).toEqual([join(dir, "lib.mcppolicy"), join(dir, "team.mcppolicy")]);
    expect(reloads).toEqual([]);
    writeFileSync(join(dir, "team.mcppolicy"), MAIN("write"));
    const r = await until("a reload", () => reloads.at(-1));
    expect(allows(r.policy, "write")).toBe(true);
    expect(allows(r.policy, "read")).toBe(false);
    expect(rejections).toEqual([]);
  });

  it("reloads when an imported file changes", async () => {
    const { w, reloads } = start();
    await ready(w);
    writeFileSync(join(dir, "lib.mcppolicy"), LIB("read"));
    const r = await until("a reload", () => reloads.at(-1));
    expect(allows(r.policy, "read")).toBe(false); // the import now denies it
    expect(r.files).toContain(join(dir, "lib.mcppolicy"));
  });

  it("rejects a broken policy with diagnostics, keeps the old one, and reloads once it is fixed", async () => {
    const { w, reloads, rejections } = start();
    await ready(w);
    writeFileSync(join(dir, "team.mcppolicy"), 'policy "team"\nrole dev {\n  allow tool\n');
    const rej = await until("a rejection", () => rejections.at(-1));
    expect(rej.diagnostics.length).toBeGreaterThan(0);
    expect(rej.diagnostics.every((d) => typeof d.code === "string" && d.span.file.endsWith("team.mcppolicy"))).toBe(true);
    expect(rej.rendered).toMatch(/error\[E\d{4}\]/);
    expect(reloads).toEqual([]);
    writeFileSync(join(dir, "team.mcppolicy"), MAIN("fixed"));
    const r = await until("a reload", () => reloads.at(-1));
    expect(allows(r.policy, "fixed")).toBe(true);
  });

  it("rejects a broken import and reloads when that import is fixed", async () => {
    const { w, reloads, rejections } = start();
    await ready(w);
    writeFileSync(join(dir, "lib.mcppolicy"), 'policy "lib"\ndeny tool\n');
    await until("a rejection", () => rejections.at(-1));
    writeFileSync(join(dir, "lib.mcppolicy"), LIB("nothing_else"));
    const r = await until("a reload", () => reloads.at(-1));
    expect(allows(r.policy, "read")).toBe(true);
  });

  it("sees saves that replace the file by rename, again and again", async () => {
    const { w, reloads } = start();
    await ready(w);
    for (const tool of ["first", "second", "third"]) {
      const n = reloads.length;
      const tmp = join(dir, `.team.mcppolicy.${tool}.tmp`);
      writeFileSync(tmp, MAIN(tool));
      renameSync(tmp, join(dir, "team.mcppolicy"));
      const r = await until(`the reload after replacing with ${tool}`, () => (reloads.length > n ? reloads.at(-1) : undefined));
      expect(allows(r.policy, tool)).toBe(true);
    }
  });

  it("watches an import added by a reload", async () => {
    const { w, reloads } = start();
    await ready(w);
    writeFileSync(join(dir, "extra.mcppolicy"), LIB("a"));
    writeFileSync(join(dir, "team.mcppolicy"), MAIN("read", 'import "./lib.mcppolicy"\nimport "./extra.mcppolicy"'));
    await until("the reload adding the import", () => reloads.at(-1)?.files.includes(join(dir, "extra.mcppolicy")));
    const n = reloads.length;
    writeFileSync(join(dir, "extra.mcppolicy"), LIB("read"));
    const r = await until("the reload after the new import changed", () => (reloads.length > n ? reloads.at(-1) : undefined));
    expect(allows(r.policy, "read")).toBe(false);
  });

  it("reloadNow compiles at once, changed or not, and reports what it found", async () => {
    const { w, reloads, rejections } = start();
    const same = await w.reloadNow();
    expect(same.ok).toBe(true);
    expect(reloads.length).toBe(1);
    writeFileSync(join(dir, "team.mcppolicy"), "policy\n");
    const broken = await w.reloadNow();
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.diagnostics.length).toBeGreaterThan(0);
    expect(rejections.length).toBeGreaterThanOrEqual(1);
  });

  it("a missing policy file is a rejection, never a throw", async () => {
    const { w, reloads, rejections } = start();
    await ready(w);
    rmSync(join(dir, "team.mcppolicy"));
    const r = await w.reloadNow();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]?.code).toBe("E1013");
    expect(rejections.at(-1)?.diagnostics[0]?.message).toMatch(/no such file/);
    expect(reloads).toEqual([]);
  });

  it("contains a compile that throws", async () => {
    const { w, rejections } = start({ compile: () => Promise.reject(new Error("boom")) });
    const r = await w.reloadNow();
    expect(r.ok).toBe(false);
    expect(rejections.at(-1)?.diagnostics[0]?.message).toMatch(/boom/);
  });

  it("a callback that throws stops nothing: the next change reloads too", async () => {
    const seen: Policy[] = [];
    const w = watchPolicy<Policy>({
      policy: join(dir, "team.mcppolicy"),
      debounceMs: 20,
      pollMs: 100,
      onReload: (p) => {
        seen.push(p);
        throw new Error("the host's reload failed");
      },
      onRejected: () => {
        throw new Error("and so did its logger");
      },
    });
    watchers.push(w);
    await ready(w);
    writeFileSync(join(dir, "team.mcppolicy"), "policy\n");
    expect((await w.reloadNow()).ok).toBe(false);
    writeFileSync(join(dir, "team.mcppolicy"), MAIN("one"));
    await until("the first reload", () => seen.length >= 1);
    writeFileSync(join(dir, "team.mcppolicy"), MAIN("two"));
    const p = await until("the second reload", () => (seen.length >= 2 && allows(seen.at(-1)!, "two") ? seen.at(-1) : undefined));
    expect(allows(p, "one")).toBe(false);
  });

  it("close stops watching: a change after it reaches no callback", async () => {
    const closed = start();
    const witness = start();
    await ready(closed.w);
    await ready(witness.w);
    closed.w.close();
    writeFileSync(join(dir, "team.mcppolicy"), MAIN("after_close"));
    // The witness, watching the same file, proves the change was visible.
    await until("the witness's reload", () => witness.reloads.at(-1));
    await new Promise((r) => setTimeout(r, 300));
    expect(closed.reloads).toEqual([]);
    expect(closed.rejections).toEqual([]);
  });

  it("watches a JSON Schema file the policy names, and reloads when it changes", async () => {
    const schema = (max: number) => JSON.stringify({ type: "object", properties: { n: { type: "integer", maximum: max } }, additionalProperties: false });
    writeFileSync(join(dir, "count.schema.json"), schema(10));
    writeFileSync(join(dir, "team.mcppolicy"), MAIN("count") + 'tool count { args json(schema: "count.schema.json") }\n');
    const { w, reloads } = start();
    await until("the schema file watched", () => w.files.includes(join(dir, "count.schema.json")));
    writeFileSync(join(dir, "count.schema.json"), schema(100));
    const r = await until("a reload", () => reloads.at(-1));
    const call = (n: number) => r.policy.decide({ principal: { id: "a", roles: ["dev"] }, method: "tools/call", tool: "count", arguments: { n } }).effect;
    expect(call(50)).toBe("allow");
    expect(call(500)).toBe("deny");
  });

  it("compilePolicyFile reports the files a policy was compiled from", async () => {
    const r = await compilePolicyFile(join(dir, "team.mcppolicy"));
    expect("policy" in r && [...(r.files ?? [])].sort()).toEqual([join(dir, "lib.mcppolicy"), join(dir, "team.mcppolicy")]);
  });
});
