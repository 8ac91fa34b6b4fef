#!/usr/bin/env node
// Builds the VS Code extension: type-checks src/, bundles src/extension.ts (with vscode-languageclient) into
// dist/extension.js with esbuild (only `vscode` and node builtins stay external), then runs
// `vsce package --no-dependencies`, writing mcppolicy-<version>.vsix.
//   node editors/vscode/build.mjs                  build in place: editors/vscode/mcppolicy-<version>.vsix
//   node editors/vscode/build.mjs --out-dir DIR    copy the extension to DIR/extension, build there, write DIR/mcppolicy-<version>.vsix
// Exit codes: 0 built, 1 a step failed (its output is shown), 2 bad usage.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
/** What goes into the package (.vscodeignore keeps the rest out when building in place). */
const SHIPPED = ["package.json", "README.md", "LICENSE", "language-configuration.json", "syntaxes", ".vscodeignore"];
const USAGE = "usage: node editors/vscode/build.mjs [--out-dir DIR]";

function fail(message, code) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  let outDir;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === "--out-dir") {
      outDir = argv[++i];
      if (outDir === undefined || outDir === "") fail(`--out-dir needs a directory\n${USAGE}`, 2);
    } else fail(`unknown argument \`${a}\`\n${USAGE}`, 2);
  }
  return { outDir };
}

function run(command, args, cwd) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) fail(`could not run ${path.basename(command)}: ${r.error.message}`, 1);
  if (r.status !== 0) fail(`${path.basename(command)} ${args.join(" ")} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`, 1);
  return r.stdout;
}

const { outDir } = parseArgs(process.argv.slice(2));
const bin = (name) => path.join(ROOT, "node_modules", ".bin", process.platform === "win32" ? `${name}.cmd` : name);
for (const tool of ["tsc", "vsce"]) if (!existsSync(bin(tool))) fail(`${tool} is missing: run \`npm install\` at the repository root first`, 1);

let stage = HERE;
let vsixDir = HERE;
if (outDir !== undefined) {
  vsixDir = path.resolve(outDir);
  stage = path.join(vsixDir, "extension");
  mkdirSync(stage, { recursive: true });
  for (const name of SHIPPED) cpSync(path.join(HERE, name), path.join(stage, name), { recursive: true });
}

run(bin("tsc"), ["-p", path.join(HERE, "tsconfig.json")], ROOT);

const esbuild = await import("esbuild");
const result = await esbuild.build({
  entryPoints: [path.join(HERE, "src", "extension.ts")],
  outfile: path.join(stage, "dist", "extension.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode", ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
  logLevel: "silent",
  minify: true,
  sourcemap: false,
});
if (result.errors.length > 0) fail(`esbuild: ${result.errors.map((e) => e.text).join("; ")}`, 1);

const { version } = JSON.parse(readFileSync(path.join(HERE, "package.json"), "utf8"));
const vsix = path.join(vsixDir, `mcppolicy-${version}.vsix`);
run(bin("vsce"), ["package", "--no-dependencies", "--allow-missing-repository", "--out", vsix], stage);
process.stdout.write(`${path.relative(process.cwd(), vsix) || vsix}\n`);
