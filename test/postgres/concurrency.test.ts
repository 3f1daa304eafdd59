import assert from 'node:assert/strict';
import pg from 'pg';
import type { ClaimRequest } from '../../src/domain/store';
import type { Callback } from '../../src/domain/types';
import type { PostgresStore } from '../../src/store/postgres/postgres-store';
import { postgresAvailable } from '../helpers/postgres';
import { T0, mergeKeeping, newAttempt, newCallback, storesOnOneDatabase } from './fixtures';

function request(owner: string, fields: Partial<ClaimRequest> = {}): ClaimRequest {
  return { owner, pbx: 'pbx-a', now: T0 + 60_000, leaseMs: 30_000, maxConcurrent: 1000, queueLimits: {}, ...fields };
}

async function seed(store: PostgresStore, n: number, queues: readonly string[]): Promise<Callback[]> {
  const items = Array.from({ length: n }, (_, i) => ({ callback: newCallback({ queue: queues[i % queues.length], dueAt: T0 + i }), events: [] }));
  return (await store.createMany(items, mergeKeeping(T0))).map((result) => result.callback);
}

/** Fails if `promise` takes longer than `ms`: for calls that must not wait on another's lock. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} waited more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('postgres: several connections at once', function () {
  this.timeout(60_000);
  let db: Awaited<ReturnType<typeof storesOnOneDatabase>>;

  before(async function () {
    if (await postgresAvailable()) this.skip();
  });

  beforeEach(async () => {
    db = await storesOnOneDatabase(4);
  });

  afterEach(async () => {
    await db?.close();
  });

  it('claimers on four connections take every due callback, none twice', async () => {
    const seeded = await seed(db.stores[0], 80, ['support', 'sales', 'tech']);
    const claimed: string[][] = db.stores.map(() => []);
    await Promise.all(
      db.stores.flatMap((store, i) =>
        [0, 1, 2].map(async () => {
          for (;;) {
            const { callback } = await store.claimNextDue(request(`daemon-${i}`));
            if (!callback) return;
            assert.equal(callback.claimOwner, `daemon-${i}`);
            claimed[i].push(callback.id);
          }
        }),
      ),
    );
    const all = claimed.flat();
    assert.equal(new Set(all).size, all.length, 'no callback claimed twice');
    assert.deepEqual([...all].sort(), seeded.map((c) => c.id).sort());
    assert.ok(claimed.filter((ids) => ids.length > 0).length > 1, 'the work was shared');
  });

  it('claims racing on four connections respect maxConcurrent and each queue’s limit exactly', async () => {
    await seed(db.stores[0], 40, ['sales', 'support']);
    const limits = { maxConcurrent: 5, queueLimits: { sales: 2 } };
    const race = async () =>
      (
        await Promise.all(db.stores.flatMap((store, i) => Array.from({ length: 8 }, () => store.claimNextDue(request(`daemon-${i}`, limits)))))
      )
        .map((result) => result.callback)
        .filter((callback): callback is Callback => callback !== null);
    const first = await race();
    assert.equal(first.length, 5);
    assert.equal(first.filter((c) => c.queue === 'sales').length, 2);
    // Dialling turns a claim into a counted attempt: still a slot each, so nothing more fits.
    for (const callback of first.slice(0, 3)) {
      await db.stores[1].commit({
        callbackId: callback.id,
        at: T0 + 60_000,
        from: 'Scheduled',
        event: 'dial',
        set: { attempts: 1, dueAt: null, claimOwner: null, claimUntil: null },
        startAttempt: newAttempt(callback, { owner: callback.claimOwner }),
      });
    }
    assert.deepEqual(await race(), []);
    const full = await db.stores[2].claimNextDue(request('daemon-2', limits));
    assert.equal(full.free, 0);
    assert.deepEqual(full.fullQueues, ['sales']);
    // Another PBX's slots are its own.
    await db.stores[0].createOrMerge(newCallback({ pbx: 'pbx-b' }), [], mergeKeeping(T0));
    assert.ok((await db.stores[3].claimNextDue(request('daemon-b', { ...limits, pbx: 'pbx-b' }))).callback);
  });

  it("closes every queue without a limit of its own when the '*' limit is 0", async () => {
    await seed(db.stores[0], 6, ['support', 'vip', 'sales']);
    const limits = { queueLimits: { '*': 0, vip: 1 } };
    const first = await db.stores[1].claimNextDue(request('daemon-1', limits));
    assert.equal(first.callback?.queue, 'vip');
    const second = await db.stores[2].claimNextDue(request('daemon-2', limits));
    assert.equal(second.callback, null);
    assert.deepEqual(second.fullQueues, ['vip']);
  });

  it('passes over a callback another transaction has locked instead of waiting for it', async () => {
    const [earliest, next] = await seed(db.stores[0], 2, ['support']);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM callbacks WHERE id = $1 FOR UPDATE', [earliest.id]);
      const { callback } = await within(2000, 'the claim', db.stores[1].claimNextDue(request('daemon-1')));
      assert.equal(callback?.id, next.id);
      await holder.query('ROLLBACK');
      assert.equal((await db.stores[1].claimNextDue(request('daemon-1'))).callback?.id, earliest.id);
    } finally {
      await holder.end();
    }
  });

  it('serialises claims per PBX only: a claim of another PBX does not wait', async () => {
    await db.stores[0].createOrMerge(newCallback({ pbx: 'pbx-b' }), [], mergeKeeping(T0));
    await db.stores[0].createOrMerge(newCallback({ pbx: 'pbx-a' }), [], mergeKeeping(T0));
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('callbackd.claim.' || $1))", ['pbx-a']);
      const waiting = db.stores[1].claimNextDue(request('daemon-a'));
      const other = await within(2000, 'the claim of pbx-b', db.stores[2].claimNextDue(request('daemon-b', { pbx: 'pbx-b' })));
      assert.equal(other.callback?.pbx, 'pbx-b');
      await holder.query('COMMIT');
      assert.equal((await waiting).callback?.pbx, 'pbx-a');
    } finally {
      await holder.end();
    }
  });

  it('creators racing on four connections for one number and queue leave one callback, the others merged', async () => {
    const template = newCallback();
    const results = await Promise.all(
      db.stores.flatMap((store) => [0, 1, 2].map(() => store.createOrMerge(newCallback({ number: template.number }), [{ type: 'Created' }], mergeKeeping(T0 + 1)))),
    );
    assert.equal(results.filter((r) => !r.merged).length, 1);
    const ids = new Set(results.map((r) => r.callback.id));
    assert.equal(ids.size, 1);
    const [id] = ids;
    const kinds = (await db.stores[0].eventsOf(id)).map((event) => event.type);
    assert.equal(kinds.filter((type) => type === 'Created').length, 1);
    assert.equal(kinds.filter((type) => type === 'Merged').length, results.length - 1);
    assert.equal(await db.stores[0].countPending('support'), 1);
    assert.equal((await db.stores[0].get(id))?.version, results.length);
  });

  it('adopters racing on four connections never both take one attempt', async () => {
    const callbacks = await seed(db.stores[0], 6, ['support']);
    for (const callback of callbacks) {
      await db.stores[0].commit({
        callbackId: callback.id,
        at: T0,
        from: 'Scheduled',
        event: 'dial',
        set: { attempts: 1, dueAt: null },
        startAttempt: newAttempt(callback, { owner: 'dead-daemon', leaseUntil: T0 + 1000 }),
      });
    }
    const now = T0 + 10_000;
    const adopted = await Promise.all(db.stores.map((store, i) => store.adoptAttempts(`daemon-${i}`, 'pbx-a', now, 30_000)));
    const ids = adopted.flat().map((attempt) => attempt.id);
    assert.equal(ids.length, callbacks.length, 'every lapsed attempt adopted');
    assert.equal(new Set(ids).size, ids.length, 'none by two daemons');
    for (const [i, attempts] of adopted.entries()) {
      for (const attempt of attempts) {
        assert.equal(attempt.owner, `daemon-${i}`);
        assert.equal(attempt.leaseUntil, now + 30_000);
      }
    }
    // Leases are live now: a second round takes nothing of anyone else's.
    const again = await Promise.all(db.stores.map((store, i) => store.adoptAttempts(`daemon-${i}`, 'pbx-a', now + 1, 30_000)));
    assert.deepEqual(
      again.map((attempts) => attempts.map((a) => a.id).sort()),
      adopted.map((attempts) => attempts.map((a) => a.id).sort()),
    );
  });

  it('hands out event ids in commit order, so paging with after= never skips one', async () => {
    const seen: number[] = [];
    let writing = true;
    const reader = (async () => {
      let after = 0;
      for (;;) {
        const done = !writing;
        const page = await db.stores[0].eventsAfter(after, 50);
        for (const event of page) seen.push(event.id);
        if (page.length > 0) after = page[page.length - 1].id;
        else if (done) return;
      }
    })();
    await Promise.all(
      db.stores.flatMap((store) =>
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 15; i++) await store.createOrMerge(newCallback(), [{ type: 'Created' }, { type: 'Note' }], mergeKeeping(T0));
        }),
      ),
    );
    writing = false;
    await reader;
    const all = (await db.stores[0].eventsAfter(0, 10_000)).map((event) => event.id);
    assert.equal(all.length, 4 * 4 * 15 * 2);
    assert.deepEqual(seen, all);
  });
});
