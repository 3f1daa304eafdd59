import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { Daemon } from '../../src/daemon';
import { AlreadyRunningError } from '../../src/domain/errors';
import { createSilentLogger } from '../../src/log';
import { SqliteStore } from '../../src/store/sqlite-store';
import { runCli, startCli, killed } from '../helpers/cli';
import { testConfig } from '../helpers/config';
import { removeDir, tempDir } from '../helpers/tmp';

describe('one daemon per database file', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  const holder = (owner: string, pid = 4242, host = 'box') => ({ owner, host, pid });

  it('refuses a second holder while the first lives, and hands over when it is gone or stale', () => {
    const store = SqliteStore.open(path.join(dir, 'cb.db'));
    try {
      const lock = store.daemonLock;
      assert.deepEqual(lock.acquire(holder('a'), 1000, 30_000, () => true), { ok: true });
      const refused = lock.acquire(holder('b', 4343), 2000, 30_000, () => true);
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.holder.pid, 4242);
      assert.equal(lock.acquire(holder('b', 4343), 2000, 30_000, (held) => held.pid !== 4242).ok, true, 'same host, process gone: taken over at once');
      assert.equal(lock.heartbeat('a', 3000), false, 'the old holder learns it lost the lock');
      assert.equal(lock.acquire(holder('c', 1, 'other-host'), 10_000, 30_000, () => true).ok, false, 'another host waits for staleness');
      assert.equal(lock.acquire(holder('c', 1, 'other-host'), 40_000, 30_000, () => true).ok, true, 'a stale heartbeat is taken over');
      // A restarted container: the new daemon has the old one's pid (1) on the same host name.
      assert.equal(lock.acquire(holder('d', 1, 'other-host'), 41_000, 30_000, (held) => held.owner !== 'c').ok, true, 'a previous incarnation with the same pid is replaced');
    } finally {
      store.close();
    }
  });

  it('a second Daemon on the same file does not start; after the first stops, it does', async () => {
    const config = testConfig({ db: path.join(dir, 'cb.db') });
    const first = new Daemon({ config, logger: createSilentLogger(), gateway: null, watchMs: 0 });
    await first.start();
    const second = new Daemon({ config, logger: createSilentLogger(), gateway: null, watchMs: 0 });
    await assert.rejects(second.start(), (err: unknown) => err instanceof AlreadyRunningError && /another callbackd \(pid \d+/.test(err.message));
    await second.stop();
    await first.stop();
    const third = new Daemon({ config, logger: createSilentLogger(), gateway: null, watchMs: 0 });
    await third.start();
    await third.stop();
  });

  it('a lock left by an earlier process with this pid on this host (a restarted container) does not block the start', async () => {
    const config = testConfig({ db: path.join(dir, 'cb.db') });
    const store = SqliteStore.open(config.db);
    store.daemonLock.acquire({ owner: 'before-the-restart', host: os.hostname(), pid: process.pid }, Date.now(), 30_000, () => true);
    store.close();
    const daemon = new Daemon({ config, logger: createSilentLogger(), gateway: null, watchMs: 0 });
    await daemon.start();
    await daemon.stop();
  });

  it('callbackd run refuses to start beside a running one, in one line that says what to do', async () => {
    const env = { CALLBACKD_DB: path.join(dir, 'cb.db') };
    const { child } = await startCli(['run'], env, dir, /callbackd ready/);
    try {
      const second = runCli(['run'], env, dir);
      assert.notEqual(second.status, 0);
      assert.match(second.stderr, /another callbackd \(pid \d+ on .+\) is running on .*cb\.db.*stop it first, or give this one its own database/);
      assert.ok(!/\n\s+at /.test(second.stderr), `no stack trace: ${second.stderr}`);
    } finally {
      await killed(child, 'SIGKILL');
    }
    const { child: after } = await startCli(['run'], env, dir, /callbackd ready/);
    await killed(after, 'SIGTERM');
  });
});
