import assert from 'assert';
import { randomUUID } from 'crypto';
import {
  CLAIM_NEXT_DUE_SQL,
  DUE_FOR_EXPIRY_SQL,
  EARLIEST_DUE_IN_QUEUE_SQL,
  FIRST_CLAIMABLE_QUEUE_SQL,
  NEXT_CLAIMABLE_QUEUE_SQL,
  NEXT_DUE_AT_SQL,
  RELEASE_EXPIRED_SQL,
} from '../../src/store/claims';
import type { SqliteStore } from '../../src/store/sqlite-store';
import { T0, cleanup, create, openStore, tempDir } from './helpers/fixtures';

const LEASE = 30_000;

describe('store: claims and due times', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = tempDir();
    store = openStore(dir);
  });
  afterEach(() => {
    store.close();
    cleanup(dir);
  });

  it('claims due Scheduled callbacks earliest first, each once, and nothing not yet due', () => {
    const late = create(store, { dueAt: T0 + 2000 });
    const early = create(store, { dueAt: T0 + 1000 });
    create(store, { dueAt: T0 + 60_000 });
    create(store, { dueAt: null }); // waiting in a queue, not claimable
    const first = store.claimNextDue('a', T0 + 5000, LEASE);
    assert.strictEqual(first?.id, early.id);
    assert.deepStrictEqual([first?.claimOwner, first?.claimUntil, first?.version], ['a', T0 + 5000 + LEASE, 2]);
    assert.strictEqual(store.claimNextDue('b', T0 + 5000, LEASE)?.id, late.id);
    assert.strictEqual(store.claimNextDue('b', T0 + 5000, LEASE), null);
  });

  it('does not claim a Dialing or finished callback', () => {
    const dialing = create(store);
    const cancelled = create(store);
    store.commit({ callbackId: dialing.id, at: T0, from: 'Scheduled', event: 'dial' });
    store.commit({ callbackId: cancelled.id, at: T0, from: 'Scheduled', event: 'cancel' });
    assert.strictEqual(store.claimNextDue('a', T0 + 1, LEASE), null);
    assert.strictEqual(store.nextDueAt(), null);
  });

  it('skips the queues it is told to skip, and takes the earliest due of the others', () => {
    const support = create(store, { queue: 'support', dueAt: T0 });
    const sales = create(store, { queue: 'sales', dueAt: T0 + 3 });
    const billing = create(store, { queue: 'billing', dueAt: T0 + 1 });
    create(store, { queue: 'tech', dueAt: T0 + 1000 }); // not due yet
    assert.strictEqual(store.claimNextDue('a', T0 + 10, LEASE, ['support'])?.id, billing.id);
    assert.strictEqual(store.claimNextDue('a', T0 + 10, LEASE, ['support'])?.id, sales.id);
    assert.strictEqual(store.claimNextDue('a', T0 + 10, LEASE, ['support']), null);
    assert.strictEqual(store.claimNextDue('a', T0 + 10, LEASE, ['support', 'nowhere']), null);
    assert.strictEqual(store.claimNextDue('a', T0 + 10, LEASE, ['nowhere'])?.id, support.id);
    assert.strictEqual(store.claimNextDue('a', T0 + 2000, LEASE, ['nowhere'])?.queue, 'tech');
  });

  it('gives an expired lease back, and only an expired one', () => {
    const cb = create(store);
    create(store, { dueAt: T0 + 10 });
    store.claimNextDue('crashed', T0, LEASE);
    store.claimNextDue('alive', T0 + 20, LEASE * 10);
    assert.strictEqual(store.releaseExpiredClaims(T0 + LEASE - 1), 0);
    assert.strictEqual(store.releaseExpiredClaims(T0 + LEASE), 1);
    assert.strictEqual(store.get(cb.id)?.claimOwner, null);
    assert.strictEqual(store.claimNextDue('next', T0 + LEASE, LEASE)?.id, cb.id);
  });

  it('a holder whose lease was taken loses its version check', () => {
    const cb = create(store);
    const held = store.claimNextDue('slow', T0, LEASE)!;
    store.releaseExpiredClaims(T0 + LEASE);
    store.claimNextDue('fast', T0 + LEASE, LEASE);
    assert.throws(() => store.commit({ callbackId: cb.id, at: T0 + LEASE, from: 'Scheduled', version: held.version, event: 'dial' }), /version/);
  });

  it('frees every claim not held by the given owner', () => {
    create(store);
    create(store);
    const mine = create(store);
    store.claimNextDue('old-1', T0, LEASE);
    store.claimNextDue('old-2', T0, LEASE);
    store.claimNextDue('me', T0, LEASE);
    assert.strictEqual(store.releaseClaimsNotOwnedBy('me'), 2);
    assert.strictEqual(store.get(mine.id)?.claimOwner, 'me');
    store.releaseClaim(mine.id, 'someone-else');
    assert.strictEqual(store.get(mine.id)?.claimOwner, 'me');
    store.releaseClaim(mine.id, 'me');
    assert.strictEqual(store.get(mine.id)?.claimOwner, null);
  });

  it('reports the next due time among unclaimed Scheduled callbacks', () => {
    assert.strictEqual(store.nextDueAt(), null);
    create(store, { dueAt: T0 + 500 });
    create(store, { dueAt: T0 + 100 });
    assert.strictEqual(store.nextDueAt(), T0 + 100);
    store.claimNextDue('a', T0 + 100, LEASE);
    assert.strictEqual(store.nextDueAt(), T0 + 500);
  });

  it('lists Scheduled callbacks past their deadline, earliest first, claimed or not', () => {
    const a = create(store, { expiresAt: T0 + 20 });
    const b = create(store, { expiresAt: T0 + 10 });
    create(store, { expiresAt: T0 + 1000 });
    create(store, { expiresAt: null });
    const done = create(store, { expiresAt: T0 });
    store.commit({ callbackId: done.id, at: T0, from: 'Scheduled', event: 'cancel' });
    store.claimNextDue('a', T0, LEASE);
    assert.deepStrictEqual(store.dueForExpiry(T0 + 20, 10).map((c) => c.id), [b.id, a.id]);
    assert.deepStrictEqual(store.dueForExpiry(T0 + 20, 1).map((c) => c.id), [b.id]);
  });

  describe('query plans', () => {
    function plan(sql: string, params: object): string {
      return store.db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(params)
        .map((row) => (row as { detail: string }).detail)
        .join(' | ');
    }

    beforeEach(() => {
      // Enough rows in other statuses that a wrong plan would have a choice to make.
      const insert = store.db.prepare(
        `INSERT INTO callbacks (id, number, queue, status, mechanism, transition, due_at, created_at, updated_at)
         VALUES (?, ?, 'support', ?, 'manual', 't', ?, ?, ?)`,
      );
      store.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run(randomUUID(), `+3315${i}`, i % 4 ? 'Completed' : 'Scheduled', T0 + i, T0, T0);
      });
      store.db.exec('ANALYZE');
    });

    it('claims and finds the next due time through the claimable index, in due order', () => {
      const claim = plan(CLAIM_NEXT_DUE_SQL, { owner: 'a', until: 1, now: T0 });
      assert.match(claim, /callbacks_claimable \(due_at/);
      assert.doesNotMatch(claim, /TEMP B-TREE/);
      assert.match(plan(NEXT_DUE_AT_SQL, {}), /callbacks_claimable \(due_at/);
    });

    it('claims past skipped queues by seeking each other queue, never by walking the skipped rows', () => {
      assert.match(plan(FIRST_CLAIMABLE_QUEUE_SQL, {}), /callbacks_claimable_queue/);
      assert.match(plan(NEXT_CLAIMABLE_QUEUE_SQL, { after: 'a' }), /callbacks_claimable_queue \(queue>\?\)/);
      const earliest = plan(EARLIEST_DUE_IN_QUEUE_SQL, { queue: 'support', now: T0 });
      assert.match(earliest, /callbacks_claimable_queue \(queue=\? AND due_at/);
      assert.doesNotMatch(earliest, /TEMP B-TREE/);
    });

    it('finds expiries, leases, pending and pages through their indexes', () => {
      assert.match(plan(DUE_FOR_EXPIRY_SQL, { now: T0, limit: 10 }), /callbacks_expiry/);
      assert.match(plan(RELEASE_EXPIRED_SQL, { now: T0 }), /callbacks_claimed/);
      const pending = "SELECT * FROM callbacks WHERE number = @n AND queue = @q AND status IN ('Scheduled','Dialing')";
      assert.match(plan(pending, { n: '+1', q: 'x' }), /callbacks_pending/);
      const countPending = "SELECT count(*) AS n FROM callbacks WHERE queue = @q AND status IN ('Scheduled','Dialing')";
      assert.match(plan(countPending, { q: 'x' }), /callbacks_pending/);
      const page = 'SELECT * FROM callbacks WHERE (created_at, id) < (@c, @id) ORDER BY created_at DESC, id DESC LIMIT 50';
      assert.match(plan(page, { c: T0, id: 'x' }), /callbacks_created/);
      assert.doesNotMatch(plan(page, { c: T0, id: 'x' }), /TEMP B-TREE/);
    });
  });
});
