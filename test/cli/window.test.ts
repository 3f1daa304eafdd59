import assert from 'node:assert/strict';
import { removeDir, tempDir } from '../helpers/tmp';
import { cli } from './run';

describe('callbackd create: the calling window', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('says when the calling window moved the due time, and where to', () => {
    const env = {
      CALLBACKD_DEFAULT_COUNTRY: 'CZ',
      // Open one hour a week, so "in a minute" is almost never inside it.
      CALLBACKD_TRANSITIONS: JSON.stringify([{ name: 'support', sourceQueue: 'support', window: { timezone: 'Europe/Prague', hours: { sun: ['03:00-03:01'] } } }]),
    };
    const r = cli(['create', '--number', '+420601111222', '--queue', 'support', '--delay-minutes', '1'], env, dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /due \S+ \(moved from \S+ to the next opening of the calling window of transition "support", Europe\/Prague\)/);
  });

  it('says nothing more without a window', () => {
    const r = cli(['create', '--number', '+420601111222', '--queue', 'support', '--delay-minutes', '1'], { CALLBACKD_DEFAULT_COUNTRY: 'CZ' }, dir);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /moved/);
  });
});
