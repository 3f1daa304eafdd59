import assert from 'node:assert/strict';
import path from 'node:path';
import { removeDir, tempDir } from '../helpers/tmp';
import { cli, failedInOneLine, jsonError } from './run';

describe('callbackd command line: usage and refused input', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = tempDir();
    env = { CALLBACKD_DB: path.join(dir, 'callbackd.db'), CALLBACKD_DEFAULT_COUNTRY: 'US' };
  });
  afterEach(() => removeDir(dir));

  const create = (args: string[], vars = env) => cli(['create', '--number', '+12025550123', '--queue', 'support', ...args], vars, dir);

  it('usage errors are one line pointing at the command\'s help, not the whole help', () => {
    const cases: [string[], RegExp][] = [
      [['list', '--bogus'], /^callbackd: unknown option '--bogus'; see callbackd list --help$/],
      [['show'], /^callbackd: missing required argument 'id'; see callbackd show --help$/],
      [['create', '--queue', 'support'], /^callbackd: required option '--number <number>' not specified; see callbackd create --help$/],
      [['bogus'], /^callbackd: unknown command 'bogus'; see callbackd --help$/],
      [['--bogus'], /^callbackd: unknown option '--bogus'; see callbackd --help$/],
    ];
    for (const [args, expected] of cases) assert.match(failedInOneLine(cli(args, env, dir), 1, args.join(' ')), expected);
    const help = cli(['list', '--help'], env, dir);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: callbackd list/);
  });

  it('errors under --json are JSON on stderr, with the same exit status', () => {
    assert.deepEqual(jsonError(cli(['list', '--json', '--bogus'], env, dir), 1), { code: 'usage', message: "unknown option '--bogus'; see callbackd list --help" });
    assert.equal(jsonError(cli(['list', '--json', '--limit', '0'], env, dir), 1).code, 'invalid_request');
    assert.equal(jsonError(create(['--json', '--delay-minutes', '-5']), 1).code, 'invalid_request');
    assert.equal(jsonError(cli(['create', '--json', '--number', '+420601111222', '--queue', 'support'], env, dir), 1).code, 'number_not_allowed');
    assert.equal(jsonError(cli(['show', 'x', '--json'], env, dir), 1).code, 'database_missing');
    assert.equal(jsonError(cli(['list', '--json'], { ...env, CALLBACKD_HTTP_PORT: 'abc' }, dir), 78).code, 'config_invalid');
    assert.equal(jsonError(cli(['list', '--json'], { ...env, CALLBACKD_DB: '/proc/x/db' }, dir), 78).code, 'database_unusable');
    assert.ok(create(['--json']).status === 0);
    assert.deepEqual(jsonError(cli(['show', 'nope', '--json'], env, dir), 1).code, 'not_found');
  });

  it('--delay-minutes must be 0 or more; --number must not be empty', () => {
    assert.equal(failedInOneLine(create(['--delay-minutes', '-5']), 1), 'callbackd: --delay-minutes must be 0 or more, not -5 (0 = due now)');
    assert.match(failedInOneLine(create(['--delay-minutes', 'soon']), 1), /--delay-minutes must be a whole number of minutes, not "soon"/);
    assert.match(failedInOneLine(create(['--delay-minutes', '']), 1), /--delay-minutes must be a whole number of minutes/);
    const empty = cli(['create', '--number', '', '--queue', 'support'], env, dir);
    assert.equal(failedInOneLine(empty, 1), 'callbackd: --number is empty: give the number to call back, e.g. +12025550123');
    assert.match(failedInOneLine(cli(['create', '--number', '  ', '--queue', 'support'], env, dir), 1), /--number is empty/);
    assert.match(failedInOneLine(cli(['create', '--number', 'anonymous', '--queue', 'support'], env, dir), 1), /--number "anonymous" is not a phone number/);
  });

  it('a due time in the past is refused; --due now is due now', () => {
    const past = create(['--due', '2020-01-01T10:00:00+01:00']);
    assert.match(failedInOneLine(past, 1), /^callbackd: --due 2020-01-01T10:00:00\+01:00 is in the past \(it is \S+ now\): give a later time, or --due now$/);
    assert.match(failedInOneLine(create(['--due', 'tomorrow']), 1), /--due "tomorrow" is not a date and time/);
    const now = create(['--due', 'now', '--json']);
    assert.equal(now.status, 0, now.stderr);
    assert.ok(Math.abs(Date.parse(JSON.parse(now.stdout).dueAt) - Date.now()) < 10_000);
    const later = cli(['create', '--number', '+12025550124', '--queue', 'support', '--due', new Date(Date.now() + 3_600_000).toISOString(), '--json'], env, dir);
    assert.equal(later.status, 0, later.stderr);
    assert.match(failedInOneLine(create(['--due', 'now', '--delay-minutes', '1']), 1), /give --delay-minutes or --due, not both/);
  });

  it('an unknown queue is refused, naming the transitions key', () => {
    const named = { ...env, CALLBACKD_TRANSITIONS: JSON.stringify([{ name: 'support', sourceQueue: 'support', targetQueue: 'support-callbacks' }, { name: 'sales', sourceQueue: 'sales', mechanisms: ['LostShift'] }]) };
    assert.equal(
      failedInOneLine(create(['--queue', 'suport'], named), 1),
      'callbackd: no transition handles queue "suport" (no transitions[].sourceQueue is "suport" or "*"): give one of support, or add a transition with sourceQueue "suport" (or "*") to transitions',
    );
    assert.equal(
      failedInOneLine(cli(['create', '--number', '+12025550123', '--queue', 'sales'], named, dir), 1),
      'callbackd: no transition enables manual callbacks for queue "sales": add manual to transitions[1].mechanisms (transition "sales": LostShift)',
    );
    assert.match(failedInOneLine(cli(['create', '--number', '+12025550123', '--queue', 'support-callbacks'], named, dir), 1), /it is the targetQueue of transitions\[0\] \(transition "support"\): give its source queue, --queue support$/);
    const ok = cli(['create', '--number', '+12025550123', '--queue', 'support', '--json'], named, dir);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).queue, 'support-callbacks');

    // A catch-all takes any queue; when other transitions name theirs, a note says so (a typo?).
    const withStar = { ...env, CALLBACKD_TRANSITIONS: JSON.stringify([{ name: 'support', sourceQueue: 'support' }, { name: 'rest', sourceQueue: '*' }]) };
    const caught = cli(['create', '--number', '+12025550125', '--queue', 'suport'], withStar, dir);
    assert.equal(caught.status, 0, caught.stderr);
    assert.match(caught.stderr, /^callbackd: note: no transition names queue "suport" \(transitions\[\]\.sourceQueue: support\); the catch-all transition "rest" \(sourceQueue "\*"\) takes it\n$/);
  });

  it('list: --number is read like create reads it, --limit is 1 to 1000, status names in any case', () => {
    assert.equal(create(['--delay-minutes', '5']).status, 0);
    assert.equal(cli(['create', '--number', '+12025550199', '--queue', 'support'], env, dir).status, 0);
    const items = (args: string[]) => {
      const r = cli(['list', '--json', ...args], env, dir);
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { items: { number: string; status: string }[] }).items;
    };
    assert.deepEqual(items(['--number', '2025550123']).map((c) => c.number), ['+12025550123']);
    assert.deepEqual(items(['--number', '(202) 555-0123']).map((c) => c.number), ['+12025550123']);
    assert.match(failedInOneLine(cli(['list', '--number', '12'], env, dir), 1), /--number "12" is not a valid phone number/);
    for (const bad of ['0', '1001', '-1', 'x']) assert.match(failedInOneLine(cli(['list', '--limit', bad], env, dir), 1, bad), /--limit must be a whole number from 1 to 1000/);
    assert.equal(items(['--limit', '1']).length, 1);
    assert.equal(items(['--status', 'scheduled']).length, 2);
    assert.equal(items(['--status', 'SCHEDULED']).length, 2);
    assert.equal(items(['--status', 'cancelled']).length, 0);
    assert.match(failedInOneLine(cli(['list', '--status', 'done'], env, dir), 1), /--status "done" is not a status: give one of Scheduled, Dialing/);
  });
});
