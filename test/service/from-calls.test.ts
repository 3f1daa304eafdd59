import assert from 'node:assert/strict';
import { ConflictError, InvalidNumberError, InvalidRequestError, NotFoundError } from '../../src/domain/errors';
import { MIN, NOW, openRig, queueCall, type Rig } from './rig';

describe('service: callbacks from calls (the call bar and the grid of lost calls)', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = openRig();
  });
  afterEach(() => rig.close());

  describe('a follow-up from the call bar', () => {
    it('calls the caller back by default, linked to the call, with its form and a note', async () => {
      await queueCall(rig, 'call-1', 'served', { form: { ACCOUNT: '123' } });
      const { callback, call, merged } = await rig.service.followUp({ callId: 'call-1', delayMinutes: 60, note: 'send the offer first', form: { TOPIC: 'offer' }, by: 'agent-7' });
      assert.equal(merged, false);
      assert.equal(call?.id, 'call-1');
      assert.deepEqual(
        [callback.number, callback.queue, callback.originCallId, callback.dueAt, callback.note, callback.shifted],
        ['+420601111222', 'support', 'call-1', NOW + 60 * MIN, 'send the offer first', false],
      );
      assert.deepEqual(callback.form, { ACCOUNT: '123', TOPIC: 'offer' });
      const [birth] = await rig.store.eventsOf(callback.id);
      assert.deepEqual([birth.type, birth.callId, birth.data], ['Created', 'call-1', { mechanism: 'manual', by: 'agent-7', sourceQueue: 'support', via: 'call-bar' }]);
    });

    it('takes another number, checked like any other', async () => {
      await queueCall(rig, 'call-1', 'served');
      const { callback } = await rig.service.followUp({ callId: 'call-1', number: '602 222 333', dueAt: NOW + 30 * MIN, by: 'agent-7' });
      assert.equal(callback.number, '+420602222333');
      await assert.rejects(rig.service.followUp({ callId: 'call-1', number: '+420602222333;PJSIP/9', by: 'agent-7' }), InvalidNumberError);
    });

    it('is not subject to Neglected: the customer calling in again and being served leaves it', async () => {
      await queueCall(rig, 'call-1', 'served');
      const { callback } = await rig.service.followUp({ callId: 'call-1', delayMinutes: 60, by: 'agent-7' });
      await queueCall(rig, 'call-2', 'served');
      assert.equal((await rig.store.get(callback.id))?.status, 'Scheduled');
    });

    it('follows up a call callbackd never saw only when number and queue are given', async () => {
      await assert.rejects(rig.service.followUp({ callId: 'direct-1', by: 'agent-7' }), (err: Error) => err instanceof NotFoundError && /call direct-1 not found: give number and queue/.test(err.message));
      const { callback, call } = await rig.service.followUp({ callId: 'direct-1', number: '+420601111222', queue: 'support', by: 'agent-7' });
      assert.deepEqual([call, callback.originCallId], [null, 'direct-1']);
    });

    it('asks for a number when the caller was anonymous, and refuses a missing call id', async () => {
      await queueCall(rig, 'anon', 'served', { number: null });
      await assert.rejects(rig.service.followUp({ callId: 'anon', by: 'agent-7' }), (err: Error) => err instanceof InvalidNumberError && /anonymous/.test(err.message));
      await assert.rejects(rig.service.followUp({ callId: '', by: 'agent-7' }), InvalidRequestError);
      assert.deepEqual((await rig.store.list({ limit: 10 })).items, []);
    });
  });

  describe('a callback from a row of the grid of lost calls', () => {
    it('calls the abandoned caller back, optionally with the LostCall event so Neglected applies', async () => {
      await queueCall(rig, 'lost-1', 'abandoned', { waitSeconds: 3, form: { ACCOUNT: '9' } });
      // Under minWaitSeconds: no automatic callback; the supervisor makes one.
      assert.equal((await rig.store.getCall('lost-1'))?.lostDecision, 'waited 3s, under minWaitSeconds 10');
      const { callback, call } = await rig.service.callbackForLostCall({ callId: 'lost-1', createLostCallEvent: true, delayMinutes: 10, by: 'supervisor' });
      assert.equal(call?.result, 'abandoned');
      assert.deepEqual([callback.mechanism, callback.shifted, callback.originCallId, callback.dueAt, callback.form], ['manual', true, 'lost-1', NOW + 10 * MIN, { ACCOUNT: '9' }]);
      const [birth] = await rig.store.eventsOf(callback.id);
      assert.deepEqual([birth.type, birth.callId, birth.data.shifted, birth.data.via], ['LostCall', 'lost-1', 'lost-1', 'grid']);
      await queueCall(rig, 'back-again', 'served');
      const neglected = await rig.store.get(callback.id);
      assert.equal(neglected?.status, 'Neglected');
      assert.deepEqual((await rig.store.eventsOf(callback.id)).find((e) => e.type === 'Neglected')?.data, { servedCallId: 'back-again' });
    });

    it('without the LostCall event, the callback is not subject to Neglected', async () => {
      await queueCall(rig, 'lost-1', 'abandoned', { waitSeconds: 3 });
      const { callback } = await rig.service.callbackForLostCall({ callId: 'lost-1', by: 'supervisor' });
      assert.equal(callback.shifted, false);
      assert.deepEqual((await rig.store.eventsOf(callback.id)).map((e) => e.type), ['Created']);
      await queueCall(rig, 'back-again', 'served');
      assert.equal((await rig.store.get(callback.id))?.status, 'Scheduled');
    });

    it('merges into the automatic callback a lost call already became', async () => {
      await queueCall(rig, 'lost-1', 'abandoned', { waitSeconds: 40 });
      const [automatic] = (await rig.store.list({ limit: 10 })).items;
      assert.equal(automatic.mechanism, 'LostShift');
      const { callback, merged } = await rig.service.callbackForLostCall({ callId: 'lost-1', dueAt: NOW + MIN, by: 'supervisor' });
      assert.deepEqual([merged, callback.id, callback.dueAt], [true, automatic.id, NOW + MIN]);
    });

    it('refuses calls that were not lost, unknown calls and anonymous callers without a number', async () => {
      await queueCall(rig, 'served-1', 'served');
      await assert.rejects(rig.service.callbackForLostCall({ callId: 'served-1', by: 'supervisor' }), (err: Error) => err instanceof ConflictError && /was served by an agent/.test(err.message));
      await rig.queueCalls.entered({ callId: 'waiting-1', number: '+420601111333', queue: 'support', at: NOW, form: {} });
      await assert.rejects(rig.service.callbackForLostCall({ callId: 'waiting-1', by: 'supervisor' }), (err: Error) => err instanceof ConflictError && /still waiting/.test(err.message));
      await assert.rejects(rig.service.callbackForLostCall({ callId: 'nope', by: 'supervisor' }), NotFoundError);
      await queueCall(rig, 'anon', 'abandoned', { number: null });
      await assert.rejects(rig.service.callbackForLostCall({ callId: 'anon', by: 'supervisor' }), InvalidNumberError);
      const { callback } = await rig.service.callbackForLostCall({ callId: 'anon', number: '601111444', by: 'supervisor' });
      assert.equal(callback.number, '+420601111444');
    });
  });
});
