import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store';
import { freshPostgresDatabase, postgresAvailable } from '../helpers/postgres';
import { T0, mergeKeeping, newAttempt, newCallback } from './fixtures';

describe('postgres: values round-trip as the domain wrote them', function () {
  this.timeout(60_000);
  let database: { url: string; drop(): Promise<void> };
  let store: PostgresStore;

  before(async function () {
    if (await postgresAvailable()) this.skip();
    database = await freshPostgresDatabase();
    store = await PostgresStore.open(database.url, { poolSize: 3 });
  });

  after(async () => {
    await store?.close();
    await database?.drop();
  });

  it('reads BIGINT times, counts and event ids back as numbers, the largest safe integer included', async () => {
    const far = Number.MAX_SAFE_INTEGER;
    const { callback } = await store.createOrMerge(
      newCallback({ dueAt: far - 1, expiresAt: far, createdAt: 8_640_000_000_000_000 }),
      [{ type: 'Created' }],
      mergeKeeping(T0),
    );
    const read = await store.get(callback.id);
    assert.equal(read?.dueAt, far - 1);
    assert.equal(read?.expiresAt, far);
    assert.equal(read?.createdAt, 8_640_000_000_000_000);
    assert.equal(typeof read?.updatedAt, 'number');
    const [event] = await store.eventsOf(callback.id);
    assert.equal(typeof event.id, 'number');
    assert.equal(event.at, 8_640_000_000_000_000);
    assert.equal(await store.nextDueAt('pbx-a'), far - 1);
    assert.equal(await store.countPending('support'), 1);
    assert.deepEqual(await store.countByStatus(), { Scheduled: 1 });
    const dialled = await store.commit({
      callbackId: callback.id,
      at: T0,
      from: 'Scheduled',
      event: 'dial',
      set: { attempts: 1 },
      startAttempt: newAttempt(callback, { leaseUntil: far, counted: false }),
    });
    const [attempt] = await store.attemptsOf(dialled.id);
    assert.equal(attempt.leaseUntil, far);
    assert.equal(attempt.startedAt, T0);
    assert.equal(attempt.counted, false);
    assert.deepEqual(await store.join({ owner: 'd', host: 'h', pid: 4242, pbx: 'pbx-a' }, T0 + 5, 30_000, () => true), { ok: true });
    assert.deepEqual(await store.seats(), [{ owner: 'd', host: 'h', pid: 4242, pbx: 'pbx-a', heartbeatAt: T0 + 5 }]);
  });

  it('leaves the global pg type parsers alone', async () => {
    const plain = new pg.Client({ connectionString: database.url });
    await plain.connect();
    try {
      assert.equal((await plain.query('SELECT 5::bigint AS n')).rows[0].n, '5');
    } finally {
      await plain.end();
    }
  });

  it('keeps forms and event data as objects, keys in the order written', async () => {
    const form = { zeta: '1', alpha: 'ř', 'CB_X y': 'a "quoted" \\ value', empty: '' };
    const data = { to: 'x', from: 'y', nested: { b: [1, 2, { c: null }], a: true } };
    const { callback } = await store.createOrMerge(newCallback({ form }), [{ type: 'Note', data }], mergeKeeping(T0));
    const read = await store.get(callback.id);
    assert.deepEqual(read?.form, form);
    assert.deepEqual(Object.keys(read?.form ?? {}), Object.keys(form));
    const [event] = await store.eventsOf(callback.id);
    assert.deepEqual(event.data, data);
    assert.deepEqual(Object.keys(event.data), ['to', 'from', 'nested']);
    await store.upsertCall({
      id: 'call-1',
      number: null,
      queue: 'support',
      enteredAt: T0,
      endedAt: T0 + 12_500,
      result: 'abandoned',
      position: 3,
      waitSeconds: 12.5,
      form,
      pbx: 'pbx-a',
    });
    const call = await store.getCall('call-1');
    assert.deepEqual(call, { id: 'call-1', number: null, queue: 'support', enteredAt: T0, endedAt: T0 + 12_500, result: 'abandoned', position: 3, waitSeconds: 12.5, form, lostDecision: null, lostReason: null, pbx: 'pbx-a' });
  });

  it('names where it lives with the password masked', async () => {
    const withPassword = database.url.replace('callbackd_test@', 'callbackd_test:s3cret@');
    const other = await PostgresStore.open(withPassword, { poolSize: 1 });
    try {
      assert.equal(other.kind, 'postgres');
      assert.ok(!other.location.includes('s3cret'), other.location);
      assert.match(other.location, /^postgres:\/\/callbackd_test:\*\*\*@127\.0\.0\.1:\d+\/t_/);
    } finally {
      await other.close();
    }
  });

  it('says where it could not connect, without the password', async () => {
    const port = Number(new URL(database.url).port);
    const nowhere = `postgres://someone:hunter2@127.0.0.1:${port === 1 ? 2 : 1}/x`;
    await assert.rejects(PostgresStore.open(nowhere), (err: Error) => {
      assert.match(err.message, /cannot open the PostgreSQL store at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:\d+\/x/);
      assert.ok(!err.message.includes('hunter2'));
      return true;
    });
  });
});
