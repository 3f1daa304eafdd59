import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { CallbackStore, DeliveryPolicy, NewDelivery } from '../../../src/domain/store';
import { forEachBackend } from '../helpers/conformance';
import { LEASE, T0 } from '../helpers/fixtures';

const POLICY: DeliveryPolicy = { timeoutMs: 5000, maxAttempts: 3, firstDelaySeconds: 10, factor: 3, maxDelaySeconds: 3600 };

function delivery(fields: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id: randomUUID(),
    webhook: 'crm',
    url: 'https://crm.example.com/hook',
    secret: 's3cret',
    event: 'callback.answered',
    body: JSON.stringify({ callbackId: 'cb-1', n: 1 }),
    policy: POLICY,
    createdAt: T0,
    dueAt: T0,
    ...fields,
  };
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

/** Claim one delivery for `owner` and record an attempt with `next`. */
async function attemptOnce(store: CallbackStore, id: string, at: number, next: Parameters<CallbackStore['recordDeliveryAttempt']>[2], statusCode: number | null = 500) {
  await store.claimDueDeliveries({ owner: 'me', now: at, leaseMs: LEASE, limit: 10 });
  assert.equal((await store.getDelivery(id))?.claimOwner, 'me', `delivery ${id} is claimed at ${at}`);
  return store.recordDeliveryAttempt('me', { deliveryId: id, at, durationMs: 12.4, statusCode, error: statusCode === 200 ? null : `HTTP ${statusCode}` }, next);
}

