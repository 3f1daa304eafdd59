import assert from 'node:assert/strict';
import path from 'node:path';
import { removeDir, tempDir } from '../helpers/tmp';
import { cli, failedInOneLine, jsonError } from './run';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

describe('callbackd reschedule and call-now', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = tempDir();
    env = { CALLBACKD_DB: path.join(dir, 'data', 'callbackd.db'), CALLBACKD_DEFAULT_COUNTRY: 'CZ', TZ: 'Europe/Prague' };
  });
  afterEach(() => removeDir(dir));

  const create = (number = '+420601111222'): { id: string; dueAt: string } => {
    const r = cli(['create', '--number', number, '--queue', 'support', '--delay-minutes', '30', '--json'], env, dir);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { id: string; dueAt: string };
  };
  const events = (id: string): { type: string; data: Record<string, unknown> }[] => JSON.parse(cli(['show', id, '--json'], env, dir).stdout).events;

  it('moves a callback to a given time, with its reason, in the history', () => {
    const { id } = create();
    const due = new Date(Math.ceil((Date.now() + 2 * 3_600_000) / 1000) * 1000);
    const r = cli(['reschedule', id, '--due', due.toISOString(), '--reason', 'customer asked', '--json'], env, dir);
    assert.equal(r.status, 0, r.stderr);
    const moved = JSON.parse(r.stdout);
    assert.deepEqual([moved.id, moved.status, Date.parse(moved.dueAt)], [id, 'Scheduled', due.getTime()]);
    assert.match(moved.dueAt, ISO);
    const rescheduled = events(id).find((e) => e.type === 'Rescheduled');
    assert.deepEqual(rescheduled?.data, { dueAt: moved.dueAt, by: 'cli', reason: 'customer asked' });
  });

  it('moves it by a delay, or to now, and says when it is due', () => {
    const { id } = create();
    const later = cli(['reschedule', id, '--delay-minutes', '10'], env, dir);
    assert.equal(later.status, 0, later.stderr);
    const m = /^rescheduled (\S+): due (\S+)\n$/.exec(later.stdout);
    assert.ok(m, later.stdout);
    assert.equal(m[1], id);
    assert.match(m[2], ISO);
    assert.ok(Math.abs(Date.parse(m[2]) - (Date.now() + 10 * 60_000)) < 10_000, m[2]);
    const now = JSON.parse(cli(['reschedule', id, '--due', 'now', '--json'], env, dir).stdout);
    assert.ok(Math.abs(Date.parse(now.dueAt) - Date.now()) < 10_000, now.dueAt);
  });

  it('calls now, recorded as a reschedule with callNow and the reason', () => {
    const { id } = create();
    const r = cli(['call-now', id, '--reason', 'VIP'], env, dir);
    assert.equal(r.status, 0, r.stderr);
    const m = /^calling now (\S+): due (\S+)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Math.abs(Date.parse(m[2]) - Date.now()) < 10_000, m[2]);
    const rescheduled = events(id).find((e) => e.type === 'Rescheduled');
    assert.deepEqual([rescheduled?.data.by, rescheduled?.data.reason, rescheduled?.data.callNow], ['cli', 'VIP', true]);
    const json = JSON.parse(cli(['call-now', id, '--json'], env, dir).stdout);
    assert.equal(json.status, 'Scheduled');
  });

  it('refuses without a time, with both, in the past, for an unknown id and for a settled callback, in one line', () => {
    const { id, dueAt } = create();
    assert.match(failedInOneLine(cli(['reschedule', id], env, dir), 1), /give --due \(an ISO 8601 time, or "now"\) or --delay-minutes/);
    assert.match(failedInOneLine(cli(['reschedule', id, '--due', 'now', '--delay-minutes', '5'], env, dir), 1), /not both/);
    assert.match(failedInOneLine(cli(['reschedule', id, '--due', '2020-01-01T10:00:00+01:00'], env, dir), 1), /is in the past/);
    assert.equal(jsonError(cli(['reschedule', id, '--json'], env, dir), 1).code, 'invalid_request');
    assert.match(failedInOneLine(cli(['call-now', id.slice(0, 8)], env, dir), 1), /not found \(give the whole id/);
    assert.equal(jsonError(cli(['reschedule', 'no-such-id', '--delay-minutes', '1', '--json'], env, dir), 1).code, 'not_found');
    assert.equal(JSON.parse(cli(['show', id, '--json'], env, dir).stdout).dueAt, dueAt, 'nothing moved');
    assert.equal(cli(['cancel', id], env, dir).status, 0);
    const settled = jsonError(cli(['call-now', id, '--json'], env, dir), 1);
    assert.deepEqual([settled.code, settled.message], ['illegal_transition', 'a Cancelled callback does not accept "reschedule"']);
  });

  it('does not make a database that is not there', () => {
    assert.equal(jsonError(cli(['call-now', 'x', '--json'], env, dir), 1).code, 'database_missing');
    assert.equal(jsonError(cli(['reschedule', 'x', '--delay-minutes', '1', '--json'], env, dir), 1).code, 'database_missing');
  });
});
