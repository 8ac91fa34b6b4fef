// Preloaded into a gateway process (`node --expose-gc --import bench/lib/gateway-heap-probe.mjs
// dist/cli/main.js serve ...`, see gateway-procs.mjs `heapProbe`) so the memory test can read the gateway's
// heap without a debug endpoint in the product: over the IPC channel the test opened, the message
// `{type: "heap"}` is answered with `{type: "heap", heapUsed, heapTotal, rss, external, arrayBuffers, gc}`
// after three full collections (`gc` says whether --expose-gc was given; without it the figures are not
// after a collection and the test fails on that).
// GUARANTEES: does nothing without an IPC channel; never keeps the process alive (the channel is unref'd),
// so the gateway's own shutdown is unchanged; touches nothing of the gateway's.
if (typeof process.send === "function") {
  process.on("message", (m) => {
    if (!m || m.type !== "heap") return;
    const gc = typeof globalThis.gc === "function";
    if (gc) for (let i = 0; i < 3; i++) globalThis.gc();
    const u = process.memoryUsage();
    process.send({ type: "heap", heapUsed: u.heapUsed, heapTotal: u.heapTotal, rss: u.rss, external: u.external, arrayBuffers: u.arrayBuffers, gc });
  });
  process.channel?.unref();
}
