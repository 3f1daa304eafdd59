import { strict as assert } from 'node:assert';
import { forEachBackend } from '../helpers/conformance';
import { LEASE, T0, claim, claimRequest, create, dial, holdPlace, waitingCall } from '../helpers/fixtures';

forEachBackend('claims and due times', (t) => {
  it('claims due Scheduled callbacks earliest first, each once, and nothing not yet due', async () => {
    const late = await create(t.store, { dueAt: T0 + 2000 });
    const early = await create(t.store, { dueAt: T0 + 1000 });
    await create(t.store, { dueAt: T0 + 60_000 });
    await create(t.store, { dueAt: null }); // waiting in a queue, not claimable
    const first = await t.store.claimNextDue(claimRequest('a', T0 + 5000));
    assert.equal(first.callback?.id, early.id);
    assert.deepEqual([first.callback?.claimOwner, first.callback?.claimUntil, first.callback?.version], ['a', T0 + 5000 + LEASE, 2]);
    assert.deepEqual([first.free, first.fullQueues], [1000, []]);
    assert.equal((await claim(t.store, 'b', T0 + 5000))?.id, late.id);
    assert.equal(await claim(t.store, 'b', T0 + 5000), null);
    assert.equal((await t.store.get(early.id))?.updatedAt, T0, 'a claim is not a change of the callback');
  });

  it('does not claim a Dialing or finished callback', async () => {
    const dialing = await create(t.store);
    const cancelled = await create(t.store);
    await t.store.commit({ callbackId: dialing.id, at: T0, from: 'Scheduled', event: 'dial' });
    await t.store.commit({ callbackId: cancelled.id, at: T0, from: 'Scheduled', event: 'cancel' });
    assert.equal(await claim(t.store, 'a', T0 + 1), null);
    assert.equal(await t.store.nextDueAt('default'), null);
  });

  it('leaves out queues at their own limit, and takes the earliest due of the others', async () => {
    const support = await create(t.store, { queue: 'support', dueAt: T0 });
    const sales = await create(t.store, { queue: 'sales', dueAt: T0 + 3 });
    const billing = await create(t.store, { queue: 'billing', dueAt: T0 + 1 });
    await create(t.store, { queue: 'tech', dueAt: T0 + 1000 }); // not due yet
    const closed = { queueLimits: { support: 0 } };
    const first = await t.store.claimNextDue(claimRequest('a', T0 + 10, closed));
    assert.deepEqual([first.callback?.id, first.fullQueues], [billing.id, ['support']]);
    assert.equal((await claim(t.store, 'a', T0 + 10, closed))?.id, sales.id);
    assert.equal(await claim(t.store, 'a', T0 + 10, closed), null);
    assert.equal(await claim(t.store, 'a', T0 + 10, { queueLimits: { support: 0, nowhere: 0 } }), null);
    assert.equal((await claim(t.store, 'a', T0 + 10, { queueLimits: { nowhere: 5 } }))?.id, support.id);
    assert.equal((await claim(t.store, 'a', T0 + 2000, { queueLimits: { nowhere: 5 } }))?.queue, 'tech');
  });

  it('gives an expired lease back, and only an expired one', async () => {
    const cb = await create(t.store);
    await create(t.store, { dueAt: T0 + 10 });
    await claim(t.store, 'crashed', T0);
    await claim(t.store, 'alive', T0 + 20, { leaseMs: LEASE * 10 });
    assert.equal(await t.store.releaseExpiredClaims(T0 + LEASE - 1), 0);
    assert.equal(await t.store.releaseExpiredClaims(T0 + LEASE), 1);
    assert.equal((await t.store.get(cb.id))?.claimOwner, null);
    assert.equal((await claim(t.store, 'next', T0 + LEASE))?.id, cb.id);
  });

  it('a holder whose lease was taken loses its version check', async () => {
    const cb = await create(t.store);
    const held = (await claim(t.store, 'slow', T0))!;
    await t.store.releaseExpiredClaims(T0 + LEASE);
    await claim(t.store, 'fast', T0 + LEASE);
    await assert.rejects(t.store.commit({ callbackId: cb.id, at: T0 + LEASE, from: 'Scheduled', version: held.version, event: 'dial' }), /version/);
  });

  it('drops a claim only for its owner', async () => {
    const mine = await create(t.store);
    await claim(t.store, 'me', T0);
    await t.store.releaseClaim(mine.id, 'someone-else');
    assert.equal((await t.store.get(mine.id))?.claimOwner, 'me');
    await t.store.releaseClaim(mine.id, 'me');
    assert.equal((await t.store.get(mine.id))?.claimOwner, null);
  });

  it('frees, for a daemon starting, the claims of daemons that are gone and its own earlier ones, not those of live ones', async () => {
    const gone = await create(t.store, { dueAt: T0 });
    const live = await create(t.store, { dueAt: T0 + 1 });
    const mine = await create(t.store, { dueAt: T0 + 2 });
    await claim(t.store, 'gone', T0 + 5);
    await claim(t.store, 'live', T0 + 5);
    await claim(t.store, 'me', T0 + 5);
    assert.deepEqual(await t.store.join({ owner: 'live', host: 'box', pid: 10, pbx: 'default' }, T0 + 5, 30_000, () => true), { ok: true });
    // 'me' is the daemon's identity across restarts: what it holds as it starts, nobody is dialling.
    assert.equal(await t.store.releaseOrphanedClaims('me', T0 + 10, 30_000), 2);
    assert.deepEqual(
      await Promise.all([gone, live, mine].map(async (c) => (await t.store.get(c.id))?.claimOwner)),
      [null, 'live', null],
    );
    // Once the live one stops its heartbeat for longer than staleMs, it is gone too.
    assert.equal(await t.store.releaseOrphanedClaims('me', T0 + 5 + 30_000, 30_000), 1);
    assert.equal((await t.store.get(live.id))?.claimOwner, null);
  });

  it('reports the next due time among unclaimed Scheduled callbacks, past skipped queues', async () => {
    assert.equal(await t.store.nextDueAt('default'), null);
    await create(t.store, { dueAt: T0 + 500 });
    await create(t.store, { dueAt: T0 + 100 });
    await create(t.store, { dueAt: T0 + 50, queue: 'sales' });
    assert.equal(await t.store.nextDueAt('default'), T0 + 50);
    assert.equal(await t.store.nextDueAt('default', ['sales']), T0 + 100);
    assert.equal(await t.store.nextDueAt('default', ['sales', 'support']), null);
    await claim(t.store, 'a', T0 + 100, { queueLimits: { sales: 0 } });
    assert.equal(await t.store.nextDueAt('default', ['sales']), T0 + 500);
  });
});

