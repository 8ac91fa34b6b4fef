// Types of postgres.mjs (a plain-JS module so the scripts need no build), for the TypeScript tests.

export interface PsqlResult {
  /** stdout and stderr, interleaved as psql wrote them. */
  readonly output: string;
  readonly status: number;
}

export interface PostgresCluster {
  readonly port: number;
  readonly dir: string;
  readonly bindir: string;
  /** The server's version, e.g. `15.18 (Debian 15.18-0+deb12u1)`. */
  readonly version: string;
  /** `host=127.0.0.1 port=<port> user=postgres dbname=postgres` */
  readonly conninfo: string;
  /** One `psql -X -q -v ON_ERROR_STOP=0` run with `sql` on stdin. */
  psql(sql: string, opts?: { db?: string; timeout?: number; args?: string[] }): PsqlResult;
  /** Immediate shutdown; the directory is removed. */
  stop(): Promise<void>;
}

/** The directory holding initdb, pg_ctl and psql, or undefined when PostgreSQL is not installed. */
export function postgresBindir(): string | undefined;

/** Start a throwaway cluster; throws when PostgreSQL is missing or it cannot start. */
export function startPostgres(): Promise<PostgresCluster>;
