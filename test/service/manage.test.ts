import assert from 'node:assert/strict';
import { ConflictError, IllegalTransitionError, InvalidRequestError, NotFoundError } from '../../src/domain/errors';
import type { Callback } from '../../src/domain/types';
import { MIN, NOW, attempt, openRig, type Rig } from './rig';

describe('service: cancel, reschedule and call now', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = openRig();
  });
  afterEach(() => rig.close());

  const make = async (fields: Record<string, unknown> = {}): Promise<Callback> =>
    (await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 30, by: 'api', ...fields })).callback;
  const lastEvent = async (id: string, type: string) => (await rig.store.eventsOf(id)).filter((e) => e.type === type).pop();

  it('cancels with a reason and who asked, recorded as a Note and the transition', async () => {
    const callback = await make();
    const cancelled = await rig.service.cancel({ id: callback.id, reason: 'solved by email', by: 'supervisor' });
    assert.deepEqual([cancelled.status, cancelled.dueAt], ['Cancelled', null]);
    assert.deepEqual((await lastEvent(callback.id, 'Note'))?.data, { cancelledBy: 'supervisor', reason: 'solved by email' });
    assert.deepEqual((await lastEvent(callback.id, 'StatusChanged'))?.data, { from: 'Scheduled', to: 'Cancelled', event: 'cancel' });
    const other = await make({ number: '+420601111333' });
    await rig.service.cancel({ id: other.id, by: 'supervisor' });
    assert.deepEqual((await lastEvent(other.id, 'Note'))?.data, { cancelledBy: 'supervisor', reason: 'cancelled by supervisor' });
  });

  it('refuses to cancel one being dialled, one already settled, and one that does not exist', async () => {
    const { callback: dialling } = await attempt(rig, await make(), null);
    await assert.rejects(rig.service.cancel({ id: dialling.id, by: 'supervisor' }), ConflictError);
    const done = await rig.service.cancel({ id: (await make({ number: '+420601111333' })).id, by: 'supervisor' });
    await assert.rejects(rig.service.cancel({ id: done.id, by: 'supervisor' }), IllegalTransitionError);
    await assert.rejects(rig.service.cancel({ id: 'no-such-id', by: 'supervisor' }), NotFoundError);
  });

  it('reschedules to a time as given, with its reason, and gives a claim back', async () => {
    const callback = await make();
    await rig.store.claimNextDue({ owner: 'dialer', pbx: 'default', now: NOW + 31 * MIN, leaseMs: MIN, maxConcurrent: 10, queueLimits: {} });
    assert.equal((await rig.store.get(callback.id))?.claimOwner, 'dialer');
    const moved = await rig.service.reschedule({ id: callback.id, dueAt: new Date(NOW + 45 * MIN).toISOString(), reason: 'customer asked', by: 'supervisor' });
    assert.deepEqual([moved.status, moved.dueAt, moved.claimOwner, moved.claimUntil], ['Scheduled', NOW + 45 * MIN, null, null]);
    assert.deepEqual((await lastEvent(callback.id, 'Rescheduled'))?.data, { dueAt: NOW + 45 * MIN, by: 'supervisor', reason: 'customer asked' });
  });

  it('reschedules after a delay moved into the calling window, as a new callback would be', async () => {
    await rig.close();
    rig = openRig({ transitions: [{ name: 'support', sourceQueue: 'support', window: { timezone: 'Europe/Prague', hours: { tue: ['14:00-18:00'] } } }] });
    const callback = await make({ delayMinutes: undefined, dueAt: NOW + 10 * MIN });
    const moved = await rig.service.reschedule({ id: callback.id, delayMinutes: 5, by: 'supervisor' });
    assert.equal(moved.dueAt, Date.parse('2026-11-24T13:00:00Z'));
    const now = await rig.service.reschedule({ id: callback.id, dueAt: 'now', by: 'supervisor' });
    assert.equal(now.dueAt, Date.parse('2026-11-24T13:00:00Z'), '"now" is a delay of 0: within the window');
  });

  it('refuses a reschedule without a time, after the deadline, of a held place, or of one being dialled', async () => {
    const callback = await make();
    await assert.rejects(rig.service.reschedule({ id: callback.id, by: 'supervisor' }), (err: Error) => err instanceof InvalidRequestError && /give dueAt/.test(err.message));
    await assert.rejects(rig.service.reschedule({ id: callback.id, dueAt: NOW + 121 * MIN, by: 'supervisor' }), (err: Error) => err instanceof InvalidRequestError && /expires at/.test(err.message));
    const held = await rig.callbacks.request({ number: '+420601111999', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', holdPlace: { position: 2 } });
    await assert.rejects(rig.service.reschedule({ id: held.callback.id, delayMinutes: 1, by: 'supervisor' }), ConflictError);
    const { callback: dialling } = await attempt(rig, await make({ number: '+420601111333' }), null);
    await assert.rejects(rig.service.callNow({ id: dialling.id, by: 'supervisor' }), IllegalTransitionError);
    await assert.rejects(rig.service.reschedule({ id: 'nope', delayMinutes: 1, by: 'supervisor' }), NotFoundError);
    assert.equal((await rig.store.get(callback.id))?.dueAt, NOW + 30 * MIN);
  });

  it('calls now, whatever the calling window says, recorded as a reschedule with callNow', async () => {
    await rig.close();
    rig = openRig({ transitions: [{ name: 'support', sourceQueue: 'support', window: { timezone: 'Europe/Prague', hours: { tue: ['14:00-18:00'] } } }] });
    const callback = await make();
    rig.clock.advance(MIN);
    const now = await rig.service.callNow({ id: callback.id, reason: 'VIP', by: 'supervisor' });
    assert.deepEqual([now.status, now.dueAt], ['Scheduled', NOW + MIN]);
    assert.deepEqual((await lastEvent(callback.id, 'Rescheduled'))?.data, { dueAt: NOW + MIN, by: 'supervisor', reason: 'VIP', callNow: true });
    assert.deepEqual(
      rig.told.filter((e) => e.kind === 'callback.changed').map((e) => e.kind === 'callback.changed' && [e.from, e.event, e.to, e.callback.dueAt]),
      [['Scheduled', 'reschedule', 'Scheduled', NOW + MIN]],
    );
  });
});
