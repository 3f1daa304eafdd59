import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { LimitReachedError } from '../../src/domain/errors';
import type { LostReason } from '../../src/domain/types';
import { MIN, openRig, queueCall, type Rig } from '../service/rig';

/** Every Monday for more than the 400 days a calling window is searched: a window that never opens. */
function everyMonday(): string[] {
  const days: string[] = [];
  let day = DateTime.fromISO('2026-11-23', { zone: 'Europe/Prague' });
  for (let i = 0; i < 60; i++, day = day.plus({ weeks: 1 })) days.push(day.toISODate() ?? '');
  return days;
}

const TRANSITIONS = [
  { name: 'support', sourceQueue: 'support', minWaitSeconds: 10, numbers: { blockPatterns: ['^\\+420777'], maxPerNumberPerDay: 2 } },
  { name: 'sales', sourceQueue: 'sales', whenPending: 'skip' },
  { name: 'maxed', sourceQueue: 'maxed', maxPending: 1 },
  { name: 'capped', sourceQueue: 'capped', maxPerQueuePerDay: 1 },
  { name: 'closed', sourceQueue: 'closed', window: { timezone: 'Europe/Prague', hours: { mon: ['08:00-18:00'] }, datesOff: everyMonday() } },
  { name: 'ivr-only', sourceQueue: 'ivr', mechanisms: ['IvrCallBack'] },
];

