import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { PostgresStore } from '../../src/store/postgres/postgres-store';
import { LISTENER_NAME } from '../../src/store/postgres/work';
import { postgresAvailable, postgresCluster } from '../helpers/postgres';
import { T0, eventually, mergeKeeping, newCallback, storesOnOneDatabase, whenTrue } from './fixtures';

/** A listener on `store` counting wakes, with a way to wait for the next ones. */
async function listen(store: PostgresStore) {
  const heard = { count: 0, times: [] as number[], watchers: new Set<() => void>() };
  const stop = await store.onWork(() => {
    heard.count += 1;
    heard.times.push(performance.now());
    for (const watcher of heard.watchers) watcher();
  });
  const reach = (n: number, what: string) => whenTrue(what, () => heard.count >= n, (check) => heard.watchers.add(check));
  return { heard, stop, reach };
}

/** Backends of this database listening for work, seen from a connection of their own. */
async function listenerSessions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = (await client.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [LISTENER_NAME])).rows;
    return rows.map((row) => row.pid as number);
  } finally {
    await client.end();
  }
}

describe('postgres: work notifications (LISTEN/NOTIFY)', function () {
  this.timeout(60_000);
  let db: Awaited<ReturnType<typeof storesOnOneDatabase>>;
  let listener: PostgresStore;
  let writer: PostgresStore;

  before(async function () {
    if (await postgresAvailable()) this.skip();
  });

  beforeEach(async () => {
    db = await storesOnOneDatabase(2);
    [listener, writer] = db.stores;
  });

  afterEach(async () => {
    await db?.close();
  });

  it('wakes a listener on another connection for every commit that brings work', async () => {
    const { heard, stop, reach } = await listen(listener);
    const afterCommit: number[] = [];
    const fromStart: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const started = performance.now();
      await writer.createOrMerge(newCallback(), [{ type: 'Created' }], mergeKeeping(T0));
      const committed = performance.now();
      await reach(i, `wake ${i}`);
      afterCommit.push(heard.times[i - 1] - committed);
      fromStart.push(heard.times[i - 1] - started);
    }
    stop();
    const sorted = [...afterCommit].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const max = sorted[sorted.length - 1];
    console.log(
      `      notify latency after the commit returned: median ${median.toFixed(2)} ms, max ${max.toFixed(2)} ms; ` +
        `from the start of the write: max ${Math.max(...fromStart).toFixed(2)} ms`,
    );
    // Every commit was heard (reach); the times are printed, and measured by npm run bench.
    assert.equal(afterCommit.length, 20);
  });

  it('announces nothing for a write that makes no work, nor for one rolled back', async () => {
    const { heard, stop, reach } = await listen(listener);
    const held = await writer.createOrMerge(newCallback({ dueAt: null }), [], mergeKeeping(T0));
    const due = await writer.createOrMerge(newCallback(), [], mergeKeeping(T0));
    await reach(1, 'the due creation');
    await writer.commit({ callbackId: held.callback.id, at: T0 + 1, from: 'Scheduled', set: { note: 'just a note' } });
    await assert.rejects(writer.createOrMerge(newCallback({ id: due.callback.id }), [], mergeKeeping(T0)));
    // Notifications arrive in commit order: once this one is heard, any earlier one would have been.
    await writer.commit({ callbackId: held.callback.id, at: T0 + 2, from: 'Scheduled', set: { dueAt: T0 + 5 } });
    await reach(2, 'the callback made due');
    await writer.announceWork();
    await reach(3, 'the explicit announcement');
    assert.equal(heard.count, 3);
    stop();
  });

  it('reconnects when its connection is killed, tells its listeners once, and hears again', async () => {
    const { heard, stop, reach } = await listen(listener);
    for (let round = 1; round <= 2; round++) {
      const [pid] = await eventually('the listening session', () => listenerSessions(db.url).then((pids) => (pids.length === 1 ? pids : null)));
      const before = heard.count;
      await writer.announceWork();
      await reach(before + 1, 'the announcement before the kill');
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await admin.end();
      // The catch-up wake: whatever was announced while it was away is for the listeners to look for.
      await reach(before + 2, `the wake after reconnecting (round ${round})`);
      const [again] = await listenerSessions(db.url);
      assert.notEqual(again, pid);
      await writer.createOrMerge(newCallback(), [], mergeKeeping(T0));
      await reach(before + 3, `a creation heard over the new connection (round ${round})`);
      assert.equal(heard.count, before + 3, 'one catch-up wake per reconnection');
    }
    stop();
  });

  it('keeps trying while the database refuses connections, and hears again once it takes them', async () => {
    const { heard, stop, reach } = await listen(listener);
    const name = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    try {
      // The name is the helper's own [a-z0-9_]: ALTER DATABASE takes no parameters.
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [LISTENER_NAME, name]);
      // The server logs each refusal: wait for three tries (after 100, 200 and 400 ms), none of which may wake anyone.
      const log = path.join((await postgresCluster()).dir, 'server.log');
      const refusals = () => fs.readFileSync(log, 'utf8').split(`database "${name}" is not currently accepting connections`).length - 1;
      const before = refusals();
      await eventually('three refused reconnections', async () => refusals() - before >= 3);
      assert.equal(heard.count, 0, 'no wake while it cannot listen');
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await reach(1, 'the wake after listening again');
      await writer.announceWork();
      await reach(2, 'an announcement over the new connection');
      assert.equal(heard.count, 2);
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end();
      stop();
    }
  });

  it('ends its listening connection when the last listener stops, and on close', async () => {
    const one = await listen(listener);
    const two = await listen(listener);
    assert.equal((await listenerSessions(db.url)).length, 1, 'one connection for all listeners of a store');
    one.stop();
    await writer.announceWork();
    await two.reach(1, 'the remaining listener');
    assert.equal(one.heard.count, 0);
    two.stop();
    await eventually('the listening session to end', async () => (await listenerSessions(db.url)).length === 0);
    const three = await listen(listener);
    assert.equal((await listenerSessions(db.url)).length, 1);
    await listener.close();
    await eventually('the listening session to end on close', async () => (await listenerSessions(db.url)).length === 0);
    three.stop();
  });
});
