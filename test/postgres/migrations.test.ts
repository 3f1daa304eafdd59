import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store';
import { POSTGRES_MIGRATIONS_DIR, appliedMigrations, migrate } from '../../src/store/postgres/migrate';
import { freshPostgresDatabase, postgresAvailable } from '../helpers/postgres';
import { startChild } from './processes';

const ALL = fs
  .readdirSync(POSTGRES_MIGRATIONS_DIR)
  .filter((name) => name.endsWith('.sql'))
  .map((name) => name.slice(0, -4))
  .sort();

describe('postgres: migrations', function () {
  this.timeout(60_000);
  let database: { url: string; drop(): Promise<void> };
  let pool: pg.Pool;

  before(async function () {
    if (await postgresAvailable()) this.skip();
  });

  beforeEach(async () => {
    database = await freshPostgresDatabase();
    pool = new pg.Pool({ connectionString: database.url });
    // Dropping the database ends whatever connection is still open with an error: not this test's failure.
    pool.on('error', () => {});
  });

  afterEach(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('applies every step once; running again (or opening a store) applies nothing', async () => {
    assert.deepEqual(await appliedMigrations(pool), []);
    assert.deepEqual(await migrate(pool), ALL);
    assert.deepEqual(await migrate(pool), []);
    const store = await PostgresStore.open(database.url);
    await store.close();
    assert.deepEqual(await appliedMigrations(pool), ALL);
    const indexes = (await pool.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'callbacks'")).rows;
    const pending = indexes.find((index) => index.indexname === 'callbacks_pending');
    assert.match(pending?.indexdef ?? '', /UNIQUE INDEX .* \(pbx, queue, number\) WHERE \(status = ANY/);
    for (const name of ['callbacks_claimable', 'callbacks_claimable_queue', 'callbacks_expiry', 'callbacks_claimed', 'callbacks_created']) {
      assert.ok(indexes.some((index) => index.indexname === name), `${name} exists`);
    }
  });

  it('is applied once when several processes start on an empty database at the same moment', async () => {
    const children = [1, 2, 3, 4].map(() => startChild('migrate', database.url));
    const lines = await Promise.all(children.map((child) => child.firstLine));
    for (const child of children) assert.equal(await child.exited, 0);
    const applied = lines.map((line) => line.applied as string[]);
    assert.equal(applied.filter((names) => names.length > 0).length, 1, `one process migrated: ${JSON.stringify(applied)}`);
    assert.deepEqual(applied.find((names) => names.length > 0), ALL);
    const rows = (await pool.query('SELECT name FROM schema_migrations')).rows;
    assert.equal(rows.length, ALL.length);
  });

  it('opens from many connections at once in one process', async () => {
    const stores = await Promise.all([1, 2, 3, 4, 5].map(() => PostgresStore.open(database.url)));
    await Promise.all(stores.map((store) => store.close()));
    assert.deepEqual(await appliedMigrations(pool), ALL);
  });

  it('leaves the schema at the last good step when one fails, naming it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-pg-migrations-'));
    try {
      for (const name of ALL) fs.copyFileSync(path.join(POSTGRES_MIGRATIONS_DIR, `${name}.sql`), path.join(dir, `${name}.sql`));
      fs.writeFileSync(path.join(dir, '900_broken.sql'), 'CREATE TABLE half_made (x int);\nSELECT no_such_function();\n');
      await assert.rejects(migrate(pool, dir), /migration 900_broken failed/);
      assert.deepEqual(await appliedMigrations(pool), ALL);
      assert.equal((await pool.query("SELECT to_regclass('half_made') AS t")).rows[0].t, null);
      // The lock was given back: the next start migrates normally.
      assert.deepEqual(await migrate(pool), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
