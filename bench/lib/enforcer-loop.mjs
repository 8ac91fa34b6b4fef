// The enforcer alone, in process (no pipes, no child processes): the part of the proxy's added latency that is
// mcppolicy's own work per call. One `createEnforcer` (dist/mcp.js) with an engine on MemoryStore and the bench
// policy; `toServer` answers every forwarded tools/call at once with the echo server's answer (as text, through
// `fromServerText`), `toClient` completes the call. One call at a time: time from `fromClientText(line)` to
// the answer reaching `toClient`, in µs.
//
//   measureEnforcer({ policyText, principal, calls, warmup, audit }) -> { samples: number[], cpuUsPerCall }
//
// `audit`: a path for a JsonlAuditSink (synchronous writes: the proxy's `--audit FILE`), or undefined for none.
import fs from "node:fs";

export async function measureEnforcer({ policyText, principal, calls, warmup, audit }) {
  const { compilePolicy, createEngine } = await import("../../dist/index.js");
  const { createEnforcer, JsonlAuditSink } = await import("../../dist/mcp.js");
  const engine = createEngine(compilePolicy(policyText));
  if (audit) fs.rmSync(audit, { force: true });
  const sink = audit ? new JsonlAuditSink(audit) : undefined;
  let done;
  let enforcer;
  enforcer = createEnforcer({
    engine,
    identify: () => ({ principal, session: { id: "bench-session" } }),
    audit: sink,
    toServer(message) {
      if (message.method === "tools/call") {
        const text = message.params.arguments.text;
        // The server's answer as the proxy reads it: a line of text.
        queueMicrotask(() => enforcer.fromServerText(`{"result":{"content":[{"type":"text","text":${JSON.stringify(text)}}]},"jsonrpc":"2.0","id":${JSON.stringify(message.id)}}`));
      } else if (message.method === "initialize") {
        queueMicrotask(() => enforcer.fromServerText(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "echo", version: "1" } } })));
      }
    },
    toClient(message) {
      if (message.id !== undefined && done) done(message);
    },
  });
  const call = (id, text) =>
    new Promise((resolve) => {
      done = resolve;
      enforcer.fromClientText(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { text } } }));
    });
  await new Promise((resolve) => {
    done = resolve;
    enforcer.fromClientText(JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } } }));
  });
  const TEXT = "the quick brown fox jumps over the lazy dog, 0123456789 abcdefghij";
  for (let i = 1; i <= warmup; i++) {
    const m = await call(i, TEXT);
    if (m.result?.content?.[0]?.text !== TEXT) throw new Error(`enforcer in process: the call did not come back: ${JSON.stringify(m).slice(0, 300)}`);
  }
  const samples = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await call(warmup + 1 + i, TEXT);
    samples.push((performance.now() - t0) * 1000);
  }
  const c1 = process.cpuUsage(c0);
  // The enforcer answers the client first, then commits and writes the completion record: let that finish.
  await new Promise((resolve) => setImmediate(resolve));
  await enforcer.close();
  await sink?.close?.();
  return { samples, cpuUsPerCall: (c1.user + c1.system) / calls };
}
