import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';
import { ManualClock } from '../../src/domain/clock';
import { Callbacks } from '../../src/engine/callbacks';
import { QueueCalls } from '../../src/engine/queue-calls';
import { createSilentLogger } from '../../src/log';
import { SqliteStore } from '../../src/store/sqlite-store';
import { removeDir, tempDir } from '../helpers/tmp';
import { cli } from './run';

const RULES = (supportMinWait: number) => `
defaultCountry: CZ
transitions:
  - name: support-night
    sourceQueue: support
    targetQueue: support-callbacks
    schedule: { timezone: Europe/Prague, from: '20:00', to: '08:00' }
  - name: support
    sourceQueue: support
    minWaitSeconds: ${supportMinWait}
    numbers:
      blockPatterns: ['^\\+420900']
`;

const T = Date.parse('2026-11-24T09:00:00Z');

describe('callbackd rules explain and rules replay', () => {
  let dir: string;
  let live: string;
  beforeEach(() => {
    dir = tempDir();
    live = path.join(dir, 'callbackd.yaml');
    fs.writeFileSync(live, `db: ${path.join(dir, 'cb.db')}\n${RULES(20)}`);
  });
  afterEach(() => removeDir(dir));

  /** The daemon's engine, in this process, loses three calls into the database the commands then read. */
  async function loseCalls(): Promise<void> {
    const config = loadConfig({ file: live, env: {} });
    const store = SqliteStore.open(config.db);
    const clock = new ManualClock(T);
    const logger = createSilentLogger();
    const callbacks = new Callbacks(store, config, clock, logger);
    const calls = new QueueCalls(store, callbacks, config, clock, logger);
    const lose = async (callId: string, number: string, waitSeconds: number) => {
      await calls.entered({ callId, number, queue: 'support', at: clock.now(), form: {} });
      await calls.gone({ callId, queue: 'support', at: clock.now() + waitSeconds * 1000, how: 'abandoned', position: 1, waitSeconds });
      clock.advance(60_000);
    };
    await lose('long-wait', '+420601000001', 45);
    await lose('short-wait', '+420601000002', 12);
    await lose('premium', '+420900123456', 60);
    await store.close();
  }

  it('explains which transition takes a call at night and why the day one does not', () => {
    const r = cli(['-c', live, 'rules', 'explain', '--queue', 'support', '--number', '601000001', '--at', '2026-11-24T22:15', '--tz', 'Europe/Prague'], {}, dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 +support-night +YES/);
    assert.match(r.stdout, /2 +support +no +would apply, but an earlier transition already does/);
    assert.match(r.stdout, /becomes a callback in support-callbacks/);
    assert.match(r.stdout, /Transition used: support-night \(callbacks handled by queue support-callbacks\)/);
  });

  it('replays a period: the same decisions by the rules in force, the consequences of a changed rule call by call', async () => {
    await loseCalls();
    const same = cli(['-c', live, 'rules', 'replay', '--from', '2026-11-24T00:00Z', '--to', '2026-11-25T00:00Z', '--json'], {}, dir);
    assert.equal(same.status, 0, same.stderr);
    const report = JSON.parse(same.stdout) as { calls: number; changed: number; rows: { callId: string; actual: { reason: string }; replayed: { reason: string }; same: boolean }[] };
    assert.equal(report.calls, 3);
    assert.equal(report.changed, 0);
    assert.deepEqual(
      report.rows.map((r) => [r.callId, r.actual.reason, r.replayed.reason]),
      [
        ['long-wait', 'shifted', 'shifted'],
        ['short-wait', 'too_short', 'too_short'],
        ['premium', 'number_not_allowed', 'number_not_allowed'],
      ],
    );

    // The supervisor copies the configuration, lowers minWaitSeconds, and asks what it would have done.
    const changed = path.join(dir, 'new.yaml');
    fs.writeFileSync(changed, RULES(10));
    const text = cli(['-c', live, 'rules', 'replay', '--from', '2026-11-24T00:00Z', '--to', '2026-11-25T00:00Z', '--rules', changed], {}, dir);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /short-wait +\+420601000002 +support +12s +too_short +shifted to support by support, due \S+ +CHANGED/);
    assert.match(text.stdout, /3 lost call\(s\); 1 decided otherwise\./);
    const onlyChanged = cli(['-c', live, 'rules', 'replay', '--from', '2026-11-24T00:00Z', '--rules', changed, '--changed'], {}, dir);
    assert.doesNotMatch(onlyChanged.stdout, /long-wait/);
    assert.match(onlyChanged.stdout, /short-wait/);
  });

  it('says so when there is nothing to replay, and refuses a bad period in one line', async () => {
    await loseCalls();
    const empty = cli(['-c', live, 'rules', 'replay', '--from', '2025-01-01T00:00Z', '--to', '2025-01-02T00:00Z'], {}, dir);
    assert.equal(empty.status, 0, empty.stderr);
    assert.match(empty.stdout, /No lost call was recorded in that period\./);
    const missing = cli(['-c', live, 'rules', 'explain'], {}, dir);
    assert.equal(missing.stderr.trim(), "callbackd: required option '--queue <queue>' not specified; see callbackd rules explain --help");
    const bad = cli(['-c', live, 'rules', 'replay', '--from', 'last week'], {}, dir);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /from "last week" is not an ISO 8601 time/);
  });
});
