// The declared import order of src/ and the check that holds the tree to it. Run: `node scripts/architecture.mjs`
// (exit 1 on any violation); test/architecture.test.ts runs the same check.
//
// A folder (or a file directly under src/) sits on one layer. A module may import modules of its own folder and
// of any LOWER layer; never of a higher layer, never of another folder on the same layer. `ast` sits below
// `syntax` and `ir` below `check`: a producer imports the types of what it produces (the data flows
// source -> syntax -> ast -> check -> ir -> eval | codegen). ARCHITECTURE.md explains each layer.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Lowest first. Each inner list is one layer; folders on one layer do not import each other. */
export const LAYERS = [
  ["contract", "source"],
  ["builtins"],
  ["diagnostics"],
  ["ast"],
  ["syntax"],
  ["ir"],
  ["check"],
  ["eval"],
  ["codegen"],
  ["check-policy.ts"],
  ["policy.ts"],
  ["runtime"],
  ["audit", "mcp"],
  ["adapters"],
  ["gateway"],
  ["analysis", "testing", "policytest"],
  ["authoring"],
  ["lsp"],
  ["cli"],
  ["index.ts", "redis.ts", "mcp.ts", "gateway.ts", "bin.ts"],
];

/** Assurance folders read the policy and the IR; only these may import them. */
export const ASSURANCE = ["analysis", "testing", "policytest"];
const MAY_IMPORT_ASSURANCE = new Set(["authoring", "lsp", "cli", "index.ts", "redis.ts", "mcp.ts", "gateway.ts", "bin.ts"]);

export const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function sourceFiles(root) {
  const out = [];
  (function walk(dir) {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
    }
  })(root);
  return out.sort();
}

/** Every relative import (static, re-export, dynamic) of a TypeScript source text. */
export function importsOf(text) {
  const specs = [];
  const re = /(?:^|[;\s}])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;
  for (const m of text.matchAll(re)) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs.filter((s) => s.startsWith("."));
}

/** The folder (or top-level file) a path under root belongs to. */
export function nodeOf(root, file) {
  const rel = path.relative(root, file).split(path.sep);
  return rel.length === 1 ? rel[0].replace(/\.(ts|mts)$/, ".ts") : rel[0];
}

/** Every import against the declared order, every undeclared folder, and the folder-level cycles. */
export function checkArchitecture(root) {
  const violations = [];
  const edges = new Map();
  for (const file of sourceFiles(root)) {
    const from = nodeOf(root, file);
    if (!layerOf.has(from)) violations.push(`${path.relative(root, file)}: folder \`${from}\` has no declared layer`);
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, ".ts");
      if (!target.startsWith(root + path.sep)) {
        violations.push(`${path.relative(root, file)}: imports \`${spec}\`, outside src/`);
        continue;
      }
      const to = nodeOf(root, target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from).add(to);
      const a = layerOf.get(from), b = layerOf.get(to);
      if (a === undefined || b === undefined) continue;
      const where = `${path.relative(root, file)}: imports \`${spec}\``;
      if (b > a) violations.push(`${where}, but ${to} (layer ${b}) is above ${from} (layer ${a})`);
      else if (b === a) violations.push(`${where}, but ${to} and ${from} share layer ${a}`);
      else if (ASSURANCE.includes(to) && !MAY_IMPORT_ASSURANCE.has(from)) violations.push(`${where}: only the CLI and entry files import ${to}`);
    }
  }
  return { violations, cycles: cyclesOf(edges), edges };
}

function cyclesOf(edges) {
  let n = 0;
  const index = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const strong = (v) => {
    index.set(v, n); low.set(v, n); n++; stack.push(v); on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const c = [];
      let w;
      do { w = stack.pop(); on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) strong(v);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(process.argv[2] ?? "src");
  const { violations, cycles, edges } = checkArchitecture(root);
  for (const v of violations) console.log(v);
  for (const c of cycles) console.log(`cycle: ${c.join(", ")}`);
  let count = 0;
  for (const s of edges.values()) count += s.size;
  console.log(`${edges.size} folders import others, ${count} edges, ${violations.length} violations, ${cycles.length} cycles`);
  process.exit(violations.length || cycles.length ? 1 : 0);
}
