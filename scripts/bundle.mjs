/**
 * Build step after tsc (`npm run build`): the published entries (dist/index.js, mcp.js, redis.js,
 * gateway.js, testing/index.js) and the CLI (dist/cli/main.js) are replaced by esbuild bundles of
 * src/, in two builds with code splitting. The five library entries are built together, so code they
 * share lives once in dist/chunks/ (one module state: one PolicyCompileError class whichever entry it
 * comes from). The CLI is built on its own into dist/chunks/cli/, each command a chunk of its own,
 * loaded when that command runs: built together with the library, the split between six entries and
 * the commands cut the code `import("mcppolicy")` loads into ~36 files; alone, the library's is 11
 * (the CLI is a separate process and never shares module state with a host's import; its copy of the
 * shared code costs tarball size, not start-up). Dependencies stay external (resolved from
 * node_modules at run time, lazily where the source loads them lazily). Why: Node loads a few files
 * far faster than the ~200 per-file modules tsc emits, and each extra file costs a resolve, a read and
 * a compile at start-up (issue #16). tsc's per-file output and its .d.ts stay in dist/ for the types and
 * for scripts that import one module by path.
 */
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRIES = { index: "src/index.ts", mcp: "src/mcp.ts", redis: "src/redis.ts", gateway: "src/gateway.ts", "testing/index": "src/testing/index.ts", "cli/main": "src/cli/main.ts" };

rmSync(`${ROOT}/dist/chunks`, { recursive: true, force: true });
const COMMON = {
  absWorkingDir: ROOT,
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  allowOverwrite: true,
  logLevel: "warning",
};
const { "cli/main": cli, ...LIBRARY } = ENTRIES;
await build({ ...COMMON, entryPoints: LIBRARY, chunkNames: "chunks/[name]-[hash]" });
await build({ ...COMMON, entryPoints: { "cli/main": cli }, chunkNames: "chunks/cli/[name]-[hash]" });
// tsc's source maps describe the per-file modules the bundles replaced.
for (const out of Object.keys(ENTRIES)) rmSync(`${ROOT}/dist/${out}.js.map`, { force: true });
