import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load';
import { checkTransition, explainTransitions, findTransition } from '../../src/domain/rules';
import { scheduleVerdict } from '../../src/domain/schedule';
import { testConfig } from '../helpers/config';
import type { TransitionSchedule } from '../../src/config/types';

const schedule = (fields: Partial<TransitionSchedule>): TransitionSchedule => ({ timezone: 'Europe/Prague', weekly: null, dateFrom: '', dateTo: '', yearly: [], from: '', to: '', ...fields });
const at = (iso: string) => Date.parse(iso);

describe('domain: transition schedules', () => {
  it('is always in force without a schedule', () => {
    assert.equal(scheduleVerdict(at('2026-12-03T12:00:00Z'), null).applies, true);
  });

  it('reads daily times on the zone\'s wall clock, a range past midnight included', () => {
    const night = schedule({ from: '20:00', to: '08:00' });
    // Prague is UTC+1 in December.
    const cases: [string, boolean][] = [
      ['2026-12-03T18:59:59Z', false], // 19:59:59
      ['2026-12-03T19:00:00Z', true], // 20:00
      ['2026-12-03T23:30:00Z', true], // 00:30 the next day
      ['2026-12-04T06:59:00Z', true], // 07:59
      ['2026-12-04T07:00:00Z', false], // 08:00: the end is not inside
    ];
    assert.deepEqual(cases.map(([iso]) => scheduleVerdict(at(iso), night).applies), cases.map(([, applies]) => applies));
    const day = schedule({ from: '08:00', to: '20:00' });
    assert.deepEqual(cases.map(([iso]) => scheduleVerdict(at(iso), day).applies), cases.map(([, applies]) => !applies));
  });

  it('keeps wall-clock times across the spring daylight-saving change (Prague, 29 March 2026)', () => {
    const night = schedule({ from: '20:00', to: '08:00' });
    // 02:00 CET jumps to 03:00 CEST at 01:00 UTC: 08:00 local is 07:00 UTC before the change, 06:00 UTC after.
    assert.equal(scheduleVerdict(at('2026-03-28T06:59:00Z'), night).applies, true); // 07:59 CET
    assert.equal(scheduleVerdict(at('2026-03-28T07:00:00Z'), night).applies, false); // 08:00 CET
    assert.equal(scheduleVerdict(at('2026-03-29T05:59:00Z'), night).applies, true); // 07:59 CEST
    assert.equal(scheduleVerdict(at('2026-03-29T06:00:00Z'), night).applies, false); // 08:00 CEST
    assert.equal(scheduleVerdict(at('2026-03-29T06:30:00Z'), night).applies, false); // 08:30 CEST, which was 07:30 the day before
    assert.equal(scheduleVerdict(at('2026-03-29T18:00:00Z'), night).applies, true); // 20:00 CEST
  });

  it('keeps wall-clock times across the autumn change, and across the US one in its own zone', () => {
    const early = schedule({ from: '01:00', to: '03:00' });
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET at 01:00 UTC, so 01:00-03:00 local lasts three hours.
    assert.equal(scheduleVerdict(at('2026-10-24T23:00:00Z'), early).applies, true); // 01:00 CEST
    assert.equal(scheduleVerdict(at('2026-10-25T01:30:00Z'), early).applies, true); // 02:30 CET, the second time round
    assert.equal(scheduleVerdict(at('2026-10-25T02:00:00Z'), early).applies, false); // 03:00 CET
    const newYork = schedule({ timezone: 'America/New_York', weekly: { sun: ['09:00-17:00'] } });
    // 1 November 2026, fall back at 06:00 UTC: 09:00 EST is 14:00 UTC.
    assert.equal(scheduleVerdict(at('2026-11-01T13:59:00Z'), newYork).applies, false);
    assert.equal(scheduleVerdict(at('2026-11-01T14:00:00Z'), newYork).applies, true);
    assert.equal(scheduleVerdict(at('2026-11-01T21:59:00Z'), newYork).applies, true);
  });

  it('reads weekly hours, a date range and yearly dates, every condition together', () => {
    const weekdays = schedule({ weekly: { mon: ['09:00-17:00'], fri: ['09:00-12:00'] } });
    assert.equal(scheduleVerdict(at('2026-11-30T10:00:00Z'), weekdays).applies, true); // Monday 11:00
    assert.equal(scheduleVerdict(at('2026-12-04T11:30:00Z'), weekdays).applies, false); // Friday 12:30
    assert.match(scheduleVerdict(at('2026-12-05T10:00:00Z'), weekdays).why, /no weekly hours on sat/);
    const season = schedule({ dateFrom: '2026-12-20', dateTo: '2027-01-06' });
    assert.equal(scheduleVerdict(at('2026-12-19T22:59:00Z'), season).applies, false); // 23:59 on the 19th
    assert.equal(scheduleVerdict(at('2026-12-19T23:00:00Z'), season).applies, true); // 00:00 on the 20th
    assert.equal(scheduleVerdict(at('2027-01-06T22:59:00Z'), season).applies, true);
    assert.equal(scheduleVerdict(at('2027-01-06T23:00:00Z'), season).applies, false);
    const holidays = schedule({ yearly: ['12-24..12-26', '12-31..01-01', '05-01'] });
    for (const [iso, applies] of [
      ['2030-12-24T12:00:00Z', true],
      ['2030-12-27T12:00:00Z', false],
      ['2031-01-01T12:00:00Z', true],
      ['2031-01-02T12:00:00Z', false],
      ['2031-05-01T12:00:00Z', true],
    ] as const) {
      assert.equal(scheduleVerdict(at(iso), holidays).applies, applies, iso);
    }
    const christmasNights = schedule({ yearly: ['12-24..12-26'], from: '18:00', to: '06:00' });
    assert.equal(scheduleVerdict(at('2026-12-24T20:00:00Z'), christmasNights).applies, true);
    assert.equal(scheduleVerdict(at('2026-12-24T12:00:00Z'), christmasNights).applies, false);
  });
});

