import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killed, runCli, startCli } from '../helpers/cli';
import { removeDir, tempDir } from '../helpers/tmp';

describe('callbackd command line', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = tempDir();
    env = { CALLBACKD_DB: path.join(dir, 'data', 'callbackd.db'), CALLBACKD_DEFAULT_COUNTRY: 'CZ', CALLBACKD_HTTP_PORT: '0' };
  });
  afterEach(() => removeDir(dir));

  it('creates a callback, lists it Scheduled with its due time, and shows it', () => {
    const created = runCli(['create', '--number', '+420601111222', '--queue', 'support', '--delay-minutes', '1', '--json'], env, dir);
    assert.equal(created.status, 0, created.stderr);
    const cb = JSON.parse(created.stdout);
    assert.equal(cb.status, 'Scheduled');
    assert.ok(Math.abs(Date.parse(cb.dueAt) - (Date.now() + 60_000)) < 10_000);

    const listed = runCli(['list'], env, dir);
    assert.equal(listed.status, 0, listed.stderr);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(cb.id));
    assert.ok(line, listed.stdout);
    assert.match(line!, /Scheduled\s+\+420601111222\s+support\s+\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}/);

    const shown = runCli(['show', cb.id], env, dir);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /status\s+Scheduled/);
    assert.match(shown.stdout, /Created/);
  });

  it('cancels, and refuses bad input with a clear message and no change', () => {
    const cb = JSON.parse(runCli(['create', '--number', '601111222', '--queue', 'support', '--delay-minutes', '30', '--json'], env, dir).stdout);
    const bad = runCli(['create', '--number', '+420601111222&PJSIP/666', '--queue', 'support'], env, dir);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /is not a phone number/);
    const missing = runCli(['cancel', 'no-such-id'], env, dir);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /not found/);
    const cancelled = runCli(['cancel', cb.id, '--json'], env, dir);
    assert.equal(cancelled.status, 0, cancelled.stderr);
    assert.equal(JSON.parse(cancelled.stdout).status, 'Cancelled');
    const all = JSON.parse(runCli(['list', '--json'], env, dir).stdout);
    assert.equal(all.items.length, 1);
  });

  it('refuses to start on a bad configuration, naming the key', () => {
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'scheduler:\n  maxConcurent: 3\n');
    const r = runCli(['--config', path.join(dir, 'bad.yaml'), 'run'], env, dir);
    assert.equal(r.status, 78);
    assert.match(r.stderr, /scheduler\.maxConcurent/);
    const e = runCli(['migrate'], { ...env, CALLBACKD_HTTP_PORT: 'abc' }, dir);
    assert.notEqual(e.status, 0);
    assert.match(e.stderr, /http\.port/);
  });

  it('keeps a callback exactly once across SIGKILL of the daemon and restart', async () => {
    const cb = JSON.parse(runCli(['create', '--number', '+420601111222', '--queue', 'support', '--delay-minutes', '1', '--json'], env, dir).stdout);
    for (let i = 0; i < 2; i++) {
      const { child } = await startCli(['run'], env, dir, /callbackd ready/);
      await killed(child, 'SIGKILL');
    }
    const items = JSON.parse(runCli(['list', '--json'], env, dir).stdout).items;
    assert.equal(items.length, 1);
    assert.equal(items[0].id, cb.id);
    assert.equal(items[0].status, 'Scheduled');
    assert.equal(items[0].dueAt, cb.dueAt);
  });

  it('run with no PBX configured says nothing will be dialled, then that it is ready', async () => {
    const { child, output } = await startCli(['run'], env, dir, /callbackd ready/);
    await killed(child, 'SIGTERM');
    const messages = output().split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { message: string }).message);
    const warned = messages.findIndex((m) => /no PBX configured \(pbx: none\).*nothing is dialled/.test(m));
    assert.ok(warned >= 0, messages.join('\n'));
    assert.ok(warned < messages.indexOf('callbackd ready'));
  });

  it('run serves the API, the page and /healthz on http.port, and a callback created over it is in the store', async () => {
    const { child, output } = await startCli(['run'], { ...env, CALLBACKD_API_TOKEN: 'run-test-token' }, dir, /callbackd ready/);
    try {
      const line = output().split('\n').find((l) => l.includes("supervisors' page at"));
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line ?? '')?.[1];
      assert.ok(url, output());
      // No PBX configured (pbx: none): healthy when the store takes a write, and it says there is no PBX.
      const health = await fetch(`${url}healthz`);
      assert.deepEqual([health.status, await health.json()], [200, { status: 'ok', store: 'ok', pbx: 'none' }]);
      assert.equal((await fetch(`${url}api/v1/callbacks`)).status, 401);
      const created = await fetch(`${url}api/v1/callbacks`, {
        method: 'POST',
        headers: { authorization: 'Bearer run-test-token', 'content-type': 'application/json' },
        body: JSON.stringify({ number: '601111222', queue: 'support', delayMinutes: 30 }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const page = await fetch(url);
      assert.match(await page.text(), /<title>[^<]*callbackd/);
    } finally {
      await killed(child, 'SIGTERM');
    }
    const items = JSON.parse(runCli(['list', '--json'], env, dir).stdout).items;
    assert.deepEqual(items.map((c: { number: string }) => c.number), ['+420601111222']);
  });

  it('refuses to run with the API on a non-loopback address and no token, naming api.token', () => {
    const r = runCli(['run'], { ...env, CALLBACKD_HTTP_HOST: '0.0.0.0' }, dir);
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, /api\.token/);
    assert.ok(!fs.existsSync(env.CALLBACKD_DB), 'nothing opened before the refusal');
  });
});
