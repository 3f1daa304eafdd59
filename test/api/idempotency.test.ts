import assert from 'node:assert/strict';
import { MIN, openApiRig, queueCall, storeState, type ApiRig } from './rig';

const BODY = { number: '+420601111222', queue: 'support', delayMinutes: 20, note: 'once' };

describe('api: Idempotency-Key on the POSTs that create', () => {
  let rig: ApiRig;
  beforeEach(async () => {
    rig = await openApiRig();
  });
  afterEach(() => rig.close());

  const count = async () => (await rig.store.list({ limit: 100 })).items.length;
  const create = (body: unknown, key: string) => rig.post('/api/v1/callbacks', body, { headers: { 'idempotency-key': key } });

  it('the same key twice creates one callback and answers the same status and body, marked as a replay', async () => {
    const first = await create(BODY, 'key-1');
    assert.equal(first.status, 201, first.text);
    // The callback changes meanwhile; the repeat still answers what the first request did.
    rig.clock.advance(MIN);
    await rig.service.reschedule({ id: first.body.callback.id, delayMinutes: 5, by: 'test' });
    const again = await create({ note: 'once', delayMinutes: 20, queue: 'support', number: '+420601111222' }, 'key-1');
    assert.equal(again.status, 201);
    assert.equal(again.text, first.text);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(first.headers.get('idempotent-replayed'), null);
    assert.equal(await count(), 1);
    // Nothing was written by the repeat: no Created nor Merged event.
    const births = (await rig.store.eventsAfter(0, 100)).filter((e) => e.type === 'Created' || e.type === 'Merged');
    assert.deepEqual(births.map((e) => e.type), ['Created']);
  });

  it('without a key, or with another key, the same request is a new request (merged into the pending one)', async () => {
    assert.equal((await create(BODY, 'key-a')).status, 201);
    const other = await create(BODY, 'key-b');
    assert.deepEqual([other.status, other.body.merged], [200, true]);
    const none = await rig.post('/api/v1/callbacks', BODY);
    assert.deepEqual([none.status, none.body.merged], [200, true]);
    assert.equal((await rig.store.eventsAfter(0, 100)).filter((e) => e.type === 'Merged').length, 2);
  });

  it('a key reused with another body is refused (409 idempotency_mismatch) and changes nothing', async () => {
    await create(BODY, 'key-1');
    const before = await storeState(rig);
    const other = await create({ ...BODY, number: '+420601111333' }, 'key-1');
    assert.deepEqual([other.status, other.body.error.code], [409, 'conflict']);
    assert.match(other.body.error.message, /idempotency_mismatch/);
    // The same key on another route is another request too.
    const elsewhere = await rig.post('/api/v1/calls/call-x/callbacks', BODY, { headers: { 'idempotency-key': 'key-1' } });
    assert.equal(elsewhere.status, 409);
    assert.equal(await storeState(rig), before);
  });

  it('refuses a key that is not a header value of printable characters', async () => {
    const r = await create(BODY, 'k'.repeat(201));
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /headers\.idempotency-key/);
    assert.equal(await count(), 0);
  });

  it('holds across a restart of the daemon on the same database', async () => {
    const first = await create(BODY, 'key-restart');
    await rig.restart();
    const again = await create(BODY, 'key-restart');
    assert.deepEqual([again.status, again.text], [first.status, first.text]);
    assert.equal(await count(), 1);
  });

  it('two requests with one key at once create one callback', async () => {
    const answers = await Promise.all([create(BODY, 'key-race'), create(BODY, 'key-race'), create(BODY, 'key-race')]);
    assert.deepEqual(new Set(answers.map((a) => a.body.callback.id)).size, 1);
    assert.deepEqual(answers.map((a) => a.status), [201, 201, 201]);
    assert.equal(await count(), 1);
  });

  it('covers the call bar and the grid\'s button: a repeat answers the first even when the call would now be refused', async () => {
    await queueCall(rig, 'call-bar', 'served', { number: '+420601111444' });
    const key = { headers: { 'idempotency-key': 'bar-1' } };
    const bar = await rig.post('/api/v1/calls/call-bar/callbacks', { delayMinutes: 10 }, key);
    assert.equal(bar.status, 201, bar.text);
    assert.equal((await rig.post('/api/v1/calls/call-bar/callbacks', { delayMinutes: 10 }, key)).text, bar.text);

    await queueCall(rig, 'call-lost', 'abandoned', { number: '+420601111555', waitSeconds: 3 });
    const grid = { headers: { 'idempotency-key': 'grid-1' } };
    const lost = await rig.post('/api/v1/calls/call-lost/callbacks', { fromLostCall: true, createLostCallEvent: true }, grid);
    assert.equal(lost.status, 201, lost.text);
    await rig.service.cancel({ id: lost.body.callback.id, by: 'test' });
    const repeat = await rig.post('/api/v1/calls/call-lost/callbacks', { fromLostCall: true, createLostCallEvent: true }, grid);
    assert.equal(repeat.text, lost.text);
    assert.equal((await rig.store.callbacksOfCall('call-lost')).length, 1);
  });
});
