// The flags verify.mjs and run.mjs share: --engine NAME and --scenario NAME (each repeatable), checked
// against the known names; anything else is an error with the usage.
import { ENGINES } from "./engines.mjs";
import { SCENARIOS } from "./scenario.mjs";

export function parseList(argv, extra = {}) {
  const out = { engines: undefined, scenarios: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--engine") {
      const v = value();
      if (!ENGINES.some((e) => e.name === v)) throw new Error(`unknown engine \`${v}\` (${ENGINES.map((e) => e.name).join(", ")})`);
      (out.engines ??= []).push(v);
    } else if (a === "--scenario") {
      const v = value();
      if (!SCENARIOS.includes(v)) throw new Error(`unknown scenario \`${v}\` (${SCENARIOS.join(", ")})`);
      (out.scenarios ??= []).push(v);
    } else if (a in extra) {
      const v = extra[a].parse(a, value());
      out[extra[a].key] = v;
    } else throw new Error(`unknown argument \`${a}\` (--engine NAME, --scenario NAME${Object.keys(extra).map((k) => `, ${k} N`).join("")})`);
  }
  if (out.engines === undefined) delete out.engines;
  if (out.scenarios === undefined) delete out.scenarios;
  return out;
}

export function positiveInt(flag, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer, got \`${text}\``);
  return n;
}
