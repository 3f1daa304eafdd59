import { strict as assert } from 'node:assert';
import os from 'node:os';
import path from 'node:path';
import { Daemon } from '../../../src/daemon';
import { AlreadyRunningError } from '../../../src/domain/errors';
import { createSilentLogger } from '../../../src/log';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { killed, runCli, startCli } from '../../helpers/cli';
import { testConfig } from '../../helpers/config';
import { removeDir, tempDir } from '../../helpers/tmp';

// The store's side of this (join refuses a second live daemon) is in conformance/seats.test.ts;
// here the daemon and the command line that rely on it.
describe('store (sqlite only): one daemon per database file', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('a second Daemon on the same file does not start; after the first stops, it does', async () => {
    const config = testConfig({ db: path.join(dir, 'cb.db') });
    const first = await Daemon.open({ config, logger: createSilentLogger(), gateway: null });
    await first.start();
    const second = await Daemon.open({ config, logger: createSilentLogger(), gateway: null });
    await assert.rejects(second.start(), (err: unknown) => err instanceof AlreadyRunningError && /another callbackd \(pid \d+/.test(err.message));
    await second.stop();
    await first.stop();
    const third = await Daemon.open({ config, logger: createSilentLogger(), gateway: null });
    await third.start();
    await third.stop();
  });

  it('a seat left by an earlier process with this pid on this host (a restarted container) does not block the start', async () => {
    const config = testConfig({ db: path.join(dir, 'cb.db') });
    const store = SqliteStore.open(config.db);
    await store.join({ owner: 'before-the-restart', host: os.hostname(), pid: process.pid, pbx: config.pbxName }, Date.now(), 30_000, () => true);
    await store.close();
    const daemon = await Daemon.open({ config, logger: createSilentLogger(), gateway: null });
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
