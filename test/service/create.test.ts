import assert from 'node:assert/strict';
import { InvalidNumberError, InvalidRequestError } from '../../src/domain/errors';
import { MIN, NOW, openRig, type Rig } from './rig';

describe('service: a manual callback', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = openRig();
  });
  afterEach(() => rig.close());

  const all = async () => (await rig.store.list({ limit: 100 })).items;

  it('creates it with the number normalised, due now by default, with its note and who asked', async () => {
    const { callback, merged, movedFrom } = await rig.service.create({ number: '601 111 222', queue: 'support', note: 'billing', by: 'api' });
    assert.deepEqual([callback.number, callback.status, callback.mechanism, callback.dueAt, callback.note, merged, movedFrom], ['+420601111222', 'Scheduled', 'manual', NOW, 'billing', false, null]);
    const [birth] = await rig.store.eventsOf(callback.id);
    // The plain manual creation writes what the CLI always wrote (the README shows it).
    assert.deepEqual([birth.type, birth.data], ['Created', { mechanism: 'manual', by: 'api', sourceQueue: 'support' }]);
  });

  it('takes an ISO time as given, or a delay', async () => {
    const at = await rig.service.create({ number: '+420601111222', queue: 'support', dueAt: new Date(NOW + 90 * MIN).toISOString(), by: 'api' });
    assert.equal(at.callback.dueAt, NOW + 90 * MIN);
    const later = await rig.service.create({ number: '+420601111333', queue: 'support', delayMinutes: 15, by: 'api' });
    assert.equal(later.callback.dueAt, NOW + 15 * MIN);
    const epoch = await rig.service.create({ number: '+420601111444', queue: 'support', dueAt: NOW + 5 * MIN, by: 'api' });
    assert.equal(epoch.callback.dueAt, NOW + 5 * MIN);
  });

  it('merges a second request for the same number and queue into the pending one', async () => {
    const first = await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 30, by: 'api' });
    const second = await rig.service.create({ number: '00420601111222', queue: 'support', delayMinutes: 10, note: 'again', by: 'api' });
    assert.deepEqual([second.merged, second.callback.id, second.callback.dueAt], [true, first.callback.id, NOW + 10 * MIN]);
    assert.equal((await all()).length, 1);
  });

  it('records a LostCall event with the Shifted reference when asked, linked to the related call', async () => {
    const { callback } = await rig.service.create({ number: '+420601111222', queue: 'support', relatedCallId: 'call-7', createLostCallEvent: true, by: 'api' });
    assert.deepEqual([callback.shifted, callback.originCallId], [true, 'call-7']);
    const [birth] = await rig.store.eventsOf(callback.id);
    assert.deepEqual([birth.type, birth.callId, birth.data.shifted], ['LostCall', 'call-7', 'call-7']);
    // So the exclusion applies: the caller gets through and is served.
    await rig.queueCalls.served({ callId: 'call-8', queue: 'support', number: '+420601111222', at: NOW });
    assert.equal((await rig.store.get(callback.id))?.status, 'Neglected');
  });

  it('refuses a number that could smuggle a second destination, and writes nothing', async () => {
    for (const number of ['+420601111222&PJSIP/666', '+420601111222,Local/1@x', '601111222@trunk', 'PJSIP/666']) {
      await assert.rejects(rig.service.create({ number, queue: 'support', by: 'api' }), InvalidNumberError, number);
    }
    // What a JSON client could send instead of a string.
    for (const number of [['+420601111222', 'PJSIP/666'], { n: 1 }, 420601111222, null]) {
      await assert.rejects(rig.service.create({ number: number as unknown as string, queue: 'support', by: 'api' }), InvalidRequestError, JSON.stringify(number));
    }
    await assert.rejects(rig.service.create({ number: '+447911123456', queue: 'support', by: 'api' }), (err: InvalidNumberError) => err.code === 'number_not_allowed');
    assert.deepEqual(await all(), []);
    assert.deepEqual(await rig.store.eventsAfter(0, 10), []);
  });

  it('refuses a queue no transition takes, a time in the past, both a time and a delay, and bad fields', async () => {
    const refused = async (input: Record<string, unknown>, pattern: RegExp) =>
      assert.rejects(rig.service.create({ number: '+420601111222', queue: 'support', by: 'api', ...input }), (err: Error) => err instanceof InvalidRequestError && pattern.test(err.message));
    await refused({ queue: 'sales' }, /no transition enables manual callbacks for queue "sales"/);
    await refused({ dueAt: new Date(NOW - 10 * MIN).toISOString() }, /in the past/);
    await refused({ dueAt: 'tomorrow' }, /is not a time/);
    await refused({ dueAt: NOW + MIN, delayMinutes: 5 }, /not both/);
    await refused({ delayMinutes: -1 }, /from 0/);
    await refused({ delayMinutes: 1.5 }, /whole number/);
    await refused({ delayMinutes: '5' }, /whole number/);
    await refused({ by: '' }, /by is required/);
    await refused({ note: 'x'.repeat(2001) }, /note is longer/);
    await refused({ createLostCallEvent: 'yes' }, /true or false/);
    await refused({ form: { 'a b': 'x' } }, /not a name/);
    await refused({ form: { account: 42 } }, /must be a string/);
    assert.deepEqual(await all(), []);
  });

  it('refuses a queue name that would add options to the PBX\'s Queue(), even where a catch-all transition takes any queue', async () => {
    await rig.close();
    rig = openRig({ transitions: [{ name: 'any', sourceQueue: '*' }] });
    for (const queue of ['support,,,,,,callbackd-agent-answered', 'support)', 'sup port', 'a|b', '']) {
      await assert.rejects(rig.service.create({ number: '+420601111222', queue, by: 'api' }), InvalidRequestError, queue);
    }
    assert.deepEqual(await all(), []);
    assert.equal((await rig.service.create({ number: '+420601111222', queue: 'support@default', by: 'api' })).callback.queue, 'support@default');
  });

  it('says when the calling window moved the due time, and from when', async () => {
    await rig.close();
    // 09:00 UTC on a Tuesday; the window opens at 14:00 Prague time.
    rig = openRig({ transitions: [{ name: 'support', sourceQueue: 'support', window: { timezone: 'Europe/Prague', hours: { tue: ['14:00-18:00'] } } }] });
    const { callback, movedFrom } = await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 1, by: 'api' });
    assert.equal(movedFrom, NOW + MIN);
    assert.equal(callback.dueAt, Date.parse('2026-11-24T13:00:00Z'));
    // A time asked for explicitly is a person's decision: kept, not moved.
    const explicit = await rig.service.create({ number: '+420601111333', queue: 'support', dueAt: NOW + MIN, by: 'api' });
    assert.deepEqual([explicit.callback.dueAt, explicit.movedFrom], [NOW + MIN, null]);
  });

  it('tells the feed once it is written: one callback.created per request', async () => {
    const { callback } = await rig.service.create({ number: '+420601111222', queue: 'support', by: 'api' });
    await rig.service.create({ number: '+420601111222', queue: 'support', by: 'api' });
    assert.deepEqual(
      rig.told.map((e) => [e.kind, e.kind === 'callback.created' ? e.merged : null, e.kind === 'callback.created' ? e.callback.id : null]),
      [
        ['callback.created', false, callback.id],
        ['callback.created', true, callback.id],
      ],
    );
  });
});