forEachBackend('slots counted in the database', (t) => {
  const dueMany = async (count: number, queue = 'support', pbx = 'default') => {
    for (let i = 0; i < count; i++) await create(t.store, { queue, pbx, dueAt: T0 + i });
  };

  it('never claims past maxConcurrent: outstanding claims and counted attempts both take a slot', async () => {
    await dueMany(5);
    const limits = { maxConcurrent: 2 };
    const first = await t.store.claimNextDue(claimRequest('a', T0 + 10, limits));
    assert.deepEqual([first.callback !== null, first.free], [true, 2]);
    const second = await t.store.claimNextDue(claimRequest('b', T0 + 10, limits));
    assert.deepEqual([second.callback !== null, second.free], [true, 1]);
    const third = await t.store.claimNextDue(claimRequest('a', T0 + 10, limits));
    assert.deepEqual([third.callback, third.free], [null, 0]);
    // The claim becomes an attempt: still one slot.
    const attempt = await dial(t.store, first.callback!, { owner: 'a' }, T0 + 11);
    assert.equal((await t.store.claimNextDue(claimRequest('a', T0 + 12, limits))).free, 0);
    await t.store.commit({ callbackId: first.callback!.id, at: T0 + 13, from: 'Dialing', event: 'answer', endAttempt: { id: attempt.id, outcome: 'answered' } });
    const after = await t.store.claimNextDue(claimRequest('a', T0 + 14, limits));
    assert.deepEqual([after.callback !== null, after.free], [true, 1]);
  });

  it('counts a claim whose lease ran out no more', async () => {
    await dueMany(2);
    await claim(t.store, 'crashed', T0 + 10, { maxConcurrent: 1 });
    assert.equal((await t.store.claimNextDue(claimRequest('a', T0 + 10 + LEASE - 1, { maxConcurrent: 1 }))).free, 0);
    const later = await t.store.claimNextDue(claimRequest('a', T0 + 10 + LEASE, { maxConcurrent: 1 }));
    assert.equal(later.free, 1);
    assert.notEqual(later.callback, null);
  });

  it('keeps each queue within its own limit, and names the queues that are full', async () => {
    await dueMany(3, 'support');
    await dueMany(3, 'sales');
    const limits = { queueLimits: { support: 1, sales: 2 } };
    const claimed: string[] = [];
    for (;;) {
      const result = await t.store.claimNextDue(claimRequest('a', T0 + 10, limits));
      if (!result.callback) {
        assert.deepEqual(result.fullQueues, ['sales', 'support']);
        break;
      }
      claimed.push(result.callback.queue);
    }
    assert.deepEqual(claimed.sort(), ['sales', 'sales', 'support']);
    // A dialled attempt of the queue counts against it the same.
    const pending = (await t.store.list({ limit: 10, queue: 'support' })).items.find((c) => c.claimOwner === 'a')!;
    await dial(t.store, pending, { owner: 'a' });
    assert.deepEqual((await t.store.claimNextDue(claimRequest('a', T0 + 10, limits))).fullQueues, ['sales', 'support']);
  });

  it("holds a queue with no limit of its own to the '*' limit", async () => {
    await dueMany(3, 'support');
    await dueMany(3, 'sales');
    await dueMany(3, 'vip');
    const limits = { queueLimits: { '*': 1, vip: 2 } };
    const claimed: string[] = [];
    for (;;) {
      const result = await t.store.claimNextDue(claimRequest('a', T0 + 10, limits));
      if (!result.callback) {
        assert.deepEqual(result.fullQueues, ['sales', 'support', 'vip']);
        break;
      }
      claimed.push(result.callback.queue);
    }
    assert.deepEqual(claimed.sort(), ['sales', 'support', 'vip', 'vip']);
  });

  it('does not count places held for callers (attempts that take no slot), nor ended attempts', async () => {
    await holdPlace(t.store);
    await holdPlace(t.store);
    const ended = await create(t.store, { dueAt: T0 });
    const attempt = await dial(t.store, ended);
    await t.store.commit({ callbackId: ended.id, at: T0 + 1, from: 'Dialing', event: 'retry', set: { dueAt: T0 + 60_000 }, endAttempt: { id: attempt.id, outcome: 'busy' } });
    await dueMany(1);
    const result = await t.store.claimNextDue(claimRequest('a', T0 + 10, { maxConcurrent: 1, queueLimits: { support: 1 } }));
    assert.deepEqual([result.callback !== null, result.free, result.fullQueues], [true, 1, []]);
  });

  it('counts the slots of its own PBX only, and claims only its own callbacks', async () => {
    const other = await create(t.store, { pbx: 'pbx-b', dueAt: T0 });
    await dial(t.store, other, { owner: 'b' });
    await dueMany(2, 'support', 'pbx-b');
    await claim(t.store, 'b', T0 + 10, { pbx: 'pbx-b' });
    const mine = await create(t.store, { pbx: 'pbx-a', dueAt: T0 + 5 });
    const result = await t.store.claimNextDue(claimRequest('a', T0 + 10, { pbx: 'pbx-a', maxConcurrent: 1, queueLimits: { support: 1 } }));
    assert.deepEqual([result.callback?.id, result.free, result.fullQueues], [mine.id, 1, []]);
    assert.equal(await claim(t.store, 'a', T0 + 10, { pbx: 'pbx-a' }), null, "the other PBX's due callbacks are not claimed");
    assert.equal(await claim(t.store, 'x', T0 + 10, { pbx: 'pbx-c' }), null);
  });

  it('several claimers together never exceed the limit', async () => {
    await dueMany(20);
    const stores = [t.store, await t.another(), await t.another()];
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stores[i % 3].claimNextDue(claimRequest(`d${i % 3}`, T0 + 100, { maxConcurrent: 4 }))),
    );
    const claimed = results.filter((r) => r.callback !== null).map((r) => r.callback!.id);
    assert.equal(claimed.length, 4);
    assert.equal(new Set(claimed).size, 4);
  });
});

