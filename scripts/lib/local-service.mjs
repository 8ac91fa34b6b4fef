// What every throwaway local server (redis-server for the bench and tests, a PostgreSQL cluster for the
// sql tests) needs: a free loopback port, and one hook that stops the servers a process started when it
// exits or is interrupted, so none is left running.

import { createServer } from "node:net";

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

const stoppers = new Set();
let hooked = false;

/** Run `stop` (synchronously) when the process exits, or on SIGINT/SIGTERM before exiting. */
export function stopOnExit(stop) {
  stoppers.add(stop);
  if (hooked) return;
  hooked = true;
  const stopAll = () => {
    for (const s of stoppers) s();
  };
  process.on("exit", stopAll);
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.once(sig, () => {
      stopAll();
      process.exit(128 + (sig === "SIGINT" ? 2 : 15));
    });
  }
}
