import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  CLAIM_NEXT_DUE_SQL,
  DUE_FOR_EXPIRY_SQL,
  EARLIEST_DUE_IN_QUEUE_SQL,
  FIRST_CLAIMABLE_QUEUE_SQL,
  NEXT_CLAIMABLE_QUEUE_SQL,
  NEXT_DUE_AT_SQL,
  RELEASE_EXPIRED_SQL,
  RELEASE_ORPHANED_SQL,
  SLOTS_USED_SQL,
} from '../../../src/store/claims';
import { PENDING_FOR_SQL } from '../../../src/store/commits';
import { callsPageSql } from '../../../src/store/calls';
import { ADOPT_ATTEMPTS_SQL, ATTEMPT_BY_CHANNEL_SQL } from '../../../src/store/history';
import { COUNT_PENDING_ON_SQL, COUNT_PENDING_SQL } from '../../../src/store/listing';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { T0, cleanup, tempDir } from '../helpers/fixtures';

describe('store (sqlite only): query plans', () => {
  let dir: string;
  let store: SqliteStore;

  function plan(sql: string, params: object): string {
    return store.db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(params)
      .map((row) => (row as { detail: string }).detail)
      .join(' | ');
  }

  function planOf(sql: string, params: unknown[]): string {
    return store.db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...params)
      .map((row) => (row as { detail: string }).detail)
      .join(' | ');
  }

  before(() => {
    dir = tempDir();
    store = SqliteStore.open(path.join(dir, 'callbackd.db'));
    // Enough rows in other statuses and PBXs that a wrong plan would have a choice to make.
    const insert = store.db.prepare(
      `INSERT INTO callbacks (id, number, queue, status, mechanism, transition, due_at, created_at, updated_at, pbx)
       VALUES (?, ?, ?, ?, 'manual', 't', ?, ?, ?, ?)`,
    );
    const attempt = store.db.prepare(
      `INSERT INTO attempts (id, callback_id, seq, mode, started_at, ended_at, pbx) VALUES (?, ?, 1, 'agent-first', ?, ?, ?)`,
    );
    const call = store.db.prepare(`INSERT INTO calls (id, number, queue, entered_at, result, pbx) VALUES (?, '+3315', ?, ?, ?, 'pbx-0')`);
    store.db.transaction(() => {
      for (let i = 0; i < 2000; i++) call.run(randomUUID(), `q${i % 7}`, T0 + i, i % 5 ? 'served' : 'abandoned');
      for (let i = 0; i < 2000; i++) {
        const id = randomUUID();
        const pbx = `pbx-${i % 3}`;
        insert.run(id, `+3315${i}`, `q${i % 7}`, i % 4 ? 'Completed' : 'Scheduled', T0 + i, T0, T0, pbx);
        attempt.run(randomUUID(), id, T0, i % 50 ? T0 + 1 : null, pbx);
      }
    }).immediate();
    store.db.exec('ANALYZE');
  });
  after(async () => {
    await store.close();
    cleanup(dir);
  });

  it('claims and finds the next due time through the claimable index, in due order, within the PBX', () => {
    const claim = plan(CLAIM_NEXT_DUE_SQL, { owner: 'a', until: 1, now: T0, pbx: 'pbx-1' });
    assert.match(claim, /callbacks_claimable \(pbx=\? AND due_at/);
    assert.doesNotMatch(claim, /TEMP B-TREE/);
    assert.match(plan(NEXT_DUE_AT_SQL, { pbx: 'pbx-1' }), /callbacks_claimable \(pbx=\?/);
  });

  it('claims past full queues by seeking each other queue, never by walking the full ones', () => {
    assert.match(plan(FIRST_CLAIMABLE_QUEUE_SQL, { pbx: 'pbx-1' }), /callbacks_claimable_queue \(pbx=\?/);
    assert.match(plan(NEXT_CLAIMABLE_QUEUE_SQL, { pbx: 'pbx-1', after: 'a' }), /callbacks_claimable_queue \(pbx=\? AND queue>\?\)/);
    const earliest = plan(EARLIEST_DUE_IN_QUEUE_SQL, { pbx: 'pbx-1', queue: 'support', now: T0 });
    assert.match(earliest, /callbacks_claimable_queue \(pbx=\? AND queue=\? AND due_at/);
    assert.doesNotMatch(earliest, /TEMP B-TREE/);
  });

  it('counts used slots from the open attempts and outstanding claims of the PBX only', () => {
    const slots = plan(SLOTS_USED_SQL, { pbx: 'pbx-1', now: T0 });
    assert.match(slots, /attempts_open_pbx \(pbx=\?\)/);
    assert.match(slots, /callbacks_outstanding_claims \(pbx=\?/);
    // Each open attempt's callback (for its queue) by primary key, never a scan.
    assert.match(slots, /SEARCH c USING INDEX sqlite_autoindex_callbacks_1 \(id=\?\)/);
    assert.doesNotMatch(slots, /\bSCAN\b/);
    assert.match(plan(ADOPT_ATTEMPTS_SQL, { owner: 'a', pbx: 'pbx-1', now: T0, until: T0 }), /attempts_open_pbx \(pbx=\?\)/);
  });

  it('finds expiries, leases, pending and pages through their indexes', () => {
    assert.match(plan(DUE_FOR_EXPIRY_SQL, { now: T0, limit: 10 }), /callbacks_expiry/);
    assert.match(plan(RELEASE_EXPIRED_SQL, { now: T0 }), /callbacks_claimed/);
    assert.match(plan(RELEASE_ORPHANED_SQL, { owner: 'a', now: T0, staleMs: 1 }), /callbacks_claimed/);
    // The statements the store runs (createOrMerge asks pendingFor before every insert).
    assert.match(plan(PENDING_FOR_SQL, { number: '+1', queue: 'x', pbx: 'pbx-1' }), /callbacks_pending \(queue=\? AND number=\?\)/);
    assert.match(plan(PENDING_FOR_SQL, { number: '+1', queue: 'x', pbx: null }), /callbacks_pending \(queue=\? AND number=\?\)/);
    assert.match(planOf(COUNT_PENDING_SQL, ['x']), /callbacks_pending \(queue=\?\)/);
    assert.match(planOf(COUNT_PENDING_ON_SQL, ['x', 'pbx-1']), /callbacks_pending \(queue=\?\)/);
    const page = 'SELECT * FROM callbacks WHERE (created_at, id) < (@c, @id) ORDER BY created_at DESC, id DESC LIMIT 50';
    assert.match(plan(page, { c: T0, id: 'x' }), /callbacks_created/);
    assert.doesNotMatch(plan(page, { c: T0, id: 'x' }), /TEMP B-TREE/);
  });

  it('pages the grid of calls through an index for each filter, never sorting', () => {
    const shapes = [{}, { result: true }, { queue: true }, { result: true, queue: true }];
    for (const shape of shapes) {
      for (const after of [false, true]) {
        const detail = plan(callsPageSql({ ...shape, after }), { result: 'abandoned', queue: 'q1', entered_at: T0 + 1000, id: 'x', limit: 51 });
        assert.match(detail, /USING (COVERING )?INDEX calls_(entered|result_entered|queue_entered)/, JSON.stringify({ ...shape, after }));
        assert.doesNotMatch(detail, /TEMP B-TREE/, JSON.stringify({ ...shape, after }));
      }
    }
    assert.match(plan(callsPageSql({ result: true }), { result: 'abandoned', limit: 51 }), /calls_result_entered \(result=\?\)/);
    assert.match(plan(callsPageSql({ queue: true }), { queue: 'q1', limit: 51 }), /calls_queue_entered \(queue=\?\)/);
  });

  it('finds an attempt by a channel through its two channel indexes', () => {
    const detail = plan(ATTEMPT_BY_CHANNEL_SQL, { channel: 'cbcu-x' });
    assert.match(detail, /attempts_customer_ref \(customer_ref=\?\)/);
    assert.match(detail, /attempts_placeholder_ref \(placeholder_ref=\?\)/);
    assert.doesNotMatch(detail, /\bSCAN attempts\b/);
  });
});
