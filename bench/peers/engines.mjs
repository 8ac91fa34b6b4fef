// The engines of the side-by-side, in table order. `kind`: "subject" (mcppolicy), "reference" (hand-
// written JS: what the targets compare with) or "peer" (a policy engine from npm, bench/peers/package.json).
// Every adapter module exports load(scenario) -> { input(request) -> native input, decide(input) -> boolean }
// (load may be async); input() runs before timing, decide() is what is timed.
export const ENGINES = [
  { name: "mcppolicy", kind: "subject", label: "mcppolicy (compilePolicy, decide)" },
  { name: "plain", kind: "reference", label: "plain JS (Map of Sets, two string tests)" },
  { name: "table", kind: "reference", label: "precomputed table (Map of Maps)" },
  { name: "casl", kind: "peer", label: "CASL @casl/ability, action = tool name" },
  { name: "casl-call", kind: "peer", label: "CASL @casl/ability, action call + conditions" },
  { name: "cel", kind: "peer", label: "CEL @marcbachmann/cel-js" },
  { name: "cedar", kind: "peer", label: "Cedar @cedar-policy/cedar-wasm" },
  { name: "casbin", kind: "peer", label: "casbin" },
];

export async function loadEngine(name, sc) {
  if (!ENGINES.some((e) => e.name === name)) throw new Error(`unknown engine \`${name}\` (${ENGINES.map((e) => e.name).join(", ")})`);
  const mod = await import(`./adapters/${name}.mjs`);
  return await mod.load(sc);
}
