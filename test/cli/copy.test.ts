import assert from 'node:assert/strict';
import path from 'node:path';
import { openStore } from '../../src/store/open';
import { killed, runCli, startCli } from '../helpers/cli';
import { freshPostgresDatabase, postgresAvailable } from '../helpers/postgres';
import { removeDir, tempDir } from '../helpers/tmp';

/** `callbackd copy`: an administrator moving the callbacks of a SQLite file to PostgreSQL, as the README tells. */
describe('callbackd copy: from SQLite to PostgreSQL', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;
  let url: string;
  let drop: () => Promise<void> = async () => {};

  before(async function () {
    const why = await postgresAvailable();
    if (!why) return;
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is needed in CI: ${why}`);
    console.log(`      copy to PostgreSQL not tested here: ${why}`);
    this.skip();
  });

  beforeEach(async () => {
    dir = tempDir('callbackd-copy-');
    env = { CALLBACKD_DB: path.join(dir, 'callbackd.db'), CALLBACKD_DEFAULT_COUNTRY: 'CZ' };
    ({ url, drop } = await freshPostgresDatabase());
  });

  afterEach(async () => {
    removeDir(dir);
    await drop();
  });

  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra }, dir);
  const onPostgres = () => ({ CALLBACKD_STORE: 'postgres', CALLBACKD_STORE_URL: url });

  it('copies every callback with its history, says so, can run again, and the daemon then runs on PostgreSQL', async () => {
    const made = ['+420601000301', '+420601000302', '+420601000303'].map((number) => {
      const r = cli(['create', '--number', number, '--queue', 'support', '--delay-minutes', '30', '--json']);
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { id: string }).id;
    });
    assert.equal(cli(['cancel', made[2]]).status, 0);

    // The private cluster trusts local connections, so a password in the URL is accepted and must never be printed.
    const withPassword = url.replace('://callbackd_test@', '://callbackd_test:s3cret-pw@');
    const first = cli(['copy', '--to', withPassword]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /callbacks: 3 read, 3 written/);
    assert.match(first.stdout, /events: \d+ read, \d+ written\n/);
    assert.match(first.stdout, /done: the callbacks of both stores agree, status by status/);
    assert.ok(withPassword.includes('s3cret-pw') && !first.stdout.includes('s3cret-pw'), 'the password is masked');
    assert.match(first.stdout, /-> postgres:\/\/callbackd_test:\*\*\*@127\.0\.0\.1/);

    const again = cli(['copy', '--to', url]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /callbacks: 3 read, 0 written \(3 were there already\)/);

    const shown = cli(['show', made[2], '--json'], onPostgres());
    assert.equal(shown.status, 0, shown.stderr);
    const copied = JSON.parse(shown.stdout) as { status: string; events: Array<{ type: string }> };
    assert.equal(copied.status, 'Cancelled');
    assert.deepEqual(copied.events.map((e) => e.type), ['Created', 'Note', 'StatusChanged']);

    const source = await openStore({ store: 'sqlite', db: env.CALLBACKD_DB, storeUrl: '' });
    const target = await openStore({ store: 'postgres', storeUrl: url, db: '' });
    try {
      for (const id of made) {
        assert.deepEqual(await target.get(id), await source.get(id));
        assert.deepEqual(await target.eventsOf(id), await source.eventsOf(id));
      }
    } finally {
      await source.close();
      await target.close();
    }

    const daemon = await startCli(['run'], { ...env, ...onPostgres() }, dir, /callbackd ready/);
    try {
      assert.match(daemon.output(), /"store":"postgres"/);
    } finally {
      await killed(daemon.child, 'SIGTERM');
    }
  });

  it('refuses while a daemon runs on the source, and a --to that is neither a PostgreSQL URL nor a file', async () => {
    assert.equal(cli(['create', '--number', '+420601000311', '--queue', 'support']).status, 0);
    const daemon = await startCli(['run'], env, dir, /callbackd ready/);
    try {
      const refused = cli(['copy', '--to', url]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /^callbackd: a daemon \(pid \d+ on .+\) is running on .+callbackd\.db: stop it first, so nothing changes during the copy\n$/);
    } finally {
      await killed(daemon.child, 'SIGTERM');
    }
    const bad = cli(['copy', '--to', 'mysql://db/callbackd']);
    assert.equal(bad.status, 78);
    assert.match(bad.stderr, /--to mysql:\/\/db\/callbackd: give a postgres:\/\/ URL or a SQLite file path/);
  });
});
