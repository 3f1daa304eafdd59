import assert from 'node:assert/strict';
import type { LostReason } from '../../src/domain/types';
import { MIN, NOW, attempt, openRig, queueCall, type Rig } from './rig';

const HOUR = 60 * MIN;

/** A night transition placed first, the day one behind it, a skipping one, two capped ones, one the IVR only. */
const TRANSITIONS = [
  { name: 'support-night', sourceQueue: 'support', targetQueue: 'support-callbacks', schedule: { timezone: 'Europe/Prague', from: '20:00', to: '08:00' }, delayMinutes: 0 },
  { name: 'support', sourceQueue: 'support', minWaitSeconds: 10, delayMinutes: 5, expiresAfterMinutes: 120, numbers: { blockPatterns: ['^\\+420777'], maxPerNumberPerDay: 3 } },
  { name: 'sales', sourceQueue: 'sales', minWaitSeconds: 60, whenPending: 'skip', expiresAfterMinutes: 60 },
  { name: 'maxed', sourceQueue: 'maxed', maxPending: 1 },
  { name: 'capped', sourceQueue: 'capped', maxPerQueuePerDay: 2 },
  { name: 'ivr-only', sourceQueue: 'ivr', mechanisms: ['IvrCallBack'] },
];

describe('service: what-if replay of the lost calls of a period', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = openRig({ transitions: TRANSITIONS });
  });
  afterEach(() => rig.close());

  async function lose(callId: string, fields: Parameters<typeof queueCall>[3] = {}): Promise<void> {
    await queueCall(rig, callId, 'abandoned', fields);
    rig.clock.advance(MIN);
  }

  async function pendingOf(number: string) {
    return (await rig.store.list({ limit: 50, number })).items.filter((c) => c.status === 'Scheduled');
  }

  /** A day of lost calls whose decisions depend on what was pending then, and on what became of it later. */
  async function aDayOfCalls(): Promise<void> {
    await lose('first', { number: '+420601000001' });
    await lose('merged', { number: '601 000 001' });
    // Answered: nothing is pending for the number any more, so the next loss makes a new callback.
    const [made] = await pendingOf('+420601000001');
    rig.clock.advance(10 * MIN);
    await attempt(rig, made, 'answered');
    await lose('after-answer', { number: '+420601000001' });
    await lose('short', { number: '+420601000002', waitSeconds: 5 });
    await lose('anonymous', { number: null });
    await lose('internal', { number: '2001' });
    await lose('injection', { number: '+420601000003&PJSIP/666@evil' });
    await lose('blocked', { number: '+420777123456' });
    await lose('sales-1', { number: '+420601000005', queue: 'sales', waitSeconds: 90 });
    await lose('sales-pending', { number: '+420601000005', queue: 'sales', waitSeconds: 90 });
    await lose('sales-short', { number: '+420601000006', queue: 'sales', waitSeconds: 30 });
    await lose('maxed-1', { number: '+420601000007', queue: 'maxed' });
    await lose('maxed-full', { number: '+420601000008', queue: 'maxed' });
    // The maxed queue's callback is cancelled: the next call finds room again.
    for (const c of await pendingOf('+420601000007')) await rig.service.cancel({ id: c.id, by: 'test' });
    await lose('maxed-room', { number: '+420601000009', queue: 'maxed' });
    await lose('capped-1', { number: '+420601000010', queue: 'capped' });
    await lose('capped-2', { number: '+420601000011', queue: 'capped' });
    await lose('capped-over', { number: '+420601000012', queue: 'capped' });
    await lose('ivr', { number: '+420601000013', queue: 'ivr' });
    await lose('nowhere', { number: '+420601000014', queue: 'nowhere' });
    // The evening: past 20:00 in Prague the night transition takes the support queue's calls.
    rig.clock.set(Date.parse('2026-11-24T21:30:00Z'));
    await lose('night', { number: '+420601000015' });
  }

  const byCall = (report: Awaited<ReturnType<Rig['service']['replayRules']>>) => new Map(report.rows.map((r) => [r.call.id, r]));

  it('gives the same decision as live for every call when the rules are unchanged, and writes nothing', async () => {
    await aDayOfCalls();
    const callbacksBefore = await rig.store.list({ limit: 500 });
    const eventsBefore = await rig.store.lastEventId();

    const report = await rig.service.replayRules({ from: new Date(NOW - HOUR).toISOString(), to: new Date(NOW + 24 * HOUR).toISOString() });

    assert.equal(report.calls, 20);
    const differing = report.rows.filter((r) => !r.same).map((r) => `${r.call.id}: then ${r.actual.reason}, replayed ${r.replayed.reason} (${r.replayed.detail})`);
    assert.deepEqual(differing, [], 'an unchanged configuration decides every call as it was decided');
    assert.equal(report.changed, 0);
    const rows = byCall(report);
    const reasons = Object.fromEntries([...rows].map(([id, r]) => [id, r.replayed.reason]));
    const expected: Record<string, LostReason> = {
      first: 'shifted',
      merged: 'merged',
      'after-answer': 'shifted',
      short: 'too_short',
      anonymous: 'anonymous',
      internal: 'internal',
      injection: 'invalid_number',
      blocked: 'number_not_allowed',
      'sales-1': 'shifted',
      'sales-pending': 'already_pending',
      'sales-short': 'too_short',
      'maxed-1': 'shifted',
      'maxed-full': 'max_pending',
      'maxed-room': 'shifted',
      'capped-1': 'shifted',
      'capped-2': 'shifted',
      'capped-over': 'queue_daily_limit',
      ivr: 'no_transition',
      nowhere: 'no_transition',
      night: 'shifted',
    };
    for (const [id, reason] of Object.entries(expected)) assert.equal(reasons[id], reason, id);
    assert.equal(rows.get('night')?.replayed.transition, 'support-night');
    assert.equal(rows.get('night')?.replayed.queue, 'support-callbacks');
    assert.equal(rows.get('first')?.actual.callbackStatus, 'Completed', 'what became of the callback made then is shown beside it');
    assert.equal(rows.get('merged')?.replayed.mergesInto, rows.get('first')?.actual.callbackId, 'merged into the callback the first call actually made');

    assert.deepEqual(await rig.store.list({ limit: 500 }), callbacksBefore, 'a replay creates and changes no callback');
    assert.equal(await rig.store.lastEventId(), eventsBefore, 'and writes no history');
  });

  it('shows what other rules would have done, call by call, counting the consequences', async () => {
    await aDayOfCalls();
    const changedRules = {
      ...rig.config,
      transitions: rig.config.transitions.map((t) => (t.name === 'support' ? { ...t, minWaitSeconds: 0 } : t.name === 'sales' ? { ...t, whenPending: 'merge' as const, minWaitSeconds: 10 } : t)),
    };
    const report = await rig.service.replayRules({ from: new Date(NOW - HOUR).toISOString(), to: new Date(NOW + 24 * HOUR).toISOString() }, changedRules);
    const changed = report.rows.filter((r) => !r.same).map((r) => [r.call.id, r.actual.reason, r.replayed.reason]);
    assert.deepEqual(changed, [
      ['short', 'too_short', 'shifted'],
      ['sales-pending', 'already_pending', 'merged'],
      ['sales-short', 'too_short', 'shifted'],
    ]);
    const shifted = report.reasons.find((c) => c.reason === 'shifted');
    assert.deepEqual(shifted && [shifted.actual, shifted.replayed], [8, 10]);
  });

  it('judges the daily caps by the callbacks the replay itself makes', async () => {
    // Live: the cap of 2 per queue, nothing made beyond it.
    await lose('capped-1', { number: '+420601000010', queue: 'capped' });
    await lose('capped-2', { number: '+420601000011', queue: 'capped' });
    await lose('capped-3', { number: '+420601000012', queue: 'capped' });
    const tighter = { ...rig.config, transitions: rig.config.transitions.map((t) => (t.name === 'capped' ? { ...t, maxPerQueuePerDay: 1 } : t)) };
    const report = await rig.service.replayRules({ from: new Date(NOW - HOUR).toISOString() }, tighter);
    assert.deepEqual(
      report.rows.map((r) => [r.call.id, r.actual.reason, r.replayed.reason]),
      [
        ['capped-1', 'shifted', 'shifted'],
        ['capped-2', 'shifted', 'queue_daily_limit'],
        ['capped-3', 'queue_daily_limit', 'queue_daily_limit'],
      ],
    );
  });

  it('refuses a period without a start, backwards, or over a year', async () => {
    await assert.rejects(rig.service.replayRules({}), /from is required/);
    await assert.rejects(rig.service.replayRules({ from: '2026-11-24T10:00', to: '2026-11-24T09:00' }), /to must be after from/);
    await assert.rejects(rig.service.replayRules({ from: '2024-01-01', to: '2026-01-01' }), /at most 366 days/);
    await assert.rejects(rig.service.replayRules({ from: 'yesterday' }), /from "yesterday" is not an ISO 8601 time/);
  });
});