forEachBackend('two PBXs in one store', (t) => {
  it('never show each other their callbacks, attempts, held places or calls', async () => {
    await create(t.store, { pbx: 'pbx-a', dueAt: T0 + 7 });
    await create(t.store, { pbx: 'pbx-b', dueAt: T0 + 3 });
    assert.equal(await t.store.nextDueAt('pbx-a'), T0 + 7);
    assert.equal(await t.store.nextDueAt('pbx-b'), T0 + 3);
    assert.equal(await t.store.nextDueAt('pbx-b', ['support']), null);

    const heldA = await holdPlace(t.store, { pbx: 'pbx-a' });
    const missingB = await create(t.store, { pbx: 'pbx-b', dueAt: null, queuePosition: 2 });
    assert.deepEqual((await t.store.heldPlacesWithoutPlaceholder('pbx-a')).map((c) => c.id), []);
    assert.deepEqual((await t.store.heldPlacesWithoutPlaceholder('pbx-b')).map((c) => c.id), [missingB.id]);

    const dialledB = await create(t.store, { pbx: 'pbx-b', dueAt: T0 });
    const attemptB = await dial(t.store, dialledB, { owner: 'b' });
    assert.deepEqual((await t.store.openAttempts({ pbx: 'pbx-a' })).map((a) => a.id), [heldA.attempt.id]);
    assert.deepEqual((await t.store.openAttempts({ pbx: 'pbx-b' })).map((a) => a.id), [attemptB.id]);
    assert.equal((await t.store.openAttempts()).length, 2);
    assert.deepEqual((await t.store.adoptAttempts('a2', 'pbx-a', T0 + LEASE, LEASE)).map((a) => a.id), [heldA.attempt.id]);

    const callA = waitingCall({ pbx: 'pbx-a' });
    const callB = waitingCall({ pbx: 'pbx-b' });
    await t.store.upsertCall(callA);
    await t.store.upsertCall(callB);
    assert.deepEqual((await t.store.waitingCalls('pbx-a')).map((c) => c.id), [callA.id]);
    assert.deepEqual((await t.store.waitingCalls('pbx-b', 'support')).map((c) => c.id), [callB.id]);
    assert.deepEqual(await t.store.waitingCalls('pbx-b', 'sales'), []);
    await t.store.upsertCall({ ...callB, result: 'abandoned', endedAt: T0 + 1 });
    assert.deepEqual(await t.store.undecidedLostCalls('pbx-a', 10), []);
    assert.deepEqual((await t.store.undecidedLostCalls('pbx-b', 10)).map((c) => c.id), [callB.id]);
    assert.equal((await t.store.getCall(callB.id))?.pbx, 'pbx-b');
  });
});
