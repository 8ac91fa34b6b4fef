/**
 * Runs one job of a benchmark script in a child process (`node SCRIPT --job JOB`) and resolves with the
 * JSON object its last stdout line prints; a job that exits non-zero rejects with its output. Shared by
 * bench/engine.mjs and bench/history.mjs, so each measurement starts in a fresh process.
 */
import { spawn } from "node:child_process";

export function runJobProcess(script, job, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, "--job", job], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`job ${job} failed (${code}): ${err || out}`));
      resolve(JSON.parse(out.trim().split("\n").pop()));
    });
  });
}
