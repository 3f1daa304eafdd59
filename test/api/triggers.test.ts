import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { createSilentLogger } from '../../src/log';
import { ScriptRunner } from '../../src/scripts/runner';
import { DaemonTriggerActions } from '../../src/triggers/trigger-actions';
import { IntervalTriggers } from '../../src/triggers/interval-triggers';
import { removeDir, tempDir } from '../helpers/tmp';
import { VIEWER, openApiRig, type ApiRig } from './rig';

describe('api: triggers', function () {
  this.timeout(15_000);
  let rig: ApiRig;
  let runner: ScriptRunner;

  let scripts: string;

  beforeEach(async () => {
    scripts = tempDir();
    const script = path.join(scripts, 'nightly.js');
    fs.writeFileSync(script, "module.exports = () => ({ action: 'skip', reason: 'nobody to call tonight' });");
    rig = await openApiRig({
      doc: {
        webhooks: [{ name: 'crm', url: 'https://crm.example.com/in' }],
        triggers: [
          { name: 'failed-to-crm', on: 'status', statuses: ['Failed'], queues: ['support'], webhook: 'crm' },
          { name: 'nightly', on: 'interval', cron: '0 2 * * *', timezone: 'Europe/Prague', script },
        ],
      },
    });
    runner = new ScriptRunner({ dir: scripts, logger: createSilentLogger(), watch: false });
    const actions = new DaemonTriggerActions({ deliverer: null, scripts: runner, service: rig.service, clock: rig.clock, logger: createSilentLogger() });
    rig.service.useTriggers(new IntervalTriggers(rig.store, rig.config.triggers, actions, { clock: rig.clock, logger: createSilentLogger(), owner: 'daemon-1' }));
  });
  afterEach(async () => {
    await runner.close();
    await rig.close();
    removeDir(scripts);
  });

  it('lists the triggers; the operator runs an interval one now and its run is listed; viewers only read', async () => {
    const listed = await rig.get('/api/v1/triggers', { token: VIEWER });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.body.items.map((t: { name: string; on: string; webhook: string | null }) => [t.name, t.on, t.webhook]), [['failed-to-crm', 'status', 'crm'], ['nightly', 'interval', null]]);

    assert.equal((await rig.post('/api/v1/triggers/nightly/run', undefined, { token: VIEWER })).status, 403);
    const ran = await rig.post('/api/v1/triggers/nightly/run');
    assert.equal(ran.status, 200, ran.text);
    assert.equal(ran.body.outcome, 'done');
    assert.equal(ran.body.run.detail, 'skipped: nobody to call tonight');
    const again = await rig.get('/api/v1/triggers');
    assert.equal(again.body.items[1].runs.length, 1);
  });

  it('answers 404 for a trigger that does not exist and 400 for a status trigger run on demand', async () => {
    const missing = await rig.post('/api/v1/triggers/nope/run');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /trigger nope not found/);
    const status = await rig.post('/api/v1/triggers/failed-to-crm/run');
    assert.equal(status.status, 400);
    assert.match(status.body.error.message, /only an interval trigger is run on demand/);
  });
});
