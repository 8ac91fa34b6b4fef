import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path"; import os from "node:os";
import { runLoad } from "./lib/gateway-load.mjs";
import { apiKey, gatewayYaml, spawnGateway, spawnUpstream, spawnRelay, writeKeysFile } from "./lib/gateway-procs.mjs";
const dir = mkdtempSync(path.join(os.tmpdir(), "gwc-"));
const up = await spawnUpstream();
const relay = await spawnRelay(up.url);
writeFileSync(path.join(dir, "p.mcppolicy"), `policy "x" version "1"\ndefault deny\nrole agent { allow tool echo }\n`);
const key = apiKey("k");
const keys = writeKeysFile(path.join(dir, "keys.json"), [{ ...key, principal: { id: "k", roles: ["agent"] } }]);
writeFileSync(path.join(dir, "g.yaml"), gatewayYaml({ policy: path.join(dir, "p.mcppolicy"), upstreams: [{ name: "u", url: up.url }], keysFile: keys }));
const gw = await spawnGateway(path.join(dir, "g.yaml"));
const threads = (pid) => Object.fromEntries(readdirSync(`/proc/${pid}/task`).map((t) => { const f = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8"); const name = f.slice(f.indexOf("(") + 1, f.lastIndexOf(")")); const x = f.slice(f.lastIndexOf(")") + 2).split(" "); return [`${t}:${name}`, (Number(x[11]) + Number(x[12])) * 10]; }));
const diff = (a, b) => Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]).filter(([, v]) => v > 0);
for (const [name, url, pid, headers] of [["relay", relay.url, relay.pid, {}], ["gateway", gw.url, gw.pid, { authorization: `Bearer ${key.key}` }]]) {
  await runLoad({ url, inFlight: 16, durationMs: 1000, warmupMs: 0, headers });
  const a = threads(pid);
  const r = await runLoad({ url, inFlight: 16, durationMs: 3000, warmupMs: 0, headers });
  const b = threads(pid);
  console.log(name, r.calls, "calls", Math.round(r.callsPerSec), "/s; thread CPU ms:", JSON.stringify(diff(a, b)));
}
await gw.stop(); await up.stop(); await relay.stop();
