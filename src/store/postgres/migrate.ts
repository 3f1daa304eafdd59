import fs from 'fs';
import path from 'path';
import type pg from 'pg';

const MIGRATION_FILE = /^(\d{3,})_[\w-]+\.sql$/;

/** Next to this file both in src (run through tsx) and in dist (copied by scripts/copy-assets.js). */
export const POSTGRES_MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** One key for every callbackd database: advisory locks are per database, so clusters shared with other databases are not affected. */
const MIGRATION_LOCK = 'callbackd.migrate';

interface MigrationFile {
  name: string;
  order: number;
  file: string;
}

function migrationFiles(dir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const entry of fs.readdirSync(dir)) {
    const match = MIGRATION_FILE.exec(entry);
    if (match) files.push({ name: entry.slice(0, -'.sql'.length), order: Number(match[1]), file: path.join(dir, entry) });
  }
  files.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  for (let i = 1; i < files.length; i++) {
    if (files[i].order === files[i - 1].order) throw new Error(`two migrations share number ${files[i].order}: ${files[i - 1].name}, ${files[i].name}`);
  }
  return files;
}

/**
 * Apply the migrations not yet recorded, in order, each in its own transaction with its record,
 * so a failure leaves the schema at the last good step. Returns the names applied now. Several
 * daemons starting at once queue on a session advisory lock and the later ones find nothing to do.
 */
export async function migrate(pool: pg.Pool, dir: string = POSTGRES_MIGRATIONS_DIR): Promise<string[]> {
  const files = migrationFiles(dir);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name       TEXT   NOT NULL PRIMARY KEY,
        applied_at BIGINT NOT NULL
      )`);
      const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((row) => row.name));
      const applied: string[] = [];
      for (const migration of files) {
        if (done.has(migration.name)) continue;
        const sql = fs.readFileSync(migration.file, 'utf8');
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)', [migration.name, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`PostgreSQL migration ${migration.name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(migration.name);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
    }
  } catch (err) {
    // A connection that failed halfway may still hold the session lock: never give it back to the pool.
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

/** Names of the migrations recorded in this database, oldest first. */
export async function appliedMigrations(db: pg.Pool | pg.ClientBase): Promise<string[]> {
  const exists = await db.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!exists.rows[0]?.present) return [];
  return (await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).rows.map((row) => row.name);
}
