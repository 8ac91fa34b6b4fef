/**
 * Hot reload of the gateway's policy: watches the policy file and every file it imports, and after a
 * change (debounced) compiles it again; a policy that compiles replaces the old one (`onReload`), one
 * that does not is reported (`onRejected`) and the old one stays in force. `reloadNow()` (SIGHUP)
 * compiles at once, changed or not.
 * GUARANTEES:
 * - Never throws and never rejects: a compile that throws, a file that vanished, a callback that throws
 *   are all contained (a throwing compile becomes a rejection with a diagnostic).
 * - One compile at a time; changes seen during a compile start one more compile after it.
 * - Survives editors that save by writing a new file and renaming it over the old one: the folders that
 *   hold the watched files are watched (by name, so a new inode is seen), and a stat poll of each file
 *   backs that up (events lost by the platform, a folder replaced, a symlink swapped).
 * - A watch event compiles only when some watched file's content changed since the last compile (the
 *   gateway's own audit log in the same folder does not cause reloads); `reloadNow` always compiles.
 * - The watched set is recomputed after every compile: after a success it is exactly the files the new
 *   policy was compiled from; after a failure the files the diagnostics point at are added (fixing a
 *   broken new import reloads).
 * - After `close()` no callback runs and nothing is watched.
 * - JSON Schema files (`json(schema: "FILE")`) are not in `policy.sources`: they are found in the sources'
 *   text and watched too (watching a file is harmless; the compile alone decides what may be read).
 */
import { createHash } from "node:crypto";
import { readFileSync, unwatchFile, watch, watchFile, type FSWatcher, type StatsListener } from "node:fs";
import * as nodePath from "node:path";
import { configFileUnreadable } from "../diagnostics/catalog.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { compilePolicy, PolicyCompileError, type Policy } from "../policy.js";
import { FileRefusal, readRegularFile } from "../source/files.js";
import { LIMITS } from "../source/limits.js";
import { span } from "../source/source.js";

/** What one compile gives: a policy and the files it was compiled from, or diagnostics. */
export type CompileOutcome<P = Policy> =
  | { policy: P; files?: readonly string[] }
  | { diagnostics: readonly Diagnostic[]; files?: readonly string[]; render?: () => string };

export type ReloadResult<P = Policy> =
  | { ok: true; policy: P; files: readonly string[] }
  | { ok: false; diagnostics: readonly Diagnostic[]; rendered: string };

export interface WatchPolicyOptions<P = Policy> {
  /** The policy file (made absolute). */
  policy: string;
  /** Passed to the default compile (`compilePolicyFile`). */
  importRoots?: readonly string[];
  /** Wait this long after the last change before compiling (ms). */
  debounceMs: number;
  /** Compile the policy at `path`. Default `compilePolicyFile(path, { importRoots })`. */
  compile?: (path: string) => Promise<CompileOutcome<P>>;
  /** The files the policy in force was compiled from (its `sources`); default: learnt by compiling once at start, silently. */
  files?: readonly string[];
  /** A new policy compiled; it is the caller's to install (`engine.reload(policy)`). */
  onReload(policy: P, files: readonly string[]): void | Promise<void>;
  /** A changed policy did not compile: the old one stays. `rendered`: the diagnostics like rustc. */
  onRejected(diagnostics: readonly Diagnostic[], rendered: string): void;
  /** Stat poll interval of the backup poll (ms). Default 1000. */
  pollMs?: number;
}

export interface PolicyWatcher<P = Policy> {
  /** Compile now (SIGHUP), changed or not; resolves after onReload/onRejected ran. Never rejects. */
  reloadNow(): Promise<ReloadResult<P>>;
  /** Stop watching; pending work is dropped. */
  close(): void;
  /** The files watched now (absolute). */
  readonly files: readonly string[];
}

