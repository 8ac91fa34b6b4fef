// Builds the browser playground: playground/src -> playground/dist (index.html, app.js, style.css) with esbuild.
// Run: `node scripts/build-playground.mjs [--outdir DIR] [--serve [--port N]]` (npm run playground:build / playground);
// PLAYGROUND_METAFILE=FILE also writes esbuild's metafile there (what the bundle is made of).
// GUARANTEES: one classic script (IIFE, no module loading), so the page works from file:// and any static
// server with no network at run time; the example policies are read from policies/ at build time and
// bundled; the Node built-ins the compiler imports (node:path, fs, dns, module, crypto) are replaced by
// the browser modules in playground/src/shims (the library itself is unchanged), and so is src/source/deps.ts
// (re2js and ipaddr.js, which Node loads on first use, are bundled); --serve binds 127.0.0.1 only.
// Exit: 0 built (or serving), 1 build failed, 2 usage error.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "playground", "src");

/** The examples of the menu: a bundled policy and a request to start from. */
const EXAMPLES = [
  { name: "seed", file: "seed.mcppolicy", request: "requests/developer-read-file.json" },
  {
    name: "filesystem",
    file: "filesystem.mcppolicy",
    request: { principal: { id: "dev-7", scopes: ["fs:read"] }, method: "tools/call", tool: "read_text_file", arguments: { path: "app/src/index.ts" }, session: { id: "s-1" } },
  },
  {
    name: "support-desk",
    file: "support-desk.mcppolicy",
    request: { principal: { id: "ana", roles: ["agent"] }, method: "tools/call", tool: "lookup_customer", arguments: { id: "c-42", field: "ssn" }, session: { id: "s-1" } },
  },
];

function usage(message) {
  console.error(`build-playground: ${message}\nusage: node scripts/build-playground.mjs [--outdir DIR] [--serve [--port N]]`);
  process.exit(2);
}

function parseArgv(argv) {
  const opts = { outdir: path.join(root, "playground", "dist"), serve: false, port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--serve") opts.serve = true;
    else if (a === "--outdir" || a === "--port") {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) usage(`${a} needs a value`);
      if (a === "--outdir") opts.outdir = path.resolve(v);
      else if (!/^\d+$/.test(v) || Number(v) > 65535) usage(`--port must be a number from 0 to 65535, got '${v}'`);
      else opts.port = Number(v);
    } else usage(`unknown argument '${a}'`);
  }
  return opts;
}

function examples() {
  return EXAMPLES.map((e) => ({
    name: e.name,
    policy: readFileSync(path.join(root, "policies", e.file), "utf8"),
    request: typeof e.request === "string" ? readFileSync(path.join(root, "policies", e.request), "utf8").trim() : JSON.stringify(e.request, null, 2),
  }));
}

const chevrotainBundle = path.join(root, "node_modules", "chevrotain", "lib", "chevrotain.mjs");

/** node:* built-ins -> playground/src/shims; the virtual module `playground:examples` -> the bundled examples. */
const browserPlugin = {
  name: "playground-browser",
  setup(b) {
    const shims = { path: "node-path.ts", fs: "node-unavailable.ts", dns: "node-unavailable.ts", module: "node-unavailable.ts", crypto: "node-crypto.ts" };
    b.onResolve({ filter: /^node:/ }, (args) => {
      const shim = shims[args.path.slice("node:".length)];
      if (!shim) return { errors: [{ text: `${args.path} (imported by ${args.importer}) has no browser stand-in in playground/src/shims` }] };
      return { path: path.join(src, "shims", shim) };
    });
    // src/syntax/chevrotain.ts loads chevrotain with a top-level await (import.meta.resolve); the page takes
    // the same single-file ES build of chevrotain statically (all of it re-exported: no second list of names).
    b.onLoad({ filter: /[\\/]src[\\/]syntax[\\/]chevrotain\.ts$/ }, () => ({
      contents: `export * from ${JSON.stringify(chevrotainBundle)};`,
      loader: "ts",
      resolveDir: root,
    }));
    // src/source/deps.ts loads re2js and ipaddr.js with createRequire on first use; the page has no require,
    // so it takes playground/src/shims/deps.ts, which imports both statically.
    b.onLoad({ filter: /[\\/]src[\\/]source[\\/]deps\.ts$/ }, () => ({
      contents: `export { re2js, ipaddr } from ${JSON.stringify(path.join(src, "shims", "deps.ts"))};`,
      loader: "ts",
      resolveDir: root,
    }));
    b.onResolve({ filter: /^playground:examples$/ }, () => ({ path: "examples", namespace: "playground-examples" }));
    b.onLoad({ filter: /.*/, namespace: "playground-examples" }, () => ({ contents: JSON.stringify(examples()), loader: "json" }));
  },
};

export async function buildPlayground(outdir) {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(src, "main.ts")],
    outfile: path.join(outdir, "app.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    inject: [path.join(src, "shims", "globals.ts")],
    plugins: [browserPlugin],
    // Only sql.ts's createRequire reads it, and the stand-in ignores it.
    define: { "import.meta.url": JSON.stringify("about:playground") },
    logLevel: "warning",
    metafile: true,
  });
  for (const f of ["index.html", "style.css"]) copyFileSync(path.join(src, f), path.join(outdir, f));
  if (process.env.PLAYGROUND_METAFILE) writeFileSync(process.env.PLAYGROUND_METAFILE, JSON.stringify(result.metafile));
  return { outdir, warnings: result.warnings.length, appBytes: statSync(path.join(outdir, "app.js")).size };
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

function serve(outdir, port) {
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? "/", "http://127.0.0.1").pathname.replace(/^\/+/, "") || "index.html";
    const file = path.join(outdir, name);
    if (!/^[\w.-]+$/.test(name) || !TYPES[path.extname(name)]) {
      res.writeHead(404).end("not found");
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(name)], "cache-control": "no-store" }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  server.on("error", (e) => {
    console.error(`build-playground: cannot serve on 127.0.0.1:${port}: ${e.message}`);
    process.exit(1);
  });
  server.listen(port, "127.0.0.1", () => {
    const addr = server.address();
    console.log(`playground: http://127.0.0.1:${addr.port}/ (Ctrl-C to stop)`);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgv(process.argv.slice(2));
  try {
    const built = await buildPlayground(opts.outdir);
    console.log(`playground: built ${path.relative(process.cwd(), built.outdir) || "."} (app.js ${(built.appBytes / 1024).toFixed(0)} KiB)`);
  } catch (e) {
    console.error(`build-playground: build failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  if (opts.serve) serve(opts.outdir, opts.port);
}
