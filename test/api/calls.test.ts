import assert from 'node:assert/strict';
import { attempt, openApiRig, queueCall, storeState, type ApiRig } from './rig';

describe('api: /api/v1/calls', () => {
  let rig: ApiRig;
  beforeEach(async () => {
    rig = await openApiRig();
  });
  afterEach(() => rig.close());

  it('GET /api/v1/calls: the grid of lost calls, with how long each waited and why it did not become a callback', async () => {
    await queueCall(rig, 'call-short', 'abandoned', { number: '+420601111001', waitSeconds: 4 });
    await queueCall(rig, 'call-long', 'abandoned', { number: '+420601111002', waitSeconds: 40 });
    await queueCall(rig, 'call-served', 'served', { number: '+420601111003' });
    const lost = await rig.get('/api/v1/calls?result=abandoned');
    assert.equal(lost.status, 200, lost.text);
    const rows = lost.body.items.map((r: { call: { id: string; result: string }; waitedSeconds: number; callbacks: unknown[]; whyNot: string | null }) => [r.call.id, r.call.result, r.waitedSeconds, r.callbacks.length, r.whyNot]);
    assert.deepEqual(rows.find((r: unknown[]) => r[0] === 'call-short'), ['call-short', 'abandoned', 4, 0, 'waited 4s, under minWaitSeconds 10']);
    assert.deepEqual(rows.find((r: unknown[]) => r[0] === 'call-long').slice(0, 5), ['call-long', 'abandoned', 40, 1, null]);
    assert.equal(rows.length, 2);
    const page = await rig.get('/api/v1/calls?limit=1&queue=support');
    assert.equal(page.body.items.length, 1);
    assert.ok(page.body.nextCursor);
    const bad = await rig.get('/api/v1/calls?result=lost');
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_request']);
    assert.match(bad.body.error.message, /query\.result must be one of waiting, served, abandoned, callback, left/);
  });

  it('POST /api/v1/calls/{callId}/callbacks (the call bar): a follow-up for the call\'s number, linked, with its form and a note', async () => {
    await queueCall(rig, 'call-1', 'served', { number: '+420601111222', form: { account: '42' } });
    const r = await rig.post('/api/v1/calls/call-1/callbacks', { delayMinutes: 30, note: 'send the offer first', form: { topic: 'offer' } });
    assert.equal(r.status, 201, r.text);
    const { callback } = r.body;
    assert.deepEqual([callback.number, callback.originCallId, callback.shifted, callback.note, callback.form], ['+420601111222', 'call-1', false, 'send the offer first', { account: '42', topic: 'offer' }]);
    const [birth] = await rig.store.eventsOf(callback.id);
    assert.deepEqual([birth.type, birth.data.via], ['Created', 'call-bar']);
  });

  it('the call bar refuses what would be wrong, and stores nothing', async () => {
    await queueCall(rig, 'call-1', 'served', { number: '+420601111222' });
    const before = await storeState(rig);
    for (const [path, body, status, message] of [
      ['/api/v1/calls/unknown-call/callbacks', {}, 404, /call unknown-call not found: give number and queue/],
      ['/api/v1/calls/call-1/callbacks', { number: '+420601111222;evil' }, 422, /is not a phone number/],
      ['/api/v1/calls/call-1/callbacks', { createLostCallEvent: true }, 400, /createLostCallEvent applies to a lost call only/],
      ['/api/v1/calls/call-1/callbacks', { delayMinutes: 1.5 }, 400, /body\.delayMinutes must be integer/],
      ['/api/v1/calls/call-1/callbacks', { queue: 'support', extra: 1 }, 400, /unknown field "extra"/],
    ] as const) {
      const r = await rig.post(path, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.body.error.message, message);
    }
    assert.equal(await storeState(rig), before);
    // A call callbackd never saw: with number and queue given it can still be followed up.
    const direct = await rig.post('/api/v1/calls/direct-7/callbacks', { number: '+420601111333', queue: 'support' });
    assert.equal(direct.status, 201, direct.text);
    assert.equal(direct.body.callback.originCallId, 'direct-7');
  });

  it('fromLostCall (the grid\'s row button): a callback for an abandoned call with the LostCall event, so Neglected applies', async () => {
    await queueCall(rig, 'call-lost', 'abandoned', { number: '+420601111222', waitSeconds: 3, form: { account: '9' } });
    const r = await rig.post('/api/v1/calls/call-lost/callbacks', { fromLostCall: true, delayMinutes: 5, createLostCallEvent: true, note: 'from the grid' });
    assert.equal(r.status, 201, r.text);
    const { callback } = r.body;
    assert.deepEqual([callback.shifted, callback.originCallId, callback.form, callback.queue], [true, 'call-lost', { account: '9' }, 'support']);
    const events = await rig.store.eventsOf(callback.id);
    assert.deepEqual([events[0].type, events[0].data.via, events[0].data.shifted], ['LostCall', 'grid', 'call-lost']);
    // The caller gets through and is served: the callback is no longer needed.
    await queueCall(rig, 'call-again', 'served', { number: '+420601111222' });
    assert.equal((await rig.store.get(callback.id))?.status, 'Neglected');
  });

  it('fromLostCall refuses a call that was not lost, and fields that come from the call itself', async () => {
    await queueCall(rig, 'call-served', 'served', { number: '+420601111222' });
    await queueCall(rig, 'call-lost', 'abandoned', { number: '+420601111333', waitSeconds: 3 });
    const before = await storeState(rig);
    const served = await rig.post('/api/v1/calls/call-served/callbacks', { fromLostCall: true });
    assert.deepEqual([served.status, served.body.error.code], [409, 'conflict']);
    assert.match(served.body.error.message, /was served by an agent/);
    const queue = await rig.post('/api/v1/calls/call-lost/callbacks', { fromLostCall: true, queue: 'sales' });
    assert.equal(queue.status, 400);
    assert.match(queue.body.error.message, /come from the lost call itself/);
    const unknown = await rig.post('/api/v1/calls/nope/callbacks', { fromLostCall: true });
    assert.equal(unknown.status, 404);
    assert.equal(await storeState(rig), before);
  });

  it('GET /api/v1/calls/{callId}/history: the call, its callbacks with attempts and events, both ways', async () => {
    await queueCall(rig, 'call-1', 'abandoned', { number: '+420601111222', waitSeconds: 30, form: { account: '5' } });
    const [callback] = await rig.store.callbacksOfCall('call-1');
    const { attempt: made } = await attempt(rig, callback, 'busy', 'agent-first');
    const inbound = await rig.get('/api/v1/calls/call-1/history');
    assert.equal(inbound.status, 200, inbound.text);
    assert.deepEqual([inbound.body.callId, inbound.body.call.id, inbound.body.call.form, inbound.body.attempt], ['call-1', 'call-1', { account: '5' }, null]);
    assert.deepEqual(inbound.body.callbacks.map((d: { callback: { id: string } }) => d.callback.id), [callback.id]);
    assert.deepEqual(inbound.body.callbacks[0].attempts[0].outboundCallIds, [made.placeholderRef, made.customerRef]);
    const ids = inbound.body.events.map((e: { id: number }) => e.id);
    assert.deepEqual(ids, [...ids].sort((a: number, b: number) => a - b));
    assert.ok(inbound.body.events.some((e: { type: string }) => e.type === 'LostCall'));
    // From the outbound side: the customer's channel leads back to the call.
    const outbound = await rig.get(`/api/v1/calls/${made.customerRef}/history`);
    assert.equal(outbound.status, 200, outbound.text);
    assert.deepEqual([outbound.body.callId, outbound.body.attempt.id], ['call-1', made.id]);
    const none = await rig.get('/api/v1/calls/never-seen/history');
    assert.deepEqual([none.status, none.body.error.code], [404, 'not_found']);
  });
});
