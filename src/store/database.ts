import fs from 'fs';
import path from 'path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface OpenOptions {
  /** How long a writer waits for another process's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Page cache per connection, KiB. Kept modest: the daemon must stay small at a million rows. */
  cacheSizeKiB?: number;
}

const MIGRATION_FILE = /^(\d{3,})_[\w-]+\.sql$/;

/** Migrations live next to this file both in src (run through tsx) and in dist (copied by scripts/copy-assets.js). */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** Open (creating if needed) the SQLite file with the settings every connection of callbackd relies on. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL syncs only at checkpoints: a committed transaction survives the process
    // being killed (it is in the WAL, in the OS cache), and only an OS crash or power cut can lose
    // the last commits. Process crashes are what we promise to survive; an fsync per commit would
    // cost far more than the whole claim.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${Math.trunc(options.cacheSizeKiB ?? 16 * 1024)}`);
    // A long burst of writes can grow the WAL; after a checkpoint it is cut back to this size.
    db.pragma('journal_size_limit = 67108864');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

interface MigrationFile {
  name: string;
  order: number;
  file: string;
}

function migrationFiles(dir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const entry of fs.readdirSync(dir)) {
    const match = MIGRATION_FILE.exec(entry);
    if (!match) continue;
    files.push({ name: entry.slice(0, -'.sql'.length), order: Number(match[1]), file: path.join(dir, entry) });
  }
  files.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  for (let i = 1; i < files.length; i++) {
    if (files[i].order === files[i - 1].order) {
      throw new Error(`two migrations share number ${files[i].order}: ${files[i - 1].name}, ${files[i].name}`);
    }
  }
  return files;
}

/**
 * Apply the migrations not yet recorded, in order, each in its own transaction with its record, so
 * a failure leaves the schema at the last good step. Returns the names applied now (empty when up
 * to date). Safe when two processes start together: each step re-checks under the write lock.
 */
export function migrate(db: Db, dir: string = MIGRATIONS_DIR): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name       TEXT    NOT NULL PRIMARY KEY,
    applied_at INTEGER NOT NULL
  )`);
  const isApplied = db.prepare<[string], { name: string }>('SELECT name FROM schema_migrations WHERE name = ?');
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  const applied: string[] = [];
  for (const migration of migrationFiles(dir)) {
    if (isApplied.get(migration.name)) continue;
    const sql = fs.readFileSync(migration.file, 'utf8');
    const step = db.transaction(() => {
      if (isApplied.get(migration.name)) return false;
      db.exec(sql);
      record.run(migration.name, Date.now());
      return true;
    });
    if (step.immediate()) applied.push(migration.name);
  }
  return applied;
}

/** Names of the migrations recorded in this database, oldest first. */
export function appliedMigrations(db: Db): string[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!exists) return [];
  return db
    .prepare<[], { name: string }>('SELECT name FROM schema_migrations ORDER BY name')
    .all()
    .map((row) => row.name);
}
