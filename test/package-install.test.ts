/**
 * The package as published: `npm pack` the built checkout, install the tarball into an empty temporary
 * project from npm's local cache (`--prefer-offline`: the cache `npm ci` filled; no other network), then
 * use it only through its public names there: the `mcppolicy` bin, `mcppolicy`, `mcppolicy/testing` and
 * `mcppolicy/redis`. First a default install (node-sql-parser, an optional peer, absent: a policy naming
 * one of its dialects is a clear compile error), then with node-sql-parser added. Prints the installed size
 * (du of node_modules) of both; the optional peers ioredis and fast-check are installed as a host would. Needs dist/ (`npm run build`); packs with --ignore-scripts so it does not
 * rebuild.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const BUILT = existsSync(join(ROOT, "dist", "index.js")) && existsSync(join(ROOT, "dist", "redis.js"));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };

/** npm with the caller's cache, never the lifecycle variables of an outer `npm test`. */
function npm(args: string[], cwd: string): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(config|lifecycle|package)_/i.test(k) || /^npm_config_cache$/i.test(k)));
  return execFileSync(NPM, [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd, env, encoding: "utf8", timeout: 90_000 });
}

/** Size of a directory in MB (du -sk), one decimal. */
function sizeMb(dir: string): number {
  const kb = Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split(/\s/)[0]);
  return Math.round(kb / 102.4) / 10;
}

const GOOD = 'policy "p"\ntool query { args { sql: sql(readonly: true) } }\nrole analyst { allow tool query }\n';
const MYSQL = 'policy "p"\ntool query { args { sql: sql(readonly: true, dialect: "mysql") } }\nrole analyst { allow tool query }\n';

/** A host's script importing the three public entries by name. */
const IMPORTS = `
  import { compilePolicy } from "mcppolicy";
  import { arbitraries } from "mcppolicy/testing";
  import { RedisStore } from "mcppolicy/redis";
  import { readFileSync } from "node:fs";
  const p = compilePolicy(readFileSync("good.mcppolicy", "utf8"));
  const ask = (sql) => p.decide({ principal: { roles: ["analyst"] }, tool: "query", arguments: { sql } }).effect;
  console.log(JSON.stringify([ask("SELECT 1"), ask("DELETE FROM t"), typeof arbitraries, typeof RedisStore]));
`;

describe.skipIf(!BUILT)("package: npm pack, installed into an empty project", () => {
  let dir = "";
  const run = (args: string[]): SpawnSyncReturns<string> => spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 30_000 });
  const bin = (...args: string[]): SpawnSyncReturns<string> => run([join(dir, "node_modules", "mcppolicy", "dist", "cli", "main.js"), ...args]);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mcppolicy-install-"));
    const tarball = npm(["pack", "--ignore-scripts", "--pack-destination", dir], ROOT).trim().split("\n").pop()!;
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "host", version: "1.0.0", private: true, type: "module" }));
    writeFileSync(join(dir, "good.mcppolicy"), GOOD);
    writeFileSync(join(dir, "mysql.mcppolicy"), MYSQL);
    writeFileSync(join(dir, "imports.mjs"), IMPORTS);
    // ioredis and fast-check are optional peers: a host that imports mcppolicy/redis or mcppolicy/testing
    // installs them itself.
    const peers = ["ioredis", "fast-check"].map((p) => `${p}@${pkg.devDependencies[p]}`);
    // A default install: node-sql-parser is an optional peer, so npm leaves it out unless the host adds it.
    npm(["install", `./${tarball}`, ...peers], dir);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a default install (no node-sql-parser): the bin checks a policy, the three entries import, and a mysql policy is a clear compile error", () => {
    expect(existsSync(join(dir, "node_modules", "node-sql-parser"))).toBe(false);
    expect(existsSync(join(dir, "node_modules", ".bin", "mcppolicy"))).toBe(true);
    const ok = bin("check", "good.mcppolicy");
    expect(ok.status, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toContain("0 errors");

    const imports = run(["imports.mjs"]);
    expect(imports.status, imports.stderr).toBe(0);
    expect(JSON.parse(imports.stdout.trim())).toEqual(["allow", "deny", "function", "function"]);

    const mysql = bin("check", "mysql.mcppolicy");
    expect(mysql.status).not.toBe(0);
    expect(mysql.stdout + mysql.stderr).toContain("E0204");
    expect(mysql.stdout + mysql.stderr).toContain("sql dialect `mysql` needs the optional package `node-sql-parser`, which is not installed");

    const total = sizeMb(join(dir, "node_modules"));
    const peers = ["ioredis", "@ioredis", "fast-check"].map((p) => sizeMb(join(dir, "node_modules", p))).reduce((a, b) => a + b, 0);
    console.log(`installed size of a default install: ${total} MB node_modules, of which ${peers.toFixed(1)} MB the ioredis, @ioredis and fast-check folders (optional peers the host added; their few small dependencies not counted)`);
  });

  it("with node-sql-parser added, the mysql policy compiles", () => {
    npm(["install", "node-sql-parser"], dir);
    const mysql = bin("check", "mysql.mcppolicy");
    expect(mysql.status, mysql.stderr + mysql.stdout).toBe(0);
    console.log(`installed size with node-sql-parser: ${sizeMb(join(dir, "node_modules"))} MB node_modules`);
  }, 90_000);
});
