// The dev dependency `node@22` (the Node 22 the MCP conformance suite needs) links `node_modules/.bin/node`,
// which would put Node 22 first on PATH in every npm script (tests would run on 22, not on the Node the
// project declares). `prepare` runs this after every install: it removes that one link, and only when it
// points into the `node` package. The conformance runner calls node_modules/node/bin/node by path.
import { lstatSync, readlinkSync, rmSync } from "node:fs";
import path from "node:path";

for (const name of ["node", "node.cmd", "node.ps1"]) {
  const link = path.join("node_modules", ".bin", name);
  try {
    const st = lstatSync(link);
    const target = st.isSymbolicLink() ? readlinkSync(link) : "";
    if (st.isSymbolicLink() && /(^|[\\/])node[\\/]bin[\\/]node/.test(target)) rmSync(link);
  } catch {
    // absent: nothing to do
  }
}
