import assert from 'assert';
import { randomUUID } from 'crypto';
import { ConflictError, IllegalTransitionError, NotFoundError } from '../../src/domain/errors';
import { callbackParams } from '../../src/store/rows';
import type { SqliteStore } from '../../src/store/sqlite-store';
import { T0, cleanup, create, mergeKeeping, newCallback, openStore, tempDir } from './helpers/fixtures';

function count(store: SqliteStore, sql: string, ...params: unknown[]): number {
  return (store.db.prepare(sql).get(...params) as { n: number }).n;
}

describe('store: callbacks, commits and merges', () => {
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

  it('creates a Scheduled callback with its events, form and defaults', () => {
    const input = newCallback({ form: { account: '42', reason: 'billing' }, shifted: true, originCallId: 'call-1' });
    const { callback, merged } = store.createOrMerge(input, [{ type: 'CallBack', callId: 'call-1', data: { shifted: true } }], mergeKeeping(T0));
    assert.strictEqual(merged, false);
    assert.deepStrictEqual(store.get(input.id), callback);
    assert.strictEqual(callback.status, 'Scheduled');
    assert.strictEqual(callback.version, 1);
    assert.strictEqual(callback.attempts, 0);
    assert.strictEqual(callback.shifted, true);
    assert.deepStrictEqual(callback.form, { account: '42', reason: 'billing' });
    const events = store.eventsOf(input.id);
    assert.deepStrictEqual(
      events.map((e) => [e.type, e.callbackId, e.callId, e.at, e.data]),
      [['CallBack', input.id, 'call-1', T0, { shifted: true }]],
    );
    assert.strictEqual(store.countPending('support'), 1);
  });

  it('merges a second request for the same number and queue into the pending one', () => {
    const first = create(store, { number: '+33155500001' });
    const second = newCallback({ number: '+33155500001' });
    const result = store.createOrMerge(second, [{ type: 'Created' }], (existing) => ({
      callbackId: existing.id,
      at: T0 + 5,
      from: existing.status,
      event: 'merge',
      set: { note: 'asked twice' },
      events: [{ type: 'Merged', data: { request: second.id } }],
    }));
    assert.strictEqual(result.merged, true);
    assert.strictEqual(result.callback.id, first.id);
    assert.strictEqual(result.callback.note, 'asked twice');
    assert.strictEqual(store.get(second.id), null);
    assert.deepStrictEqual(store.eventsOf(first.id).map((e) => e.type), ['Created', 'Merged']);
    assert.strictEqual(store.countPending('support'), 1);
    // Another queue is another callback.
    assert.strictEqual(store.createOrMerge(newCallback({ number: '+33155500001', queue: 'sales' }), [], mergeKeeping(T0)).merged, false);
  });

  it('merges into a callback that is already Dialing without touching its status', () => {
    const dialing = create(store, { number: '+33155500004' });
    store.commit({ callbackId: dialing.id, at: T0, from: 'Scheduled', event: 'dial' });
    const result = store.createOrMerge(newCallback({ number: '+33155500004' }), [], mergeKeeping(T0 + 1));
    assert.deepStrictEqual([result.merged, result.callback.id, result.callback.status], [true, dialing.id, 'Dialing']);
    assert.deepStrictEqual(store.eventsOf(dialing.id).map((e) => e.type), ['Created', 'StatusChanged', 'Merged']);
  });

  it('rolls the whole merge back when the merge itself fails', () => {
    const first = create(store, { number: '+33155500002' });
    assert.throws(
      () => store.createOrMerge(newCallback({ number: '+33155500002' }), [], (existing) => ({ callbackId: existing.id, at: T0, from: 'Dialing' })),
      ConflictError,
    );
    assert.strictEqual(store.get(first.id)?.version, 1);
    assert.strictEqual(store.eventsOf(first.id).length, 1);
  });

  it('refuses a second pending row for a number and queue even through raw SQL', () => {
    const first = create(store, { number: '+33155500003' });
    const twin = callbackParams({ ...first, id: randomUUID(), status: 'Dialing' });
    const insert = store.db.prepare(
      'INSERT INTO callbacks (id, number, queue, status, mechanism, transition, due_at, expires_at, created_at, updated_at, attempts, ' +
        'origin_call_id, shifted, form, note, queue_position, claim_owner, claim_until, version) VALUES (@id, @number, @queue, @status, ' +
        '@mechanism, @transition, @due_at, @expires_at, @created_at, @updated_at, @attempts, @origin_call_id, @shifted, @form, @note, ' +
        '@queue_position, @claim_owner, @claim_until, @version)',
    );
    assert.throws(() => insert.run(twin), /UNIQUE constraint failed/);
    // A finished one does not count as pending.
    assert.doesNotThrow(() => insert.run({ ...twin, status: 'Completed' }));
  });

  it('commits status, fields, version and the StatusChanged event together', () => {
    const cb = create(store);
    const attemptId = randomUUID();
    const dialing = store.commit({
      callbackId: cb.id,
      at: T0 + 1000,
      from: 'Scheduled',
      version: 1,
      event: 'dial',
      to: 'Dialing',
      set: { attempts: 1, dueAt: null },
      startAttempt: { id: attemptId, callbackId: cb.id, seq: 1, mode: 'agent-first', startedAt: T0 + 1000, placeholderRef: 'ph-1', customerRef: null },
      events: [{ type: 'AttemptStarted', data: { attemptId } }],
    });
    assert.strictEqual(dialing.status, 'Dialing');
    assert.strictEqual(dialing.version, 2);
    assert.strictEqual(dialing.updatedAt, T0 + 1000);
    assert.strictEqual(dialing.dueAt, null);
    assert.deepStrictEqual(store.get(cb.id), dialing);
    assert.strictEqual(store.countPending('support'), 1);
    assert.deepStrictEqual(store.openAttempts().map((a) => a.id), [attemptId]);

    store.commit({ callbackId: cb.id, at: T0 + 2000, from: 'Dialing', updateAttempt: { id: attemptId, customerRef: 'ch-9' } });
    assert.deepStrictEqual([store.getAttempt(attemptId)?.placeholderRef, store.getAttempt(attemptId)?.customerRef], ['ph-1', 'ch-9']);

    const done = store.commit({
      callbackId: cb.id,
      at: T0 + 3000,
      from: 'Dialing',
      event: 'answer',
      endAttempt: { id: attemptId, outcome: 'answered' },
      events: [{ type: 'AttemptEnded', data: { attemptId, outcome: 'answered' } }],
    });
    assert.strictEqual(done.status, 'Completed');
    assert.strictEqual(store.countPending('support'), 0);
    assert.deepStrictEqual(store.openAttempts(), []);
    const attempt = store.getAttempt(attemptId);
    assert.deepStrictEqual([attempt?.endedAt, attempt?.outcome], [T0 + 3000, 'answered']);
    const history = store.eventsOf(cb.id).map((e) => (e.type === 'StatusChanged' ? `${e.data.from}-[${e.data.event}]->${e.data.to}` : e.type));
    assert.deepStrictEqual(history, ['Created', 'AttemptStarted', 'Scheduled-[dial]->Dialing', 'AttemptEnded', 'Dialing-[answer]->Completed']);
  });

  it('rejects a stale from or version with ConflictError and writes nothing', () => {
    const cb = create(store);
    const before = store.eventsAfter(0, 100).length;
    assert.throws(() => store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Dialing', event: 'answer' }), ConflictError);
    assert.throws(
      () =>
        store.commit({
          callbackId: cb.id,
          at: T0 + 1,
          from: 'Scheduled',
          version: 7,
          event: 'cancel',
          startAttempt: { id: randomUUID(), callbackId: cb.id, seq: 1, mode: 'agent-first', startedAt: T0, placeholderRef: null, customerRef: null },
          events: [{ type: 'Note' }],
        }),
      ConflictError,
    );
    assert.deepStrictEqual(store.get(cb.id), cb);
    assert.strictEqual(store.eventsAfter(0, 100).length, before);
    assert.deepStrictEqual(store.attemptsOf(cb.id), []);
  });

  it('throws on an illegal transition, an unknown callback, and an attempt ended twice', () => {
    const cb = create(store);
    assert.throws(() => store.commit({ callbackId: cb.id, at: T0, from: 'Scheduled', event: 'answer' }), IllegalTransitionError);
    assert.throws(() => store.commit({ callbackId: 'nope', at: T0, from: 'Scheduled' }), NotFoundError);
    const attemptId = randomUUID();
    const start = { id: attemptId, callbackId: cb.id, seq: 1, mode: 'agent-first' as const, startedAt: T0, placeholderRef: null, customerRef: null };
    store.commit({ callbackId: cb.id, at: T0, from: 'Scheduled', event: 'dial', startAttempt: start });
    store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Dialing', event: 'retry', endAttempt: { id: attemptId, outcome: 'busy' }, set: { dueAt: T0 + 60_000 } });
    assert.throws(() => store.commit({ callbackId: cb.id, at: T0 + 2, from: 'Scheduled', endAttempt: { id: attemptId, outcome: 'busy' } }), ConflictError);
    // The same attempt cannot start twice: the second dial of one attempt is refused.
    assert.throws(() => store.commit({ callbackId: cb.id, at: T0 + 3, from: 'Scheduled', event: 'dial', startAttempt: start }), ConflictError);
    assert.strictEqual(store.get(cb.id)?.status, 'Scheduled');
  });

  it('sets only the fields a change may set', () => {
    const cb = create(store);
    const set = { note: 'call after 5pm', status: 'Completed', id: 'other', version: 99 } as unknown as { note: string };
    const saved = store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Scheduled', set });
    assert.deepStrictEqual([saved.note, saved.status, saved.id, saved.version], ['call after 5pm', 'Scheduled', cb.id, 2]);
    assert.deepStrictEqual(store.eventsOf(cb.id).map((e) => e.type), ['Created']);
  });

  it('clears due time and claim when a callback ends', () => {
    const cb = create(store);
    store.claimNextDue('me', T0, 30_000);
    const cancelled = store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Scheduled', event: 'cancel' });
    assert.deepStrictEqual([cancelled.dueAt, cancelled.claimOwner, cancelled.claimUntil], [null, null, null]);
  });

  it('finds pending and shifted callbacks by number', () => {
    const shifted = create(store, { number: '+33155500010', shifted: true });
    create(store, { number: '+33155500010', queue: 'sales', shifted: false });
    assert.strictEqual(store.pendingFor('+33155500010', 'support')?.id, shifted.id);
    assert.strictEqual(store.pendingFor('+33155500010', 'other'), null);
    assert.deepStrictEqual(store.scheduledShiftedFor('+33155500010').map((c) => c.id), [shifted.id]);
  });

  it('pages the list newest first with a stable cursor and filters', () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(create(store, { createdAt: T0 + Math.floor(i / 2), queue: i % 2 ? 'sales' : 'support' }).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = store.list({ limit: 3, cursor });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const expected = [...ids].map((id) => store.get(id)!).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    assert.deepStrictEqual(seen, expected.map((c) => c.id));
    assert.deepStrictEqual(store.list({ limit: 10, queue: 'sales' }).items.length, 3);
    assert.deepStrictEqual(store.list({ limit: 10, status: 'Completed' }), { items: [], nextCursor: null });
    assert.throws(() => store.list({ limit: 3, cursor: 'garbage' }), /invalid cursor/);
  });

  it('keeps calls and relates them to callbacks and events', () => {
    const call = { id: 'call-7', number: '+33155500077', queue: 'support', enteredAt: T0, endedAt: null, result: 'waiting' as const, position: 3, waitSeconds: null, form: { lang: 'fr' }, lostDecision: null };
    store.upsertCall(call);
    assert.deepStrictEqual(store.waitingCalls('support'), [call]);
    store.upsertCall({ ...call, result: 'abandoned', endedAt: T0 + 90_000, waitSeconds: 90 });
    assert.deepStrictEqual(store.waitingCalls(), []);
    assert.strictEqual(store.getCall('call-7')?.result, 'abandoned');
    const caused = create(store, { originCallId: 'call-7' });
    const linked = create(store);
    store.appendEvents(T0 + 5, [{ type: 'LostCall', callId: 'call-7', callbackId: linked.id, data: { shifted: true } }]);
    assert.deepStrictEqual(store.callbacksOfCall('call-7').map((c) => c.id).sort(), [caused.id, linked.id].sort());
    assert.deepStrictEqual(store.eventsOfCall('call-7').map((e) => e.type), ['LostCall']);
    const all = store.eventsAfter(0, 100);
    assert.deepStrictEqual(store.eventsAfter(all[0].id, 100), all.slice(1));
  });

  it('keeps the pending count right through every kind of change', () => {
    const a = create(store);
    const b = create(store);
    create(store, { queue: 'sales' });
    store.commit({ callbackId: a.id, at: T0, from: 'Scheduled', event: 'dial' });
    store.commit({ callbackId: a.id, at: T0, from: 'Dialing', event: 'retry' });
    store.commit({ callbackId: b.id, at: T0, from: 'Scheduled', event: 'expire' });
    const actual = count(store, "SELECT count(*) AS n FROM callbacks WHERE queue = 'support' AND status IN ('Scheduled','Dialing')");
    assert.strictEqual(store.countPending('support'), actual);
    assert.strictEqual(actual, 1);
    assert.strictEqual(store.countPending('sales'), 1);
    assert.strictEqual(store.countPending('nobody'), 0);
  });

  it('runs many writes in one outer transaction, all or nothing', () => {
    assert.throws(() =>
      store.transaction(() => {
        create(store);
        create(store);
        throw new Error('stop');
      }),
    );
    assert.strictEqual(count(store, 'SELECT count(*) AS n FROM callbacks'), 0);
    const made = store.transaction(() => [create(store), create(store)]);
    assert.strictEqual(made.length, 2);
    assert.strictEqual(count(store, 'SELECT count(*) AS n FROM callbacks'), 2);
  });
});
