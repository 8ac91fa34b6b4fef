// A throwaway PostgreSQL cluster, for the generator of the read-only function list
// (scripts/gen-sql-pg-functions.mjs) and (through test/helpers/postgres.ts) the live SQL tests:
// `initdb` into a fresh temp directory, `pg_ctl start` on a free loopback port (listen_addresses=127.0.0.1,
// the unix socket in the temp directory), trust authentication for the `postgres` role, no fsync, no
// autovacuum (so that nothing but the queries under test changes the database).
// Plain JS so the script runs without a build; postgres.d.mts gives its types.
//
//   const pg = await startPostgres();            // resolves once the server accepts connections
//   const { output, status } = pg.psql("SELECT 1;");   // one `psql -X` run, stdout and stderr in order
//   await pg.stop();                             // immediate shutdown, directory removed
//
// The binaries are found through $PG_BINDIR, `pg_config --bindir`, or the highest
// /usr/lib/postgresql/<n>/bin (Debian's layout). initdb refuses to run as root, so as root the cluster
// belongs to the `postgres` OS user (`runuser -u postgres --`). A cluster started here is stopped when
// this process exits, also on SIGINT / SIGTERM.
import { spawnSync } from "node:child_process";
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, stopOnExit } from "./local-service.mjs";

/** The directory holding initdb, pg_ctl and psql, or undefined when PostgreSQL is not installed. */
export function postgresBindir() {
  const has = (d) => typeof d === "string" && d !== "" && ["initdb", "pg_ctl", "psql"].every((b) => existsSync(join(d, b)));
  if (process.env.PG_BINDIR) return has(process.env.PG_BINDIR) ? process.env.PG_BINDIR : undefined;
  try {
    const r = spawnSync("pg_config", ["--bindir"], { encoding: "utf8", timeout: 5000 });
    const d = r.status === 0 ? r.stdout.trim() : "";
    if (has(d)) return d;
  } catch {
    // no pg_config
  }
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(`/usr/lib/postgresql/${v}/bin`)) return `/usr/lib/postgresql/${v}/bin`;
  } catch {
    // no Debian layout
  }
  return undefined;
}

const clusters = new Set();

function stopAll() {
  for (const c of clusters) c.stopSync();
}

function installHooks() {
  stopOnExit(stopAll);
}


/** Run a server binary: as the `postgres` OS user when this process is root. */
function runAs(bin, args, timeout = 120_000) {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const [cmd, argv] = root ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: "utf8", timeout, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error || r.status !== 0) {
    throw new Error(`${bin} ${args.join(" ")} failed (${r.error?.message ?? r.status}): ${(r.stderr || r.stdout || "").trim().slice(-2000)}`);
  }
  return r.stdout;
}

/** Start a throwaway cluster; throws when PostgreSQL is missing or it cannot start. */
export async function startPostgres() {
  const bindir = postgresBindir();
  if (!bindir) throw new Error("PostgreSQL is not installed (no initdb/pg_ctl/psql found)");
  installHooks();
  const dir = mkdtempSync(join(tmpdir(), "mcppolicy-pg-"));
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (id.status !== 0) throw new Error("running as root, and there is no `postgres` OS user to own the cluster");
    chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, "data");
  let port = 0;
  const cluster = {
    started: false,
    stopSync() {
      if (this.started) {
        try {
          runAs(join(bindir, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], 30_000);
        } catch {
          // already stopped
        }
        this.started = false;
      }
      rmSync(dir, { recursive: true, force: true });
      clusters.delete(this);
    },
  };
  clusters.add(cluster);
  try {
    runAs(join(bindir, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N"]);
    let lastError;
    for (let attempt = 0; attempt < 5 && !cluster.started; attempt++) {
      port = await freePort();
      const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c autovacuum=off`;
      try {
        runAs(join(bindir, "pg_ctl"), ["-D", data, "-o", opts, "-l", join(dir, "log"), "-w", "-t", "60", "start"]);
        cluster.started = true;
      } catch (err) {
        lastError = err;
      }
    }
    if (!cluster.started) throw lastError instanceof Error ? lastError : new Error(String(lastError));
  } catch (err) {
    cluster.stopSync();
    throw err;
  }
  const psqlBin = join(bindir, "psql");
  /** One `psql -X` run over TCP with `sql` on stdin; output is stdout and stderr interleaved as written. */
  const psql = (sql, { db = "postgres", timeout = 300_000, args = [] } = {}) => {
    const outFile = join(dir, `psql-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.out`);
    const fd = openSync(outFile, "w", 0o600);
    try {
      const r = spawnSync(psqlBin, ["-X", "-q", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=0", ...args, "-f", "-"], {
        input: sql,
        stdio: ["pipe", fd, fd],
        timeout,
        env: { ...process.env, PGCONNECT_TIMEOUT: "10", PGOPTIONS: "" },
      });
      closeSync(fd);
      const output = readFileSync(outFile, "utf8");
      if (r.error) throw new Error(`psql failed: ${r.error.message}: ${output.slice(-2000)}`);
      return { output, status: r.status ?? -1 };
    } finally {
      rmSync(outFile, { force: true });
    }
  };
  const version = psql("SELECT current_setting('server_version');", { args: ["-A", "-t"] }).output.trim();
  return {
    port,
    dir,
    bindir,
    version,
    conninfo: `host=127.0.0.1 port=${port} user=postgres dbname=postgres`,
    psql,
    async stop() {
      cluster.stopSync();
    },
  };
}
