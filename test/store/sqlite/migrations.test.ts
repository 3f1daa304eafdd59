import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS_DIR, appliedMigrations, migrate, openDatabase } from '../../../src/store/database';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { T0, cleanup, tempDir } from '../helpers/fixtures';

const ALL = ['001_initial', '002_lost_calls_and_held_places', '003_daemon_lock', '004_several_daemons', '005_calls_grid_and_channels', '006_request_keys', '007_lost_reasons', '008_contacts', '009_webhook_deliveries', '010_triggers'];

describe('store (sqlite only): database and migrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => cleanup(dir));

  it('creates the parent directory and opens in WAL with the promised settings', () => {
    const db = openDatabase(path.join(dir, 'nested', 'deeper', 'cb.db'));
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.ok((db.pragma('busy_timeout', { simple: true }) as number) > 0);
    } finally {
      db.close();
    }
  });

  it('applies every migration once, and nothing on the second run or after reopening', () => {
    const file = path.join(dir, 'cb.db');
    const db = openDatabase(file);
    assert.deepEqual(migrate(db), ALL);
    assert.deepEqual(migrate(db), []);
    db.close();
    const again = openDatabase(file);
    assert.deepEqual(migrate(again), []);
    assert.deepEqual(appliedMigrations(again), ALL);
    const tables = again
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => row.name);
    for (const table of ['attempts', 'callbacks', 'calls', 'daemon_lock', 'events', 'schema_migrations']) assert.ok(tables.includes(table), table);
    again.close();
  });

  it('applies new migrations in numeric order and only those', () => {
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    fs.copyFileSync(path.join(MIGRATIONS_DIR, '001_initial.sql'), path.join(migrations, '001_initial.sql'));
    const db = openDatabase(path.join(dir, 'cb.db'));
    assert.deepEqual(migrate(db, migrations), ['001_initial']);
    fs.writeFileSync(path.join(migrations, '010_later.sql'), 'CREATE TABLE later (x INTEGER);');
    fs.writeFileSync(path.join(migrations, '002_sooner.sql'), 'CREATE TABLE sooner (x INTEGER);');
    fs.writeFileSync(path.join(migrations, 'README.md'), 'not a migration');
    assert.deepEqual(migrate(db, migrations), ['002_sooner', '010_later']);
    assert.deepEqual(migrate(db, migrations), []);
    db.close();
  });

  it('rolls a failing migration back entirely and does not record it', () => {
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    fs.writeFileSync(path.join(migrations, '001_ok.sql'), 'CREATE TABLE ok (x INTEGER);');
    fs.writeFileSync(path.join(migrations, '002_broken.sql'), 'CREATE TABLE half (x INTEGER); THIS IS NOT SQL;');
    const db = openDatabase(path.join(dir, 'cb.db'));
    assert.throws(() => migrate(db, migrations));
    assert.deepEqual(appliedMigrations(db), ['001_ok']);
    assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get(), undefined);
    db.close();
  });

  it('brings a file from before several daemons up to date: rows belong to the PBX "default", held places take no slot', async () => {
    const file = path.join(dir, 'old.db');
    const older = path.join(dir, 'older-migrations');
    fs.mkdirSync(older);
    for (const name of ALL.slice(0, 3)) fs.copyFileSync(path.join(MIGRATIONS_DIR, `${name}.sql`), path.join(older, `${name}.sql`));
    const db = openDatabase(file);
    migrate(db, older);
    const insertCallback = db.prepare(
      `INSERT INTO callbacks (id, number, queue, status, mechanism, transition, due_at, created_at, updated_at, attempts, queue_position)
       VALUES (?, ?, 'support', ?, 'manual', 't', ?, ?, ?, 1, ?)`,
    );
    const insertAttempt = db.prepare(
      `INSERT INTO attempts (id, callback_id, seq, mode, started_at, ended_at) VALUES (?, ?, 1, 'agent-first', ?, ?)`,
    );
    insertCallback.run('dialling', '+331', 'Dialing', null, T0, T0, null);
    insertAttempt.run('a-dialling', 'dialling', T0, null);
    insertCallback.run('held', '+332', 'Scheduled', null, T0, T0, 4);
    insertAttempt.run('a-held', 'held', T0, null);
    insertCallback.run('due', '+333', 'Scheduled', T0, T0, T0, null);
    insertCallback.run('due-later', '+334', 'Scheduled', T0 + 5, T0, T0, null);
    db.prepare("INSERT INTO daemon_lock (id, owner, host, pid, heartbeat_at) VALUES (1, 'old', 'box', 7, ?)").run(T0);
    db.prepare("INSERT INTO calls (id, entered_at, result, queue) VALUES ('call-1', ?, 'waiting', 'support')").run(T0);
    db.close();

    const store = SqliteStore.open(file);
    try {
      assert.deepEqual(appliedMigrations(store.db), ALL);
      assert.deepEqual((await store.get('due'))?.pbx, 'default');
      assert.deepEqual((await store.waitingCalls('default')).map((c) => c.id), ['call-1']);
      assert.deepEqual((await store.seats()).map((s) => [s.owner, s.pbx]), [['old', 'default']]);
      const attempts = await store.openAttempts({ pbx: 'default' });
      assert.deepEqual(attempts.map((a) => [a.id, a.counted, a.owner, a.leaseUntil]), [['a-dialling', true, null, null], ['a-held', false, null, null]]);
      // The dialled attempt takes the one slot there is; the held place does not.
      const claim = { owner: 'new', pbx: 'default', now: T0 + 10, leaseMs: 1000, maxConcurrent: 2, queueLimits: {} };
      assert.equal((await store.claimNextDue(claim)).free, 1);
      assert.equal((await store.claimNextDue(claim)).free, 0);
      assert.deepEqual((await store.adoptAttempts('new', 'default', T0, 1000)).map((a) => a.id), ['a-dialling', 'a-held']);
    } finally {
      await store.close();
    }
  });
});