forEachBackend('webhook deliveries', (t) => {
  it('keeps a delivery as given, pending from its due time', async () => {
    const given = delivery();
    const added = await t.store.addDelivery(given);
    const found = await t.store.getDelivery(given.id);
    assert.deepEqual(found, added);
    assert.deepEqual(
      found && [found.webhook, found.url, found.secret, found.event, found.body, found.policy, found.status, found.dueAt, found.attempts, found.round, found.createdAt, found.updatedAt, found.claimOwner],
      ['crm', given.url, 's3cret', given.event, given.body, POLICY, 'pending', T0, 0, 0, T0, T0, null],
    );
    assert.equal(await t.store.getDelivery('none'), null);
    assert.equal((await t.store.addDelivery(delivery({ secret: null }))).secret, null);
  });

  it('keeps the first delivery under an id: the same id again writes nothing and returns it', async () => {
    const first = await t.store.addDelivery(delivery({ id: 'trigger-a:41' }));
    const again = await (await t.another()).addDelivery(delivery({ id: 'trigger-a:41', event: 'other.event', createdAt: T0 + 5 }));
    assert.deepEqual(again, first);
    assert.equal((await t.store.listDeliveries({ limit: 10 })).items.length, 1);
  });

  it('claims due deliveries earliest first, up to the limit, and not one already claimed until its lease runs out', async () => {
    const late = await t.store.addDelivery(delivery({ dueAt: T0 + 2 }));
    const early = await t.store.addDelivery(delivery({ dueAt: T0 + 1 }));
    const future = await t.store.addDelivery(delivery({ dueAt: T0 + 60_000 }));
    assert.equal(await t.store.nextDeliveryAt(), T0 + 1);
    const first = await t.store.claimDueDeliveries({ owner: 'a', now: T0 + 10, leaseMs: LEASE, limit: 1 });
    assert.deepEqual(first.map((d) => [d.id, d.claimOwner, d.claimUntil]), [[early.id, 'a', T0 + 10 + LEASE]]);
    const rest = await t.store.claimDueDeliveries({ owner: 'b', now: T0 + 10, leaseMs: LEASE, limit: 10 });
    assert.deepEqual(ids(rest), [late.id]);
    assert.deepEqual(await t.store.claimDueDeliveries({ owner: 'c', now: T0 + 20, leaseMs: LEASE, limit: 10 }), []);
    // Claimed ones wait for their lease; the future one for its due time.
    assert.equal(await t.store.nextDeliveryAt(), T0 + 10 + LEASE);
    const lapsed = await t.store.claimDueDeliveries({ owner: 'c', now: T0 + 10 + LEASE, leaseMs: LEASE, limit: 10 });
    assert.deepEqual(ids(lapsed), ids([early, late]));
    assert.ok(lapsed.every((d) => d.claimOwner === 'c'));
    assert.equal((await t.store.getDelivery(future.id))?.claimOwner, null);
  });

  it('two claimers at once never get the same delivery', async () => {
    const all = [];
    for (let i = 0; i < 12; i++) all.push(await t.store.addDelivery(delivery({ dueAt: T0 + i })));
    const other = await t.another();
    const [a, b] = await Promise.all([
      t.store.claimDueDeliveries({ owner: 'a', now: T0 + 100, leaseMs: LEASE, limit: 8 }),
      other.claimDueDeliveries({ owner: 'b', now: T0 + 100, leaseMs: LEASE, limit: 8 }),
    ]);
    assert.equal(a.length + b.length, 12);
    assert.deepEqual([...ids(a), ...ids(b)].sort(), ids(all));
  });

  it('records attempts with what follows: pending again, then dead; every attempt kept in order', async () => {
    const d = await t.store.addDelivery(delivery());
    assert.equal(await attemptOnce(t.store, d.id, T0, { status: 'pending', dueAt: T0 + 10_000 }), true);
    let found = await t.store.getDelivery(d.id);
    assert.deepEqual(found && [found.status, found.attempts, found.dueAt, found.lastStatusCode, found.lastError, found.claimOwner, found.claimUntil, found.updatedAt], ['pending', 1, T0 + 10_000, 500, 'HTTP 500', null, null, T0]);
    assert.deepEqual(await t.store.claimDueDeliveries({ owner: 'me', now: T0 + 9_999, leaseMs: LEASE, limit: 10 }), []);
    assert.equal(await attemptOnce(t.store, d.id, T0 + 10_000, { status: 'dead' }, null), true);
    found = await t.store.getDelivery(d.id);
    assert.deepEqual(found && [found.status, found.attempts, found.dueAt, found.lastStatusCode, found.lastError], ['dead', 2, null, null, 'HTTP null']);
    assert.equal(await t.store.nextDeliveryAt(), null);
    assert.deepEqual(await t.store.deliveryAttempts(d.id), [
      { deliveryId: d.id, round: 0, seq: 1, at: T0, durationMs: 12, statusCode: 500, error: 'HTTP 500' },
      { deliveryId: d.id, round: 0, seq: 2, at: T0 + 10_000, durationMs: 12, statusCode: null, error: 'HTTP null' },
    ]);
  });

  it('records nothing for an owner that no longer holds the delivery', async () => {
    const d = await t.store.addDelivery(delivery());
    await t.store.claimDueDeliveries({ owner: 'slow', now: T0, leaseMs: LEASE, limit: 1 });
    await t.store.claimDueDeliveries({ owner: 'other', now: T0 + LEASE, leaseMs: LEASE, limit: 1 });
    const kept = await t.store.recordDeliveryAttempt('slow', { deliveryId: d.id, at: T0 + LEASE + 1, durationMs: 5, statusCode: 200, error: null }, { status: 'delivered' });
    assert.equal(kept, false);
    assert.deepEqual([(await t.store.getDelivery(d.id))?.status, (await t.store.getDelivery(d.id))?.claimOwner], ['pending', 'other']);
    assert.deepEqual(await t.store.deliveryAttempts(d.id), []);
  });

  it('replays a dead or delivered delivery in a new round, keeping the earlier attempts; refuses a pending one', async () => {
    const d = await t.store.addDelivery(delivery());
    assert.equal(await t.store.replayDelivery(d.id, T0), null);
    await attemptOnce(t.store, d.id, T0, { status: 'dead' });
    const replayed = await t.store.replayDelivery(d.id, T0 + 5000);
    assert.deepEqual(replayed && [replayed.status, replayed.attempts, replayed.round, replayed.dueAt, replayed.lastStatusCode, replayed.lastError, replayed.updatedAt], ['pending', 0, 1, T0 + 5000, null, null, T0 + 5000]);
    assert.equal(await t.store.replayDelivery(d.id, T0 + 5000), null);
    await attemptOnce(t.store, d.id, T0 + 5000, { status: 'delivered' }, 200);
    assert.deepEqual((await t.store.deliveryAttempts(d.id)).map((a) => [a.round, a.seq, a.statusCode]), [[0, 1, 500], [1, 1, 200]]);
    const again = await t.store.replayDelivery(d.id, T0 + 9000);
    assert.deepEqual(again && [again.status, again.round], ['pending', 2]);
    assert.equal(await t.store.replayDelivery('none', T0), null);
  });

  it('lists newest first, by status and by webhook, a page at a time', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await t.store.addDelivery(delivery({ createdAt: T0 + i, webhook: i % 2 === 0 ? 'crm' : 'bi' })));
    await attemptOnce(t.store, made[0].id, T0 + 10, { status: 'dead' });
    const first = await t.store.listDeliveries({ limit: 2 });
    assert.deepEqual(first.items.map((d) => d.id), [made[4].id, made[3].id]);
    assert.ok(first.nextCursor);
    const second = await t.store.listDeliveries({ limit: 2, cursor: first.nextCursor ?? undefined });
    assert.deepEqual(second.items.map((d) => d.id), [made[2].id, made[1].id]);
    const last = await t.store.listDeliveries({ limit: 2, cursor: second.nextCursor ?? undefined });
    assert.deepEqual([last.items.map((d) => d.id), last.nextCursor], [[made[0].id], null]);
    assert.deepEqual((await t.store.listDeliveries({ limit: 10, status: 'dead' })).items.map((d) => d.id), [made[0].id]);
    assert.deepEqual((await t.store.listDeliveries({ limit: 10, webhook: 'bi' })).items.map((d) => d.id), [made[3].id, made[1].id]);
    assert.deepEqual((await t.store.listDeliveries({ limit: 10, webhook: 'crm', status: 'pending' })).items.map((d) => d.id), [made[4].id, made[2].id]);
  });

  it('gives back the claims of one owner (a restart), and forgets old delivered deliveries only', async () => {
    const mine = await t.store.addDelivery(delivery());
    const theirs = await t.store.addDelivery(delivery({ dueAt: T0 + 1 }));
    await t.store.claimDueDeliveries({ owner: 'me', now: T0, leaseMs: LEASE, limit: 1 });
    await t.store.claimDueDeliveries({ owner: 'them', now: T0 + 1, leaseMs: LEASE, limit: 1 });
    assert.equal(await t.store.releaseDeliveryClaims('me'), 1);
    assert.deepEqual(ids(await t.store.claimDueDeliveries({ owner: 'me', now: T0 + 2, leaseMs: LEASE, limit: 10 })), ids([mine]));
    assert.equal((await t.store.getDelivery(theirs.id))?.claimOwner, 'them');

    const old = await t.store.addDelivery(delivery({ createdAt: T0 - 1000 }));
    const oldDead = await t.store.addDelivery(delivery({ createdAt: T0 - 1000 }));
    await attemptOnce(t.store, old.id, T0, { status: 'delivered' }, 200);
    await attemptOnce(t.store, oldDead.id, T0, { status: 'dead' });
    assert.equal(await t.store.forgetDeliveries(T0), 1);
    assert.equal(await t.store.getDelivery(old.id), null);
    assert.deepEqual(await t.store.deliveryAttempts(old.id), []);
    assert.equal((await t.store.getDelivery(oldDead.id))?.status, 'dead');
  });
});
