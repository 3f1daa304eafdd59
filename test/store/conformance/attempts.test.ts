import { strict as assert } from 'node:assert';
import type { Attempt } from '../../../src/domain/types';
import { forEachBackend } from '../helpers/conformance';
import { LEASE, T0, create, dial, holdPlace } from '../helpers/fixtures';

const ids = (attempts: Attempt[]) => attempts.map((a) => a.id).sort();

forEachBackend('attempts owned and adopted', (t) => {
  it('stores who answers for an attempt, until when, and whether it takes a slot', async () => {
    const dialled = await dial(t.store, await create(t.store), { owner: 'a', leaseUntil: T0 + 5000 });
    const held = await holdPlace(t.store, {}, 'b');
    const [one, two] = [await t.store.getAttempt(dialled.id), await t.store.getAttempt(held.attempt.id)];
    assert.deepEqual([one?.owner, one?.leaseUntil, one?.counted], ['a', T0 + 5000, true]);
    assert.deepEqual([two?.owner, two?.counted], ['b', false]);
    assert.deepEqual(ids(await t.store.openAttempts({ owner: 'a' })), [dialled.id]);
    assert.deepEqual(ids(await t.store.openAttempts({ owner: 'b', pbx: 'default' })), [held.attempt.id]);
    assert.deepEqual(await t.store.openAttempts({ owner: 'b', pbx: 'other' }), []);
  });

  it('lists the open attempts of settled callbacks only, when asked (their placeholders must go)', async () => {
    const live = await holdPlace(t.store, {}, 'me');
    const settled = await holdPlace(t.store, { number: '+33155500077' }, 'me');
    await t.store.commit({ callbackId: settled.callback.id, at: T0 + 1, from: 'Scheduled', event: 'cancel' });
    assert.deepEqual(ids(await t.store.openAttempts({ owner: 'me', settled: true })), [settled.attempt.id]);
    assert.deepEqual(ids(await t.store.openAttempts({ owner: 'me' })), [live.attempt.id, settled.attempt.id].sort());
  });

  it('adopts its own attempts, owner-less ones and lapsed leases, never a live lease of another', async () => {
    const own = await dial(t.store, await create(t.store), { owner: 'me', leaseUntil: T0 + 10 });
    const ownerless = await dial(t.store, await create(t.store), { owner: null, leaseUntil: null });
    const lapsed = await dial(t.store, await create(t.store), { owner: 'dead', leaseUntil: T0 + 100 });
    const live = await dial(t.store, await create(t.store), { owner: 'alive', leaseUntil: T0 + 100_000 });
    const ended = await create(t.store);
    const endedAttempt = await dial(t.store, ended, { owner: null, leaseUntil: null });
    await t.store.commit({ callbackId: ended.id, at: T0 + 1, from: 'Dialing', event: 'answer', endAttempt: { id: endedAttempt.id, outcome: 'answered' } });

    const adopted = await t.store.adoptAttempts('me', 'default', T0 + 100, LEASE);
    assert.deepEqual(ids(adopted), [own.id, ownerless.id, lapsed.id].sort());
    for (const attempt of adopted) assert.deepEqual([attempt.owner, attempt.leaseUntil], ['me', T0 + 100 + LEASE]);
    const stillLive = await t.store.getAttempt(live.id);
    assert.deepEqual([stillLive?.owner, stillLive?.leaseUntil], ['alive', T0 + 100_000]);
    assert.deepEqual(ids(await t.store.openAttempts({ owner: 'me' })), ids(adopted));
    // Another PBX's daemon takes nothing of this one's.
    assert.deepEqual(await t.store.adoptAttempts('elsewhere', 'pbx-b', T0 + 1_000_000, LEASE), []);
  });

  it('two daemons adopting at once never both get the same attempt', async () => {
    const attempts = [];
    for (let i = 0; i < 10; i++) attempts.push(await dial(t.store, await create(t.store), { owner: null, leaseUntil: null }));
    const other = await t.another();
    const [a, b] = await Promise.all([t.store.adoptAttempts('a', 'default', T0, LEASE), other.adoptAttempts('b', 'default', T0, LEASE)]);
    assert.equal(a.length + b.length, 10);
    assert.deepEqual([...ids(a), ...ids(b)].sort(), attempts.map((x) => x.id).sort());
    const owners = new Map((await t.store.openAttempts()).map((x) => [x.id, x.owner]));
    for (const x of a) assert.equal(owners.get(x.id), 'a');
    for (const x of b) assert.equal(owners.get(x.id), 'b');
  });

  it('renews the leases of the open attempts an owner holds, and only those', async () => {
    const mine = await dial(t.store, await create(t.store), { owner: 'me', leaseUntil: T0 + 10 });
    const theirs = await dial(t.store, await create(t.store), { owner: 'them', leaseUntil: T0 + 10 });
    const endedCb = await create(t.store);
    const ended = await dial(t.store, endedCb, { owner: 'me', leaseUntil: T0 + 10 });
    await t.store.commit({ callbackId: endedCb.id, at: T0 + 1, from: 'Dialing', event: 'answer', endAttempt: { id: ended.id, outcome: 'answered' } });
    assert.equal(await t.store.renewAttemptLeases('me', T0 + 50_000), 1);
    assert.equal((await t.store.getAttempt(mine.id))?.leaseUntil, T0 + 50_000);
    assert.equal((await t.store.getAttempt(theirs.id))?.leaseUntil, T0 + 10);
    assert.equal((await t.store.getAttempt(ended.id))?.leaseUntil, T0 + 10);
    // A renewed lease is live: another daemon does not take it.
    assert.deepEqual(await t.store.adoptAttempts('them', 'default', T0 + 20_000, LEASE).then(ids), [theirs.id]);
    assert.equal(await t.store.renewAttemptLeases('nobody', T0 + 60_000), 0);
  });

  it('finds held places whose placeholder is missing (no open attempt)', async () => {
    const held = await holdPlace(t.store);
    const bare = await create(t.store, { dueAt: null, queuePosition: 1 });
    await create(t.store, { dueAt: T0 });
    assert.deepEqual((await t.store.heldPlacesWithoutPlaceholder('default')).map((c) => c.id), [bare.id]);
    await t.store.commit({ callbackId: held.callback.id, at: T0 + 1, from: 'Scheduled', event: 'retry', set: { dueAt: null }, endAttempt: { id: held.attempt.id, outcome: 'agent_unanswered' } });
    assert.deepEqual((await t.store.heldPlacesWithoutPlaceholder('default')).map((c) => c.id).sort(), [held.callback.id, bare.id].sort());
  });
});
