/**
 * Policy files are input too (issue 9, point 6): what the compiler and the CLI read from disk.
 * A FIFO, a device, a directory, an oversized file, an import that leaves the policy's directory (by
 * `../`, by an absolute path or through a symbolic link) and a directory walk over links that lead out
 * are refused quickly, with a diagnostic that never shows the refused file's content. Every test that
 * could hang without the fix has a vitest timeout, not a timing assertion.
 */
import { spawnSync } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPolicy, compilePolicy } from "mcppolicy";
import { FileRefusal, readRegularFile } from "../src/source/files.js";

const FAST = 10_000; // a hang fails the test at this timeout instead of blocking the suite
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist", "cli", "main.js");
const SECRET = "TOP-SECRET-LINE-7f3a";

let base: string; // <tmp>/
let pol: string; // <tmp>/pol: the policy's directory
let outside: string; // <tmp>/outside: a sibling directory with a secret

const lib = (name: string) => `policy "${name}"\nrole ${name} { allow tool ${name}_tool }\n`;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), "mcppolicy-files-"));
  pol = path.join(base, "pol");
  outside = path.join(base, "outside");
  mkdirSync(path.join(pol, "sub"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(pol, "lib.mcppolicy"), lib("lib"));
  writeFileSync(path.join(pol, "sub", "inner.mcppolicy"), lib("inner"));
  writeFileSync(path.join(outside, "secret.mcppolicy"), `policy "s"\n${SECRET}\n`);
  writeFileSync(path.join(outside, "shared.mcppolicy"), lib("shared"));
  writeFileSync(path.join(outside, "secret.json"), `{ "${SECRET}": `);
  execFileSync("mkfifo", [path.join(pol, "fifo.mcppolicy")]);
  writeFileSync(path.join(pol, "huge.mcppolicy"), "");
  truncateSync(path.join(pol, "huge.mcppolicy"), 64 * 1024 * 1024); // sparse: 64 MiB of NULs
  symlinkSync(path.join(outside, "secret.mcppolicy"), path.join(pol, "link-out.mcppolicy"));
  symlinkSync("../outside", path.join(pol, "dir-out"));
  symlinkSync("lib.mcppolicy", path.join(pol, "link-in.mcppolicy"));
  symlinkSync(path.join(outside, "shared.mcppolicy"), path.join(pol, "link-shared.mcppolicy"));
  symlinkSync("/dev/zero", path.join(pol, "zero.mcppolicy"));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Check a main policy in `pol` that imports `target`; returns codes and the rendered text. */
function importing(target: string, options: { importRoots?: string[] } = {}) {
  const r = checkPolicy(`policy "main"\nimport ${JSON.stringify(target)}\nrole dev { allow tool x }\n`, { filename: path.join(pol, "main.mcppolicy"), ...options });
  return { codes: r.diagnostics.map((d) => d.code), text: r.render(), json: r.toJSON() };
}

describe("imports read only regular files, at most the size limit", () => {
  it("a FIFO is refused without blocking", { timeout: FAST }, () => {
    const r = importing("./fifo.mcppolicy");
    expect(r.codes).toEqual(["E0121"]);
    expect(r.text).toMatch(/named pipe \(fifo\), not a regular file/);
  });

  it("/dev/zero is refused (as a link inside the root, and named under an import root)", { timeout: FAST }, () => {
    expect(importing("./zero.mcppolicy").codes).toEqual(["E0120"]); // the link leads out of the root
    const r = importing("/dev/zero", { importRoots: [pol, "/dev"] });
    expect(r.codes).toEqual(["E0121"]);
    expect(r.text).toMatch(/it is a device, not a regular file/);
  });

  it("a directory is refused", () => {
    expect(importing("./sub").codes).toEqual(["E0121"]);
    expect(importing(".").codes).toEqual(["E0121"]);
  });

  it("a file over the limit is refused without being read whole", { timeout: FAST }, () => {
    const r = importing("./huge.mcppolicy");
    expect(r.codes).toEqual(["E0122"]);
    expect(r.text).toMatch(/larger than 4194304 bytes/);
  });

  it("the refusal points at the import's string", () => {
    const [d] = importing("./fifo.mcppolicy").json;
    expect(d).toMatchObject({ code: "E0121", start: { line: 2, column: 8 }, end: { line: 2, column: 26 } });
  });
});

describe("imports stay inside the policy's directory tree", () => {
  it("`../`, absolute paths and links that lead out are refused, and the file is never shown", () => {
    for (const target of ["../outside/secret.mcppolicy", path.join(outside, "secret.mcppolicy"), "sub/../../outside/secret.mcppolicy", "/etc/passwd", "./link-out.mcppolicy", "./dir-out/secret.mcppolicy"]) {
      const r = importing(target);
      expect(r.codes, target).toEqual(["E0120"]);
      expect(r.text, target).not.toContain(SECRET);
      expect(r.text, target).not.toMatch(/root:/);
    }
    expect(importing("./link-out.mcppolicy").text).toMatch(/through a symbolic link/);
  });

  it("files inside the tree import fine: relative, in a subdirectory, absolute, or a link that stays inside", () => {
    for (const target of ["./lib.mcppolicy", "sub/inner.mcppolicy", "sub/../lib.mcppolicy", path.join(pol, "lib.mcppolicy"), "./link-in.mcppolicy"]) {
      expect(importing(target).codes, target).toEqual([]);
    }
  });

  it("`importRoots` replaces the default roots", () => {
    expect(importing("../outside/shared.mcppolicy", { importRoots: [pol, outside] }).codes).toEqual([]);
    expect(importing("./link-shared.mcppolicy", { importRoots: [pol, outside] }).codes).toEqual([]); // the link's target is inside a root now
    expect(importing("./link-shared.mcppolicy").codes).toEqual(["E0120"]);
    expect(importing("./lib.mcppolicy", { importRoots: [outside] }).codes).toEqual(["E0120"]);
    expect(importing("./lib.mcppolicy", { importRoots: [] }).codes).toEqual(["E0120"]);
  });

  it("an invalid import root is a diagnostic, and nothing is imported", () => {
    for (const roots of [[""], ["a\u0000b"], [42 as unknown as string], "dir" as unknown as string[]]) {
      expect(importing("./lib.mcppolicy", { importRoots: roots }).codes).toEqual(["E0123"]);
    }
  });

  it("a transitive import is held to the same roots", () => {
    writeFileSync(path.join(pol, "sub", "hop.mcppolicy"), `policy "hop"\nimport "../../outside/secret.mcppolicy"\n`);
    const r = importing("sub/hop.mcppolicy");
    expect(r.codes).toEqual(["E0120"]);
    expect(r.text).not.toContain(SECRET);
  });

  it("a host reader is asked only for paths inside the roots", () => {
    const asked: string[] = [];
    const readFile = (p: string) => {
      asked.push(p);
      return lib("v");
    };
    const r = checkPolicy(`policy "m"\nimport "../x.mcppolicy"\nimport "/etc/passwd"\nimport "./ok.mcppolicy"\n`, { filename: "/virtual/p/m.mcppolicy", readFile });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E0120", "E0120"]);
    expect(asked).toEqual(["/virtual/p/ok.mcppolicy"]);
  });

  it("JSON Schema files follow the same rules and do not show the refused file", { timeout: FAST }, () => {
    const schema = (file: string) =>
      checkPolicy(`policy "j"\nrole dev { allow tool t }\ntool t { args { body: json(schema: ${JSON.stringify(file)}) } }\n`, { filename: path.join(pol, "j.mcppolicy") });
    for (const file of ["../outside/secret.json", "./fifo.mcppolicy", "./huge.mcppolicy", "/dev/zero"]) {
      const r = schema(file);
      expect(r.ok, file).toBe(false);
      expect(r.render(), file).not.toContain(SECRET);
    }
    expect(() => compilePolicy(`policy "j"\nrole dev { allow tool t }\ntool t { args { body: json(schema: "../outside/secret.json") } }\n`, { filename: path.join(pol, "j.mcppolicy") })).toThrow(/outside the import roots/);
    // A file the roots let in but that is not JSON: JSON.parse's message would quote its first bytes.
    writeFileSync(path.join(outside, "secret.txt"), `${SECRET}: not json\n`);
    const wide = checkPolicy(`policy "j"\nrole dev { allow tool t }\ntool t { args { body: json(schema: "../outside/secret.txt") } }\n`, { filename: path.join(pol, "j.mcppolicy"), importRoots: [base] });
    expect(wide.render()).toMatch(/the schema in `..\/outside\/secret.txt` is not valid JSON/);
    expect(wide.render()).not.toContain(SECRET);
  });
});

describe("readRegularFile", () => {
  it("reads at most the limit", () => {
    const f = path.join(base, "ten.txt");
    writeFileSync(f, "0123456789");
    expect(readRegularFile(f, 10)).toBe("0123456789");
    expect(() => readRegularFile(f, 9)).toThrow(/larger than 9 bytes/);
  });

  it("refuses FIFOs, devices and directories with a FileRefusal", { timeout: FAST }, () => {
    for (const p of [path.join(pol, "fifo.mcppolicy"), "/dev/zero", "/dev/null", pol]) {
      let caught: unknown;
      try {
        readRegularFile(p);
      } catch (e) {
        caught = e;
      }
      expect(caught, p).toBeInstanceOf(FileRefusal);
      expect((caught as FileRefusal).kind, p).toBe("not-regular");
    }
  });
});

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: base, encoding: "utf8", input, timeout: FAST });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the CLI reads files the same way", () => {
  it("a FIFO or a device named on the command line is a usage error, not a hang", { timeout: 3 * FAST }, () => {
    const fifo = cli(["check", "pol/fifo.mcppolicy"]);
    expect(fifo.status).toBe(2);
    expect(fifo.stderr).toMatch(/cannot read 'pol\/fifo.mcppolicy': it is a named pipe/);
    writeFileSync(path.join(base, "p.mcppolicy"), lib("p"));
    const zero = cli(["eval", "p.mcppolicy", "/dev/zero"]);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/it is a device, not a regular file/);
    const req = cli(["eval", "p.mcppolicy", "pol/fifo.mcppolicy"]);
    expect(req.status).toBe(2);
  });

  it("stdin over the limit is a usage error", { timeout: 3 * FAST }, () => {
    const r = cli(["eval", "p.mcppolicy", "-"], " ".repeat(4 * 1024 * 1024 + 1));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read stdin: it is larger than 4194304 bytes/);
  });

  it("a directory walk does not follow links out of the directory, nor read FIFOs", { timeout: FAST }, () => {
    const walk = path.join(base, "walk");
    mkdirSync(path.join(walk, "nested"), { recursive: true });
    writeFileSync(path.join(walk, "a.mcppolicy"), lib("a"));
    writeFileSync(path.join(walk, "nested", "b.mcppolicy"), lib("b"));
    symlinkSync(path.join(outside, "secret.mcppolicy"), path.join(walk, "out.mcppolicy")); // file link out: skipped
    symlinkSync(outside, path.join(walk, "outdir")); // directory link: not entered
    symlinkSync("nested", path.join(walk, "loop")); // directory link inside: not entered either
    symlinkSync("nested/b.mcppolicy", path.join(walk, "c.mcppolicy")); // file link inside: taken
    execFileSync("mkfifo", [path.join(walk, "pipe.mcppolicy")]); // not a file: skipped
    const r = cli(["check", "walk", "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { file: string }[] }).files.map((f) => f.file);
    expect(files).toEqual(["walk/a.mcppolicy", "walk/c.mcppolicy", "walk/nested/b.mcppolicy"]);
    expect(r.stdout).not.toContain(SECRET);
  });

  it("--import-root widens (and replaces) where imports may come from; repeatable", { timeout: 3 * FAST }, () => {
    writeFileSync(path.join(pol, "uses-shared.mcppolicy"), `policy "u"\nimport "../outside/shared.mcppolicy"\nimport "./lib.mcppolicy"\n`);
    const refused = cli(["check", "pol/uses-shared.mcppolicy"]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/E0120/);
    expect(cli(["check", "--import-root", "pol", "--import-root", "outside", "pol/uses-shared.mcppolicy"]).status).toBe(0);
    const only = cli(["check", "--import-root", "outside", "pol/uses-shared.mcppolicy"]);
    expect(only.status).toBe(1);
    expect(only.stdout).toMatch(/cannot import `.\/lib.mcppolicy`: it is outside the import roots/);
  });

  it("a test file names a policy only inside its own tree or the working directory, and never shows another file", { timeout: 3 * FAST }, () => {
    const t = path.join(pol, "tt");
    mkdirSync(t);
    const testFile = (name: string, policy: string) =>
      writeFileSync(path.join(t, name), `policy: ${policy}\ncases:\n  - name: a\n    request: { principal: { roles: [dev] }, tool: x }\n    expect: { effect: deny }\n`);
    testFile("env.test.yaml", "/proc/self/environ");
    testFile("up.test.yaml", "../../outside/secret.mcppolicy");
    symlinkSync(path.join(outside, "secret.mcppolicy"), path.join(t, "linked.mcppolicy"));
    testFile("link.test.yaml", "linked.mcppolicy");
    // run from the test directory itself, so that the working directory does not hold `outside` either
    const run = (file: string) => spawnSync(process.execPath, [CLI, "test", file], { cwd: t, encoding: "utf8", timeout: FAST });
    for (const [file, why] of [
      ["env.test.yaml", /cannot read the policy '\/proc\/self\/environ': it is outside the import roots/],
      ["up.test.yaml", /cannot read the policy '..\/..\/outside\/secret.mcppolicy': it is outside the import roots/],
      ["link.test.yaml", /cannot read the policy 'linked.mcppolicy': it leads outside the import roots through a symbolic link/],
    ] as const) {
      const r = run(file);
      expect(r.status, file).toBe(2);
      expect(r.stderr, file).toMatch(why);
      expect(r.stdout + r.stderr, file).not.toContain(SECRET);
      expect(r.stdout + r.stderr, file).not.toMatch(/PATH=|HOME=/);
    }
    // --import-root names where policies may come from instead
    const widened = spawnSync(process.execPath, [CLI, "test", "--import-root", outside, "up.test.yaml"], { cwd: t, encoding: "utf8", timeout: FAST });
    expect(widened.stderr).not.toMatch(/outside the import roots/);
  });

  it("a test file naming a FIFO as its policy fails fast", { timeout: FAST }, () => {
    const t = path.join(base, "tests");
    mkdirSync(t);
    writeFileSync(path.join(t, "x.test.yaml"), `policy: ../pol/fifo.mcppolicy\ncases:\n  - name: a\n    request: { principal: { roles: [dev] }, tool: x }\n    expect: { effect: deny }\n`);
    const r = cli(["test", "tests"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read the policy 'pol\/fifo.mcppolicy': it is a named pipe/);
  });
});
