import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { MIGRATIONS_DIR, appliedMigrations, migrate, openDatabase } from '../../src/store/database';
import { cleanup, tempDir } from './helpers/fixtures';

describe('store: database and migrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => cleanup(dir));

  it('creates the parent directory and opens in WAL with the promised settings', () => {
    const db = openDatabase(path.join(dir, 'nested', 'deeper', 'cb.db'));
    try {
      assert.strictEqual(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.strictEqual(db.pragma('synchronous', { simple: true }), 1); // NORMAL
      assert.strictEqual(db.pragma('foreign_keys', { simple: true }), 1);
      assert.ok((db.pragma('busy_timeout', { simple: true }) as number) > 0);
    } finally {
      db.close();
    }
  });

  it('applies every migration once, and nothing on the second run or after reopening', () => {
    const file = path.join(dir, 'cb.db');
    const db = openDatabase(file);
    const first = migrate(db);
    assert.deepStrictEqual(first, ['001_initial', '002_lost_calls_and_held_places', '003_daemon_lock']);
    assert.deepStrictEqual(migrate(db), []);
    db.close();
    const again = openDatabase(file);
    assert.deepStrictEqual(migrate(again), []);
    assert.deepStrictEqual(appliedMigrations(again), ['001_initial', '002_lost_calls_and_held_places', '003_daemon_lock']);
    const tables = again
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => row.name);
    for (const table of ['attempts', 'callbacks', 'calls', 'events', 'schema_migrations']) assert.ok(tables.includes(table), table);
    again.close();
  });

  it('applies new migrations in numeric order and only those', () => {
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    fs.copyFileSync(path.join(MIGRATIONS_DIR, '001_initial.sql'), path.join(migrations, '001_initial.sql'));
    const db = openDatabase(path.join(dir, 'cb.db'));
    assert.deepStrictEqual(migrate(db, migrations), ['001_initial']);
    fs.writeFileSync(path.join(migrations, '010_later.sql'), 'CREATE TABLE later (x INTEGER);');
    fs.writeFileSync(path.join(migrations, '002_sooner.sql'), 'CREATE TABLE sooner (x INTEGER);');
    fs.writeFileSync(path.join(migrations, 'README.md'), 'not a migration');
    assert.deepStrictEqual(migrate(db, migrations), ['002_sooner', '010_later']);
    assert.deepStrictEqual(migrate(db, migrations), []);
    db.close();
  });

  it('rolls a failing migration back entirely and does not record it', () => {
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    fs.writeFileSync(path.join(migrations, '001_ok.sql'), 'CREATE TABLE ok (x INTEGER);');
    fs.writeFileSync(path.join(migrations, '002_broken.sql'), 'CREATE TABLE half (x INTEGER); THIS IS NOT SQL;');
    const db = openDatabase(path.join(dir, 'cb.db'));
    assert.throws(() => migrate(db, migrations));
    assert.deepStrictEqual(appliedMigrations(db), ['001_ok']);
    const half = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get();
    assert.strictEqual(half, undefined);
    db.close();
  });
});