/** `json(schema: "FILE")` in a policy's text (the compiler reads FILE relative to that policy file). */
const SCHEMA_FILE = /\bjson\s*\(\s*schema\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;

/** The files a policy was compiled from (the policy, its imports, the JSON Schema files they name), absolute. */
export function policyFiles(policy: { sources?: readonly { name: string; text?: string }[] }, main: string): string[] {
  const out = [nodePath.resolve(main)];
  for (const s of policy.sources ?? []) {
    const name = nodePath.resolve(s.name);
    out.push(name);
    for (const m of (s.text ?? "").matchAll(SCHEMA_FILE)) {
      let file: string;
      try {
        file = JSON.parse(`"${m[1]}"`) as string;
      } catch {
        continue;
      }
      out.push(nodePath.resolve(nodePath.dirname(name), file));
    }
  }
  return [...new Set(out)];
}

/** The proxy's compile path (cli/proxy.ts): read the file, compile with the import roots. Never rejects. */
export async function compilePolicyFile(path: string, options?: { importRoots?: readonly string[] }): Promise<CompileOutcome<Policy>> {
  let text: string;
  try {
    text = readRegularFile(path, LIMITS.maxFileBytes);
  } catch (e) {
    const d = configFileUnreadable(span(path, 0, 0), "the policy file", path, e instanceof FileRefusal ? e.message : "it cannot be read", "the gateway keeps the policy it has");
    return { diagnostics: [d], files: [path] };
  }
  try {
    const policy = compilePolicy(text, { filename: path, ...(options?.importRoots && { importRoots: options.importRoots }) });
    return { policy, files: policyFiles(policy, path) };
  } catch (e) {
    if (e instanceof PolicyCompileError) return { diagnostics: e.diagnostics, files: filesOf(e.diagnostics, path), render: () => e.render() };
    return { diagnostics: [internal(path, e)], files: [path] };
  }
}

export function watchPolicy<P = Policy>(options: WatchPolicyOptions<P>): PolicyWatcher<P> {
  const main = nodePath.resolve(options.policy);
  const compile =
    options.compile ?? ((p: string) => compilePolicyFile(p, options.importRoots ? { importRoots: options.importRoots } : undefined) as unknown as Promise<CompileOutcome<P>>);
  const pollMs = options.pollMs ?? 1000;
  const maxWaitMs = Math.max(1000, options.debounceMs * 10);
  let closed = false;
  let files: string[] = [main];
  /** Content hash of each watched file at the last compile. */
  let seen = new Map<string, string>();
  const dirWatchers = new Map<string, FSWatcher>();
  const polled = new Map<string, StatsListener>();
  let timer: NodeJS.Timeout | undefined;
  let firstEventAt = 0;
  let running: Promise<ReloadResult<P>> | undefined;
  /** A change was seen while a compile ran: check again after it. */
  let again = false;

  const safe = (f: () => unknown) => {
    try {
      const r = f();
      if (r && typeof (r as Promise<unknown>).then === "function") (r as Promise<unknown>).then(undefined, () => {});
    } catch {
      // INVARIANT: a callback's failure never reaches the watcher's caller or stops watching.
    }
  };

  const rewatch = (next: readonly string[]) => {
    if (closed) return;
    files = [...new Set(next.map((f) => nodePath.resolve(f)))];
    const dirs = new Set(files.map((f) => nodePath.dirname(f)));
    for (const [dir, w] of dirWatchers) {
      if (!dirs.has(dir)) {
        w.close();
        dirWatchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (dirWatchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          const n = name === null ? null : String(name);
          if (n === null || files.some((f) => nodePath.dirname(f) === dir && nodePath.basename(f) === n)) changed();
        });
        w.on("error", () => {
          w.close();
          dirWatchers.delete(dir);
        });
        dirWatchers.set(dir, w);
      } catch {
        // A folder that cannot be watched: the stat poll below still sees its files.
      }
    }
    for (const [f, l] of polled) {
      if (!files.includes(f)) {
        unwatchFile(f, l);
        polled.delete(f);
      }
    }
    for (const f of files) {
      if (polled.has(f)) continue;
      const l: StatsListener = (cur, prev) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size) changed();
      };
      watchFile(f, { persistent: false, interval: pollMs }, l);
      polled.set(f, l);
    }
  };

  /** A watch event: compile after the debounce (at most maxWaitMs after the first of a burst). */
  const changed = () => {
    if (closed) return;
    const now = Date.now();
    if (timer === undefined) firstEventAt = now;
    else clearTimeout(timer);
    const wait = Math.max(0, Math.min(options.debounceMs, firstEventAt + maxWaitMs - now));
    timer = setTimeout(() => {
      timer = undefined;
      void run("changed");
    }, wait);
    timer.unref?.();
  };

  const hashes = (list: readonly string[]) => {
    const out = new Map<string, string>();
    for (const f of list) {
      try {
        out.set(f, createHash("sha256").update(readFileSync(f)).digest("hex"));
      } catch {
        out.set(f, "missing");
      }
    }
    return out;
  };

  const once = async (why: "changed" | "forced" | "initial"): Promise<ReloadResult<P> | undefined> => {
    const before = hashes(files);
    if (why === "changed" && [...before].every(([f, h]) => seen.get(f) === h)) return undefined;
    let outcome: CompileOutcome<P>;
    try {
      outcome = await compile(main);
    } catch (e) {
      outcome = { diagnostics: [internal(main, e)] };
    }
    if (closed) return undefined;
    if (outcome && "policy" in outcome) {
      const next = outcome.files ?? policyFiles(outcome.policy as { sources?: { name: string }[] }, main);
      rewatch(next);
      // What was compiled is what was hashed before the compile: a file changed during it differs from
      // `seen` and is compiled again at its next event.
      seen = new Map([...hashes(files), ...[...before].filter(([f]) => files.includes(f))]);
      const result: ReloadResult<P> = { ok: true, policy: outcome.policy, files };
      if (why !== "initial") {
        try {
          await options.onReload(outcome.policy, files);
        } catch {
          // contained, see safe()
        }
      }
      return result;
    }
    const diagnostics = outcome?.diagnostics ?? [internal(main, new Error("the compile gave nothing"))];
    let rendered = "";
    try {
      rendered = outcome?.render?.() ?? diagnostics.map((d) => `${d.severity}[${d.code}]: ${d.message} (${d.span.file})`).join("\n");
    } catch {
      rendered = diagnostics.map((d) => `${d.severity}[${d.code}]: ${d.message}`).join("\n");
    }
    rewatch([...files, ...(outcome?.files ?? filesOf(diagnostics, main))]);
    for (const [f, h] of before) seen.set(f, h);
    if (why !== "initial") safe(() => options.onRejected(diagnostics, rendered));
    return { ok: false, diagnostics, rendered };
  };

  const run = (why: "changed" | "forced"): Promise<ReloadResult<P>> => {
    if (running) {
      // A forced reload waits for the compile in flight, then compiles itself; a change checks again after it.
      if (why === "changed") again = true;
      return running.then(() => (why === "forced" ? run("forced") : lastResult()));
    }
    running = (async () => {
      let result: ReloadResult<P> | undefined;
      try {
        result = await once(why);
      } catch (e) {
        result = { ok: false, diagnostics: [internal(main, e)], rendered: "" };
      }
      if (result) last = result;
      return lastResult();
    })().finally(after);
    return running;
  };

  const after = () => {
    running = undefined;
    if (again && !closed) {
      again = false;
      void run("changed");
    }
  };

  let last: ReloadResult<P> | undefined;
  const lastResult = (): ReloadResult<P> =>
    last ?? { ok: false, diagnostics: [internal(main, new Error("no compile has finished yet"))], rendered: "" };

  rewatch(options.files ?? [main]);
  if (options.files) seen = hashes(files);
  else {
    // Learn the imports (and the hashes the policy in force was compiled from) without reporting.
    running = once("initial")
      .then((r) => {
        if (r) last = r;
        return lastResult();
      })
      .catch(() => lastResult())
      .finally(after);
  }

  return {
    reloadNow: () => {
      if (closed) return Promise.resolve(lastResult());
      return run("forced").catch((e) => ({ ok: false as const, diagnostics: [internal(main, e)], rendered: "" }));
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const w of dirWatchers.values()) w.close();
      dirWatchers.clear();
      for (const [f, l] of polled) unwatchFile(f, l);
      polled.clear();
    },
    get files() {
      return files;
    },
  };
}

/** The files diagnostics point at (a broken import is one of them), with the policy. */
function filesOf(diagnostics: readonly Diagnostic[], main: string): string[] {
  return [...new Set([main, ...diagnostics.map((d) => nodePath.resolve(d.span.file))])];
}

function internal(path: string, e: unknown): Diagnostic {
  const why = e instanceof Error ? e.message : String(e);
  return configFileUnreadable(span(path, 0, 0), "the policy file", path, `compiling it failed: ${why}`, "the gateway keeps the policy it has; fix the file or send SIGHUP to retry");
}
