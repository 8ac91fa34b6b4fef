// Before any timing: every engine decides the seeded mix of every scenario exactly as plain JS does.
// The first differing request fails the run (exit 1) with the request and both answers. Engines that
// take milliseconds a decision (Cedar's wasm, casbin at 1,000 roles) are checked for VERIFY_MS
// (default 5000) per scenario, never fewer than 200 requests; the count checked is printed.
//
//   node bench/peers/verify.mjs [--engine NAME]... [--scenario base|scale]...
import { ENGINES, loadEngine } from "./engines.mjs";
import { SCENARIOS, scenario, mix } from "./scenario.mjs";
import { parseList } from "./args.mjs";

const VERIFY_MS = Number(process.env.VERIFY_MS ?? 5000);

export async function verify({ engines = ENGINES.map((e) => e.name), scenarios = SCENARIOS, log = console.log } = {}) {
  for (const name of scenarios) {
    const sc = scenario(name);
    const requests = mix(sc);
    const plain = await loadEngine("plain", sc);
    const want = requests.map((r) => plain.decide(plain.input(r)));
    for (const engine of engines) {
      const ad = await loadEngine(engine, sc);
      const t0 = performance.now();
      let checked = 0;
      for (; checked < requests.length; checked++) {
        if (checked >= 200 && performance.now() - t0 > VERIFY_MS) break;
        const req = requests[checked];
        const got = ad.decide(ad.input(req));
        if (got !== want[checked]) {
          throw new Error(`${engine} (${name}): request #${checked} ${JSON.stringify(req)}: ${engine} says ${got}, plain JS says ${want[checked]}`);
        }
      }
      const allowed = want.slice(0, checked).filter(Boolean).length;
      log(`verify ${name.padEnd(5)} ${engine.padEnd(9)} ${checked === requests.length ? "all" : "first"} ${checked} of ${requests.length} requests agree (${allowed} allowed)`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const opts = parseList(process.argv.slice(2));
    await verify(opts);
  } catch (err) {
    process.stderr.write(`verify: ${err.message}\n`);
    process.exit(1);
  }
}
