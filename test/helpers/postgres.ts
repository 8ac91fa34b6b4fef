/**
 * A real, throwaway PostgreSQL cluster for tests (the implementation is scripts/lib/postgres.mjs, shared
 * with the generator of the read-only function list): initdb into a temp directory, pg_ctl on a free
 * loopback port, trust authentication, stopped and removed when the test process exits.
 *
 * `postgresAvailable` says whether initdb/pg_ctl/psql are installed. Suites skip (with a loud message)
 * when they are not, except under CI (`process.env.CI` set), where `startPostgres()` throws so the run
 * fails rather than silently skipping. `.ci/run` installs the Debian `postgresql` package when missing.
 */
import { postgresBindir, startPostgres as start, type PostgresCluster } from "../../scripts/lib/postgres.mjs";

export type PostgresHandle = PostgresCluster;

export const postgresAvailable: boolean = postgresBindir() !== undefined;

export async function startPostgres(): Promise<PostgresHandle> {
  if (!postgresAvailable) throw new Error(`PostgreSQL (initdb, pg_ctl, psql) is not installed${process.env.CI ? " (required under CI)" : ""}`);
  return start();
}