describe('domain: the transition for a call', () => {
  const config = testConfig({
    transitions: [
      { name: 'support-night', sourceQueue: 'support', targetQueue: 'night-callbacks', mechanisms: ['LostShift'], schedule: { timezone: 'Europe/Prague', from: '20:00', to: '08:00' } },
      { name: 'support', sourceQueue: 'support' },
      { name: 'sales', sourceQueue: 'sales', mechanisms: ['IvrCallBack'] },
      { name: 'rest', sourceQueue: '*', mechanisms: ['IvrCallBack', 'manual'] },
    ],
  });
  const night = at('2026-12-03T21:00:00Z');
  const day = at('2026-12-03T10:00:00Z');

  it('takes the first transition in the list that applies', () => {
    assert.equal(findTransition(config.transitions, 'support', 'LostShift', night)?.name, 'support-night');
    assert.equal(findTransition(config.transitions, 'support', 'LostShift', day)?.name, 'support');
    assert.equal(findTransition(config.transitions, 'support', 'IvrCallBack', night)?.name, 'support');
    assert.equal(findTransition(config.transitions, 'sales', 'IvrCallBack', day)?.name, 'sales');
    assert.equal(findTransition(config.transitions, 'sales', 'manual', day)?.name, 'rest');
    assert.equal(findTransition(config.transitions, 'sales', 'LostShift', day), null);
    assert.equal(findTransition(config.transitions, 'billing', 'manual', day)?.name, 'rest');
  });

  it('explains every transition: the one used, the ones that do not match and why, the ones an earlier one shadows', () => {
    const checks = explainTransitions(config.transitions, 'support', 'LostShift', night);
    assert.deepEqual(checks.map((c) => [c.name, c.applies]), [['support-night', true], ['support', false], ['sales', false], ['rest', false]]);
    assert.match(checks[0].why, /Thu 2026-12-03 22:00 in Europe\/Prague: within the schedule/);
    assert.match(checks[1].why, /would apply, but an earlier transition already does/);
    assert.match(checks[2].why, /source queue is "sales", not "support"/);
    assert.match(checks[3].why, /does not enable LostShift/);
    assert.match(checkTransition(config.transitions[0], 'support', 'LostShift', day).why, /not in force: .*11:00 is outside 20:00-08:00/);
  });

  it('refuses to start with a transition an earlier one always takes the calls of, or a schedule that is never in force', () => {
    const refused = (transitions: unknown[], pattern: RegExp) => assert.throws(() => loadConfig({ env: { CALLBACKD_TRANSITIONS: JSON.stringify(transitions) } }), pattern);
    refused([{ name: 'all', sourceQueue: '*' }, { name: 'support', sourceQueue: 'support' }], /transitions\[1\].*"support" is never used: "all" comes first/);
    refused([{ name: 'a', sourceQueue: 'support', schedule: { timezone: 'Europe/Prague', from: '20:00' } }], /transitions\[0\]\.schedule\.to.*from and to go together/);
    refused([{ name: 'a', sourceQueue: 'support', schedule: { timezone: 'Europe/Prague', dateFrom: '2027-01-02', dateTo: '2027-01-01' } }], /dateTo.*before dateFrom/);
    refused([{ name: 'a', sourceQueue: 'support', schedule: { timezone: 'Europe/Prague', yearly: ['13-01'] } }], /yearly\[0\].*not a day of the year/);
    refused([{ name: 'a', sourceQueue: 'support', schedule: { timezone: 'Mars/Olympus' } }], /schedule\.timezone.*IANA/);
    // A catch-all after specific ones, or one with a schedule first, is fine.
    loadConfig({ env: { CALLBACKD_TRANSITIONS: JSON.stringify([{ name: 'night', sourceQueue: '*', schedule: { timezone: 'UTC', from: '20:00', to: '08:00' } }, { name: 'all', sourceQueue: '*' }]) } });
  });
});
