import assert from 'node:assert/strict';
import path from 'node:path';
import { Daemon } from '../../src/daemon';
import { createSilentLogger } from '../../src/log';
import { testConfig } from '../helpers/config';
import { removeDir, tempDir } from '../helpers/tmp';

const VIP_SCRIPT = path.join(__dirname, '..', '..', 'config', 'scripts', 'vip-lookup.js');

describe('the daemon: a transition script looks the caller up in an imported contact table', function () {
  this.timeout(20_000);
  let dir: string;
  let daemon: Daemon;
  beforeEach(async () => {
    dir = tempDir();
    const config = testConfig({
      db: path.join(dir, 'cb.db'),
      defaultCountry: 'CZ',
      transitions: [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 20, delayMinutes: 15, script: VIP_SCRIPT }],
    });
    daemon = await Daemon.open({ config, logger: createSilentLogger(), gateway: null });
    await daemon.start();
  });
  afterEach(async () => {
    await daemon.stop();
    removeDir(dir);
  });

  async function lose(callId: string, number: string, waitSeconds: number): Promise<void> {
    const at = Date.now();
    await daemon.queueCalls.entered({ callId, number, queue: 'support', at, form: {} });
    await daemon.queueCalls.gone({ callId, queue: 'support', at: at + waitSeconds * 1000, how: 'abandoned', position: 3, waitSeconds });
  }

  it('calls a VIP back at once, even after a short wait; anyone else by the rules', async () => {
    const imported = await daemon.service.importContacts({ table: 'vip', csv: 'number,name\n601 111 222,Jana Nováková\n' });
    assert.equal(imported.total, 1);

    await lose('vip-call', '+420601111222', 5);
    const [vip] = await daemon.store.callbacksOfCall('vip-call');
    assert.ok(vip, 'a VIP who waited 5 s (under minWaitSeconds 20) is called back all the same');
    assert.deepEqual([vip.form.vip, vip.form.name, vip.form.priority], ['yes', 'Jana Nováková', '9']);
    assert.ok(vip.dueAt !== null && vip.dueAt <= Date.now() + 1000, 'at once, not in 15 minutes');
    const decided = (await daemon.store.eventsOfCall('vip-call')).find((e) => e.type === 'LostCallDecided');
    assert.deepEqual(decided?.data.script, { name: 'config/scripts/vip-lookup.js', verdict: 'create' }, 'named relative to the working directory');

    await lose('other-call', '+420602333444', 5);
    assert.equal((await daemon.store.getCall('other-call'))?.lostReason, 'too_short', 'not in the table: the embedded decision');
  });
});
