import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Daemon } from '../../src/daemon';
import { createSilentLogger } from '../../src/log';
import { verifySignature } from '../../src/webhooks/signature';
import { testConfig } from '../helpers/config';
import { removeDir, tempDir } from '../helpers/tmp';
import { Receiver } from '../webhooks/receiver';

/** An interval trigger's script: one callback for a fixed number, due in an hour. */
const MORNING = `
module.exports = function decide(ctx) {
  return { action: 'create', number: '+420601777888', queue: 'support', delayMinutes: 60, form: { campaign: 'morning' } };
};
`;

describe('triggers in the daemon: a status change POSTed to a webhook, signed and once; an interval script making a callback', function () {
  this.timeout(20_000);
  let dir: string;
  let receiver: Receiver;
  let daemon: Daemon | null = null;
  beforeEach(async () => {
    dir = tempDir();
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = null;
    await receiver.close();
    removeDir(dir);
  });

  function config() {
    const script = path.join(dir, 'morning.js');
    fs.writeFileSync(script, MORNING);
    return testConfig({
      db: path.join(dir, 'cb.db'),
      transitions: [{ name: 'support', sourceQueue: 'support' }],
      webhooks: [{ name: 'crm', url: receiver.url, secret: 's3cret' }],
      triggers: [
        { name: 'cancelled-to-crm', on: 'status', statuses: ['Cancelled'], webhook: 'crm' },
        { name: 'morning', on: 'interval', cron: '0 8 * * 1-5', timezone: 'Europe/Prague', script },
      ],
    });
  }

  async function open(): Promise<Daemon> {
    const d = await Daemon.open({ config: config(), logger: createSilentLogger(), gateway: null });
    await d.start();
    return d;
  }

  it('POSTs callback.cancelled once, signed, also for a cancel made while the daemon was down', async () => {
    daemon = await open();
    const { callback } = await daemon.service.create({ number: '+420601111222', queue: 'support', by: 'test' });
    await daemon.service.cancel({ id: callback.id, by: 'test' });
    await receiver.reach(1);
    const first = receiver.received[0];
    assert.equal(first.headers['callbackd-event'], 'callback.cancelled');
    assert.ok(verifySignature('s3cret', String(first.headers['callbackd-signature']), first.body, Math.floor(Date.now() / 1000)), 'the signature verifies');
    const body = JSON.parse(first.body) as { trigger: string; callback: { id: string; status: string } };
    assert.deepEqual([body.trigger, body.callback.id, body.callback.status], ['cancelled-to-crm', callback.id, 'Cancelled']);
    await daemon.stop();

    // Down: another process cancels (the command line would), then the daemon starts again.
    const other = await Daemon.open({ config: config(), logger: createSilentLogger(), gateway: null });
    const { callback: second } = await other.service.create({ number: '+420601111333', queue: 'support', by: 'cli' });
    await other.service.cancel({ id: second.id, by: 'cli' });
    await other.store.close();
    daemon = await open();
    await receiver.reach(2);
    assert.equal((JSON.parse(receiver.received[1].body) as { callback: { id: string } }).callback.id, second.id);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.received.length, 2, 'nothing was sent twice');
  });

  it('runs an interval trigger on demand: its script makes a callback, and the run is listed', async () => {
    daemon = await open();
    const ran = await daemon.service.runTrigger('morning');
    assert.equal(ran.outcome, 'done');
    assert.match(String(ran.run?.detail), /^made callback \S+ for \+420601777888 in support$/);
    const [made] = (await daemon.store.list({ limit: 10, number: '+420601777888' })).items;
    assert.equal(made.form.campaign, 'morning');
    const listed = await daemon.service.triggers();
    assert.deepEqual(listed.map((t) => [t.trigger.name, t.runs.length]), [['cancelled-to-crm', 0], ['morning', 1]]);
    await assert.rejects(daemon.service.runTrigger('cancelled-to-crm'), /only an interval trigger is run on demand/);
    await assert.rejects(daemon.service.runTrigger('nope'), /trigger nope not found/);
  });
});
