import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { ConflictError, IllegalTransitionError, NotFoundError } from '../../../src/domain/errors';
import type { CallRecord } from '../../../src/domain/types';
import { forEachBackend } from '../helpers/conformance';
import { T0, claim, create, dial, mergeKeeping, newAttempt, newCallback, waitingCall } from '../helpers/fixtures';

forEachBackend('callbacks, commits and merges', (t) => {
  it('creates a Scheduled callback with its events, form, PBX and defaults', async () => {
    const input = newCallback({ form: { account: '42', reason: 'billing' }, shifted: true, originCallId: 'call-1', pbx: 'pbx-a' });
    const { callback, merged } = await t.store.createOrMerge(input, [{ type: 'CallBack', callId: 'call-1', data: { shifted: true } }], mergeKeeping(T0));
    assert.equal(merged, false);
    assert.deepEqual(await t.store.get(input.id), callback);
    assert.deepEqual(
      [callback.status, callback.version, callback.attempts, callback.shifted, callback.pbx, callback.claimOwner, callback.updatedAt],
      ['Scheduled', 1, 0, true, 'pbx-a', null, T0],
    );
    assert.deepEqual(callback.form, { account: '42', reason: 'billing' });
    const events = await t.store.eventsOf(input.id);
    assert.deepEqual(
      events.map((e) => [e.type, e.callbackId, e.callId, e.at, e.data]),
      [['CallBack', input.id, 'call-1', T0, { shifted: true }]],
    );
    assert.equal(await t.store.countPending('support'), 1);
  });

  it('merges a second request for the same number and queue into the pending one', async () => {
    const first = await create(t.store, { number: '+33155500001' });
    const second = newCallback({ number: '+33155500001' });
    const result = await t.store.createOrMerge(second, [{ type: 'Created' }], (existing) => ({
      callbackId: existing.id,
      at: T0 + 5,
      from: existing.status,
      event: 'merge',
      set: { note: 'asked twice' },
      events: [{ type: 'Merged', data: { request: second.id } }],
    }));
    assert.equal(result.merged, true);
    assert.equal(result.callback.id, first.id);
    assert.equal(result.callback.note, 'asked twice');
    assert.equal(await t.store.get(second.id), null);
    assert.deepEqual((await t.store.eventsOf(first.id)).map((e) => e.type), ['Created', 'Merged']);
    assert.equal(await t.store.countPending('support'), 1);
    // Another queue is another callback.
    assert.equal((await t.store.createOrMerge(newCallback({ number: '+33155500001', queue: 'sales' }), [], mergeKeeping(T0))).merged, false);
  });

  it('keeps the same number and queue apart on two PBXs: each has its own pending callback', async () => {
    const a = await create(t.store, { number: '+33155500021', pbx: 'pbx-a' });
    const b = await t.store.createOrMerge(newCallback({ number: '+33155500021', pbx: 'pbx-b' }), [], mergeKeeping(T0));
    assert.equal(b.merged, false);
    assert.notEqual(b.callback.id, a.id);
    const again = await t.store.createOrMerge(newCallback({ number: '+33155500021', pbx: 'pbx-b' }), [], mergeKeeping(T0));
    assert.deepEqual([again.merged, again.callback.id], [true, b.callback.id]);
    assert.equal(await t.store.countPending('support'), 2);
    // Each PBX has its own maxPending: counted on one PBX, the other's do not count.
    assert.equal(await t.store.countPending('support', 'pbx-a'), 1);
    assert.equal(await t.store.countPending('support', 'pbx-b'), 1);
    assert.equal(await t.store.countPending('support', 'pbx-c'), 0);
  });

  it('merges into a callback that is already Dialing without touching its status', async () => {
    const dialing = await create(t.store, { number: '+33155500004' });
    await t.store.commit({ callbackId: dialing.id, at: T0, from: 'Scheduled', event: 'dial' });
    const result = await t.store.createOrMerge(newCallback({ number: '+33155500004' }), [], mergeKeeping(T0 + 1));
    assert.deepEqual([result.merged, result.callback.id, result.callback.status], [true, dialing.id, 'Dialing']);
    assert.deepEqual((await t.store.eventsOf(dialing.id)).map((e) => e.type), ['Created', 'StatusChanged', 'Merged']);
  });

  it('rolls the whole merge back when the merge itself fails', async () => {
    const first = await create(t.store, { number: '+33155500002' });
    await assert.rejects(
      t.store.createOrMerge(newCallback({ number: '+33155500002' }), [], (existing) => ({ callbackId: existing.id, at: T0, from: 'Dialing' })),
      ConflictError,
    );
    await assert.rejects(
      t.store.createOrMerge(newCallback({ number: '+33155500002' }), [], () => ({ callbackId: randomUUID(), at: T0, from: 'Scheduled' })),
      /a merge must change the pending callback/,
    );
    assert.equal((await t.store.get(first.id))?.version, 1);
    assert.equal((await t.store.eventsOf(first.id)).length, 1);
  });

  it('commits status, fields, version, attempt and the StatusChanged event together', async () => {
    const cb = await create(t.store);
    const attemptId = randomUUID();
    const dialing = await t.store.commit({
      callbackId: cb.id,
      at: T0 + 1000,
      from: 'Scheduled',
      version: 1,
      event: 'dial',
      to: 'Dialing',
      set: { attempts: 1, dueAt: null },
      startAttempt: newAttempt(cb, { id: attemptId, mode: 'agent-first', startedAt: T0 + 1000, placeholderRef: 'ph-1', owner: 'd1', leaseUntil: T0 + 9000 }),
      events: [{ type: 'AttemptStarted', data: { attemptId } }],
    });
    assert.deepEqual([dialing.status, dialing.version, dialing.updatedAt, dialing.dueAt], ['Dialing', 2, T0 + 1000, null]);
    assert.deepEqual(await t.store.get(cb.id), dialing);
    assert.equal(await t.store.countPending('support'), 1);
    const open = await t.store.openAttempts();
    assert.deepEqual(open.map((a) => [a.id, a.owner, a.leaseUntil, a.counted, a.endedAt]), [[attemptId, 'd1', T0 + 9000, true, null]]);

    await t.store.commit({ callbackId: cb.id, at: T0 + 2000, from: 'Dialing', updateAttempt: { id: attemptId, customerRef: 'ch-9' } });
    const refs = await t.store.getAttempt(attemptId);
    assert.deepEqual([refs?.placeholderRef, refs?.customerRef], ['ph-1', 'ch-9']);

    const done = await t.store.commit({
      callbackId: cb.id,
      at: T0 + 3000,
      from: 'Dialing',
      event: 'answer',
      endAttempt: { id: attemptId, outcome: 'answered', detail: 'talked' },
      events: [{ type: 'AttemptEnded', data: { attemptId, outcome: 'answered' } }],
    });
    assert.equal(done.status, 'Completed');
    assert.equal(await t.store.countPending('support'), 0);
    assert.deepEqual(await t.store.openAttempts(), []);
    const attempt = await t.store.getAttempt(attemptId);
    assert.deepEqual([attempt?.endedAt, attempt?.outcome, attempt?.detail], [T0 + 3000, 'answered', 'talked']);
    assert.deepEqual((await t.store.attemptsOf(cb.id)).map((a) => a.id), [attemptId]);
    const history = (await t.store.eventsOf(cb.id)).map((e) => (e.type === 'StatusChanged' ? `${e.data.from}-[${e.data.event}]->${e.data.to}` : e.type));
    assert.deepEqual(history, ['Created', 'AttemptStarted', 'Scheduled-[dial]->Dialing', 'AttemptEnded', 'Dialing-[answer]->Completed']);
  });

  it('withdraws an attempt the PBX never received, as if never started', async () => {
    const cb = await create(t.store);
    const attempt = await dial(t.store, cb);
    await t.store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Dialing', event: 'retry', set: { attempts: 0, dueAt: T0 + 10 }, withdrawAttempt: attempt.id });
    assert.deepEqual(await t.store.attemptsOf(cb.id), []);
    assert.equal(await t.store.getAttempt(attempt.id), null);
    await assert.rejects(t.store.commit({ callbackId: cb.id, at: T0 + 2, from: 'Scheduled', withdrawAttempt: attempt.id }), ConflictError);
  });

  it('rejects a stale from or version with ConflictError and writes nothing', async () => {
    const cb = await create(t.store);
    const before = (await t.store.eventsAfter(0, 100)).length;
    await assert.rejects(t.store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Dialing', event: 'answer' }), ConflictError);
    await assert.rejects(
      t.store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Scheduled', version: 7, event: 'cancel', startAttempt: newAttempt(cb), events: [{ type: 'Note' }] }),
      ConflictError,
    );
    assert.deepEqual(await t.store.get(cb.id), cb);
    assert.equal((await t.store.eventsAfter(0, 100)).length, before);
    assert.deepEqual(await t.store.attemptsOf(cb.id), []);
  });

  it('rolls a change back whole when its attempt part fails', async () => {
    const cb = await create(t.store);
    await assert.rejects(
      t.store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Scheduled', event: 'dial', endAttempt: { id: 'never-started', outcome: 'busy' }, events: [{ type: 'Note' }] }),
      ConflictError,
    );
    assert.deepEqual(await t.store.get(cb.id), cb);
    assert.deepEqual((await t.store.eventsOf(cb.id)).map((e) => e.type), ['Created']);
  });

  it('throws on an illegal transition, an unknown callback, and an attempt ended or started twice', async () => {
    const cb = await create(t.store);
    await assert.rejects(t.store.commit({ callbackId: cb.id, at: T0, from: 'Scheduled', event: 'answer' }), IllegalTransitionError);
    await assert.rejects(t.store.commit({ callbackId: 'nope', at: T0, from: 'Scheduled' }), NotFoundError);
    const start = newAttempt(cb);
    await t.store.commit({ callbackId: cb.id, at: T0, from: 'Scheduled', event: 'dial', startAttempt: start });
    await t.store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Dialing', event: 'retry', endAttempt: { id: start.id, outcome: 'busy' }, set: { dueAt: T0 + 60_000 } });
    await assert.rejects(t.store.commit({ callbackId: cb.id, at: T0 + 2, from: 'Scheduled', endAttempt: { id: start.id, outcome: 'busy' } }), ConflictError);
    // The same attempt cannot start twice: the second dial of one attempt is refused.
    await assert.rejects(t.store.commit({ callbackId: cb.id, at: T0 + 3, from: 'Scheduled', event: 'dial', startAttempt: start }), ConflictError);
    assert.equal((await t.store.get(cb.id))?.status, 'Scheduled');
  });

  it('sets only the fields a change may set', async () => {
    const cb = await create(t.store);
    const set = { note: 'call after 5pm', status: 'Completed', id: 'other', version: 99, pbx: 'elsewhere' } as unknown as { note: string };
    const saved = await t.store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Scheduled', set });
    assert.deepEqual([saved.note, saved.status, saved.id, saved.version, saved.pbx], ['call after 5pm', 'Scheduled', cb.id, 2, 'default']);
    assert.deepEqual((await t.store.eventsOf(cb.id)).map((e) => e.type), ['Created']);
  });

  it('clears due time and claim when a callback ends', async () => {
    const cb = await create(t.store);
    await claim(t.store, 'me', T0);
    const cancelled = await t.store.commit({ callbackId: cb.id, at: T0 + 1, from: 'Scheduled', event: 'cancel' });
    assert.deepEqual([cancelled.dueAt, cancelled.claimOwner, cancelled.claimUntil], [null, null, null]);
  });

  it('finds pending and shifted callbacks by number', async () => {
    const shifted = await create(t.store, { number: '+33155500010', shifted: true });
    await create(t.store, { number: '+33155500010', queue: 'sales', shifted: false });
    assert.equal((await t.store.pendingFor('+33155500010', 'support'))?.id, shifted.id);
    assert.equal(await t.store.pendingFor('+33155500010', 'other'), null);
    assert.deepEqual((await t.store.scheduledShiftedFor('+33155500010')).map((c) => c.id), [shifted.id]);
  });

  it('pages the list newest first with a stable cursor and filters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await create(t.store, { createdAt: T0 + Math.floor(i / 2), queue: i % 2 ? 'sales' : 'support' })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.store.list({ limit: 3, cursor });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = await Promise.all(ids.map(async (id) => (await t.store.get(id))!));
    const expected = all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    assert.deepEqual(seen, expected.map((c) => c.id));
    assert.equal((await t.store.list({ limit: 10, queue: 'sales' })).items.length, 3);
    assert.equal((await t.store.list({ limit: 10, number: all[0].number })).items.length, 1);
    assert.deepEqual(await t.store.list({ limit: 10, status: 'Completed' }), { items: [], nextCursor: null });
    await assert.rejects(t.store.list({ limit: 3, cursor: 'garbage' }), /invalid cursor/);
  });

  it('keeps calls and relates them to callbacks and events', async () => {
    const call = waitingCall({ id: 'call-7', position: 3, form: { lang: 'fr' } });
    await t.store.upsertCall(call);
    assert.deepEqual(await t.store.waitingCalls('default', 'support'), [call]);
    await t.store.upsertCall({ ...call, result: 'abandoned', endedAt: T0 + 90_000, waitSeconds: 90 });
    assert.deepEqual(await t.store.waitingCalls('default'), []);
    assert.equal((await t.store.getCall('call-7'))?.result, 'abandoned');
    assert.deepEqual((await t.store.undecidedLostCalls('default', 10)).map((c) => c.id), ['call-7']);
    const decision = { text: 'waited 3s, under minWaitSeconds 10', reason: 'too_short' as const, event: { type: 'LostCallDecided' as const, callId: 'call-7', data: { reason: 'too_short' } } };
    assert.equal(await t.store.decideLostCall('call-7', decision, T0 + 91_000), true);
    assert.deepEqual(await t.store.undecidedLostCalls('default', 10), []);
    // The first decision stands: a second one (a restarted daemon judging again) writes nothing, not even its event.
    assert.equal(await t.store.decideLostCall('call-7', { ...decision, text: 'shifted', reason: 'shifted' }, T0 + 92_000), false);
    assert.equal(await t.store.decideLostCall('no-such-call', decision, T0 + 92_000), false);
    assert.deepEqual(
      (await t.store.eventsOfCall('call-7')).map((e) => [e.type, e.at, e.data.reason]),
      [['LostCallDecided', T0 + 91_000, 'too_short']],
    );
    // A later report without a decision keeps the decision taken.
    await t.store.upsertCall({ ...call, result: 'abandoned', endedAt: T0 + 90_000, waitSeconds: 90, lostDecision: null });
    assert.equal((await t.store.getCall('call-7'))?.lostDecision, 'waited 3s, under minWaitSeconds 10');
    assert.equal((await t.store.getCall('call-7'))?.lostReason, 'too_short');
    const caused = await create(t.store, { originCallId: 'call-7' });
    const linked = await create(t.store);
    await t.store.appendEvents(T0 + 5, [{ type: 'LostCall', callId: 'call-7', callbackId: linked.id, data: { shifted: true } }]);
    assert.deepEqual((await t.store.callbacksOfCall('call-7')).map((c) => c.id).sort(), [caused.id, linked.id].sort());
    assert.deepEqual((await t.store.eventsOfCall('call-7')).map((e) => e.type), ['LostCallDecided', 'LostCall']);
    const all = await t.store.eventsAfter(0, 100);
    assert.deepEqual(await t.store.eventsAfter(all[0].id, 100), all.slice(1));
    assert.deepEqual(await t.store.eventsAfter(0, 2), all.slice(0, 2));
  });

  it('counts the callbacks created since an instant, for one number or one queue, on its PBX only', async () => {
    await create(t.store, { number: '+420601111222', createdAt: T0 - 1 });
    await create(t.store, { number: '+420601111222', createdAt: T0, queue: 'sales' });
    await create(t.store, { number: '+420601111222', createdAt: T0 + 10, queue: 'billing' });
    await create(t.store, { number: '+420602222333', createdAt: T0 + 20, queue: 'sales' });
    await create(t.store, { number: '+420601111222', createdAt: T0 + 30, queue: 'other-pbx', pbx: 'pbx-b' });
    assert.equal(await t.store.countCreatedSince({ number: '+420601111222' }, 'default', T0), 2);
    assert.equal(await t.store.countCreatedSince({ number: '+420601111222' }, 'default', T0 - 1), 3);
    assert.equal(await t.store.countCreatedSince({ queue: 'sales' }, 'default', T0), 2);
    assert.equal(await t.store.countCreatedSince({ queue: 'sales' }, 'default', T0 + 11), 1);
    assert.equal(await t.store.countCreatedSince({ number: '+420601111222' }, 'pbx-b', T0), 1);
    assert.equal(await t.store.countCreatedSince({ queue: 'nobody' }, 'default', 0), 0);
  });

  it('finds, for a replay, the lost calls of a period in order and the callbacks that weighed on them', async () => {
    const DAY = 24 * 60 * 60 * 1000;
    const from = T0 + DAY;
    const to = T0 + 2 * DAY;
    const lost = (id: string, endedAt: number, fields: Partial<CallRecord> = {}) => t.store.upsertCall(waitingCall({ id, result: 'abandoned', enteredAt: endedAt - 30_000, endedAt, ...fields }));
    await lost('before', from - 1);
    await lost('b', from + 500);
    await lost('a', from + 500);
    await lost('c', from + 900);
    await lost('other-pbx', from + 600, { pbx: 'pbx-b' });
    await lost('at-end', to);
    await t.store.upsertCall(waitingCall({ id: 'served', result: 'served', enteredAt: from, endedAt: from + 700 }));
    const first = await t.store.lostCallsBetween('default', from, to, null, 2);
    assert.deepEqual(first.map((c) => c.id), ['a', 'b'], 'by end, then id');
    const rest = await t.store.lostCallsBetween('default', from, to, { endedAt: from + 500, id: 'b' }, 2);
    assert.deepEqual(rest.map((c) => c.id), ['c']);

    const old = await create(t.store, { number: '+420601000001', createdAt: T0 - DAY });
    await create(t.store, { number: '+420601000002', createdAt: T0 - DAY });
    await t.store.commit({ callbackId: (await t.store.pendingFor('+420601000002', 'support'))!.id, at: T0, from: 'Scheduled', event: 'cancel' });
    const dayBefore = await create(t.store, { number: '+420601000003', createdAt: from - DAY + 1 });
    await t.store.commit({ callbackId: dayBefore.id, at: from - DAY + 2, from: 'Scheduled', event: 'cancel' });
    const endedInside = await create(t.store, { number: '+420601000004', createdAt: T0 - DAY + 5 });
    await t.store.commit({ callbackId: endedInside.id, at: from + 10, from: 'Scheduled', event: 'cancel' });
    const inside = await create(t.store, { number: '+420601000005', createdAt: from + 100 });
    await create(t.store, { number: '+420601000006', createdAt: to });
    await create(t.store, { number: '+420601000007', createdAt: from + 100, pbx: 'pbx-b' });
    const around = await t.store.callbacksAround('default', from, to);
    assert.deepEqual(
      around.map((c) => c.id),
      [old.id, endedInside.id, dayBefore.id, inside.id],
      'still pending, ended inside the period, made in the day before it, made in it; not one over and done before, not one made after, not another PBX\'s',
    );
  });

  it('keeps the pending count right through every kind of change, and counts by status', async () => {
    const a = await create(t.store);
    const b = await create(t.store);
    await create(t.store, { queue: 'sales' });
    await t.store.commit({ callbackId: a.id, at: T0, from: 'Scheduled', event: 'dial' });
    await t.store.commit({ callbackId: a.id, at: T0, from: 'Dialing', event: 'retry' });
    await t.store.commit({ callbackId: b.id, at: T0, from: 'Scheduled', event: 'expire' });
    assert.equal(await t.store.countPending('support'), 1);
    assert.equal(await t.store.countPending('sales'), 1);
    assert.equal(await t.store.countPending('nobody'), 0);
    assert.deepEqual(await t.store.countByStatus(), { Scheduled: 2, Expired: 1 });
    await create(t.store, { number: '+420601999000', mechanism: 'manual' });
    assert.deepEqual(await t.store.countByStatusAndMechanism(), [
      { status: 'Expired', mechanism: 'LostShift', count: 1 },
      { status: 'Scheduled', mechanism: 'LostShift', count: 2 },
      { status: 'Scheduled', mechanism: 'manual', count: 1 },
    ]);
  });

  it('lists Scheduled callbacks past their deadline, earliest first, claimed or not', async () => {
    const a = await create(t.store, { expiresAt: T0 + 20 });
    const b = await create(t.store, { expiresAt: T0 + 10 });
    await create(t.store, { expiresAt: T0 + 1000 });
    await create(t.store, { expiresAt: null });
    const done = await create(t.store, { expiresAt: T0 });
    await t.store.commit({ callbackId: done.id, at: T0, from: 'Scheduled', event: 'cancel' });
    await claim(t.store, 'a', T0);
    assert.deepEqual((await t.store.dueForExpiry(T0 + 20, 10)).map((c) => c.id), [b.id, a.id]);
    assert.deepEqual((await t.store.dueForExpiry(T0 + 20, 1)).map((c) => c.id), [b.id]);
  });

  it('names where it lives', () => {
    assert.equal(t.store.kind, t.backend.name);
    assert.ok(t.store.location.length > 0);
    const password = t.config.storeUrl ? decodeURIComponent(new URL(t.config.storeUrl).password) : '';
    if (password) assert.ok(!t.store.location.includes(password), `no password in ${t.store.location}`);
  });
});