describe('engine: every lost call is decided with a reason, kept as data and shown in its history', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = openRig({ transitions: TRANSITIONS });
  });
  afterEach(() => rig.close());

  async function lose(callId: string, fields: Parameters<typeof queueCall>[3] = {}): Promise<void> {
    await queueCall(rig, callId, 'abandoned', fields);
    rig.clock.advance(MIN);
  }

  async function cancelAllFor(number: string): Promise<void> {
    for (const c of (await rig.store.list({ limit: 50, number })).items) if (c.status === 'Scheduled') await rig.service.cancel({ id: c.id, by: 'test' });
  }

  it('names each reason: made, merged, and every kind of skip', async () => {
    await lose('shifted', { number: '+420601000001' });
    await lose('merged', { number: '601 000 001' });
    await lose('too_short', { number: '+420601000002', waitSeconds: 3 });
    await lose('anonymous', { number: null });
    await lose('withheld', { number: 'Anonymous' });
    await lose('internal', { number: '2001' });
    await lose('invalid', { number: 'not-a-number' });
    await lose('injection', { number: '+420601000003&PJSIP/666@evil' });
    await lose('blocked', { number: '+420777123456' });
    await lose('foreign', { number: '+881612345678' });
    await lose('sales-1', { number: '+420601000005', queue: 'sales' });
    await lose('already_pending', { number: '+420601000005', queue: 'sales' });
    await lose('maxed-1', { number: '+420601000006', queue: 'maxed' });
    await lose('max_pending', { number: '+420601000007', queue: 'maxed' });
    await lose('capped-1', { number: '+420601000008', queue: 'capped' });
    await lose('queue_daily_limit', { number: '+420601000009', queue: 'capped' });
    await lose('window_never_opens', { number: '+420601000010', queue: 'closed' });
    await lose('no-lostshift', { number: '+420601000011', queue: 'ivr' });
    await lose('no-transition', { number: '+420601000011', queue: 'nowhere' });
    // Two made for one number in a day (each cancelled, so nothing is pending to merge into), then the cap.
    await lose('daily-1', { number: '+420601000004' });
    await cancelAllFor('+420601000004');
    await lose('daily-2', { number: '+420601000004' });
    await cancelAllFor('+420601000004');
    await lose('number_daily_limit', { number: '+420601000004' });

    const expected: Record<string, LostReason> = {
      shifted: 'shifted',
      merged: 'merged',
      too_short: 'too_short',
      anonymous: 'anonymous',
      withheld: 'anonymous',
      internal: 'internal',
      invalid: 'invalid_number',
      injection: 'invalid_number',
      blocked: 'number_not_allowed',
      foreign: 'number_not_allowed',
      'sales-1': 'shifted',
      already_pending: 'already_pending',
      'maxed-1': 'shifted',
      max_pending: 'max_pending',
      'capped-1': 'shifted',
      queue_daily_limit: 'queue_daily_limit',
      window_never_opens: 'window_never_opens',
      'no-lostshift': 'no_transition',
      'no-transition': 'no_transition',
      'daily-1': 'shifted',
      'daily-2': 'shifted',
      number_daily_limit: 'number_daily_limit',
    };
    const recorded: Record<string, LostReason | null | undefined> = {};
    for (const id of Object.keys(expected)) recorded[id] = (await rig.store.getCall(id))?.lostReason;
    assert.deepEqual(recorded, expected);

    // Each decision is one LostCallDecided event of the call, with the reason, the words and the transition.
    for (const [id, reason] of Object.entries(expected)) {
      const history = await rig.service.history(id);
      const decided = history.events.filter((e) => e.type === 'LostCallDecided' && e.callId === id);
      assert.equal(decided.length, 1, `${id}: one decision in its history`);
      assert.equal(decided[0].data.reason, reason, id);
      assert.equal(decided[0].data.detail, history.call?.lostDecision, id);
    }
    const words = async (id: string) => (await rig.store.getCall(id))?.lostDecision ?? '';
    assert.match(await words('blocked'), /is blocked \(\^\\\+420777\)/);
    assert.match(await words('number_daily_limit'), /2 callbacks for \+420601000004 in the last 24 hours \(numbers\.maxPerNumberPerDay 2\)/);
    assert.match(await words('queue_daily_limit'), /maxPerQueuePerDay 1/);
    assert.match(await words('no-lostshift'), /ivr-only: it does not enable LostShift/);
    assert.match(await words('internal'), /2001 is an internal extension/);
    const merged = (await rig.service.history('merged')).events.find((e) => e.type === 'LostCallDecided');
    assert.ok(merged?.callbackId, 'a merge names the callback it went into');
    assert.equal((await rig.service.history('no-lostshift')).events[0].data.transition, null);
    assert.equal((await rig.service.history('too_short')).events[0].data.transition, 'support');

    // The grid of lost calls says why for each call that did not become a callback.
    const grid = await rig.service.listCalls({ result: 'abandoned', limit: 100 });
    const whyNot = Object.fromEntries(grid.items.map((row) => [row.call.id, row.whyNot]));
    assert.equal(whyNot.shifted, null);
    assert.match(whyNot.max_pending ?? '', /maxed has 1 pending callbacks \(maxPending 1\)/);
    assert.match(whyNot.window_never_opens ?? '', /never opens/);
    // Nothing was made for the skipped calls, and nothing twice.
    const lostShift = (await rig.store.list({ limit: 100, mechanism: 'LostShift' })).items;
    assert.deepEqual(lostShift.map((c) => c.originCallId).sort(), ['capped-1', 'daily-1', 'daily-2', 'maxed-1', 'sales-1', 'shifted']);
  });

  it('keeps the first decision: a restarted daemon deciding again writes nothing more', async () => {
    await lose('lost-1', { number: '+420601000001', waitSeconds: 3 });
    assert.equal(await rig.queueCalls.decideUndecided(), 0);
    await rig.store.upsertCall({ ...(await rig.store.getCall('lost-1'))!, lostDecision: null });
    assert.equal((await rig.store.getCall('lost-1'))?.lostReason, 'too_short');
    assert.equal((await rig.service.history('lost-1')).events.filter((e) => e.type === 'LostCallDecided').length, 1);
  });

  it('records an error as a decision, and the next call is decided as usual', async () => {
    const pendingFor = rig.store.pendingFor.bind(rig.store);
    rig.store.pendingFor = async () => {
      throw new Error('disk on fire');
    };
    await lose('broken', { number: '+420601000001' });
    rig.store.pendingFor = pendingFor;
    await lose('fine', { number: '+420601000002' });
    assert.equal((await rig.store.getCall('broken'))?.lostReason, 'error');
    assert.match((await rig.store.getCall('broken'))?.lostDecision ?? '', /disk on fire/);
    assert.equal((await rig.store.getCall('fine'))?.lostReason, 'shifted');
  });

  it('applies the daily cap per number to every mechanism: a manual callback over it is refused', async () => {
    await rig.service.create({ number: '+420601000004', queue: 'support', delayMinutes: 5, by: 'agent' }).then((c) => rig.service.cancel({ id: c.callback.id, by: 'test' }));
    await rig.service.create({ number: '+420601000004', queue: 'support', delayMinutes: 5, by: 'agent' }).then((c) => rig.service.cancel({ id: c.callback.id, by: 'test' }));
    await assert.rejects(rig.service.create({ number: '+420601000004', queue: 'support', delayMinutes: 5, by: 'agent' }), (err: Error) => err instanceof LimitReachedError && err.code === 'limit_reached');
    // A day later the count has moved on.
    rig.clock.advance(24 * 60 * MIN + MIN);
    await rig.service.create({ number: '+420601000004', queue: 'support', delayMinutes: 5, by: 'agent' });
  });
});
