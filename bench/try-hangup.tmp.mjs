import { mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path"; import os from "node:os";
import { runLoad } from "./lib/gateway-load.mjs";
import { apiKey, gatewayYaml, spawnGateway, spawnUpstream, writeKeysFile } from "./lib/gateway-procs.mjs";
const dir = mkdtempSync(path.join(os.tmpdir(), "gwc-"));
const up = await spawnUpstream();
writeFileSync(path.join(dir, "p.mcppolicy"), `policy "x" version "1"\ndefault deny\nrole agent { allow tool echo }\n`);
const key = apiKey("k");
const keys = writeKeysFile(path.join(dir, "keys.json"), [{ ...key, principal: { id: "k", roles: ["agent"] } }]);
writeFileSync(path.join(dir, "g.yaml"), gatewayYaml({ policy: path.join(dir, "p.mcppolicy"), upstreams: [{ name: "u", url: up.url }], keysFile: keys }));
const gw = await spawnGateway(path.join(dir, "g.yaml"));
for (const n of [1, 16, 64, 16]) {
  const s0 = await up.stats();
  const r = await runLoad({ url: gw.url, inFlight: n, durationMs: 4000, warmupMs: 0, headers: { authorization: `Bearer ${key.key}` } });
  const s1 = await up.stats();
  console.log(n, r.calls, "errors", r.errors, r.firstError?.slice(0, 200) ?? "", "upstream conns", s1.connections - s0.connections, "sessions opened", s1.sessionsOpened - s0.sessionsOpened);
}
console.log(gw.stderr().split("\n").filter((l) => !/session opened|session ended/.test(l)).slice(-15).join("\n"));
await gw.stop(); await up.stop();