forEachBackend('many creations at once, and conflicts', (t) => {
  it('creates many in one go, merging repeats, all or nothing', async () => {
    const repeated = newCallback({ number: '+33155500030' });
    const items = [
      { callback: newCallback(), events: [{ type: 'Created' as const }] },
      { callback: repeated, events: [{ type: 'Created' as const }] },
      { callback: newCallback({ number: '+33155500030' }), events: [] },
    ];
    const results = await t.store.createMany(items, mergeKeeping(T0));
    assert.deepEqual(results.map((r) => r.merged), [false, false, true]);
    assert.equal(results[2].callback.id, repeated.id);
    assert.equal((await t.store.list({ limit: 10 })).items.length, 2);
    assert.deepEqual(await t.store.createMany([], mergeKeeping(T0)), []);
  });

  it('writes none of a batch when one item fails', async () => {
    const existing = await create(t.store);
    const batch = [{ callback: newCallback(), events: [] }, { callback: newCallback({ id: existing.id, number: '+33155500031' }), events: [] }];
    await assert.rejects(t.store.createMany(batch, mergeKeeping(T0)), ConflictError);
    assert.deepEqual((await t.store.list({ limit: 10 })).items.map((c) => c.id), [existing.id]);
    const failingMerge = [{ callback: newCallback(), events: [] }, { callback: newCallback({ number: existing.number }), events: [] }];
    await assert.rejects(t.store.createMany(failingMerge, () => { throw new Error('merge refused'); }), /merge refused/);
    assert.equal((await t.store.list({ limit: 10 })).items.length, 1);
  });

  it('refuses a second callback with an id already taken', async () => {
    const first = await create(t.store);
    await assert.rejects(t.store.createOrMerge(newCallback({ id: first.id }), [], mergeKeeping(T0)), ConflictError);
  });

  it('refuses to make a callback pending twice for one number and queue (a change of number onto another)', async () => {
    const one = await create(t.store, { number: '+33155500040' });
    const two = await create(t.store, { number: '+33155500041' });
    await assert.rejects(t.store.commit({ callbackId: two.id, at: T0 + 1, from: 'Scheduled', set: { number: one.number } }), ConflictError);
    assert.equal((await t.store.get(two.id))?.number, '+33155500041');
    // Once the first is finished, the number is free.
    await t.store.commit({ callbackId: one.id, at: T0 + 2, from: 'Scheduled', event: 'cancel' });
    assert.equal((await t.store.commit({ callbackId: two.id, at: T0 + 3, from: 'Scheduled', set: { number: one.number } })).number, one.number);
  });

  it('two writers creating the same number at once leave one pending callback: the other merged or was refused', async () => {
    const other = await t.another();
    const number = '+33155500050';
    const outcomes = await Promise.allSettled(
      [t.store, other, t.store, other].map((store) => store.createOrMerge(newCallback({ number }), [{ type: 'Created' }], mergeKeeping(T0))),
    );
    const created = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.merged);
    assert.equal(created.length, 1, JSON.stringify(outcomes));
    for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof ConflictError, String(o.reason));
    assert.equal(await t.store.countPending('support'), 1);
  });
});
