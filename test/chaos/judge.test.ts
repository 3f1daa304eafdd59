import assert from 'node:assert/strict';
import { judge, JUDGED, type JudgedName } from '../../src/chaos/judge';
import { DEFAULT_RULES, type CallerRecord, type JudgeRules, type StormRecords } from '../../src/chaos/records';

/**
 * The crash storm's verdict on hand-made records: a clean run gives zero everywhere, and each
 * kind of offence moves its own count and no other, so a zero from a real storm means something.
 */

const T = 1_800_000_000_000;
const RULES: JudgeRules = { ...DEFAULT_RULES, lostShift: { support: { minWaitSeconds: 2 } } };

/** The daemon up from T to T+100 s, killed, then up again from T+101 s to the end. */
function clean(): StormRecords {
  const caller: CallerRecord = {
    kind: 'patient',
    callId: 'call-1;2',
    number: '+420601000001',
    queue: 'support',
    entry: 'queue',
    placedAt: T + 1000,
    queued: [T + 1010],
    servedAt: T + 3000,
    goneAt: T + 5000,
    abandonedAt: null,
    waitedMs: null,
    stasis: [{ args: 'observe,support', start: T + 1001, end: T + 1008 }],
    heard: [],
  };
  return {
    originations: [
      { at: T + 10_000, endpoint: 'Local/s@callbackd-placeholder/n', channelId: 'cbph-a1', callbackId: 'cb1', attemptId: 'a1', status: 200 },
      { at: T + 12_000, endpoint: 'PJSIP/+420601000002@trunk', channelId: 'cbcu-a1', callbackId: 'cb1', attemptId: 'a1', status: 200 },
    ],
    bridgeEntries: [{ channelId: 'cbcu-a1', bridgeId: 'a1-bridge', at: T + 13_000 }],
    conversations: [{ channelId: 'call-1;2', number: '+420601000001', queue: 'support', placeholderFor: null, answeredAt: T + 3000, endedAt: T + 5000 }],
    callers: [caller],
    manual: [],
    uptimes: [
      { readyAt: T, connectedAt: T + 10, endedAt: T + 100_000, endedBy: 'kill' },
      { readyAt: T + 101_000, connectedAt: T + 101_010, endedAt: null, endedBy: null },
    ],
    unexpectedExits: 0,
    logErrors: [],
    db: {
      callbacks: [{ id: 'cb1', number: '+420601000002', queue: 'support', status: 'Completed', mechanism: 'IvrCallBack', dueAt: null, createdAt: T + 9000, originCallId: 'call-9;2', shifted: true }],
      attempts: [{ id: 'a1', callbackId: 'cb1', seq: 1, mode: 'agent-first', startedAt: T + 9990, endedAt: T + 13_000, outcome: 'answered', placeholderRef: 'cbph-a1', customerRef: 'cbcu-a1' }],
      events: [
        { id: 1, type: 'CallBack', at: T + 9000, callbackId: 'cb1', callId: 'call-9;2', data: {} },
        { id: 2, type: 'StatusChanged', at: T + 11_900, callbackId: 'cb1', callId: null, data: { from: 'Scheduled', to: 'Dialing', event: 'dial' } },
        { id: 3, type: 'StatusChanged', at: T + 13_000, callbackId: 'cb1', callId: null, data: { from: 'Dialing', to: 'Completed', event: 'answer' } },
      ],
      calls: [{ id: 'call-1;2', number: '+420601000001', queue: 'support', enteredAt: T + 1005, endedAt: T + 5000, result: 'served', waitSeconds: 2, lostDecision: null }],
    },
    end: { at: T + 200_000, queueEntries: [], channels: [] },
  };
}

function counts(r: StormRecords): Record<JudgedName, number> {
  const v = judge(r, RULES);
  return Object.fromEntries(v.counts.map((c) => [c.name, c.value])) as Record<JudgedName, number>;
}

/** Only `name` is non-zero, and it is `value`. */
function onlyThis(r: StormRecords, name: JudgedName, value = 1): void {
  const got = counts(r);
  for (const n of JUDGED) assert.equal(got[n], n === name ? value : 0, `${n} (expected only "${name}" to be ${value})`);
  assert.equal(judge(r, RULES).failed, true);
}

