// README's "Authoring tools" examples, run as written from a clean directory: the `fmt -` example prints
// exactly what the README shows; the `import` and `init`/`test`/`drift` commands succeed as typed (only
// `npx mcppolicy` becomes this build's CLI, and the filesystem server's `npx` launch becomes `node` on the
// installed package with a temp dir for `/srv/projects`). A README command that fails for a new user (an
// `--out` into a directory that does not exist yet) fails here.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const SERVER = path.join(ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const section = (title: string) => {
  const start = README.indexOf(title);
  expect(start, title).toBeGreaterThan(0);
  const end = README.indexOf("\n###", start + title.length);
  return README.slice(start, end < 0 ? undefined : end);
};
/** The `npx mcppolicy ...` commands of a section's ```sh blocks, comments dropped, split on spaces. */
const commands = (text: string): string[][] =>
  [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split("\n"))
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l.startsWith("npx mcppolicy "))
    .map((l) => l.slice("npx mcppolicy ".length).split(/\s+/));

const dir = mkdtempSync(path.join(tmpdir(), "mcppolicy-readme-authoring-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (args: readonly string[], cwd: string, input?: string) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", timeout: 60_000, ...(input !== undefined && { input }) });

describe("README: authoring tools as written", () => {
  it("fmt - prints the README's output for the README's input", () => {
    const text = section("### One layout: `mcppolicy fmt`");
    const m = /\$ printf '([^']*)' \| npx mcppolicy fmt -\n([\s\S]*?)```/.exec(text);
    expect(m).not.toBeNull();
    const input = m![1]!.replace(/\\n/g, "\n");
    const r = cli(["fmt", "-"], dir, input);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(m![2]);
  });

  it("import: the two commands succeed in a fresh directory, and the written tests pass", () => {
    const cwd = path.join(dir, "import");
    mkdirSync(cwd);
    cpSync(path.join(ROOT, "examples", "guide-import"), path.join(cwd, "examples", "guide-import"), { recursive: true });
    const cmds = commands(section("### From the guide's YAML tool policy: `mcppolicy import`"));
    expect(cmds.map((c) => c[0])).toEqual(["import", "test"]);
    for (const c of cmds) {
      const r = cli(c, cwd);
      expect(r.status, `mcppolicy ${c.join(" ")}\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it("init, test and drift against the filesystem server succeed as written", () => {
    const cwd = path.join(dir, "init");
    const served = path.join(dir, "served");
    mkdirSync(cwd);
    mkdirSync(served);
    const cmds = commands(section("### Starting from a server: `mcppolicy init` and `mcppolicy drift`"));
    expect(cmds.map((c) => c[0])).toEqual(["init", "test", "drift"]);
    const outputs: string[] = [];
    for (const c of cmds) {
      const at = c.indexOf("npx");
      const args = at < 0 ? c : [...c.slice(0, at), process.execPath, SERVER, ...c.slice(at + 2).map((a) => (a === "/srv/projects" ? served : a))];
      const r = cli(args, cwd);
      expect(r.status, `mcppolicy ${args.join(" ")}\n${r.stdout}${r.stderr}`).toBe(0);
      outputs.push(r.stdout);
    }
    expect(outputs[2]).toMatch(/^no drift: /);
  }, 60_000);
});
