import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import type { CallingWindow } from '../../src/config/types';
import { decideAfterAttempt, initialDueAt, isExpired } from '../../src/domain/retry';
import { isOpen, nextOpening } from '../../src/domain/window';
import { testRule } from '../helpers/config';

const zone = 'Europe/Prague';
const at = (iso: string) => DateTime.fromISO(iso, { zone }).toMillis();
const iso = (ms: number | null) => (ms === null ? null : DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }));

const officeHours: CallingWindow = {
  timezone: zone,
  hours: { mon: ['08:00-12:00', '13:00-17:00'], tue: ['08:00-17:00'], wed: ['08:00-17:00'], thu: ['08:00-17:00'], fri: ['08:00-15:00'], sun: ['01:00-04:00'] },
  datesOff: ['2026-12-24'],
};

describe('calling window', () => {
  it('keeps a time inside the window', () => {
    assert.equal(iso(nextOpening(at('2026-11-24T10:15:00'), officeHours)), '2026-11-24T10:15:00+01:00');
    assert.ok(isOpen(at('2026-11-23T13:00:00'), officeHours));
  });

  it('moves a time outside the window to the next opening', () => {
    assert.equal(iso(nextOpening(at('2026-11-23T12:30:00'), officeHours)), '2026-11-23T13:00:00+01:00', 'lunch break');
    assert.equal(iso(nextOpening(at('2026-11-24T17:00:00'), officeHours)), '2026-11-25T08:00:00+01:00', 'end is exclusive');
    assert.equal(iso(nextOpening(at('2026-11-27T16:00:00'), officeHours)), '2026-11-29T01:00:00+01:00', 'Friday evening to Sunday night');
  });

  it('skips dates off', () => {
    assert.equal(iso(nextOpening(at('2026-12-23T18:00:00'), officeHours)), '2026-12-25T08:00:00+01:00');
  });

  it('follows daylight-saving changes in the window time zone', () => {
    // Prague moves to summer time at 02:00 on Sunday 29 March 2026 (02:00 → 03:00).
    const sunday = at('2026-03-29T00:30:00');
    assert.equal(iso(nextOpening(sunday, officeHours)), '2026-03-29T01:00:00+01:00');
    // 01:00-04:00 local is only two real hours that night: 03:30 local is still open, in summer time.
    assert.equal(iso(nextOpening(at('2026-03-29T03:30:00'), officeHours)), '2026-03-29T03:30:00+02:00');
    // Monday 08:00 after the change is 06:00 UTC, not 07:00.
    assert.equal(new Date(nextOpening(at('2026-03-29T05:00:00'), officeHours) as number).toISOString(), '2026-03-30T06:00:00.000Z');
    // Back to winter time on 25 October 2026: Monday 08:00 is 07:00 UTC again.
    assert.equal(new Date(nextOpening(at('2026-10-25T05:00:00'), officeHours) as number).toISOString(), '2026-10-26T07:00:00.000Z');
  });

  it('says never when the window never opens', () => {
    assert.equal(nextOpening(at('2026-11-24T10:00:00'), { timezone: zone, hours: {}, datesOff: [] }), null);
  });

  it('is always open without a window', () => {
    assert.equal(nextOpening(12345, null), 12345);
  });
});

describe('retry and expiry decisions', () => {
  const rule = testRule({ maxAttempts: 3, retryMinutes: { busy: 5, no_answer: 15, default: 10 }, window: officeHours, expiresAfterMinutes: 0 });
  const now = at('2026-11-24T10:00:00');

  it('completes on answer', () => {
    assert.deepEqual(decideAfterAttempt({ attempts: 1, expiresAt: null }, 'answered', rule, now), { kind: 'complete' });
  });

  it('retries after the delay for the outcome', () => {
    assert.deepEqual(decideAfterAttempt({ attempts: 1, expiresAt: null }, 'busy', rule, now), { kind: 'retry', dueAt: now + 5 * 60_000 });
    assert.deepEqual(decideAfterAttempt({ attempts: 1, expiresAt: null }, 'no_answer', rule, now), { kind: 'retry', dueAt: now + 15 * 60_000 });
    const sparse = { ...rule, retryMinutes: { busy: 5, default: 10 } };
    assert.deepEqual(decideAfterAttempt({ attempts: 1, expiresAt: null }, 'congestion', sparse, now), { kind: 'retry', dueAt: now + 10 * 60_000 }, 'unlisted outcomes use default');
  });

  it('moves a retry that falls outside the window to the next opening', () => {
    const late = at('2026-11-24T16:55:00');
    assert.equal(iso((decideAfterAttempt({ attempts: 1, expiresAt: null }, 'busy', rule, late) as { dueAt: number }).dueAt), '2026-11-25T08:00:00+01:00');
  });

  it('fails when attempts are used up or the failure is permanent', () => {
    assert.equal(decideAfterAttempt({ attempts: 3, expiresAt: null }, 'busy', rule, now).kind, 'fail');
    assert.equal(decideAfterAttempt({ attempts: 1, expiresAt: null }, 'invalid_number', rule, now).kind, 'fail');
  });

  it('expires instead of retrying past the deadline', () => {
    assert.equal(decideAfterAttempt({ attempts: 1, expiresAt: now + 60_000 }, 'busy', rule, now).kind, 'expire');
    assert.ok(isExpired({ expiresAt: now }, now));
    assert.ok(!isExpired({ expiresAt: now + 1 }, now));
    assert.ok(!isExpired({ expiresAt: null }, now));
  });

  it('computes the first due time from the delay and the window', () => {
    assert.equal(iso(initialDueAt(at('2026-11-24T16:50:00'), 15, rule)), '2026-11-25T08:00:00+01:00');
    assert.equal(initialDueAt(now, 15, testRule()), now + 15 * 60_000);
  });
});
