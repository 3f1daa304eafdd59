import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { numberSounds, timeSounds } from '../../src/asterisk/say-time';
import type { SpokenTime } from '../../src/pbx/gateway';

/** Names in Asterisk's English core sounds (the fixture core-sounds.test.ts reads too). */
function coreSounds(): Set<string> {
  const text = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'asterisk', 'core-sounds-en.txt'), 'utf8');
  return new Set(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')));
}

const names = (time: SpokenTime) => timeSounds(time).map((uri) => uri.replace(/^sound:/, ''));

describe('Asterisk: a day and time said with core sounds', () => {
  const sounds = coreSounds();

  it('says a 24-hour time the way SayUnixTime does', () => {
    assert.deepEqual(names({ day: { kind: 'today' }, hour: 14, minute: 30 }), ['digits/today', 'digits/at', 'digits/14', 'digits/30']);
    assert.deepEqual(names({ day: { kind: 'tomorrow' }, hour: 9, minute: 5 }), ['digits/tomorrow', 'digits/at', 'digits/9', 'digits/oh', 'digits/5']);
    assert.deepEqual(names({ day: { kind: 'today' }, hour: 23, minute: 0 }), ['digits/today', 'digits/at', 'digits/20', 'digits/3', 'digits/oclock']);
    assert.deepEqual(names({ day: { kind: 'today' }, hour: 0, minute: 47 }), ['digits/today', 'digits/at', 'digits/0', 'digits/40', 'digits/7']);
  });

  it('names weekdays from Sunday (day-0) and dates by month and ordinal', () => {
    assert.deepEqual(names({ day: { kind: 'weekday', weekday: 7 }, hour: 8, minute: 0 }).slice(0, 1), ['digits/day-0']);
    assert.deepEqual(names({ day: { kind: 'weekday', weekday: 1 }, hour: 8, minute: 0 }).slice(0, 1), ['digits/day-1']);
    assert.deepEqual(names({ day: { kind: 'date', month: 1, day: 21 }, hour: 8, minute: 0 }).slice(0, 3), ['digits/mon-0', 'digits/20', 'digits/h-1']);
    assert.deepEqual(names({ day: { kind: 'date', month: 12, day: 30 }, hour: 8, minute: 0 }).slice(0, 2), ['digits/mon-11', 'digits/h-30']);
  });

  it('uses only sounds that exist, for every day, hour and minute', () => {
    const days: SpokenTime['day'][] = [{ kind: 'today' }, { kind: 'tomorrow' }];
    for (let weekday = 1; weekday <= 7; weekday++) days.push({ kind: 'weekday', weekday });
    for (let month = 1; month <= 12; month++) for (let day = 1; day <= 31; day++) days.push({ kind: 'date', month, day });
    const said: SpokenTime[] = days.map((day) => ({ day, hour: 12, minute: 0 }));
    for (let hour = 0; hour < 24; hour++) for (let minute = 0; minute < 60; minute++) said.push({ day: { kind: 'today' }, hour, minute });
    const missing = new Set(said.flatMap(names).filter((name) => !sounds.has(name)));
    assert.deepEqual([...missing], []);
  });

  it('says numbers up to 99', () => {
    assert.deepEqual(numberSounds(20), ['digits/20']);
    assert.deepEqual(numberSounds(59), ['digits/50', 'digits/9']);
  });
});
