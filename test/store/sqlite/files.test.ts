import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseFileError } from '../../../src/store/database';
import { describeStore, openStore } from '../../../src/store/open';
import { callbackParams } from '../../../src/store/rows';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { T0, cleanup, create, tempDir } from '../helpers/fixtures';

function fileError(kind: DatabaseFileError['kind'], file: string) {
  return (err: unknown) => err instanceof DatabaseFileError && err.kind === kind && err.file === file;
}

describe('store (sqlite only): the file', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => cleanup(dir));

  it('says why a path cannot hold the store, naming the absolute path', async () => {
    const missing = path.join(dir, 'missing.db');
    await assert.rejects(openStore({ store: 'sqlite', db: missing, storeUrl: '' }, { create: false }), fileError('missing', missing));
    assert.equal(fs.existsSync(missing), false, 'create: false makes nothing');
    assert.throws(() => SqliteStore.open(dir), fileError('directory', dir));
    const foreign = path.join(dir, 'notes.txt');
    fs.writeFileSync(foreign, 'not a database, just some text that is long enough to have a header\n'.repeat(20));
    assert.throws(() => SqliteStore.open(foreign), fileError('foreign', foreign));
    const underFile = path.join(foreign, 'cb.db');
    assert.throws(() => SqliteStore.open(underFile), fileError('unusable', underFile));
  });

  it('opens through openStore at the configured path, and describes it as that absolute path', async () => {
    const db = path.join(dir, 'sub', 'callbackd.db');
    const store = await openStore({ store: 'sqlite', db, storeUrl: '' });
    try {
      assert.deepEqual([store.kind, store.location], ['sqlite', db]);
      assert.equal(describeStore({ store: 'sqlite', db: path.relative(process.cwd(), db), storeUrl: '' }), db);
    } finally {
      await store.close();
    }
  });

  it('describes a PostgreSQL store without its password', () => {
    const line = describeStore({ store: 'postgres', db: '', storeUrl: 'postgres://cb:s3cret@db.example:5432/callbackd?password=other' });
    assert.match(line, /db\.example:5432\/callbackd/);
    assert.doesNotMatch(line, /s3cret|other/);
  });

  it('refuses a second pending row for a number, queue and PBX even through raw SQL', async () => {
    const store = SqliteStore.open(path.join(dir, 'cb.db'));
    try {
      const first = await create(store, { number: '+33155500003' });
      const twin = callbackParams({ ...first, id: randomUUID(), status: 'Dialing' });
      const columns = Object.keys(twin);
      const insert = store.db.prepare(`INSERT INTO callbacks (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
      assert.throws(() => insert.run(twin), /UNIQUE constraint failed/);
      // A finished one does not count as pending, and another PBX has its own.
      assert.doesNotThrow(() => insert.run({ ...twin, status: 'Completed' }));
      assert.doesNotThrow(() => insert.run({ ...twin, id: randomUUID(), pbx: 'pbx-b' }));
      assert.equal(first.createdAt, T0);
    } finally {
      await store.close();
    }
  });
});
