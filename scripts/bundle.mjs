/**
 * Build step after tsc (`npm run build`): the published entries (dist/index.js, mcp.js, redis.js,
 * gateway.js, testing/index.js) and the CLI (dist/cli/main.js) are replaced by esbuild bundles of
 * src/, built together with code splitting, so code they share lives once in dist/chunks/ (one module
 * state: one PolicyCompileError class whichever entry it comes from) and each CLI command stays a
 * chunk of its own, loaded when that command runs. Dependencies stay external (resolved from
 * node_modules at run time, lazily where the source loads them lazily). Why: Node loads a few files
 * far faster than the ~200 per-file modules tsc emits (start-up, issue #16). tsc's per-file output and
 * its .d.ts stay in dist/ for the types and for scripts that import one module by path.
 */
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRIES = { index: "src/index.ts", mcp: "src/mcp.ts", redis: "src/redis.ts", gateway: "src/gateway.ts", "testing/index": "src/testing/index.ts", "cli/main": "src/cli/main.ts" };

rmSync(`${ROOT}/dist/chunks`, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: ENTRIES,
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  allowOverwrite: true,
  logLevel: "warning",
});
// tsc's source maps describe the per-file modules the bundles replaced.
for (const out of Object.keys(ENTRIES)) rmSync(`${ROOT}/dist/${out}.js.map`, { force: true });