describe('crash storm verdict (judge)', () => {
  it('a clean run: every count is 0, and every judged count is printed', () => {
    const v = judge(clean(), RULES);
    assert.deepEqual(v.counts.map((c) => c.name), [...JUDGED]);
    for (const c of v.counts) assert.equal(c.value, 0, `${c.name}: ${c.details.join('; ')}`);
    assert.equal(v.failed, false);
  });

  it('double dials: a second customer originate for one attempt, and one for an attempt nobody wrote', () => {
    const r = clean();
    r.originations.push({ at: T + 12_500, endpoint: 'PJSIP/+420601000002@trunk', channelId: 'cbcu-a1', callbackId: 'cb1', attemptId: 'a1', status: 200 });
    // Before the terminal status and before the conversation, so only the double dial shows.
    r.db.events[2].at = T + 20_000;
    r.bridgeEntries[0].at = T + 14_000;
    r.originations.push({ at: T + 12_600, endpoint: 'PJSIP/+420601000003@trunk', channelId: 'cbcu-zz', callbackId: 'cb1', attemptId: 'zz', status: 200 });
    onlyThis(r, 'double dials', 2);
  });

  it('a refused originate (409: the channel already existed) dialled nobody', () => {
    const r = clean();
    r.originations.push({ at: T + 12_500, endpoint: 'PJSIP/+420601000002@trunk', channelId: 'cbcu-a1', callbackId: 'cb1', attemptId: 'a1', status: 409 });
    assert.equal(counts(r)['double dials'], 0);
  });

  it('dials after a terminal status: the customer rang after the callback was Cancelled', () => {
    const r = clean();
    r.bridgeEntries = [];
    r.db.events[2] = { id: 3, type: 'StatusChanged', at: T + 11_000, callbackId: 'cb1', callId: null, data: { from: 'Scheduled', to: 'Cancelled', event: 'cancel' } };
    r.db.events.splice(1, 1);
    r.db.callbacks[0].status = 'Cancelled';
    onlyThis(r, 'dials after a terminal status');
  });

  it('dials after a conversation: a later attempt dials a customer who already talked to an agent', () => {
    const r = clean();
    // The conversation is at 13 s; the callback went back to Scheduled and was dialled again at 30 s.
    r.db.events[2] = { id: 3, type: 'StatusChanged', at: T + 13_500, callbackId: 'cb1', callId: null, data: { from: 'Dialing', to: 'Scheduled', event: 'retry' } };
    r.db.events.push({ id: 4, type: 'StatusChanged', at: T + 29_000, callbackId: 'cb1', callId: null, data: { from: 'Scheduled', to: 'Dialing', event: 'dial' } });
    r.db.attempts.push({ id: 'a2', callbackId: 'cb1', seq: 2, mode: 'agent-first', startedAt: T + 28_000, endedAt: T + 31_000, outcome: 'answered', placeholderRef: 'cbph-a2', customerRef: 'cbcu-a2' });
    r.originations.push({ at: T + 30_000, endpoint: 'PJSIP/+420601000002@trunk', channelId: 'cbcu-a2', callbackId: 'cb1', attemptId: 'a2', status: 200 });
    r.db.events.push({ id: 5, type: 'StatusChanged', at: T + 31_000, callbackId: 'cb1', callId: null, data: { from: 'Dialing', to: 'Completed', event: 'answer' } });
    onlyThis(r, 'dials after a conversation');
  });

  it('dials after a conversation: the caller got through inbound while the callback was Scheduled, and was dialled anyway', () => {
    const r = clean();
    // cb2 for the caller of call-1 (served at T+3 s) was Scheduled then, and dialled at T+20 s.
    r.db.callbacks.push({ id: 'cb2', number: '+420601000001', queue: 'support', status: 'Completed', mechanism: 'LostShift', dueAt: null, createdAt: T + 500, originCallId: 'call-0;2', shifted: true });
    r.db.attempts.push({ id: 'b1', callbackId: 'cb2', seq: 1, mode: 'customer-first', startedAt: T + 19_900, endedAt: T + 25_000, outcome: 'answered', placeholderRef: null, customerRef: 'cbcu-b1' });
    r.db.events.push({ id: 6, type: 'StatusChanged', at: T + 19_900, callbackId: 'cb2', callId: null, data: { from: 'Scheduled', to: 'Dialing', event: 'dial' } });
    r.db.events.push({ id: 7, type: 'StatusChanged', at: T + 25_000, callbackId: 'cb2', callId: null, data: { from: 'Dialing', to: 'Completed', event: 'answer' } });
    r.originations.push({ at: T + 20_000, endpoint: 'PJSIP/+420601000001@trunk', channelId: 'cbcu-b1', callbackId: 'cb2', attemptId: 'b1', status: 200 });
    onlyThis(r, 'dials after a conversation');
    // A callback that is not shifted (manual) is not subject to Neglected.
    r.db.callbacks[1].shifted = false;
    assert.equal(counts(r)['dials after a conversation'], 0);
  });

  it('lost LostShift callbacks: an abandon the daemon saw, long enough, with no callback and no merge', () => {
    const r = clean();
    const lost: CallerRecord = { ...r.callers[0], kind: 'abandon', callId: 'call-2;2', number: '+420601000004', servedAt: null, abandonedAt: T + 6000, waitedMs: 4000, goneAt: T + 6000, stasis: [] };
    r.callers.push(lost);
    r.db.calls.push({ id: 'call-2;2', number: '+420601000004', queue: 'support', enteredAt: T + 2000, endedAt: T + 6000, result: 'abandoned', waitSeconds: 4, lostDecision: null });
    onlyThis(r, 'lost LostShift callbacks');
    // Merged into a pending callback: not lost.
    r.db.events.push({ id: 9, type: 'Merged', at: T + 6001, callbackId: 'cb1', callId: 'call-2;2', data: {} });
    assert.equal(counts(r)['lost LostShift callbacks'], 0);
  });

  it('lost LostShift callbacks: not counted when too short, right at a kill, or unseen by the daemon', () => {
    const r = clean();
    const base: CallerRecord = { ...r.callers[0], kind: 'abandon', servedAt: null, stasis: [] };
    r.callers.push({ ...base, callId: 'short;2', abandonedAt: T + 6000, waitedMs: 1500 });
    r.callers.push({ ...base, callId: 'atkill;2', abandonedAt: T + 99_900, waitedMs: 5000 });
    r.callers.push({ ...base, callId: 'unseen;2', abandonedAt: T + 6000, waitedMs: 5000 });
    for (const id of ['short;2', 'atkill;2']) r.db.calls.push({ id, number: base.number, queue: 'support', enteredAt: T, endedAt: T + 6000, result: 'abandoned', waitSeconds: 1, lostDecision: null });
    assert.equal(counts(r)['lost LostShift callbacks'], 0);
  });

  it('placeholders: one left for a terminal callback, one that is not the open attempt\'s', () => {
    const r = clean();
    r.end.queueEntries.push({ queue: 'support', channelId: 'cbph-a1;2', placeholderFor: 'cb1' });
    onlyThis(r, 'placeholders left for terminal callbacks');
    const s = clean();
    s.db.callbacks.push({ id: 'cb3', number: '+420601000005', queue: 'support', status: 'Scheduled', mechanism: 'IvrCallBack', dueAt: null, createdAt: T, originCallId: null, shifted: true });
    s.db.attempts.push({ id: 'c1', callbackId: 'cb3', seq: 1, mode: 'agent-first', startedAt: T, endedAt: null, outcome: null, placeholderRef: 'cbph-c1', customerRef: null });
    s.end.queueEntries.push({ queue: 'support', channelId: 'cbph-c1;2', placeholderFor: 'cb3' });
    assert.equal(counts(s)['placeholders without their attempt'], 0, 'the open attempt\'s own placeholder is fine');
    s.end.queueEntries.push({ queue: 'support', channelId: 'cbph-old;2', placeholderFor: 'cb3' });
    onlyThis(s, 'placeholders without their attempt');
  });

  it('callbacks stuck: a held place with no attempt, Dialing with no attempt, overdue', () => {
    const r = clean();
    const cb = { number: '+420601000006', queue: 'support', mechanism: 'IvrCallBack', createdAt: T, originCallId: null, shifted: true };
    r.db.callbacks.push({ ...cb, id: 's1', status: 'Scheduled', dueAt: null });
    r.db.callbacks.push({ ...cb, id: 's2', status: 'Dialing', dueAt: null, number: '+420601000007' });
    r.db.callbacks.push({ ...cb, id: 's3', status: 'Scheduled', dueAt: T + 100_000, number: '+420601000008' });
    r.db.callbacks.push({ ...cb, id: 'fine', status: 'Scheduled', dueAt: T + 190_000, number: '+420601000009' });
    // Dialing for two minutes with its attempt open: the attempt's end was never recorded.
    r.db.callbacks.push({ ...cb, id: 's4', status: 'Dialing', dueAt: null, number: '+420601000010' });
    r.db.attempts.push({ id: 'd4', callbackId: 's4', seq: 1, mode: 'customer-first', startedAt: T + 80_000, endedAt: null, outcome: null, placeholderRef: null, customerRef: 'cbcu-d4' });
    // Holding a place with an open attempt, but its placeholder is nowhere.
    r.db.callbacks.push({ ...cb, id: 's5', status: 'Scheduled', dueAt: null, number: '+420601000011' });
    r.db.attempts.push({ id: 'd5', callbackId: 's5', seq: 1, mode: 'agent-first', startedAt: T + 190_000, endedAt: null, outcome: null, placeholderRef: 'cbph-d5', customerRef: null });
    onlyThis(r, 'callbacks stuck', 5);
  });

  it('callers parked: left in the observe hop, left in the CallBack node after a restart, never queued', () => {
    const r = clean();
    const base: CallerRecord = { ...r.callers[0], servedAt: null, goneAt: null };
    r.callers.push({ ...base, callId: 'hop;2', stasis: [{ args: 'observe,support', start: T + 2000, end: T + 9000 }] });
    r.callers.push({ ...base, kind: 'ivr0', entry: 'ivr', callId: 'ivr;2', queued: [], stasis: [{ args: 'callback,support,0', start: T + 99_000, end: T + 110_000 }] });
    r.callers.push({ ...base, callId: 'never;2', queued: [], placedAt: T + 50_000, goneAt: T + 80_000, stasis: [] });
    r.end.channels.push({ id: 'stranger', appName: 'Stasis', appData: 'callbackd,observe,support' });
    onlyThis(r, 'callers parked', 4);
  });

  it('callers parked: a CallBack dialog that simply ends, or one cut by a kill but hung up soon after the restart, is not parked', () => {
    const r = clean();
    const base: CallerRecord = { ...r.callers[0], kind: 'ivr0', entry: 'ivr', queued: [], servedAt: null };
    r.callers.push({ ...base, callId: 'dialog;2', stasis: [{ args: 'callback,support,0', start: T + 20_000, end: T + 28_000 }] });
    r.callers.push({ ...base, callId: 'soon;2', stasis: [{ args: 'callback,support,0', start: T + 99_000, end: T + 102_000 }] });
    // In the observe hop for 4 s, across the kill at T + 100 s: under 3 s of it with a daemon connected.
    r.callers.push({ ...base, entry: 'queue', callId: 'hop-kill;2', queued: [T + 103_600], stasis: [{ args: 'observe,support', start: T + 99_500, end: T + 103_500 }] });
    // Cut by the kill, and the restarted daemon spoke to them again within the grace: picked up.
    r.callers.push({ ...base, callId: 'again;2', stasis: [{ args: 'callback,support,0', start: T + 99_000, end: T + 115_000 }], heard: [T + 99_100, T + 101_500] });
    assert.equal(counts(r)['callers parked'], 0);
  });

  it('channels left after their attempt: a customer still in Stasis for an attempt that is over', () => {
    const r = clean();
    r.end.channels.push({ id: 'cbcu-a1', appName: 'Stasis', appData: 'callbackd,customer,a1' });
    onlyThis(r, 'channels left after their attempt');
    r.db.attempts[0].endedAt = null;
    assert.equal(counts(r)['channels left after their attempt'], 0, 'an attempt under way still owns its customer');
  });

  it('daemon exits not caused by the storm are counted', () => {
    const r = clean();
    r.unexpectedExits = 1;
    onlyThis(r, 'daemon exits not caused by the storm');
  });
});
