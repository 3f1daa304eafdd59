import fs from 'fs';
import path from 'path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export interface OpenOptions {
  /** How long a writer waits for another process's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Page cache per connection, KiB. Kept modest: the daemon must stay small at a million rows. */
  cacheSizeKiB?: number;
  /**
   * Create the file (and its missing directories) when it does not exist; the default. False for
   * commands that only read or change existing callbacks: they get DatabaseFileError 'missing'
   * rather than a new, empty database that hides the real one.
   */
  create?: boolean;
}

const MIGRATION_FILE = /^(\d{3,})_[\w-]+\.sql$/;

/** Migrations live next to this file both in src (run through tsx) and in dist (copied by scripts/copy-assets.js). */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/**
 * The database file cannot be used: `kind` says why (`missing`: no file and create was false;
 * `directory`: the path names a directory; `foreign`: a file that is not an SQLite database;
 * `unusable`: anything else, the reason in the message).
 * `file` is the absolute path. The message names the path but no configuration key: the caller
 * knows which setting gave it.
 */
export class DatabaseFileError extends Error {
  constructor(
    readonly kind: 'missing' | 'directory' | 'foreign' | 'unusable',
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'DatabaseFileError';
  }
}

/**
 * Kernel filesystems (statfs f_type, Linux) where SQLite cannot keep a file; mkdir there fails
 * oddly (and Node 20's recursive mkdir loops forever under /proc), so they are refused up front.
 */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0x62656570, 'configfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
]);

function pseudoFilesystem(dir: string): string | null {
  if (process.platform !== 'linux') return null;
  try {
    return PSEUDO_FILESYSTEMS.get(Number(fs.statfsSync(dir).type)) ?? null;
  } catch {
    return null;
  }
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * Checks that the file's directory can hold it: walks up to the nearest existing ancestor (never
 * a recursive mkdir), which must be a writable directory on a real filesystem, then creates the
 * missing directories one by one when `create` is set. Throws DatabaseFileError 'unusable'.
 */
function prepareDirectory(file: string, create: boolean): void {
  const fail = (reason: string): never => {
    throw new DatabaseFileError('unusable', file, create ? `cannot create ${file}: ${reason}` : `no database at ${file}, and none can be made there: ${reason}`);
  };
  const missing: string[] = [];
  let at = path.dirname(file);
  for (;;) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(at);
    } catch (err) {
      const code = errorCode(err);
      const up = path.dirname(at);
      // ENOTDIR: a file somewhere above; the walk reaches it and says so.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && up !== at) {
        missing.unshift(at);
        at = up;
        continue;
      }
      return fail(`cannot look at ${at} (${code ?? String(err)})`);
    }
    if (!stat.isDirectory()) return fail(`${at} is a file, not a directory`);
    const pseudo = pseudoFilesystem(at);
    if (pseudo) return fail(`${at} is on ${pseudo}, a kernel filesystem that cannot hold files`);
    try {
      fs.accessSync(at, fs.constants.W_OK | fs.constants.X_OK);
    } catch (err) {
      return fail(`${at} is not writable by this user (${errorCode(err) ?? String(err)})`);
    }
    break;
  }
  if (!create) return;
  for (const dir of missing) {
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') fail(`cannot make the directory ${dir} (${errorCode(err) ?? String(err)})`);
    }
  }
}

/**
 * Where the file stands before SQLite opens it: an existing regular file is fine; a directory or
 * a device is refused; a missing file needs a directory that can hold it (made when `create`).
 */
function checkFile(file: string, create: boolean): void {
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = errorCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new DatabaseFileError('unusable', file, `cannot open ${file} (${code ?? String(err)})`);
  }
  if (stat?.isDirectory()) throw new DatabaseFileError('directory', file, `cannot open ${file}: it is a directory, not a file`);
  if (stat && !stat.isFile()) throw new DatabaseFileError('unusable', file, `cannot open ${file}: not a regular file`);
  const pseudo = pseudoFilesystem(path.dirname(file));
  if (stat && pseudo) throw new DatabaseFileError('unusable', file, `cannot open ${file}: it is on ${pseudo}, a kernel filesystem that cannot hold a database`);
  if (stat) return;
  if (!create) {
    // Say first what would stop the file from ever being made there; else that it is not made yet.
    prepareDirectory(file, false);
    throw new DatabaseFileError('missing', file, `no database at ${file}`);
  }
  prepareDirectory(file, true);
}

/**
 * Open (creating if needed, unless `create: false`) the SQLite file with the settings every
 * connection of callbackd relies on. A path that cannot hold a database throws DatabaseFileError
 * naming the absolute path, at once.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const create = options.create ?? true;
  const target = file === ':memory:' ? file : path.resolve(file);
  if (target !== ':memory:') checkFile(target, create);
  let db: Db;
  try {
    db = new Database(target, { fileMustExist: !create });
  } catch (err) {
    throw sqliteProblem(err, target);
  }
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
    throw sqliteProblem(err, target);
  }
  return db;
}

/** SQLite refusing the file itself (not a database, cannot open, read-only) is the path's problem, said in one line. */
function sqliteProblem(err: unknown, file: string): unknown {
  const code = errorCode(err);
  if (file === ':memory:' || typeof code !== 'string' || !code.startsWith('SQLITE_') || code.startsWith('SQLITE_BUSY')) return err;
  return new DatabaseFileError(code === 'SQLITE_NOTADB' ? 'foreign' : 'unusable', file, `cannot open ${file}: ${(err as Error).message} (${code})`);
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
