import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { StoreKind } from '../domain/store';
import { migrate, openDatabase } from '../store/database';
import type { StoreConfig } from '../store/open';
import { PostgresStore } from '../store/postgres/postgres-store';
import { freshPostgresDatabase, postgresAvailable } from '../tools/private-postgres';
import { mb } from './figures';
import { fillPostgres, fillSqlite, POSTGRES_BARE_TABLE, SQLITE_BARE_TABLE } from './pending-rows';

/** One database of a backend, made for one part of the bench and removed after it. */
export interface BenchDatabase {
  /** What openStore (and the child probe) opens. */
  readonly config: StoreConfig;
  /** The CALLBACKD_* settings that point a daemon or the CLI at it. */
  readonly env: Record<string, string>;
  /** Migrate, then add `count` pending callbacks in one bulk transaction (indexes maintained). */
  fillPending(count: number): Promise<{ rowsPerSecond: number; sizeMB: number }>;
  remove(): Promise<void>;
}

/** A store backend as the bench meets it: its raw insert ceiling and fresh databases. */
export interface BenchBackend {
  readonly kind: StoreKind;
  /** The name printed on every line: "SQLite" or "PostgreSQL". */
  readonly name: string;
  /** Version and durability settings, for the heading. */
  describe(): Promise<string>;
  /** Rows per second into a bare table (no key, no index), one transaction: the baseline of its figures. */
  rawCeiling(rows: number): Promise<number>;
  database(label: string): Promise<BenchDatabase>;
}

export function sqliteBackend(dir: string): BenchBackend {
  const fileFor = (label: string): string => path.join(dir, `${label}-${process.pid}.db`);
  const removeFile = (file: string): void => {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  };
  return {
    kind: 'sqlite',
    name: 'SQLite',
    async describe() {
      const db = openDatabase(fileFor('version'));
      const version = db.prepare<[], { v: string }>('SELECT sqlite_version() AS v').get()?.v;
      const mode = `${db.pragma('journal_mode', { simple: true })}, synchronous=${db.pragma('synchronous', { simple: true }) === 1 ? 'NORMAL' : '?'}`;
      db.close();
      removeFile(fileFor('version'));
      return `SQLite ${version} (better-sqlite3), ${mode}: a commit does not wait for the disk`;
    },
    async rawCeiling(rows) {
      const file = fileFor('raw');
      const db = openDatabase(file);
      try {
        db.exec(SQLITE_BARE_TABLE);
        return fillSqlite(db, 'bare', rows);
      } finally {
        db.close();
        removeFile(file);
      }
    },
    async database(label) {
      const file = fileFor(label);
      return {
        config: { store: 'sqlite', db: file, storeUrl: '' },
        env: { CALLBACKD_STORE: 'sqlite', CALLBACKD_DB: file },
        async fillPending(count) {
          // A big cache for the filling connection only; stores opened later use the daemon's settings.
          const db = openDatabase(file, { cacheSizeKiB: 512 * 1024 });
          try {
            migrate(db);
            const rowsPerSecond = fillSqlite(db, 'callbacks', count);
            db.pragma('wal_checkpoint(TRUNCATE)');
            return { rowsPerSecond, sizeMB: mb(fs.statSync(file).size) };
          } finally {
            db.close();
          }
        },
        async remove() {
          removeFile(file);
        },
      };
    },
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The PostgreSQL backend on this process's private cluster, or the reason there is none. */
export async function postgresBackend(): Promise<BenchBackend | string> {
  const missing = await postgresAvailable();
  if (missing) return missing;
  return {
    kind: 'postgres',
    name: 'PostgreSQL',
    async describe() {
      const { url, drop } = await freshPostgresDatabase();
      try {
        return await withClient(url, async (client) => {
          const show = async (name: string): Promise<string> => String((await client.query(`SHOW ${name}`)).rows[0]?.[name]);
          const version = await show('server_version');
          return `PostgreSQL ${version} (pg, private cluster on 127.0.0.1), fsync=${await show('fsync')}, synchronous_commit=${await show('synchronous_commit')}: a commit does not wait for the disk`;
        });
      } finally {
        await drop();
      }
    },
    async rawCeiling(rows) {
      const { url, drop } = await freshPostgresDatabase();
      try {
        return await withClient(url, async (client) => {
          await client.query(POSTGRES_BARE_TABLE);
          return fillPostgres(client, 'bare', rows);
        });
      } finally {
        await drop();
      }
    },
    async database() {
      const { url, drop } = await freshPostgresDatabase();
      return {
        config: { store: 'postgres', db: '', storeUrl: url },
        env: { CALLBACKD_STORE: 'postgres', CALLBACKD_STORE_URL: url },
        async fillPending(count) {
          await (await PostgresStore.open(url)).close();
          return withClient(url, async (client) => {
            const rowsPerSecond = await fillPostgres(client, 'callbacks', count);
            // What autovacuum does to a table that settled: statistics for the planner, the visibility map.
            await client.query('VACUUM ANALYZE callbacks');
            const size = (await client.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size')).rows[0].size;
            return { rowsPerSecond, sizeMB: mb(Number(size)) };
          });
        },
        remove: drop,
      };
    },
  };
}
