/**
 * The gateway's structured log: one JSON object per line (`{"time","level","msg",...fields}`) on a writable
 * (stderr by default). GUARANTEES: never throws (a field that cannot be serialized is replaced by a note; a
 * failing stream is ignored); fields named like credentials (authorization, token, key, secret, password,
 * cookie) are written as "[redacted]" whatever their value, so a careless call site cannot leak one.
 */
import type { Writable } from "node:stream";

export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /authorization|token|secret|password|passwd|cookie|api[-_]?key|^key$/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
}

export function createLogger(options: { level?: LogLevel; out?: Writable; now?: () => Date } = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const out = options.out ?? process.stderr;
  const now = options.now ?? (() => new Date());
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const entry: Record<string, unknown> = { time: now().toISOString(), level, msg };
    if (fields) for (const [k, v] of Object.entries(fields)) entry[k] = SECRET_FIELD.test(k) && v !== undefined ? "[redacted]" : v;
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({ time: entry.time, level, msg, note: "fields not serializable" });
    }
    try {
      out.write(line + "\n");
    } catch {
      // the log stream is gone: nothing to tell
    }
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    enabled: (level) => RANK[level] >= min,
  };
}
