// The floor of any stdio proxy written in Node: a process between client and server that does the least a
// policy proxy must do to each message: split stdin/stdout into lines, JSON.parse each line and write it
// back re-serialized with JSON.stringify. No policy, no audit, no enforcer. bench/proxy.mjs times it
// beside the real proxy so the proxy's added latency splits into "one more process and two more pipes"
// (this) and "the enforcer" (the rest).
//
//   node bench/lib/line-relay.mjs [--raw] -- COMMAND [ARGS...]
//
// --raw: bytes piped both ways (stream.pipe), no line splitting, no JSON: the cost of the process hop alone.
//
// Exits with the upstream's code; closing stdin closes the upstream's stdin.
import { spawn } from "node:child_process";
import { constants } from "node:os";

const at = process.argv.indexOf("--");
if (at < 0 || at === process.argv.length - 1) {
  process.stderr.write("usage: node bench/lib/line-relay.mjs -- COMMAND [ARGS...]\n");
  process.exit(2);
}
const upstream = spawn(process.argv[at + 1], process.argv.slice(at + 2), { stdio: ["pipe", "pipe", "inherit"] });

/** Calls `onLine` for each complete line of `stream` (utf8), keeping the partial tail between chunks. */
function lines(stream, onLine) {
  let tail = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    let text = tail + chunk;
    let start = 0;
    let nl;
    while ((nl = text.indexOf("\n", start)) >= 0) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.length > 0) onLine(line);
    }
    tail = text.slice(start);
  });
}

const relay = (out) => (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return; // the bench never sends malformed lines
  }
  out.write(`${JSON.stringify(message)}\n`);
};
if (process.argv.slice(2, at).includes("--raw")) {
  process.stdin.pipe(upstream.stdin);
  upstream.stdout.pipe(process.stdout);
} else {
  lines(process.stdin, relay(upstream.stdin));
  lines(upstream.stdout, relay(process.stdout));
  process.stdin.on("end", () => upstream.stdin.end());
}
upstream.on("exit", (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
